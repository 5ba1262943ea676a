"""The practice_concerns table: concerns about an IRO's or CP chair's own practice.

A projection of the ``practice_concern_*`` events (which carry the concern's id in their
data, never a child id: these are about staff, not a child's chronology). ``next_check_on``
is the day the clock could next escalate an open concern (NULL otherwise), so the sweep
finds the few that can move today through an index.
"""

from __future__ import annotations

import datetime as dt

import sqlite_utils

_SELECT = """
    SELECT p.*, a.name AS about_name, a.role AS about_role, r.name AS raised_by_name,
           r.role AS raised_by_role, c.case_ref AS child_ref, c.name AS child_name
    FROM practice_concerns p
    JOIN staff a ON a.id = p.about_id
    LEFT JOIN staff r ON r.id = p.raised_by
    LEFT JOIN children c ON c.id = p.child_id"""


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def insert_concern(
    db: sqlite_utils.Database,
    *,
    about_id: int,
    raised_by: int | None,
    raised_on: dt.date,
    child_id: int | None,
    concern: str,
    due: dt.date,
    next_check_on: dt.date | None,
) -> int:
    cursor = db.execute(
        """INSERT INTO practice_concerns (about_id, raised_by, raised_on, child_id, concern,
                                          status, due, next_check_on)
           VALUES (?, ?, ?, ?, ?, 'open', ?, ?)""",
        [about_id, raised_by, raised_on.isoformat(), child_id, concern, due.isoformat(),
         _iso(next_check_on)],
    )
    return int(cursor.lastrowid)


def concern_by_id(db: sqlite_utils.Database, concern_id: int) -> dict | None:
    rows = list(db.query(_SELECT + " WHERE p.id = ?", [concern_id]))
    return rows[0] if rows else None


def all_concerns(db: sqlite_utils.Database) -> list[dict]:
    """Every concern: still waiting first (escalated, then open, by due date), then the
    answered and resolved, newest first."""
    return list(db.query(_SELECT + """
        ORDER BY CASE p.status WHEN 'escalated' THEN 0 WHEN 'open' THEN 1
                               WHEN 'answered' THEN 2 ELSE 3 END,
                 CASE WHEN p.status IN ('escalated', 'open') THEN p.due END,
                 p.raised_on DESC, p.id DESC"""))


def record_answer(
    db: sqlite_utils.Database, concern_id: int, *, status: str, answer: str, answered_on: dt.date
) -> None:
    db.execute(
        """UPDATE practice_concerns SET status = ?, answer = ?, answered_on = ?,
                  next_check_on = NULL
           WHERE id = ?""",
        [status, answer, answered_on.isoformat(), concern_id],
    )


def mark_escalated(db: sqlite_utils.Database, concern_id: int, escalated_to: str) -> None:
    db.execute(
        """UPDATE practice_concerns SET status = 'escalated', escalated_to = ?,
                  next_check_on = NULL
           WHERE id = ?""",
        [escalated_to, concern_id],
    )


def set_next_check(db: sqlite_utils.Database, concern_id: int, day: dt.date | None) -> None:
    db.execute("UPDATE practice_concerns SET next_check_on = ? WHERE id = ?",
               [_iso(day), concern_id])


#: The concerns sweep's question, through the (status, next_check_on) index.
CONCERNS_TO_CHECK_SQL = (
    "SELECT id FROM practice_concerns INDEXED BY idx_practice_concerns_check "
    "WHERE status = 'open' AND next_check_on IS NOT NULL AND next_check_on <= ? ORDER BY id")


def concern_ids_to_check(db: sqlite_utils.Database, as_of: dt.date) -> list[int]:
    """Open concerns whose clock can move by ``as_of`` (through the status/next_check index)."""
    return [row["id"] for row in db.query(CONCERNS_TO_CHECK_SQL, [as_of.isoformat()])]


def reviewers(db: sqlite_utils.Database, roles: tuple[str, ...]) -> list[dict]:
    """Active staff holding one of ``roles`` (the IROs and CP chairs), by name."""
    marks = ", ".join("?" for _ in roles)
    return list(db.query(
        f"SELECT id, name, email, role, team_id FROM staff WHERE active = 1 AND role IN "
        f"({marks}) ORDER BY name, id", list(roles)))


def staff_member(db: sqlite_utils.Database, staff_id: int) -> dict | None:
    """Anyone on the staff list, active or not (a referrer who has left is still named)."""
    rows = list(db.query("SELECT id, name, email, role, team_id, active FROM staff WHERE id = ?",
                         [staff_id]))
    return rows[0] if rows else None


def child_id_by_ref(db: sqlite_utils.Database, case_ref: str) -> int | None:
    rows = list(db.query("SELECT id FROM children WHERE case_ref = ?", [case_ref]))
    return rows[0]["id"] if rows else None
