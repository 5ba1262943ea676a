"""Two narrow projections of the log the dashboard counts from: levels reached, responses.

Why: the ladder ("how many alerts reached each level") and timeliness ("responses on time
at each level") were counted from the event log itself, reading each alert's events and
their JSON. On ten years of a large authority (2,000,000 events) that alone took longer
than a whole trivial page (issue 15). These tables hold just those facts, one row per
alert and level first reached, one row per response, written by :func:`project` in the
same transaction as the event (``db.events.append_event`` calls it), so the figures stay
exact, not cached. They are projections like any other: :func:`refill` writes them again
from ``live_events`` (migration m013, ``rebuild``, a rolled-back import's alerts).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlite_utils

LEVEL_KINDS = ("raised", "escalated")
RESPONSE_KIND = "responded"

CREATE = (
    """CREATE TABLE IF NOT EXISTS alert_levels_reached (
        alert_id INTEGER NOT NULL,
        level TEXT NOT NULL,
        reached_on TEXT NOT NULL,
        PRIMARY KEY (alert_id, level)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS alert_responses (
        event_id INTEGER PRIMARY KEY,
        alert_id INTEGER NOT NULL,
        level TEXT,
        responded_on TEXT NOT NULL,
        due TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS idx_alert_responses_on ON alert_responses(responded_on)",
    "CREATE INDEX IF NOT EXISTS idx_alert_responses_alert ON alert_responses(alert_id)",
)


def project(db: sqlite_utils.Database, event_id: int, row: dict[str, Any]) -> None:
    """Add one just-appended event's facts (nothing for kinds the tables do not keep)."""
    kind, alert_id = row["kind"], row["alert_id"]
    if alert_id is None or (kind not in LEVEL_KINDS and kind != RESPONSE_KIND):
        return
    data = json.loads(row["data"]) if isinstance(row["data"], str) else (row["data"] or {})
    _insert(db, [(event_id, kind, alert_id, row["occurred_on"], data)])


def _insert(db: sqlite_utils.Database,
            facts: Iterable[tuple[int, str, int, str, dict[str, Any]]]) -> None:
    levels, responses = [], []
    for event_id, kind, alert_id, on, data in facts:
        if kind in LEVEL_KINDS:
            if data.get("level"):
                levels.append((alert_id, data["level"], on))
        else:
            responses.append((event_id, alert_id, data.get("level"), on, data.get("due")))
    # the first day each level was reached: an earlier-dated event (an import) lowers it
    db.conn.executemany(
        """INSERT INTO alert_levels_reached (alert_id, level, reached_on) VALUES (?, ?, ?)
           ON CONFLICT (alert_id, level) DO UPDATE
           SET reached_on = min(reached_on, excluded.reached_on)""", levels)
    db.conn.executemany(
        "INSERT OR REPLACE INTO alert_responses (event_id, alert_id, level, responded_on, due) "
        "VALUES (?, ?, ?, ?, ?)", responses)


def refill(db: sqlite_utils.Database, alert_ids: list[int] | None = None) -> None:
    """Write the facts again from ``live_events``: every alert's, or just ``alert_ids``'.
    Call inside a write transaction."""
    if alert_ids is None:
        db.execute("DELETE FROM alert_levels_reached")
        db.execute("DELETE FROM alert_responses")
        rows = db.execute(
            "SELECT id, kind, alert_id, occurred_on, data FROM live_events "
            "WHERE kind IN ('raised', 'escalated', 'responded') AND alert_id IS NOT NULL "
            "ORDER BY id")
        _insert(db, ((r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows))
        return
    for alert_id in alert_ids:
        db.execute("DELETE FROM alert_levels_reached WHERE alert_id = ?", [alert_id])
        db.execute("DELETE FROM alert_responses WHERE alert_id = ?", [alert_id])
        rows = db.execute(
            "SELECT id, kind, alert_id, occurred_on, data FROM live_events "
            "WHERE alert_id = ? AND kind IN ('raised', 'escalated', 'responded') ORDER BY id",
            [alert_id]).fetchall()
        _insert(db, ((r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows))


def differences(db: sqlite_utils.Database) -> list[str]:
    """How the tables differ from what ``live_events`` says, in words (for ``verify``)."""
    found = []
    levels = """SELECT e.alert_id, json_extract(e.data, '$.level') AS level,
                       min(e.occurred_on) AS reached_on
                FROM live_events e
                WHERE e.kind IN ('raised', 'escalated') AND e.alert_id IS NOT NULL
                  AND json_extract(e.data, '$.level') IS NOT NULL AND
                      json_extract(e.data, '$.level') != ''
                GROUP BY 1, 2"""
    stored = "SELECT alert_id, level, reached_on FROM alert_levels_reached"
    for label, left, right in (("is missing", levels, stored), ("should not be there",
                                                                 stored, levels)):
        for alert_id, level, on in db.execute(f"{left} EXCEPT {right} LIMIT 20"):
            found.append(f"Levels reached: alert id {alert_id} reaching {level} on {on} "
                         f"{label}.")
    responses = """SELECT id, alert_id, json_extract(data, '$.level'), occurred_on,
                          json_extract(data, '$.due')
                   FROM live_events WHERE kind = 'responded' AND alert_id IS NOT NULL"""
    stored = "SELECT event_id, alert_id, level, responded_on, due FROM alert_responses"
    for label, left, right in (("is missing", responses, stored),
                               ("should not be there", stored, responses)):
        for event_id, alert_id, *_ in db.execute(f"{left} EXCEPT {right} LIMIT 20"):
            found.append(f"Responses: event {event_id} on alert id {alert_id} {label}.")
    return found
