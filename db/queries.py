"""Read-only questions the screens ask, answered in SQL."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import sqlite_utils


@dataclass(frozen=True)
class StoreCounts:
    teams: int
    staff: int
    children_looked_after: int
    children_child_protection: int
    reviews: int
    reviews_red: int
    reviews_amber: int
    alerts_open: int
    alerts_closed: int
    events: int

    @property
    def children(self) -> int:
        return self.children_looked_after + self.children_child_protection


def store_counts(db: sqlite_utils.Database) -> StoreCounts:
    """Everything the home page counts, in one round trip."""
    row = next(
        db.query(
            """SELECT
                (SELECT count(*) FROM teams) AS teams,
                (SELECT count(*) FROM staff WHERE active = 1) AS staff,
                (SELECT count(*) FROM children WHERE legal_status = 'looked_after')
                    AS children_looked_after,
                (SELECT count(*) FROM children WHERE legal_status = 'child_protection')
                    AS children_child_protection,
                (SELECT count(*) FROM reviews) AS reviews,
                (SELECT count(*) FROM reviews WHERE rag = 'red') AS reviews_red,
                (SELECT count(*) FROM reviews WHERE rag = 'amber') AS reviews_amber,
                (SELECT count(*) FROM alerts WHERE status = 'open') AS alerts_open,
                (SELECT count(*) FROM alerts WHERE status != 'open') AS alerts_closed,
                (SELECT count(*) FROM live_events) AS events"""
        )
    )
    return StoreCounts(**row)


def open_alerts_by_level(db: sqlite_utils.Database) -> dict[tuple[str, str], int]:
    """Open alerts counted by (track, level), for the ladder on the home page."""
    rows = db.query(
        "SELECT track, level, count(*) AS n FROM alerts WHERE status = 'open' "
        "GROUP BY track, level"
    )
    return {(r["track"], r["level"]): r["n"] for r in rows}


_CHILD_SELECT = """
    SELECT c.id, c.case_ref, c.name, c.date_of_birth, c.legal_status, c.team_id,
           t.name AS team, sw.name AS social_worker, rv.name AS reviewer, c.reviewer_id,
           (SELECT r.rag FROM reviews r WHERE r.child_id = c.id
             ORDER BY r.held_on DESC, r.id DESC LIMIT 1) AS last_rag,
           (SELECT max(r.held_on) FROM reviews r WHERE r.child_id = c.id) AS last_review,
           (SELECT count(*) FROM alerts a WHERE a.child_id = c.id AND a.status = 'open')
               AS open_alerts
    FROM children c
    LEFT JOIN teams t ON t.id = c.team_id
    LEFT JOIN staff sw ON sw.id = c.social_worker_id
    LEFT JOIN staff rv ON rv.id = c.reviewer_id"""


def children_list(
    db: sqlite_utils.Database, *, reviewer_id: int | None = None, team_id: int | None = None,
    ids: Iterable[int] | None = None,
) -> list[dict]:
    """Children, optionally one reviewer's caseload or one team's, or just ``ids``, by case
    reference. (``ids`` narrows in SQL: each row's last review and open alerts are looked
    up, and a service manager may see a quarter of thirty thousand children.)"""
    where: list[str] = []
    params: list = []
    if ids is not None:
        where.append("c.id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(sorted(ids)))
    if reviewer_id is not None:
        where.append("c.reviewer_id = ?")
        params.append(reviewer_id)
    if team_id is not None:
        where.append("c.team_id = ?")
        params.append(team_id)
    sql = _CHILD_SELECT + (" WHERE " + " AND ".join(where) if where else "")
    return list(db.query(sql + " ORDER BY c.case_ref", params))


def child_by_case_ref(db: sqlite_utils.Database, case_ref: str) -> dict | None:
    rows = list(db.query(_CHILD_SELECT + " WHERE c.case_ref = ?", [case_ref]))
    return rows[0] if rows else None


def reviews_of_child(db: sqlite_utils.Database, child_id: int) -> list[dict]:
    return list(db.query(
        """SELECT r.*, s.name AS reviewer FROM reviews r LEFT JOIN staff s ON s.id = r.reviewer_id
           WHERE r.child_id = ? ORDER BY r.held_on DESC, r.id DESC""", [child_id]))


_ALERT_SELECT = """
    SELECT a.id, a.ref, a.track, a.category, a.status, a.level, a.awaiting, a.due,
           a.raised_on, a.formal_due, a.closed_on, a.concern, a.outcome_sought, a.state,
           c.case_ref AS child_ref, c.name AS child_name, c.team_id, t.name AS team,
           s.name AS raised_by_name, a.raised_by
    FROM alerts a JOIN children c ON c.id = a.child_id
    LEFT JOIN teams t ON t.id = c.team_id
    LEFT JOIN staff s ON s.id = a.raised_by"""


def alerts_of_child(db: sqlite_utils.Database, child_id: int) -> list[dict]:
    return list(db.query(_ALERT_SELECT + " WHERE a.child_id = ? ORDER BY a.raised_on DESC",
                         [child_id]))


def alert_detail(db: sqlite_utils.Database, ref: str) -> dict | None:
    rows = list(db.query(_ALERT_SELECT + " WHERE a.ref = ?", [ref]))
    return rows[0] if rows else None


def alerts_awaiting_role(db: sqlite_utils.Database, role: str) -> list[dict]:
    """Open alerts whose next move is this role's, soonest due first."""
    return list(db.query(
        _ALERT_SELECT + " WHERE a.status = 'open' AND a.awaiting = ? ORDER BY a.due, a.ref",
        [role]))


def alerts_raised_by(db: sqlite_utils.Database, staff_id: int, open_only: bool = True) -> list:
    sql = _ALERT_SELECT + " WHERE a.raised_by = ?"
    if open_only:
        sql += " AND a.status = 'open'"
    return list(db.query(sql + " ORDER BY a.due IS NULL, a.due, a.ref", [staff_id]))


def alerts_of_reviewer_children(db: sqlite_utils.Database, staff_id: int) -> list[dict]:
    """Open alerts on the children this reviewer reviews (whoever raised them)."""
    return list(db.query(
        _ALERT_SELECT + " WHERE a.status = 'open' AND c.reviewer_id = ? "
        "ORDER BY a.due IS NULL, a.due, a.ref", [staff_id]))


def staff_names(db: sqlite_utils.Database) -> dict[int, str]:
    return {r["id"]: r["name"] for r in db.query("SELECT id, name FROM staff")}


def reviews_awaiting_reply(db: sqlite_utils.Database, team_id: int | None) -> list[dict]:
    """Reviews whose decisions wait for a team manager's reply (one team, or all)."""
    sql = """SELECT r.id, r.held_on, r.kind, r.rag, r.reply_due, r.reply_status,
                    c.id AS child_id, c.case_ref, c.name AS child_name, s.name AS reviewer,
                    s.role AS reviewer_role
             FROM reviews r JOIN children c ON c.id = r.child_id
             LEFT JOIN staff s ON s.id = r.reviewer_id
             WHERE r.reply_status IN ('awaiting', 'overdue')"""
    params: list = []
    if team_id is not None:
        sql += " AND c.team_id = ?"
        params.append(team_id)
    return list(db.query(sql + " ORDER BY r.reply_due, r.id", params))


_OPEN_ALERT_SELECT = """
    SELECT a.id, a.ref, a.child_id, a.track, a.category, a.level, a.awaiting, a.due,
           a.raised_on, a.raised_by, a.outcome_sought, a.state, a.next_check_on,
           c.case_ref AS child_ref, c.name AS child_name, c.reviewer_id,
           s.name AS raised_by_name, s.role AS raised_by_role
    FROM alerts a JOIN children c ON c.id = a.child_id
    LEFT JOIN staff s ON s.id = a.raised_by
    WHERE a.status = 'open'"""


def open_alerts(db: sqlite_utils.Database, *, reviewer_id: int | None = None) -> list[dict]:
    """Open alerts with their child, who raised them, their state and next clock check;
    optionally only those on one reviewer's children. By reference."""
    if reviewer_id is None:
        return list(db.query(_OPEN_ALERT_SELECT + " ORDER BY a.ref"))
    return list(db.query(_OPEN_ALERT_SELECT + " AND c.reviewer_id = ? ORDER BY a.ref",
                         [reviewer_id]))


def latest_alert_events(db: sqlite_utils.Database, alert_ids: list[int],
                        kinds: tuple[str, ...]) -> dict[int, dict]:
    """For each alert, its latest event of one of ``kinds`` (kind, date, who, data)."""
    if not alert_ids or not kinds:
        return {}
    ids = ",".join("?" * len(alert_ids))
    marks = ",".join("?" * len(kinds))
    rows = db.query(
        f"""SELECT e.alert_id, e.kind, e.occurred_on, e.actor_role, e.data FROM live_events e
            WHERE e.id IN (SELECT max(id) FROM live_events WHERE alert_id IN ({ids})
                           AND kind IN ({marks}) GROUP BY alert_id)""",
        [*alert_ids, *kinds])
    return {r["alert_id"]: r for r in rows}


def routed_reviews_unread(db: sqlite_utils.Database, staff_id: int | None) -> list[dict]:
    """Amber and red judgements sent to managers and not yet acknowledged (one person's,
    or everyone's), with the child and the review's reviewer."""
    sql = """SELECT n.id, n.subject, n.staff_id, e.review_id, e.actor_id, c.case_ref,
                    c.id AS child_id, c.name AS child_name, r.held_on, r.rag,
                    rv.name AS reviewer, rv.role AS reviewer_role
             FROM notifications n INDEXED BY idx_notifications_unread
             JOIN events e ON e.id = n.event_id
             JOIN children c ON c.id = e.child_id
             LEFT JOIN reviews r ON r.id = e.review_id
             LEFT JOIN staff rv ON rv.id = r.reviewer_id
             WHERE e.kind = 'rag_routed' AND n.read_at IS NULL"""
    params: list = []
    if staff_id is not None:
        sql += " AND n.staff_id = ?"
        params.append(staff_id)
    return list(db.query(sql + " ORDER BY n.id", params))
