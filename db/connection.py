"""Connections and transactions, set up the way SQLite needs for a multi-user web app.

Streamlit serves each browser session on its own thread, so every thread gets its own
connection (SQLite connections must not be shared across threads). Writes run in
``BEGIN IMMEDIATE`` transactions: a deferred ``BEGIN`` that reads first and then writes
fails to upgrade its lock under contention, whatever the busy timeout.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

#: Where the store lives when neither ``--db`` nor the environment says otherwise.
DEFAULT_DB_PATH = Path("data") / "iro.db"
DB_PATH_ENV = "IRO_DB"
BUSY_TIMEOUT_MS = 10_000

_local = threading.local()


def resolve_db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--db`` wins, then ``$IRO_DB``, then ``data/iro.db``."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get(DB_PATH_ENV)
    return Path(from_env) if from_env else DEFAULT_DB_PATH


def open_db(path: str | os.PathLike[str]) -> sqlite_utils.Database:
    """A new connection with WAL, foreign keys and a busy timeout; creates the file."""
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: we issue BEGIN ourselves, so Python's sqlite3 module never
    # opens or commits a transaction behind our back.
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return sqlite_utils.Database(conn)


def connection_for(path: str | os.PathLike[str]) -> sqlite_utils.Database:
    """This thread's connection to ``path``, opened on first use."""
    key = str(Path(path).resolve())
    cache: dict[str, sqlite_utils.Database] = getattr(_local, "connections", None) or {}
    _local.connections = cache
    db = cache.get(key)
    if db is None:
        db = cache[key] = open_db(path)
    return db


def close_thread_connections() -> None:
    """Close this thread's connections (tests and worker threads tidy up with this)."""
    cache: dict[str, sqlite_utils.Database] = getattr(_local, "connections", None) or {}
    for db in cache.values():
        db.close()
    cache.clear()


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One all-or-nothing write: ``BEGIN IMMEDIATE`` ... ``COMMIT``, or roll back on error.

    sqlite-utils nests its own ``atomic()`` blocks inside as savepoints, so table helpers
    can be used freely within.
    """
    conn = db.conn
    if conn.in_transaction:
        raise RuntimeError("write_transaction() cannot be nested: one use case, one transaction.")
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        from db.events import forget_unsaved_submission

        forget_unsaved_submission()
        raise
    else:
        conn.execute("COMMIT")
