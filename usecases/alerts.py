"""Raising and acting on alerts, and the sweep: each one transaction through the engine.

Every action first brings the alert up to its date (so a response recorded after an
escalation fell due meets the alert where it now is), then asks the rules whether it is
allowed and what it does, then writes the events and the new projection together.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from db.alerts import (
    alert_by_id,
    alert_by_ref,
    alert_ids_to_check,
    insert_alert,
    next_alert_ref,
    save_projection,
)
from db.connection import write_transaction
from rules.alert_rules import advance, decide_command, fold, next_check_on
from rules.alert_state import AlertState
from rules.alert_transitions import Command, NewEvent
from usecases.errors import UserError
from usecases.event_log import write_events
from usecases.policy_versions import alert_version, store_under, version_for_start
from usecases.store import Store


class AlertRefused(UserError):
    """The rules refused an action; ``messages`` says every reason."""

    def __init__(self, messages: tuple[str, ...] | list[str]) -> None:
        self.messages = tuple(messages)
        super().__init__(" ".join(self.messages))


@dataclass
class Recorded:
    """What an action wrote: the alert, and its events (a person's and the rules')."""

    ref: str
    alert_id: int
    events: list[NewEvent] = field(default_factory=list)
    event_ids: list[int] = field(default_factory=list)


def _states_after(state: AlertState, events: list[NewEvent]) -> list[AlertState]:
    """The alert's state after each event in turn: what each notification says is next."""
    states = []
    for event in events:
        state = fold(state, [event])
        states.append(state)
    return states


def _save(store: Store, alert_id: int, state: AlertState) -> None:
    save_projection(store.db, alert_id, state.to_json(),
                    next_check_on(store.policy, store.calendar, state))


def raise_in_transaction(
    store: Store,
    *,
    child_id: int,
    child_ref: str,
    track: str,
    command: Command,
    ref: str | None = None,
    concern: str = "",
    outcome_sought: str = "",
) -> Recorded:
    """Raise an alert inside the caller's transaction (the import raises many in one)."""
    store = store_under(store, version_for_start(store, command.on))  # its version for life
    ref = ref or next_alert_ref(store.db)
    if track not in store.policy.tracks:
        raise AlertRefused([f"{store.policy.id} has no '{track}' track."])
    state = AlertState(ref=ref, child=child_ref, track=track)
    decision = decide_command(store.policy, store.calendar, state, command)
    if decision.refusals:
        raise AlertRefused(decision.refusals)
    said = {k: v for k, v in (("concern", concern), ("outcome_sought", outcome_sought)) if v}
    # Which alert, on which track, and what the reviewer wrote go in the log, not only in
    # the alerts table: ``manage.py verify`` and ``rebuild`` read the row back from it.
    origin = {"ref": ref, "track": track, **said}
    decision = dataclasses.replace(decision, events=tuple(
        dataclasses.replace(e, data={**e.data, **origin}) if e.kind == "raised" else e
        for e in decision.events))
    alert_id = insert_alert(store.db, ref=ref, child_id=child_id, track=track,
                            raised_on=command.on, raised_by=command.actor_id,
                            concern=concern, outcome_sought=outcome_sought)
    start = state
    state, later = advance(store.policy, store.calendar, fold(state, decision.events), command.on)
    events = [*decision.events, *later]
    ids = write_events(store, events, child_id=child_id, alert_id=alert_id,
                       alert_states=_states_after(start, events))
    _save(store, alert_id, state)
    return Recorded(ref=ref, alert_id=alert_id, events=events, event_ids=ids)


def act_in_transaction(store: Store, ref: str, command: Command) -> Recorded:
    """Record ``command`` on an existing alert inside the caller's transaction."""
    row = alert_by_ref(store.db, ref)
    if row is None:
        raise AlertRefused([f"There is no alert {ref}."])
    store = store_under(store, alert_version(store, row.id))  # the version it started under
    start = state = AlertState.from_json(row.state)
    state, caught_up = advance(store.policy, store.calendar, state, command.on)
    decision = decide_command(store.policy, store.calendar, state, command)
    if decision.refusals:
        raise AlertRefused(decision.refusals)
    state = fold(state, decision.events)
    state, later = advance(store.policy, store.calendar, state, command.on)
    events = [*caught_up, *decision.events, *later]
    ids = write_events(store, events, child_id=row.child_id, alert_id=row.id,
                       alert_states=_states_after(start, events))
    _save(store, row.id, state)
    return Recorded(ref=ref, alert_id=row.id, events=events, event_ids=ids)


def raise_alert(store: Store, **kwargs: Any) -> Recorded:
    """Raise an alert: one transaction; nothing is written if the rules refuse it."""
    with write_transaction(store.db):
        return raise_in_transaction(store, **kwargs)


def record_action(store: Store, ref: str, command: Command) -> Recorded:
    """Record a response, a decision, an escalation or a note on an alert."""
    with write_transaction(store.db):
        return act_in_transaction(store, ref, command)


def derived_event_record(store: Store, ref: str, child_ref: str, event: NewEvent) -> dict:
    """A derived event as the sweep prints it (one JSON object per line)."""
    return {
        "alert": ref,
        "child": child_ref,
        "date": event.on.isoformat(),
        "event": event.kind,
        "level": event.data.get("level", ""),
        "due": event.data.get("due", ""),
        "rule": event.rule,
        "policy_id": store.policy.id,
        "policy_version": store.policy.version,
        "reason": event.reason,
    }


#: Called with a batch's events once its transaction has committed.
OnCommitted = Callable[[list[dict]], None]


def sweep(store: Store, as_of: dt.date, batch_size: int = 500,
          on_committed: OnCommitted | None = None) -> list[dict]:
    """Apply every time-driven rule up to ``as_of`` to every open alert.

    Idempotent: each alert is re-read inside its write transaction, so a second sweep, or
    one running at the same time in another process, finds nothing left to do; derived
    events also carry a unique key, so the log cannot hold one twice.

    Alerts are swept ``batch_size`` to a transaction. ``on_committed`` is given each
    batch's events (when there are any) as soon as that batch commits, so a caller can
    report what is already in the store while the sweep goes on: a sweep stopped halfway
    has then said everything it wrote. An exception from it stops the sweep; the batches
    already committed stay.
    """
    written: list[dict] = []
    ids = alert_ids_to_check(store.db, as_of)
    for start in range(0, len(ids), batch_size):
        batch: list[dict] = []
        with write_transaction(store.db):
            for alert_id in ids[start:start + batch_size]:
                batch.extend(_sweep_one(store, alert_id, as_of))
        written.extend(batch)
        if on_committed is not None and batch:
            on_committed(batch)
    return written


def _sweep_one(store: Store, alert_id: int, as_of: dt.date) -> list[dict]:
    row = alert_by_id(store.db, alert_id)
    if row is None:
        return []
    store = store_under(store, alert_version(store, row.id))  # the version it started under
    start = AlertState.from_json(row.state)
    state, derived = advance(store.policy, store.calendar, start, as_of)
    if not derived:
        return []
    ids = write_events(store, derived, child_id=row.child_id, alert_id=row.id,
                       alert_states=_states_after(start, derived))
    _save(store, row.id, state)
    if len(ids) != len(derived):  # another sweep wrote them first: report only ours
        return []
    return [derived_event_record(store, row.ref, row.child_ref, e) for e in derived]


def staff_role(db: sqlite_utils.Database, staff_id: int) -> str | None:
    rows = list(db.query("SELECT role FROM staff WHERE id = ?", [staff_id]))
    return rows[0]["role"] if rows else None
