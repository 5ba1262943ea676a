"""One import at a time, rehearsed on a private copy, written in chunks, undone by its id.

Why this shape: an import of 20,000 rows plays every row through the rules, which takes
many seconds. Done in one transaction it held the store's write lock all that time, and
every IRO saving a review or manager responding waited, then failed. So:

1. **Rehearsal** on a private copy of the store (SQLite's backup API; readers never block
   writers) finds every problem in the file without touching the store. A dry run stops
   here, and so does a refused file: nothing is written, not even an event.
2. **Chunks**: the rows are then played again on the store itself, a few hundred rows of
   whole alerts per short transaction, each ending with an event that records what it
   wrote (``db.import_chunks``). A final event says the import is done.
3. **Roll back by import id** if a chunk is refused (the store changed since the
   rehearsal: someone raised an alert with the same reference meanwhile) or the import
   stops part-way (the process was killed). The chunks stay in the append-only log but
   an ``import_rolled_back`` event takes them out of the living history, and the tables
   are put back as the rest of the log says. To the person importing it is all or nothing.

Imports take turns through a lock file beside the store; a process that died holding it
has let go (the operating system releases it), so the next import can tell that any run
left unfinished is dead, and rolls it back before it starts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from db.alert_facts import refill as refill_facts
from db.alert_impacts import refill as refill_impacts
from db.alerts import save_projection
from db.connection import open_db, write_transaction
from db.events import append_event, events_for_alert
from db.import_chunks import (
    ROLLED_BACK_KIND,
    UnfinishedRun,
    alerts_touched,
    remove_alerts,
    remove_unused_children,
    unfinished_runs,
    void,
)
from rules.alert_rules import next_check_on
from rules.alert_state import AlertState, apply_event
from usecases.errors import UserError
from usecases.policy_versions import alert_version, store_under
from usecases.store import Store

#: How long an import waits for another to finish before giving up (it says so).
TURN_WAIT_SECONDS = 30 * 60
_POLL_SECONDS = 0.2


#: The pause after each chunk. SQLite's busy handler makes a waiting writer sleep up to
#: 100 ms between tries; an import that began its next chunk straight after committing
#: would win the lock again and again, and the person saving a review would wait for
#: the whole import after all (measured: 7 s). Pausing longer than that sleep lets every
#: waiting writer in first; it costs about 8 s on a 20,000-row import.
CHUNK_PAUSE_SECONDS = 0.15


def let_others_in() -> None:
    """Between chunks: long enough for every writer waiting on the lock to take it."""
    time.sleep(CHUNK_PAUSE_SECONDS)


class ImportBusy(UserError):
    """Another import of this store is still running."""


def lock_path(store: Store) -> Path:
    return Path(f"{store.path}.import-lock")


@contextlib.contextmanager
def import_turn(store: Store, *, wait_seconds: float = TURN_WAIT_SECONDS,
                on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the store's import lock for the block: imports take turns, never interleave.

    ``on_wait`` is called once if another import holds it (to say why nothing happens).
    The lock is an advisory ``flock`` on a 0600 file beside the store: the operating
    system drops it when the holder exits, however it exits.
    """
    path = lock_path(store)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        waited = 0.0
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if waited == 0.0 and on_wait is not None:
                    on_wait()
                if waited >= wait_seconds:
                    raise ImportBusy(_busy_message(wait_seconds)) from None
                time.sleep(_POLL_SECONDS)
                waited += _POLL_SECONDS
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _busy_message(waited: float) -> str:
    if waited < 60:
        return ("An import into this store is running now. Nothing was done: try again when "
                "it has finished.")
    return (f"Another import into this store has been running for over {int(waited // 60)} "
            "minutes. Nothing was imported: try again when it has finished.")


@contextlib.contextmanager
def private_copy(store: Store) -> Iterator[Store]:
    """A throwaway copy of the store to rehearse on, as it stands now; deleted after."""
    folder = Path(tempfile.mkdtemp(prefix="iro-rehearsal-"))
    target = folder / "rehearsal.db"
    try:
        destination = sqlite3.connect(str(target))
        try:
            store.db.conn.backup(destination)
        finally:
            destination.close()
        os.chmod(target, 0o600)
        db = open_db(target)
        try:
            yield replace(store, db=db, path=target)
        finally:
            db.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class RolledBack:
    """What rolling back an unfinished import undid."""

    import_id: str
    file: str
    events: int
    alerts_removed: int
    alerts_restored: int
    children_removed: int
    children_kept: int

    def sentence(self) -> str:
        kept = (f" {self.children_kept:,} children it added were kept: something else was "
                "recorded about them meanwhile." if self.children_kept else "")
        return (f"The unfinished import of {self.file or 'a file'} (import {self.import_id}) "
                f"was rolled back: {self.events:,} events no longer count, "
                f"{self.alerts_removed:,} alerts it added were removed and "
                f"{self.alerts_restored:,} earlier alerts put back as they were; "
                f"{self.children_removed:,} children it added were removed.{kept}")


def roll_back_run(store: Store, run: UnfinishedRun, *, as_of: dt.date,
                  actor_id: int | None, why: str) -> RolledBack:
    """Undo one unfinished import run, in one transaction (see the module docstring).

    Its own connection, with foreign keys off: the voided events keep naming the alerts
    and children this removes, and must (the log cannot change).
    """
    db = open_db(store.path)
    try:
        db.execute("PRAGMA foreign_keys = OFF")
        here = replace(store, db=db)
        with write_transaction(db):
            events = sum(last - first + 1 for first, last in run.ranges)
            append_event(
                db, kind=ROLLED_BACK_KIND, occurred_on=as_of, actor_id=actor_id,
                actor_role="admin",
                data={"import_id": run.import_id, "file": run.file,
                      "ranges": [list(r) for r in run.ranges], "alerts": run.alerts,
                      "children": run.children},
                reason=f"Import of {run.file or 'a file'} rolled back: {why}")
            void(db, run.import_id, run.ranges, run.alerts)
            touched = alerts_touched(db, run.ranges, run.alerts)
            remove_alerts(db, run.alerts)
            refill_facts(db, [*run.alerts, *touched])
            refill_impacts(db, [*run.alerts, *touched])
            for alert_id in touched:
                refold_alert(here, alert_id)
            kept = remove_unused_children(db, run.children)
        return RolledBack(run.import_id, run.file, events, len(run.alerts), len(touched),
                          len(run.children) - len(kept), len(kept))
    finally:
        db.close()


def refold_alert(store: Store, alert_id: int) -> None:
    """Save the alert's state as its living events say (after some stopped counting)."""
    row = store.db.execute("SELECT ref, track, child_id FROM alerts WHERE id = ?",
                           [alert_id]).fetchone()
    if row is None:
        return
    child = store.db.execute("SELECT case_ref FROM children WHERE id = ?", [row[2]]).fetchone()
    state = AlertState(ref=row[0], child=child[0] if child else "", track=row[1])
    for event in events_for_alert(store.db, alert_id):
        state = apply_event(state, event.kind, event.occurred_on, event.data)
    own = store_under(store, alert_version(store, alert_id))
    save_projection(store.db, alert_id, state.to_json(),
                    next_check_on(own.policy, own.calendar, state))


def roll_back_unfinished(store: Store, *, as_of: dt.date, actor_id: int | None = None,
                         why: str = "it stopped before the end (the process ended).",
                         import_id: str | None = None) -> list[RolledBack]:
    """Roll back every unfinished import run (or only ``import_id``'s). Call holding
    :func:`import_turn`, so that no run still going is taken for a dead one."""
    return [roll_back_run(store, run, as_of=as_of, actor_id=actor_id, why=why)
            for run in unfinished_runs(store.db)
            if import_id is None or run.import_id == import_id]


def describe_unfinished(store: Store) -> list[str]:
    """A sentence per unfinished import, for ``verify`` and the operator."""
    return [f"The import of {run.file or 'a file'} (import {run.import_id}, started "
            f"{run.started_on}) did not finish: {len(run.ranges):,} chunks, {run.rows:,} rows "
            "written. The next import rolls it back, or run 'python manage.py "
            "roll-back-import'." for run in unfinished_runs(store.db)]


def chunk_data(import_id: str, file: str, number: int, rows: int,
               span: tuple[int, int] | None, alerts: list[int], children: list[int]) -> dict:
    """The ``import_chunk_applied`` event's data: enough to undo the chunk."""
    return {"import_id": import_id, "file": file, "chunk": number, "rows": rows,
            "first_id": span[0] if span else None, "last_id": span[1] if span else None,
            "alerts": alerts, "children": children}
