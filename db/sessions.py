"""Sign-in sessions and failed sign-in counters, kept on the server.

The browser holds only a signed random token; this table holds its SHA-256 hash, so a
copy of the store cannot be used to sign in as anyone. Ending a session (sign-out, idle
timeout, deactivation) is a row update here, effective at the person's next click.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils


def insert_session(db: sqlite_utils.Database, *, token_hash: str, staff_id: int, method: str,
                   client: str, at: str) -> int:
    cursor = db.execute(
        """INSERT INTO sessions (token_hash, staff_id, method, client, created_at, last_seen_at)
           VALUES (?, ?, ?, ?, ?, ?)""",
        [token_hash, staff_id, method, client, at, at])
    return int(cursor.lastrowid)


def session_by_hash(db: sqlite_utils.Database, token_hash: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM sessions WHERE token_hash = ?", [token_hash]))
    return rows[0] if rows else None


def touch_session(db: sqlite_utils.Database, session_id: int, at: str) -> None:
    db.execute("UPDATE sessions SET last_seen_at = ? WHERE id = ? AND ended_at IS NULL",
               [at, session_id])


def end_session(db: sqlite_utils.Database, session_id: int, at: str, reason: str) -> bool:
    """End a live session; False if it had already ended."""
    cursor = db.execute(
        "UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL",
        [at, reason, session_id])
    return cursor.rowcount > 0


def failures(db: sqlite_utils.Database, key: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM sign_in_failures WHERE key = ?", [key]))
    return rows[0] if rows else None


def save_failures(db: sqlite_utils.Database, key: str, count: int, last_failed_at: str,
                  locked_until: str | None) -> None:
    db.execute(
        """INSERT INTO sign_in_failures (key, failures, last_failed_at, locked_until)
           VALUES (?, ?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,
               last_failed_at = excluded.last_failed_at, locked_until = excluded.locked_until""",
        [key, count, last_failed_at, locked_until])


def clear_failures(db: sqlite_utils.Database, key: str) -> None:
    db.execute("DELETE FROM sign_in_failures WHERE key = ?", [key])
