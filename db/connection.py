"""Connections and transactions, set up the way SQLite needs for a multi-user web app.

Streamlit serves each browser session on its own thread, so every thread gets its own
connection (SQLite connections must not be shared across threads). Writes run in
``BEGIN IMMEDIATE`` transactions: a deferred ``BEGIN`` that reads first and then writes
fails to upgrade its lock under contention, whatever the busy timeout.

Writers wait their turn rather than fail: the store is in WAL mode (readers never wait for
a writer, nor a writer for readers), every statement waits up to ``BUSY_TIMEOUT_MS`` for
the lock, and :func:`write_transaction` keeps trying to begin, with jittered back-off, for
up to ``WRITE_WAIT_SECONDS`` in all (``db.retry``).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from db.retry import retry_while_busy

#: Where the store lives when neither ``--db`` nor the environment says otherwise.
DEFAULT_DB_PATH = Path("data") / "iro.db"
DB_PATH_ENV = "IRO_DB"
#: How long one statement waits for another connection's lock before SQLite says "busy".
#: Statements outside :func:`write_transaction` (a sqlite-utils helper writing on its own)
#: rely on it alone.
BUSY_TIMEOUT_MS = 10_000
#: How long :func:`write_transaction` waits in all for its turn to write before giving up
#: with :class:`db.retry.StoreBusy`: long enough for a queue of busy writers on a small
#: server, short enough that a stuck process is reported rather than waited on forever.
WRITE_WAIT_SECONDS = 60.0

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
    can be used freely within; write transactions themselves do not nest (one use case,
    one transaction), and the demo builder's stand-in connection turns each one into a
    savepoint (``usecases.demo_history``), which is why the statements are issued exactly
    as ``BEGIN IMMEDIATE``, ``COMMIT`` and ``ROLLBACK``.

    Waiting for the lock happens only at ``BEGIN IMMEDIATE``, before the body runs: that is
    where SQLite makes a writer queue, and a failed ``BEGIN`` has changed nothing, so it is
    the one place that can safely be tried again (with jittered back-off, for up to
    ``WRITE_WAIT_SECONDS``; then :class:`db.retry.StoreBusy`). The body is never run twice:
    once it has begun it may have done things outside the store that a second run would
    repeat (results added to its caller's lists, progress reported, a form submission
    marked as checked), and a generator-based context manager cannot re-run it anyway.
    ``COMMIT`` is not retried here: a writer holding ``BEGIN IMMEDIATE`` in WAL mode
    already has the only lock a commit needs, and in any other journal mode the busy
    timeout makes it wait for readers to finish. If ``COMMIT`` fails all the same, the
    transaction is rolled back so this thread's connection is left usable, and the error
    is raised.
    """
    conn = db.conn
    if conn.in_transaction:
        raise RuntimeError("write_transaction() cannot be nested: one use case, one transaction.")
    _begin_immediate(conn)
    try:
        yield db
    except BaseException:
        _roll_back(conn)
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:
        _roll_back(conn)
        raise


def _begin_immediate(conn: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``, waiting (and trying again) while other writers hold the lock.

    Each try waits inside SQLite for up to the busy timeout, trimmed so the total stays
    within ``WRITE_WAIT_SECONDS``; the timeout is put back afterwards.
    """
    trimmed = False

    def attempt(seconds_left: float) -> None:
        nonlocal trimmed
        if seconds_left * 1000 < BUSY_TIMEOUT_MS:
            conn.execute(f"PRAGMA busy_timeout = {max(int(seconds_left * 1000), 1)}")
            trimmed = True
        conn.execute("BEGIN IMMEDIATE")

    try:
        retry_while_busy(attempt, budget=WRITE_WAIT_SECONDS)
    finally:
        if trimmed:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def _roll_back(conn: sqlite3.Connection) -> None:
    """Undo the open transaction, if SQLite has not already, and forget that this form
    submission was checked (nothing of it was saved, so the next try checks again)."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    from db.events import forget_unsaved_submission

    forget_unsaved_submission()
