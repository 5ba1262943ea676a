"""Writes for teams, staff and children: the reference data alerts and reviews hang on."""

from __future__ import annotations

import datetime as dt

import sqlite_utils


def insert_team(db: sqlite_utils.Database, name: str, service: str | None = None) -> int:
    return db["teams"].insert({"name": name, "service": service}).last_pk


def insert_staff(
    db: sqlite_utils.Database,
    *,
    name: str,
    email: str,
    role: str,
    team_id: int | None = None,
    line_manager_id: int | None = None,
) -> int:
    row = {
        "name": name,
        "email": email,
        "role": role,
        "team_id": team_id,
        "line_manager_id": line_manager_id,
    }
    return db["staff"].insert(row).last_pk


def insert_child(
    db: sqlite_utils.Database,
    *,
    case_ref: str,
    name: str,
    date_of_birth: dt.date | None,
    legal_status: str,
    team_id: int | None,
    social_worker_id: int | None,
    reviewer_id: int | None,
) -> int:
    row = {
        "case_ref": case_ref,
        "name": name,
        "date_of_birth": date_of_birth.isoformat() if date_of_birth else None,
        "legal_status": legal_status,
        "team_id": team_id,
        "social_worker_id": social_worker_id,
        "reviewer_id": reviewer_id,
    }
    return db["children"].insert(row).last_pk


def child_by_ref(db: sqlite_utils.Database, case_ref: str) -> dict | None:
    rows = list(db.query("SELECT * FROM children WHERE case_ref = ?", [case_ref]))
    return rows[0] if rows else None


def staff_by_email(db: sqlite_utils.Database, email: str) -> dict | None:
    rows = list(db.query("SELECT * FROM staff WHERE lower(email) = lower(?)", [email]))
    return rows[0] if rows else None


# -- for the people import: everything at once, and updates --------------------------------


def all_teams(db: sqlite_utils.Database) -> list[dict]:
    return list(db.query("SELECT id, name, service FROM teams ORDER BY id"))


def all_staff(db: sqlite_utils.Database) -> list[dict]:
    return list(db.query(
        """SELECT id, name, email, role, team_id, line_manager_id, active FROM staff
           ORDER BY id"""))


def all_children(db: sqlite_utils.Database) -> list[dict]:
    return list(db.query(
        """SELECT id, case_ref, name, date_of_birth, legal_status, team_id, social_worker_id,
                  reviewer_id FROM children ORDER BY id"""))


STAFF_FIELDS = ("name", "role", "team_id", "line_manager_id", "active")
CHILD_FIELDS = ("name", "date_of_birth", "legal_status", "team_id", "social_worker_id",
                "reviewer_id")


def update_staff(db: sqlite_utils.Database, staff_id: int, **values: object) -> None:
    """Set some of a member of staff's fields (names from STAFF_FIELDS)."""
    _update(db, "staff", STAFF_FIELDS, staff_id, values)


def update_child(db: sqlite_utils.Database, child_id: int, **values: object) -> None:
    """Set some of a child's fields (names from CHILD_FIELDS); dates as ISO text."""
    _update(db, "children", CHILD_FIELDS, child_id, values)


def _update(db: sqlite_utils.Database, table: str, allowed: tuple[str, ...], row_id: int,
            values: dict[str, object]) -> None:
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValueError(f"{table} has no field(s) {', '.join(sorted(unknown))} to update.")
    if not values:
        return
    assignments = ", ".join(f"{name} = ?" for name in values)
    db.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", [*values.values(), row_id])
