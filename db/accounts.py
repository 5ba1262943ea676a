"""Local accounts: the password hash beside each member of staff."""

from __future__ import annotations

from typing import Any

import sqlite_utils


def account_by_email(db: sqlite_utils.Database, email: str) -> dict[str, Any] | None:
    rows = list(db.query(
        """SELECT s.id, s.name, s.email, s.role, s.team_id, s.active, s.password_hash,
                  t.name AS team_name
           FROM staff s LEFT JOIN teams t ON t.id = s.team_id
           WHERE lower(s.email) = lower(?)""",
        [email.strip()],
    ))
    return rows[0] if rows else None


def set_password_hash(db: sqlite_utils.Database, staff_id: int, password_hash: str) -> None:
    db.execute("UPDATE staff SET password_hash = ? WHERE id = ?", [password_hash, staff_id])


def team_by_name(db: sqlite_utils.Database, name: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM teams WHERE lower(name) = lower(?)", [name.strip()]))
    return rows[0] if rows else None


def staff_list(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return list(db.query(
        """SELECT s.id, s.name, s.email, s.role, t.name AS team, s.active,
                  s.password_hash IS NOT NULL AS can_sign_in
           FROM staff s LEFT JOIN teams t ON t.id = s.team_id ORDER BY s.role, s.name"""
    ))
