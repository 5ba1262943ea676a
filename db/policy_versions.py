"""The policy versions table: every version of a store's policy, append-only.

One row per version, numbered 1, 2, 3 ... in the order adopted: the YAML text, the day it
takes effect, who adopted it, why, and when it was recorded. Triggers refuse UPDATE and
DELETE (migration ``m010_policy_versions``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import sqlite_utils

TABLE = "policy_versions"


@dataclass(frozen=True)
class VersionRow:
    """One version, without its text (read that with :func:`version_text`)."""

    version: int
    policy_id: str
    sha256: str
    effective_from: dt.date
    adopted_by: str
    reason: str
    recorded_on: dt.date
    recorded_at: str
    event_id: int | None


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def has_versions_table(db: sqlite_utils.Database) -> bool:
    return bool(db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [TABLE]).fetchone())


def version_rows(db: sqlite_utils.Database) -> list[VersionRow]:
    """Every version, oldest first; [] for a store made before versions were kept."""
    if not has_versions_table(db):
        return []
    rows = db.execute(
        "SELECT version, policy_id, sha256, effective_from, adopted_by, reason, recorded_on,"
        " recorded_at, event_id FROM policy_versions ORDER BY version").fetchall()
    return [VersionRow(version=r[0], policy_id=r[1], sha256=r[2],
                       effective_from=dt.date.fromisoformat(r[3]), adopted_by=r[4],
                       reason=r[5], recorded_on=dt.date.fromisoformat(r[6]),
                       recorded_at=r[7], event_id=r[8]) for r in rows]


def version_text(db: sqlite_utils.Database, version: int) -> str | None:
    if not has_versions_table(db):
        return None
    row = db.execute("SELECT yaml FROM policy_versions WHERE version = ?", [version]).fetchone()
    return row[0] if row else None


def insert_version(
    db: sqlite_utils.Database,
    *,
    version: int,
    policy_id: str,
    text: str,
    effective_from: dt.date,
    adopted_by: str,
    reason: str,
    recorded_on: dt.date,
    event_id: int | None,
) -> None:
    """Add one version; call inside the caller's write transaction."""
    db.execute(
        "INSERT INTO policy_versions (version, policy_id, yaml, sha256, effective_from,"
        " adopted_by, reason, recorded_on, event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [version, policy_id, text, digest(text), effective_from.isoformat(), adopted_by,
         reason, recorded_on.isoformat(), event_id],
    )


def alert_version_stamps(db: sqlite_utils.Database, alert_id: int) -> tuple[int | None, int | None]:
    """(the version its ``raised`` event was stamped with, the version its latest
    ``policy_migrated`` event moved it to): what an alert's own version is read from."""
    raised = db.execute(
        "SELECT policy_version FROM live_events WHERE alert_id = ? AND kind = 'raised'"
        " ORDER BY id LIMIT 1", [alert_id]).fetchone()
    moved = db.execute(
        "SELECT policy_version FROM live_events WHERE alert_id = ? AND kind = 'policy_migrated'"
        " ORDER BY id DESC LIMIT 1", [alert_id]).fetchone()
    return (raised[0] if raised else None), (moved[0] if moved else None)


def review_version_stamp(db: sqlite_utils.Database, review_id: int) -> int | None:
    """The version a review's ``review_recorded`` event was stamped with (None if none)."""
    row = db.execute(
        "SELECT policy_version FROM live_events WHERE review_id = ? AND kind = 'review_recorded'"
        " ORDER BY id LIMIT 1", [review_id]).fetchone()
    return row[0] if row else None
