"""Store-wide settings: which authority's policy governs this store, and since when."""

from __future__ import annotations

import sqlite_utils

POLICY_ID = "policy_id"
POLICY_VERSION = "policy_version"
CREATED_ON = "created_on"


def get_setting(db: sqlite_utils.Database, key: str) -> str | None:
    if not db["settings"].exists():
        return None
    rows = list(db.query("SELECT value FROM settings WHERE key = ?", [key]))
    return rows[0]["value"] if rows else None


def set_setting(db: sqlite_utils.Database, key: str, value: str) -> None:
    db.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )
