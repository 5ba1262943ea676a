"""What the access module (``usecases.access``) needs to know about people and children.

Read-only SQL: a child with the people around it, the staff below a manager, and which
levels an alert reached. Deciding what follows from these facts is not done here.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

import sqlite_utils

#: How far a line-management walk goes (the same depth as ``db.recipients``).
MAX_DEPTH = 30

_CHILD = """
    SELECT c.id, c.case_ref, c.legal_status, c.team_id, c.social_worker_id, c.reviewer_id
    FROM children c"""


def child_ties_by_ref(db: sqlite_utils.Database, case_ref: str) -> dict | None:
    """A child's id, team, social worker and reviewer."""
    rows = list(db.query(_CHILD + " WHERE c.case_ref = ?", [case_ref]))
    return rows[0] if rows else None


def child_ties_by_id(db: sqlite_utils.Database, child_id: int) -> dict | None:
    rows = list(db.query(_CHILD + " WHERE c.id = ?", [child_id]))
    return rows[0] if rows else None


def all_child_ids(db: sqlite_utils.Database) -> list[int]:
    return [r[0] for r in db.execute("SELECT id FROM children ORDER BY id").fetchall()]


_BELOW = """WITH RECURSIVE below(id, depth) AS (
               SELECT id, 1 FROM staff WHERE line_manager_id = :me
               UNION
               SELECT s.id, below.depth + 1 FROM staff s JOIN below
                   ON s.line_manager_id = below.id
               WHERE below.depth < :depth)"""


def staff_below(db: sqlite_utils.Database, staff_id: int) -> set[int]:
    """Everyone whose line-management chain runs up to this person (a walk down)."""
    rows = db.execute(_BELOW + " SELECT DISTINCT id FROM below",
                      {"me": staff_id, "depth": MAX_DEPTH}).fetchall()
    return {r[0] for r in rows}


def children_linked(db: sqlite_utils.Database, staff_id: int) -> dict[int, set[str]]:
    """Children this person reviews ("reviewer"), or whose social worker is them or reports
    to them ("care"): child id -> the ties."""
    rows = db.execute(
        _BELOW + """ SELECT id, reviewer_id = :me,
                            social_worker_id = :me OR social_worker_id IN (SELECT id FROM below)
                     FROM children WHERE reviewer_id = :me OR social_worker_id = :me
                     OR social_worker_id IN (SELECT id FROM below)""",
        {"me": staff_id, "depth": MAX_DEPTH}).fetchall()
    return {r[0]: {tie for tie, on in (("reviewer", r[1]), ("care", r[2])) if on}
            for r in rows}


def children_of_team(db: sqlite_utils.Database, team_id: int) -> set[int]:
    """Children allocated to the team."""
    rows = db.execute("SELECT id FROM children WHERE team_id = ?", [team_id]).fetchall()
    return {r[0] for r in rows}


def alert_ties(db: sqlite_utils.Database, ref: str) -> dict | None:
    """An alert's child, track, level, who it waits for and whether it is open."""
    rows = list(db.query(
        "SELECT id, ref, child_id, track, level, awaiting, status, state FROM alerts "
        "WHERE ref = ?", [ref]))
    return rows[0] if rows else None


def levels_reached(db: sqlite_utils.Database, alert_id: int) -> list[str]:
    """The levels an alert was raised or escalated to, in order ("informal" or a role)."""
    rows = db.execute(
        """SELECT json_extract(data, '$.level') FROM live_events
           WHERE alert_id = ? AND kind IN ('raised', 'escalated') ORDER BY id""",
        [alert_id]).fetchall()
    return [r[0] for r in rows if r[0]]


def child_pairs(db: sqlite_utils.Database) -> list[tuple[int, int | None, int | None]]:
    """(child id, social worker, reviewer) of every child: whom a role means for a child
    depends on these two people alone."""
    return [(r[0], r[1], r[2]) for r in db.execute(
        "SELECT id, social_worker_id, reviewer_id FROM children")]


def alerts_reaching(
    db: sqlite_utils.Database, levels: dict[str, set[str]], child_ids: Collection[int],
) -> list[tuple[int, int]]:
    """(alert id, child id) of the alerts about these children that reached any of these
    levels ({track: {level, ...}}), from ``alert_levels_reached``, kept as events are
    written (not the log's JSON, alert by alert)."""
    if not child_ids:
        return []
    among, ids = _among("a.child_id", child_ids)
    found: dict[int, int] = {}
    for track, wanted in levels.items():
        if not wanted:
            continue
        marks = ",".join("?" * len(wanted))
        for alert_id, child_id in db.execute(
                f"""SELECT DISTINCT a.id, a.child_id
                    FROM alerts a JOIN alert_levels_reached r ON r.alert_id = a.id
                    WHERE {among} AND a.track = ? AND r.level IN ({marks})""",
                [*ids, track, *sorted(wanted)]):
            found[alert_id] = child_id
    return list(found.items())


def alert_ids_of_children(db: sqlite_utils.Database, child_ids: set[int]) -> set[int]:
    if not child_ids:
        return set()
    ids = sorted(child_ids)
    out: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        out |= {r[0] for r in db.execute(
            f"SELECT id FROM alerts WHERE child_id IN ({marks})", chunk).fetchall()}
    return out


def review_ties(db: sqlite_utils.Database, review_id: int) -> dict | None:
    rows = list(db.query("SELECT id, child_id, kind, held_on FROM reviews WHERE id = ?",
                         [review_id]))
    return rows[0] if rows else None


def _among(column: str, ids: Collection[int] | None) -> tuple[str, list[Any]]:
    """A condition keeping rows whose ``column`` is one of ``ids`` (None: every row), with
    its parameter: the ids go in as one JSON list, however many there are."""
    if ids is None:
        return "1", []
    return f"{column} IN (SELECT value FROM json_each(?))", [json.dumps(sorted(ids))]


def children_status_counts(db: sqlite_utils.Database,
                           child_ids: Collection[int] | None) -> dict[str, int]:
    """How many of these children (None: all) have each legal status."""
    where, params = _among("id", child_ids)
    return {r[0]: r[1] for r in db.execute(
        f"SELECT legal_status, count(*) FROM children WHERE {where} GROUP BY 1", params)}


def review_rag_counts(db: sqlite_utils.Database,
                      child_ids: Collection[int] | None) -> dict[str | None, int]:
    """How many reviews of these children (None: all) were judged each RAG (None: none)."""
    where, params = _among("child_id", child_ids)
    return {r[0]: r[1] for r in db.execute(
        f"SELECT rag, count(*) FROM reviews WHERE {where} GROUP BY 1", params)}


def alert_level_counts(db: sqlite_utils.Database, alert_ids: Collection[int] | None
                       ) -> list[tuple[str, str, str, int]]:
    """(track, level, status, how many) of these alerts (None: all)."""
    where, params = _among("id", alert_ids)
    return [(r[0], r[1], r[2], r[3]) for r in db.execute(
        f"SELECT track, level, status, count(*) FROM alerts WHERE {where} GROUP BY 1, 2, 3",
        params)]


def events_about(db: sqlite_utils.Database, child_ids: Collection[int] | None) -> int:
    """How many events (not voided by a rolled-back import) are about these children (None:
    any child)."""
    where, params = _among("child_id", child_ids)
    # counted through the index, less the few a rolled-back import wrote: the same as
    # counting live_events, without a look at every event's row to see it is not voided
    total = db.execute(f"SELECT count(*) FROM events WHERE child_id IS NOT NULL AND {where}",
                       params).fetchone()[0]
    voided = db.execute(
        f"""SELECT count(*) FROM events
            WHERE child_id IS NOT NULL AND {where} AND id IN (
                SELECT e.id FROM voided_event_ranges v
                JOIN events e ON e.id BETWEEN v.first_id AND v.last_id
                UNION SELECT e.id FROM voided_alerts a JOIN events e ON e.alert_id = a.alert_id)""",
        params).fetchone()[0]
    return total - voided



def staff_person(db: sqlite_utils.Database, *, staff_id: int | None = None,
                 email: str | None = None) -> dict | None:
    """A member of staff (active or not) by id or e-mail, with their team's name."""
    where, value = ("s.id = ?", staff_id) if staff_id is not None else (
        "lower(s.email) = lower(?)", (email or "").strip())
    rows = list(db.query(
        f"""SELECT s.id, s.name, s.email, s.role, s.team_id, s.active, t.name AS team_name
            FROM staff s LEFT JOIN teams t ON t.id = s.team_id WHERE {where}""", [value]))
    return rows[0] if rows else None
