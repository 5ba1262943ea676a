"""Whether a form submission's token is already on the event log (see ``db.events``)."""

from __future__ import annotations

import sqlite_utils


def submission_logged(db: sqlite_utils.Database, token: str) -> bool:
    """True when an event saved with this form submission's token is in the log."""
    return db.execute("SELECT 1 FROM events WHERE submission = ? LIMIT 1",
                      [token]).fetchone() is not None
