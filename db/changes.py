"""The significant_changes table: each change the reviewer was told of, and where it stands.

A row is the projection of the change's events (``significant_change_notified`` and what
followed): its status, whether it was told late, the review date booked or the reasons no
review is needed. Screens filter on the status; the event log keeps the history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils


@dataclass(frozen=True)
class ChangeRow:
    """One significant change as read back, with the child and the people it concerns."""

    id: int
    child_id: int
    child_ref: str
    child_name: str
    legal_status: str
    child_team_id: int | None
    reviewer_id: int | None
    reviewer_name: str | None
    social_worker_id: int | None
    change_type: str
    happened_on: dt.date
    notified_on: dt.date
    description: str
    notified_by: int | None
    notified_by_name: str | None
    late: bool
    review_before: bool
    status: str
    review_date: dt.date | None
    decision_reasons: str | None
    decided_by: int | None
    decided_on: dt.date | None


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


_SELECT = """
    SELECT sc.*, c.case_ref AS child_ref, c.name AS child_name, c.legal_status,
           c.team_id AS child_team_id, c.reviewer_id, rv.name AS reviewer_name,
           c.social_worker_id, nb.name AS notified_by_name
    FROM significant_changes sc
    JOIN children c ON c.id = sc.child_id
    LEFT JOIN staff rv ON rv.id = c.reviewer_id
    LEFT JOIN staff nb ON nb.id = sc.notified_by"""


def _row(r: dict) -> ChangeRow:
    happened_on = _date(r["happened_on"])
    notified_on = _date(r["notified_on"])
    assert happened_on is not None and notified_on is not None
    return ChangeRow(
        id=r["id"], child_id=r["child_id"], child_ref=r["child_ref"], child_name=r["child_name"],
        legal_status=r["legal_status"], child_team_id=r["child_team_id"],
        reviewer_id=r["reviewer_id"], reviewer_name=r["reviewer_name"],
        social_worker_id=r["social_worker_id"], change_type=r["change_type"],
        happened_on=happened_on, notified_on=notified_on, description=r["description"],
        notified_by=r["notified_by"], notified_by_name=r["notified_by_name"],
        late=bool(r["late"]), review_before=bool(r["review_before"]), status=r["status"],
        review_date=_date(r["review_date"]), decision_reasons=r["decision_reasons"],
        decided_by=r["decided_by"], decided_on=_date(r["decided_on"]),
    )


def insert_change(
    db: sqlite_utils.Database,
    *,
    child_id: int,
    change_type: str,
    happened_on: dt.date,
    notified_on: dt.date,
    description: str,
    notified_by: int | None,
    late: bool,
    review_before: bool,
    status: str,
) -> int:
    """A change the reviewer has just been told of; returns its id."""
    cursor = db.execute(
        """INSERT INTO significant_changes (child_id, change_type, happened_on, notified_on,
                                            description, notified_by, late, review_before,
                                            status)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [child_id, change_type, happened_on.isoformat(), notified_on.isoformat(), description,
         notified_by, 1 if late else 0, 1 if review_before else 0, status],
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def change_by_id(db: sqlite_utils.Database, change_id: int) -> ChangeRow | None:
    rows = list(db.query(_SELECT + " WHERE sc.id = ?", [change_id]))
    return _row(rows[0]) if rows else None


def book_review(
    db: sqlite_utils.Database, change_id: int, *, review_date: dt.date, booked_by: int | None,
    booked_on: dt.date,
) -> None:
    """The reviewer booked a review to consider the change."""
    db.execute(
        """UPDATE significant_changes SET status = 'review_booked', review_date = ?,
               decided_by = coalesce(decided_by, ?), decided_on = coalesce(decided_on, ?)
           WHERE id = ?""",
        [review_date.isoformat(), booked_by, booked_on.isoformat(), change_id],
    )


def record_decision(
    db: sqlite_utils.Database, change_id: int, *, status: str, reasons: str | None,
    decided_by: int | None, decided_on: dt.date,
) -> None:
    """The reviewer's decision on whether the change needs a review, and why."""
    db.execute(
        """UPDATE significant_changes SET status = ?, decision_reasons = ?, decided_by = ?,
               decided_on = ? WHERE id = ?""",
        [status, reasons, decided_by, decided_on.isoformat(), change_id],
    )


def changes_with_status(
    db: sqlite_utils.Database, statuses: Sequence[str], *, reviewer_id: int | None = None,
    first: str | None = None,
) -> list[ChangeRow]:
    """Changes in any of ``statuses`` (optionally only one reviewer's children), those in
    status ``first`` first, then the longest waiting first."""
    where = [f"sc.status IN ({', '.join('?' for _ in statuses)})"]
    params: list = [*statuses]
    if reviewer_id is not None:
        where.append("c.reviewer_id = ?")
        params.append(reviewer_id)
    order = "CASE WHEN sc.status = ? THEN 0 ELSE 1 END, sc.notified_on, sc.happened_on, sc.id"
    params.append(first or "")
    sql = f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY {order}"
    return [_row(r) for r in db.query(sql, params)]


def changes_of_child(db: sqlite_utils.Database, child_id: int) -> list[ChangeRow]:
    """Every change the reviewer was told of for one child, the latest first."""
    return [_row(r) for r in db.query(
        _SELECT + " WHERE sc.child_id = ? ORDER BY sc.notified_on DESC, sc.id DESC",
        [child_id])]
