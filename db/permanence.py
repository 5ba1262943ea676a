"""A child's placement and permanence facts (columns of ``children``, added by m005).

The permanence checks read these; the screen that records them writes them through
:func:`set_placement`, always together with the ``placement_recorded`` event that explains
the change, in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt

import sqlite_utils

PLACEMENT_COLUMNS: tuple[str, ...] = (
    "placed_with_parents_since", "permanence_plan", "permanence_decision_on",
    "permanence_placed_on",
)

_SELECT = """
    SELECT c.id, c.case_ref, c.name, c.legal_status, c.team_id, c.social_worker_id,
           c.reviewer_id, c.placed_with_parents_since, c.permanence_plan,
           c.permanence_decision_on, c.permanence_placed_on, t.name AS team
    FROM children c LEFT JOIN teams t ON t.id = c.team_id"""


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def placement_by_ref(db: sqlite_utils.Database, case_ref: str) -> dict | None:
    """One child with its placement facts (dates as ISO text, or None)."""
    rows = list(db.query(_SELECT + " WHERE c.case_ref = ?", [case_ref]))
    return rows[0] if rows else None


def placement_by_id(db: sqlite_utils.Database, child_id: int) -> dict | None:
    rows = list(db.query(_SELECT + " WHERE c.id = ?", [child_id]))
    return rows[0] if rows else None


def set_placement(
    db: sqlite_utils.Database,
    child_id: int,
    *,
    placed_with_parents_since: dt.date | None,
    permanence_plan: str | None,
    permanence_decision_on: dt.date | None,
    permanence_placed_on: dt.date | None,
) -> None:
    """Replace the child's placement facts (None clears one)."""
    db.execute(
        """UPDATE children SET placed_with_parents_since = ?, permanence_plan = ?,
                  permanence_decision_on = ?, permanence_placed_on = ?
           WHERE id = ?""",
        [_iso(placed_with_parents_since), permanence_plan or None,
         _iso(permanence_decision_on), _iso(permanence_placed_on), child_id],
    )


def permanence_candidates(db: sqlite_utils.Database) -> list[int]:
    """Ids of looked-after children with a placement with parents or a permanence decision:
    the only ones a permanence referral can be due for."""
    return [row["id"] for row in db.query(
        """SELECT id FROM children WHERE legal_status = 'looked_after'
           AND (placed_with_parents_since IS NOT NULL
                OR (permanence_plan IS NOT NULL AND permanence_decision_on IS NOT NULL))
           ORDER BY id""")]


def referral_keys(db: sqlite_utils.Database) -> set[str]:
    """The dedupe keys of every permanence referral logged, so a daily sweep skips the
    children already referred without evaluating them again."""
    return {row["dedupe_key"] for row in db.query(
        "SELECT dedupe_key FROM events WHERE kind = 'permanence_referral' "
        "AND dedupe_key IS NOT NULL")}
