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
