"""The alerts table: each alert's current state, projected from its events.

The folded state is kept whole as JSON (so it can be rebuilt from the log and compared),
with the columns screens filter and sort on copied out beside it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlite_utils


@dataclass(frozen=True)
class AlertRow:
    id: int
    ref: str
    child_id: int
    child_ref: str
    track: str
    state: dict[str, Any]


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def insert_alert(
    db: sqlite_utils.Database,
    *,
    ref: str,
    child_id: int,
    track: str,
    raised_on: dt.date,
    raised_by: int | None,
    concern: str = "",
    outcome_sought: str = "",
) -> int:
    """A new alert row; its state is filled in by :func:`save_projection` straight after."""
    # Never the id of an alert a rolled-back import created: its events still carry it.
    reuse_guard = db.execute(
        "SELECT max(coalesce((SELECT max(id) FROM alerts), 0),"
        " coalesce((SELECT max(alert_id) FROM voided_alerts), 0)) + 1").fetchone()[0]
    row: dict[str, Any] = {
        "id": reuse_guard,
        "ref": ref,
        "child_id": child_id,
        "track": track,
        "concern": concern,
        "outcome_sought": outcome_sought,
        "raised_on": raised_on.isoformat(),
        "raised_by": raised_by,
        "status": "open",
        "level": "informal",
    }
    return db["alerts"].insert(row).last_pk


def save_projection(
    db: sqlite_utils.Database,
    alert_id: int,
    state: dict[str, Any],
    next_check_on: dt.date | None,
) -> None:
    db.execute(
        """UPDATE alerts SET state = ?, status = ?, level = ?, awaiting = ?, due = ?,
                  category = ?, formal_due = ?, closed_on = ?, next_check_on = ?
           WHERE id = ?""",
        [
            json.dumps(state, sort_keys=True),
            state["status"],
            state["level"],
            state["awaiting"] or None,
            state["due"],
            state["category"] or None,
            state["formal_due"],
            state["closed_on"],
            _iso(next_check_on),
            alert_id,
        ],
    )


_SELECT = """SELECT a.id, a.ref, a.child_id, c.case_ref AS child_ref, a.track, a.state
             FROM alerts a JOIN children c ON c.id = a.child_id"""


def _row(r: dict[str, Any]) -> AlertRow:
    return AlertRow(id=r["id"], ref=r["ref"], child_id=r["child_id"], child_ref=r["child_ref"],
                    track=r["track"], state=json.loads(r["state"]))


def alert_by_ref(db: sqlite_utils.Database, ref: str) -> AlertRow | None:
    rows = list(db.query(f"{_SELECT} WHERE a.ref = ?", [ref]))
    return _row(rows[0]) if rows else None


def alert_by_id(db: sqlite_utils.Database, alert_id: int) -> AlertRow | None:
    rows = list(db.query(f"{_SELECT} WHERE a.id = ?", [alert_id]))
    return _row(rows[0]) if rows else None


#: The sweep's question. ``INDEXED BY`` because without statistics SQLite prefers the
#: older index on (status, due) and visits every open alert: the sweep's cost would grow
#: with the alerts open, not the alerts due (issue 15). Should the partial index ever be
#: unusable for it, SQLite refuses the query rather than quietly scanning.
ALERTS_TO_CHECK_SQL = ("SELECT id FROM alerts INDEXED BY idx_alerts_next_check "
                       "WHERE status = 'open' AND next_check_on <= ? ORDER BY id")


def alert_ids_to_check(db: sqlite_utils.Database, as_of: dt.date) -> list[int]:
    """Open alerts on which a clock rule may fire on or before ``as_of`` (uses the index)."""
    rows = db.execute(ALERTS_TO_CHECK_SQL, [as_of.isoformat()]).fetchall()
    return [r[0] for r in rows]


def all_alerts(db: sqlite_utils.Database) -> Iterator[AlertRow]:
    for r in db.query(f"{_SELECT} ORDER BY a.id"):
        yield _row(r)


def next_alert_ref(db: sqlite_utils.Database, prefix: str = "A") -> str:
    """The next free reference like ``A-000123`` for alerts raised in the app."""
    row = next(db.query("SELECT coalesce(max(id), 0) + 1 AS n FROM alerts"))
    n = row["n"]
    while list(db.query("SELECT 1 FROM alerts WHERE ref = ?", [f"{prefix}-{n:06d}"])):
        n += 1
    return f"{prefix}-{n:06d}"


def any_alert_with_category(db: sqlite_utils.Database, category: str) -> bool:
    """True when at least one alert carries ``category``."""
    return db.execute("SELECT 1 FROM alerts WHERE category = ? LIMIT 1",
                      [category]).fetchone() is not None


def alerts_raised_between(db: sqlite_utils.Database, start: dt.date, end: dt.date) -> int:
    """How many alerts (of known children) were raised from ``start`` to ``end``."""
    row = db.execute("SELECT count(*) FROM alerts a JOIN children c ON c.id = a.child_id "
                     "WHERE a.raised_on >= ? AND a.raised_on <= ?",
                     [start.isoformat(), end.isoformat()]).fetchone()
    return int(row[0])


def alert_words(db: sqlite_utils.Database) -> dict[int, tuple[str, str]]:
    """Every alert's (concern, outcome sought) as its table holds them, by alert id: for
    alerts raised before their raised event carried them itself."""
    return {r[0]: (r[1] or "", r[2] or "") for r in db.execute(
        "SELECT id, concern, outcome_sought FROM alerts")}
