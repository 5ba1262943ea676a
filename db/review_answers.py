"""The reviews held in a period, with their monitoring forms, for the reports' answers table.

The answers to an authority's own questions live in each review's form (``reviews.data``,
written in the same transaction as the ``review_recorded`` event that also holds them), so
no extra column is needed: the report reads the form and ``rules.review_questions`` reads
the answers out of it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlite_utils


def reviews_held_between(
    db: sqlite_utils.Database, start: dt.date, end: dt.date
) -> list[dict[str, Any]]:
    """Every review held from ``start`` to ``end`` (both included), oldest first, with its
    child's case reference and team and its reviewer's name."""
    return list(db.query(
        """SELECT r.id, r.child_id, r.kind, r.held_on, r.rag, r.data,
                  c.case_ref AS child_ref, coalesce(t.name, 'No team') AS team,
                  s.name AS reviewer
           FROM reviews r JOIN children c ON c.id = r.child_id
           LEFT JOIN teams t ON t.id = c.team_id
           LEFT JOIN staff s ON s.id = r.reviewer_id
           WHERE r.held_on BETWEEN ? AND ?
           ORDER BY r.held_on, r.id""",
        [start.isoformat(), end.isoformat()]))


def any_asked_between(db: sqlite_utils.Database, start: dt.date, end: dt.date) -> bool:
    """Whether any review held from ``start`` to ``end`` was asked the procedure's own
    questions (its form kept them): when none was, and the policy asks none, a report has
    no answers table, and a year of reviews need not be read to find that out."""
    return bool(db.execute(
        """SELECT EXISTS (SELECT 1 FROM reviews
                          WHERE held_on BETWEEN ? AND ? AND json_valid(data)
                            AND json_array_length(data, '$.questions') > 0)""",
        [start.isoformat(), end.isoformat()]).fetchone()[0])
