"""Waiting out a busy store: recognising SQLite's "busy" and "locked", and backing off.

SQLite lets one writer at a time into a store. Its busy timeout makes a statement wait for
the lock, but it polls rather than queues, so with many writers and few cores an unlucky
one can wait past any single timeout while others keep getting in. Trying again after a
random (jittered) pause, for a bounded total time, lets every writer through in the end
without processes falling into step and colliding again.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

#: SQLite's primary result codes for "another connection holds the lock" (SQLITE_BUSY) and
#: "a table is locked inside this process" (SQLITE_LOCKED); extended codes share the low byte.
_BUSY_CODES = frozenset({5, 6})


class StoreBusy(sqlite3.OperationalError):
    """The store stayed busy with other writers for the whole time allowed.

    A subclass of SQLite's own error, so code that already handles ``OperationalError``
    goes on working; its message is a plain sentence an operator can act on.
    """


def is_busy(exc: BaseException) -> bool:
    """True when ``exc`` is SQLite saying the store is busy or locked (worth waiting for),
    as opposed to a real fault such as a read-only or corrupt file."""
    if isinstance(exc, StoreBusy):
        return True
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _BUSY_CODES
    text = str(exc).lower()  # before Python 3.11 the code is not attached
    return "database is locked" in text or "database is busy" in text or "is locked" in text


def backoff_delays(first: float = 0.05, cap: float = 1.0,
                   rng: random.Random | None = None) -> Callable[[], float]:
    """Pauses that grow from ``first`` to ``cap`` (doubling), each a random length between
    half and all of the current step, so writers that collided do not all come back
    together, yet none comes back at once and spins."""
    rng = rng or random.Random()
    step = first

    def next_delay() -> float:
        nonlocal step
        delay = rng.uniform(step / 2, step)
        step = min(step * 2, cap)
        return delay

    return next_delay


def retry_while_busy(
    attempt: Callable[[float], T],
    *,
    budget: float,
    first_delay: float = 0.05,
    max_delay: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``attempt(seconds_left)`` until it does not fail busy, for at most ``budget``
    seconds in all; then raise :class:`StoreBusy`.

    ``attempt`` is told how long is left so it can trim its own wait (SQLite's busy
    timeout) and keep the total bounded. Only busy errors are retried: anything else is a
    real fault and is raised at once. ``attempt`` must be safe to repeat: the caller uses
    this only where a failure has changed nothing (see ``db.connection.write_transaction``).
    """
    started = clock()
    pause = backoff_delays(first_delay, max_delay)
    while True:
        left = budget - (clock() - started)
        try:
            return attempt(max(left, 0.0))
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
            waited = clock() - started
            delay = pause()
            if waited + delay >= budget:
                raise StoreBusy(
                    f"The store stayed busy with other work for too long ({waited:.1f} s), "
                    "so nothing was changed; try again in a minute."
                ) from exc
        sleep(delay)
