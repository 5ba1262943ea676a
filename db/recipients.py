"""Who holds a role for a given child: the people a notification or an inbox row is for."""

from __future__ import annotations

import sqlite_utils


def line_managers_above(db: sqlite_utils.Database, staff_id: int) -> list[dict]:
    """The person's line managers, nearest first (a recursive walk up line_manager_id)."""
    return list(db.query(
        """WITH RECURSIVE chain(id, depth) AS (
               SELECT line_manager_id, 1 FROM staff WHERE id = ?
               UNION ALL
               SELECT s.line_manager_id, depth + 1 FROM staff s JOIN chain ON s.id = chain.id
               WHERE depth < 30)
           SELECT s.id, s.name, s.email, s.role, s.team_id
           FROM chain JOIN staff s ON s.id = chain.id
           WHERE s.active = 1 ORDER BY depth""",
        [staff_id]))


def active_staff_with_role(db: sqlite_utils.Database, role: str) -> list[dict]:
    return list(db.query(
        "SELECT id, name, email, role, team_id FROM staff WHERE role = ? AND active = 1 "
        "ORDER BY id", [role]))


def staff_by_id(db: sqlite_utils.Database, staff_id: int) -> dict | None:
    rows = list(db.query("SELECT id, name, email, role, team_id FROM staff WHERE id = ? AND "
                         "active = 1", [staff_id]))
    return rows[0] if rows else None


def child_people(db: sqlite_utils.Database, child_id: int) -> dict:
    return next(db.query(
        "SELECT id, case_ref, name, team_id, social_worker_id, reviewer_id FROM children "
        "WHERE id = ?", [child_id]))
