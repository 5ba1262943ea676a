"""The access audit: an append-only table of sign-in attempts and record openings.

Kept apart from the event log on purpose: the event log is the child's chronology and the
input of every rule; who looked at a record is not part of the child's story, but the
authority must be able to show it. Triggers refuse UPDATE and DELETE (see ``db.schema``).
"""

from __future__ import annotations

from typing import Any

import sqlite_utils


def append_audit(
    db: sqlite_utils.Database,
    *,
    at: str,
    kind: str,
    staff_id: int | None = None,
    email: str = "",
    client: str = "",
    child_id: int | None = None,
    subject: str = "",
    subject_ref: str = "",
    allowed: bool | None = None,
    detail: str = "",
) -> int:
    cursor = db.execute(
        """INSERT INTO access_audit (at, kind, staff_id, email, client, child_id, subject,
                                     subject_ref, allowed, detail)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [at, kind, staff_id, email, client, child_id, subject, subject_ref,
         None if allowed is None else int(allowed), detail],
    )
    return int(cursor.lastrowid)


def audit_rows(
    db: sqlite_utils.Database,
    *,
    email: str | None = None,
    child_ref: str | None = None,
    since: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Audit entries, oldest first, filtered by person (e-mail), child and start date."""
    sql = """SELECT a.id, a.at, a.kind, a.staff_id, coalesce(s.email, a.email) AS email,
                    s.name AS staff_name, s.role AS staff_role, a.client, c.case_ref AS child,
                    a.subject, a.subject_ref, a.allowed, a.detail
             FROM access_audit a
             LEFT JOIN staff s ON s.id = a.staff_id
             LEFT JOIN children c ON c.id = a.child_id
             WHERE 1 = 1"""
    params: list[Any] = []
    if email:
        sql += " AND lower(coalesce(s.email, a.email)) = lower(?)"
        params.append(email.strip())
    if child_ref:
        sql += " AND c.case_ref = ?"
        params.append(child_ref.strip())
    if since:
        sql += " AND a.at >= ?"
        params.append(since)
    sql += " ORDER BY a.id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return list(db.query(sql, params))


def recent_opening(db: sqlite_utils.Database, *, staff_id: int, subject: str, subject_ref: str,
                   since: str) -> bool:
    """Whether this person opened this record at or after ``since``."""
    return db.execute(
        """SELECT 1 FROM access_audit WHERE staff_id = ? AND at >= ? AND kind = 'opened'
           AND subject = ? AND subject_ref = ? LIMIT 1""",
        [staff_id, since, subject, subject_ref]).fetchone() is not None
