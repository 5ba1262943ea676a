"""Writes for the alerts table: the current state of each alert, projected from its events."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlite_utils


def insert_alert(
    db: sqlite_utils.Database,
    *,
    ref: str,
    child_id: int,
    track: str,
    category: str | None,
    concern: str,
    outcome_sought: str,
    raised_on: dt.date,
    raised_by: int | None,
    level: str,
    awaiting: str | None,
    due: dt.date | None,
) -> int:
    row: dict[str, Any] = {
        "ref": ref,
        "child_id": child_id,
        "track": track,
        "category": category,
        "concern": concern,
        "outcome_sought": outcome_sought,
        "raised_on": raised_on.isoformat(),
        "raised_by": raised_by,
        "status": "open",
        "level": level,
        "awaiting": awaiting,
        "due": due.isoformat() if due else None,
    }
    return db["alerts"].insert(row).last_pk


def next_alert_ref(db: sqlite_utils.Database, prefix: str = "A") -> str:
    """The next free reference like ``A-000123`` for alerts raised in the app."""
    row = next(db.query("SELECT coalesce(max(id), 0) + 1 AS n FROM alerts"))
    return f"{prefix}-{row['n']:06d}"
