"""Read-only questions the screens ask, answered in SQL."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils


@dataclass(frozen=True)
class StoreCounts:
    teams: int
    staff: int
    children_looked_after: int
    children_child_protection: int
    reviews: int
    reviews_red: int
    reviews_amber: int
    alerts_open: int
    alerts_closed: int
    events: int

    @property
    def children(self) -> int:
        return self.children_looked_after + self.children_child_protection


def store_counts(db: sqlite_utils.Database) -> StoreCounts:
    """Everything the home page counts, in one round trip."""
    row = next(
        db.query(
            """SELECT
                (SELECT count(*) FROM teams) AS teams,
                (SELECT count(*) FROM staff WHERE active = 1) AS staff,
                (SELECT count(*) FROM children WHERE legal_status = 'looked_after')
                    AS children_looked_after,
                (SELECT count(*) FROM children WHERE legal_status = 'child_protection')
                    AS children_child_protection,
                (SELECT count(*) FROM reviews) AS reviews,
                (SELECT count(*) FROM reviews WHERE rag = 'red') AS reviews_red,
                (SELECT count(*) FROM reviews WHERE rag = 'amber') AS reviews_amber,
                (SELECT count(*) FROM alerts WHERE status = 'open') AS alerts_open,
                (SELECT count(*) FROM alerts WHERE status != 'open') AS alerts_closed,
                (SELECT count(*) FROM events) AS events"""
        )
    )
    return StoreCounts(**row)


def open_alerts_by_level(db: sqlite_utils.Database) -> dict[tuple[str, str], int]:
    """Open alerts counted by (track, level), for the ladder on the home page."""
    rows = db.query(
        "SELECT track, level, count(*) AS n FROM alerts WHERE status = 'open' "
        "GROUP BY track, level"
    )
    return {(r["track"], r["level"]): r["n"] for r in rows}
