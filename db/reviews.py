"""The reviews table: each post-review monitoring form, and where its decisions stand.

The whole form is kept as JSON in ``data`` (so a screen can show it back as typed); the
columns that screens and the sweep filter on sit beside it: the judgement (``rag``), when
the decisions went to the team manager, when the reply is due, the reply's status, and
``next_check_on``, the day the clock could next change the review (NULL once settled), so
the sweep finds the few reviews that can change today through an index.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils


@dataclass(frozen=True)
class ReviewRow:
    """One review as read back, with its child's case reference and team."""

    id: int
    child_id: int
    child_ref: str
    child_team_id: int | None
    kind: str
    held_on: dt.date
    reviewer_id: int | None
    rag: str | None
    summary: str
    data: dict[str, Any] = field(default_factory=dict)
    recorded_on: dt.date | None = None
    decisions_sent_on: dt.date | None = None
    reply_due: dt.date | None = None
    reply_status: str | None = None
    next_check_on: dt.date | None = None


@dataclass(frozen=True)
class RagEntry:
    """One review in a child's RAG history."""

    review_id: int
    held_on: dt.date
    rag: str | None


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def insert_review_form(
    db: sqlite_utils.Database,
    *,
    child_id: int,
    kind: str,
    held_on: dt.date,
    reviewer_id: int | None,
    rag: str,
    summary: str,
    data: dict[str, Any],
    recorded_on: dt.date,
) -> int:
    """A new review holding the whole monitoring form; its decisions are sent straight after
    with :func:`send_decisions`, in the same transaction."""
    row = {
        "child_id": child_id,
        "kind": kind,
        "held_on": held_on.isoformat(),
        "reviewer_id": reviewer_id,
        "rag": rag,
        "summary": summary,
        "data": json.dumps(data, sort_keys=True),
        "recorded_on": recorded_on.isoformat(),
    }
    return db["reviews"].insert(row).last_pk


def send_decisions(
    db: sqlite_utils.Database,
    review_id: int,
    *,
    sent_on: dt.date,
    reply_due: dt.date,
    reply_status: str,
    next_check_on: dt.date | None,
) -> None:
    """Record that the decisions went to the team manager, and when the reply is due."""
    db.execute(
        """UPDATE reviews SET decisions_sent_on = ?, reply_due = ?, reply_status = ?,
                  next_check_on = ?
           WHERE id = ?""",
        [sent_on.isoformat(), reply_due.isoformat(), reply_status, _iso(next_check_on),
         review_id],
    )


def set_reply_status(
    db: sqlite_utils.Database, review_id: int, reply_status: str, next_check_on: dt.date | None
) -> None:
    """Move the decisions on (agreed, disputed, agreed by silence, overdue)."""
    db.execute(
        "UPDATE reviews SET reply_status = ?, next_check_on = ? WHERE id = ?",
        [reply_status, _iso(next_check_on), review_id],
    )


_SELECT = """SELECT r.*, c.case_ref AS child_ref, c.team_id AS child_team_id
             FROM reviews r JOIN children c ON c.id = r.child_id"""


def _row(r: dict[str, Any]) -> ReviewRow:
    return ReviewRow(
        id=r["id"],
        child_id=r["child_id"],
        child_ref=r["child_ref"],
        child_team_id=r["child_team_id"],
        kind=r["kind"],
        held_on=dt.date.fromisoformat(r["held_on"]),
        reviewer_id=r["reviewer_id"],
        rag=r["rag"],
        summary=r["summary"],
        data=json.loads(r["data"] or "{}"),
        recorded_on=_date(r["recorded_on"]),
        decisions_sent_on=_date(r["decisions_sent_on"]),
        reply_due=_date(r["reply_due"]),
        reply_status=r["reply_status"],
        next_check_on=_date(r["next_check_on"]),
    )


def review_by_id(db: sqlite_utils.Database, review_id: int) -> ReviewRow | None:
    rows = list(db.query(f"{_SELECT} WHERE r.id = ?", [review_id]))
    return _row(rows[0]) if rows else None


def reviews_for_child(db: sqlite_utils.Database, child_id: int) -> list[ReviewRow]:
    """A child's reviews and conferences, oldest first."""
    rows = db.query(f"{_SELECT} WHERE r.child_id = ? ORDER BY r.held_on, r.id", [child_id])
    return [_row(r) for r in rows]


def rag_history(db: sqlite_utils.Database, child_id: int, kind: str) -> list[RagEntry]:
    """The child's reviews of one kind with their judgement, in date order (by the day held,
    then the order recorded), for drift and for RAG trends."""
    rows = db.query(
        "SELECT id, held_on, rag FROM reviews WHERE child_id = ? AND kind = ? "
        "ORDER BY held_on, id",
        [child_id, kind],
    )
    return [RagEntry(review_id=r["id"], held_on=dt.date.fromisoformat(r["held_on"]),
                     rag=r["rag"]) for r in rows]


#: The review sweep's question, through the index on ``next_check_on`` (see
#: ``db.alerts.ALERTS_TO_CHECK_SQL`` for why it is named).
REVIEWS_TO_CHECK_SQL = ("SELECT id FROM reviews INDEXED BY idx_reviews_next_check "
                        "WHERE next_check_on IS NOT NULL AND next_check_on <= ? ORDER BY id")


def review_ids_to_check(db: sqlite_utils.Database, as_of: dt.date) -> list[int]:
    """Reviews whose decisions' clock may act on or before ``as_of`` (uses the index)."""
    rows = db.execute(REVIEWS_TO_CHECK_SQL, [as_of.isoformat()]).fetchall()
    return [r[0] for r in rows]


def child_row(db: sqlite_utils.Database, child_id: int) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM children WHERE id = ?", [child_id]))
    return rows[0] if rows else None


def staff_row(db: sqlite_utils.Database, staff_id: int) -> dict[str, Any] | None:
    rows = list(db.query("SELECT id, name, role, team_id FROM staff WHERE id = ?", [staff_id]))
    return rows[0] if rows else None


def team_name(db: sqlite_utils.Database, team_id: int) -> str | None:
    rows = list(db.query("SELECT name FROM teams WHERE id = ?", [team_id]))
    return rows[0]["name"] if rows else None
