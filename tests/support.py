"""Helpers for walking alert histories through the real engine and store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from db.alerts import alert_by_ref
from db.events import Event, events_for_alert
from rules.alert_state import AlertState
from rules.alert_transitions import Command
from usecases.alerts import Recorded, raise_alert, record_action
from usecases.store import Store, create_store

D = dt.date


def new_store(tmp_path: Path, policy_id: str, name: str = "store.db") -> Store:
    return create_store(tmp_path / name, policy_id, demo=False, as_of=D(2026, 1, 5))


def _add_child(store: Store, case_ref: str, track: str, on: dt.date) -> int:
    """A synthetic child, logged as the app adds one (``manage.py verify`` reads it back)."""
    from db.events import append_event
    from db.people import insert_child

    values = {"case_ref": case_ref, "name": "Test Child", "date_of_birth": None,
              "legal_status": "looked_after" if track == "iro" else "child_protection",
              "team_id": None, "social_worker_id": None, "reviewer_id": None}
    child_id = insert_child(store.db, **values)
    append_event(store.db, kind="child_added", occurred_on=on, actor_role="admin",
                 child_id=child_id, data=values, reason=f"Test child {case_ref} added.")
    return child_id


def raise_at(
    store: Store,
    on: dt.date,
    level: str = "informal",
    *,
    track: str = "iro",
    ref: str = "A1",
    child: str = "C-1",
    gate: str = "",
    emergency: bool = False,
    until: dt.date | None = None,
    actor: str | None = None,
    category: str | None = None,
    concern: str = "",
    outcome_sought: str = "",
) -> Recorded:
    """Raise alert ``ref`` for a synthetic child, creating the child if needed."""
    from db.connection import write_transaction
    from db.people import child_by_ref

    with write_transaction(store.db):
        existing = child_by_ref(store.db, child)
        child_id = existing["id"] if existing else _add_child(store, child, track, on)
    tr = store.policy.track(track)
    command = Command(
        kind="raised", on=on, actor_role=actor or tr.raised_by[-1], level=level, gate=gate,
        emergency=emergency, until=until, category=category or tr.categories[0].id,
    )
    return raise_alert(store, child_id=child_id, child_ref=child, track=track, command=command,
                       ref=ref, concern=concern, outcome_sought=outcome_sought)


def act(store: Store, kind: str, on: dt.date, *, ref: str = "A1", **fields) -> Recorded:
    return record_action(store, ref, Command(kind=kind, on=on, **fields))


def state(store: Store, ref: str = "A1") -> AlertState:
    row = alert_by_ref(store.db, ref)
    assert row is not None
    return AlertState.from_json(row.state)


def log(store: Store, ref: str = "A1") -> list[Event]:
    row = alert_by_ref(store.db, ref)
    assert row is not None
    return events_for_alert(store.db, row.id)


def derived(store: Store, ref: str = "A1") -> list[tuple[dt.date, str, str, str]]:
    """(date, kind, level, new due) of each event a rule made, in order."""
    return [(e.occurred_on, e.kind, e.data.get("level", ""), e.data.get("due", ""))
            for e in log(store, ref) if e.rule is not None]


def run_in_threads(n: int, work) -> None:
    """Start ``work`` in ``n`` threads at the same moment and wait for them all; each thread
    closes its own connections at the end."""
    import threading

    from db.connection import close_thread_connections

    start = threading.Barrier(n)

    def run() -> None:
        start.wait()
        try:
            work()
        finally:
            close_thread_connections()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
