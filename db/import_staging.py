"""A scratch SQLite file on disk for an import's checked rows, so memory stays flat.

An import reads its file once, checking each row on its own and writing it here; it then
plays every alert's rows through the rules in date order, reading them back one alert at a
time. However large the file, only one alert's rows are ever in memory. The scratch file
is private to the import (a temporary directory) and deleted when the import ends.
"""

from __future__ import annotations

import itertools
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FIELDS = ("line", "alert", "child", "track", "date", "event", "level", "outcome", "by",
          "until", "note", "category", "gate", "concern", "outcome_sought", "impact_note",
          "actions", "follows")
_BATCH = 2_000


class Staging:
    """Rows by alert; use as a context manager so the scratch file is always removed."""

    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="iro-import-"))
        self._conn = sqlite3.connect(str(self._dir / "rows.db"), isolation_level=None)
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "temp_store = FILE",
                       "cache_size = -4000"):
            self._conn.execute(f"PRAGMA {pragma}")
        columns = ", ".join(f'"{f}"' for f in FIELDS)
        self._conn.execute(f"CREATE TABLE rows ({columns})")
        self._conn.execute("CREATE TABLE broken (alert TEXT PRIMARY KEY)")
        self._pending: list[tuple[Any, ...]] = []
        self.rows = 0

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._conn.close()
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)

    def add(self, row: dict[str, Any]) -> None:
        self._pending.append(tuple(row[f] for f in FIELDS))
        self.rows += 1
        if len(self._pending) >= _BATCH:
            self._flush()

    def mark_broken(self, alert: str) -> None:
        """An alert with a bad row: its history cannot be played through the rules."""
        self._flush()
        self._conn.execute("INSERT OR IGNORE INTO broken VALUES (?)", [alert])

    def _flush(self) -> None:
        if self._pending:
            marks = ", ".join("?" for _ in FIELDS)
            self._conn.execute("BEGIN")
            self._conn.executemany(f"INSERT INTO rows VALUES ({marks})", self._pending)
            self._conn.execute("COMMIT")
            self._pending.clear()

    def alerts(self) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """Each good alert's rows in date order (same-day rows in file order), alerts in the
        order they first appear in the file."""
        self._flush()
        self._conn.execute("CREATE INDEX IF NOT EXISTS rows_alert ON rows(alert, line)")
        cursor = self._conn.execute(
            """SELECT r.* FROM rows r
               JOIN (SELECT alert, min(line) AS first FROM rows GROUP BY alert) f
                 ON f.alert = r.alert
               WHERE r.alert NOT IN (SELECT alert FROM broken)
               ORDER BY f.first, r.date, r.line""")
        names = [d[0] for d in cursor.description]
        records = (dict(zip(names, values, strict=True)) for values in cursor)
        for alert, group in itertools.groupby(records, key=lambda r: r["alert"]):
            yield alert, list(group)

    def good_rows(self) -> int:
        self._flush()
        return self._conn.execute(
            "SELECT count(*) FROM rows WHERE alert NOT IN (SELECT alert FROM broken)"
        ).fetchone()[0]
