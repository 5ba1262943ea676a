"""The record of an import written in chunks, and the projection of rolling one back.

An import of alert histories writes a chunk of whole alerts per transaction, so nobody
else waits long for the write lock. Each chunk ends with an ``import_chunk_applied``
event naming the id range of the events it wrote (a transaction's events are consecutive:
nobody else can write in between), the alerts and children it created. A run ends with
``events_imported`` (done) or ``import_rolled_back`` (undone); chunks after the last
of those for an import id belong to a run that has not ended.

Rolling back cannot delete events: the log is append-only. ``import_rolled_back`` lists
the ranges and alerts, and its projection (``voided_event_ranges``, ``voided_alerts``)
takes them out of ``live_events``, the view every reader of history uses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

CHUNK_KIND = "import_chunk_applied"
DONE_KIND = "events_imported"
ROLLED_BACK_KIND = "import_rolled_back"


@dataclass
class UnfinishedRun:
    """The chunks an import wrote since its last end (finished or rolled back)."""

    import_id: str
    file: str
    ranges: list[tuple[int, int]] = field(default_factory=list)
    alerts: list[int] = field(default_factory=list)
    children: list[int] = field(default_factory=list)
    rows: int = 0
    started_on: str = ""


def high_water(db: sqlite_utils.Database) -> tuple[int, int, int]:
    """The highest event, alert and child ids now (inside the chunk's transaction)."""
    row = db.execute("SELECT (SELECT coalesce(max(id), 0) FROM events),"
                     " (SELECT coalesce(max(id), 0) FROM alerts),"
                     " (SELECT coalesce(max(id), 0) FROM children)").fetchone()
    return int(row[0]), int(row[1]), int(row[2])


def created_since(db: sqlite_utils.Database, marks: tuple[int, int, int]
                  ) -> tuple[tuple[int, int] | None, list[int], list[int]]:
    """The event range, alerts and children written since ``marks`` (same transaction)."""
    events, alerts, children = marks
    last = db.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
    span = (events + 1, int(last)) if last > events else None
    new_alerts = [r[0] for r in db.execute("SELECT id FROM alerts WHERE id > ? ORDER BY id",
                                           [alerts])]
    new_children = [r[0] for r in db.execute(
        "SELECT id FROM children WHERE id > ? ORDER BY id", [children])]
    return span, new_alerts, new_children


def unfinished_runs(db: sqlite_utils.Database) -> list[UnfinishedRun]:
    """Every import whose chunks were written and whose run never ended, oldest first."""
    runs: dict[str, UnfinishedRun] = {}
    for row in db.query(
            "SELECT kind, occurred_on, data FROM events WHERE kind IN (?, ?, ?) ORDER BY id",
            [CHUNK_KIND, DONE_KIND, ROLLED_BACK_KIND]):
        data: dict[str, Any] = json.loads(row["data"])
        import_id = str(data.get("import_id", ""))
        if row["kind"] != CHUNK_KIND:
            runs.pop(import_id, None)
            continue
        run = runs.setdefault(import_id, UnfinishedRun(import_id, str(data.get("file", "")),
                                                       started_on=row["occurred_on"]))
        if data.get("first_id") is not None:
            run.ranges.append((int(data["first_id"]), int(data["last_id"])))
        run.alerts += [int(a) for a in data.get("alerts", [])]
        run.children += [int(c) for c in data.get("children", [])]
        run.rows += int(data.get("rows", 0))
    return list(runs.values())


def void(db: sqlite_utils.Database, import_id: str, ranges: list[tuple[int, int]],
         alerts: list[int]) -> None:
    """Take a rolled-back import's events out of ``live_events`` (its event's projection)."""
    db.conn.executemany(
        "INSERT INTO voided_event_ranges (import_id, first_id, last_id) VALUES (?, ?, ?)",
        [(import_id, first, last) for first, last in ranges])
    db.conn.executemany("INSERT OR IGNORE INTO voided_alerts (alert_id, import_id) VALUES (?, ?)",
                        [(alert_id, import_id) for alert_id in alerts])


def alerts_touched(db: sqlite_utils.Database, ranges: list[tuple[int, int]],
                   leaving_out: list[int]) -> list[int]:
    """Alerts that existed before the import and that its events added to."""
    found: set[int] = set()
    for first, last in ranges:
        found |= {r[0] for r in db.execute(
            "SELECT DISTINCT alert_id FROM events WHERE id BETWEEN ? AND ? "
            "AND alert_id IS NOT NULL", [first, last])}
    return sorted(found - set(leaving_out))


def remove_alerts(db: sqlite_utils.Database, alert_ids: list[int]) -> None:
    """Delete the rows of alerts a rolled-back import created (their events stay, voided),
    with the notifications about them (the import made none; a sweep meanwhile may have)."""
    for alert_id in alert_ids:
        db.execute("DELETE FROM notifications WHERE event_id IN "
                   "(SELECT id FROM events WHERE alert_id = ?)", [alert_id])
        db.execute("DELETE FROM alerts WHERE id = ?", [alert_id])


def remove_unused_children(db: sqlite_utils.Database, child_ids: list[int]) -> list[int]:
    """Delete children the import created that nothing living refers to; returns those kept
    (someone recorded something about one while the import ran)."""
    kept = []
    for child_id in child_ids:
        used = db.execute(
            "SELECT EXISTS (SELECT 1 FROM live_events WHERE child_id = ?)"
            " OR EXISTS (SELECT 1 FROM alerts WHERE child_id = ?)"
            " OR EXISTS (SELECT 1 FROM reviews WHERE child_id = ?)",
            [child_id, child_id, child_id]).fetchone()[0]
        if used:
            kept.append(child_id)
        else:
            db.execute("DELETE FROM children WHERE id = ?", [child_id])
    return kept
