"""What an import needs of the store beyond the event log: telling nobody, and the flags.

Recording history tells nobody: an alert that escalated in 2022 must not e-mail anyone
today. The events an import plays through the rules write notifications and outbox mail
as live events do, inside the import's own transaction; the import notes where those
tables stood before it began and removes what it added before it commits, so none of it
is ever seen. (Neither table is part of the append-only record; the events are.)
"""

from __future__ import annotations

import sqlite_utils


def message_marks(db: sqlite_utils.Database) -> tuple[int, int]:
    """The highest notification and outbox ids now (call inside the import's transaction)."""
    notes = db.execute("SELECT coalesce(max(id), 0) FROM notifications").fetchone()[0]
    mail = db.execute("SELECT coalesce(max(id), 0) FROM outbox").fetchone()[0]
    return notes, mail


def discard_messages_since(db: sqlite_utils.Database, marks: tuple[int, int]) -> int:
    """Remove the notifications and mail written since ``marks``; returns how many."""
    notes = db.execute("DELETE FROM notifications WHERE id > ?", [marks[0]]).rowcount
    mail = db.execute("DELETE FROM outbox WHERE id > ?", [marks[1]]).rowcount
    return notes + mail


def flagged_events(db: sqlite_utils.Database, alert_id: int, flag: str) -> list[dict]:
    """The alert's events whose data carries ``flag`` = true, oldest first."""
    return list(db.query(
        """SELECT id, occurred_on, kind, data FROM live_events
           WHERE alert_id = ? AND json_extract(data, '$.' || ?) = 1
           ORDER BY occurred_on, id""", [alert_id, flag]))


def alerts_with_flag(db: sqlite_utils.Database, flag: str) -> list[dict]:
    """Every alert one of whose events carries ``flag`` = true, with its child."""
    return list(db.query(
        """SELECT DISTINCT a.ref, c.case_ref AS child_ref, a.track, a.status
           FROM live_events e JOIN alerts a ON a.id = e.alert_id
           JOIN children c ON c.id = a.child_id
           WHERE e.alert_id IS NOT NULL AND json_extract(e.data, '$.' || ?) = 1
           ORDER BY a.ref""", [flag]))
