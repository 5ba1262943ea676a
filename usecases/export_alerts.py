"""Exporting alerts as they stood on a date, and their histories in the import's format.

An export writes nothing, and its answer does not depend on whether a sweep has run: the
alert's state from its logged events up to ``as_of``, then the clock run to ``as_of`` in
memory. Two ways to get there, with the same answer (issue 15):

- ``as_of`` on or after the alert's last logged event: the ``alerts`` table already holds
  the fold of all its events, so the clock starts from that stored state;
- ``as_of`` before it: only a replay of the events up to ``as_of`` says what the alert was
  then.

Records are produced one at a time, a batch of alerts per query for their events, so an
export of any size needs the memory of one batch, and the command writes as it goes.

Overdue, breached, resolved and a response's being on time are ``db.outcomes``' one
definition, the same the dashboard and the reports count with.

Each record ends with what resolving changed for the child (issue 16): ``impact``,
``impact_note`` and ``impact_sustained``, read from the ``alert_impacts`` projection with
only what had happened by ``as_of`` (a follow-up answered later is not known yet). The
impact's own events (the follow-up asked for and answered) change nothing on the ladder,
so they do not make an alert's stored state too old to start the clock from.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, Protocol

from db import outcomes
from db.alerts import AlertRow, alert_words, all_alerts
from db.events import Event, events_for_alert, events_where
from rules.alert_rules import advance
from rules.alert_state import AlertState, apply_event
from rules.alert_transitions import NewEvent, level_name
from rules.impact import FOLLOWED_UP_KIND, IMPACT_EVENTS
from usecases.import_events import COLUMNS, INERT_MARK, actions_text, restored_cell
from usecases.policy_versions import alert_version, store_under
from usecases.report_files import neutralise
from usecases.store import Store

SUMMARY_FIELDS = (
    "alert", "child", "track", "category", "raised_on", "status", "level", "level_name",
    "awaiting", "due", "overdue", "formal_started", "formal_due", "formal_at_risk",
    "formal_breached", "working_days_open", "cafcass_referred", "closed_on",
)
#: What resolving changed for the child (slugs; empty when not recorded or not yet known),
#: after the summary so that a reader of an older export finds its columns where they were.
IMPACT_FIELDS = ("impact", "impact_note", "impact_sustained")
#: A record's columns, in order: the CSV's header.
RECORD_FIELDS = (*SUMMARY_FIELDS, *IMPACT_FIELDS)

#: Alerts per query for their events: enough that the queries cost little next to the
#: records, few enough that one batch's events are a small, fixed amount of memory.
BATCH = 500

#: The keys of a stored state the clock can start from (a state written before a field was
#: added to ``AlertState`` lacks one, and is replayed instead).
_STATE_KEYS = frozenset(f.name for f in dataclasses.fields(AlertState))


class TextOut(Protocol):
    """Where an export is written: standard output, a file, a buffer, a hash."""

    def write(self, text: str, /) -> object: ...


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _event_record(
    event: Event | NewEvent, store: Store, emails: dict[int, str]
) -> dict[str, Any]:
    data = event.data
    on = event.occurred_on if isinstance(event, Event) else event.on
    rule = event.rule
    due = data.get("due") if event.kind == "responded" else None
    return {
        "date": on.isoformat(),
        "event": event.kind,
        "level": data.get("level", "") if event.kind in ("raised", "escalated") else "",
        "outcome": _outcome(event.kind, data),
        "by": event.actor_role or "",
        "by_staff": emails.get(event.actor_id, "") if event.actor_id is not None else "",
        "until": data.get("until", ""),
        "note": data.get("note") or data.get("gate") or "",
        "category": data.get("category", "") if event.kind == "raised" else "",
        "concern": data.get("concern", "") if event.kind == "raised" else "",
        "outcome_sought": data.get("outcome_sought", "") if event.kind == "raised" else "",
        # a response: recorded on or before the due date in force then (None otherwise)
        "on_time": (outcomes.on_time(on, dt.date.fromisoformat(due) if due else None)
                    if event.kind == "responded" else None),
        "derived": rule is not None,
        "rule": rule,
        "reason": event.reason,
        "policy_id": event.policy_id if isinstance(event, Event) else store.policy.id,
        "policy_version": (event.policy_version if isinstance(event, Event)
                           else store.policy.version),
    }


def _outcome(kind: str, data: dict[str, Any]) -> str:
    """The import's one column for what a person chose: a response's outcome, a
    resolution's difference for the child (what the import reads back into ``impact``),
    or a follow-up's answer."""
    if kind == "satisfied":
        return data.get("impact") or ""
    if kind == FOLLOWED_UP_KIND:
        return data.get("sustained") or ""
    return data.get("outcome", "")


def alert_as_of(
    store: Store, row: AlertRow, as_of: dt.date
) -> tuple[AlertState, list[Event], list[NewEvent]] | None:
    """The alert's state on ``as_of``, its logged events then, and what the clock adds."""
    return _replayed(store, row, events_for_alert(store.db, row.id), as_of)


def _replayed(
    store: Store, row: AlertRow, log: list[Event], as_of: dt.date
) -> tuple[AlertState, list[Event], list[NewEvent]] | None:
    """The alert on ``as_of`` from its log (oldest first): what it was on a past date can
    only be read this way. None when it had not been raised by then."""
    logged = [e for e in log if e.occurred_on <= as_of]
    if not logged:
        return None
    state = AlertState(ref=row.ref, child=row.child_ref, track=row.track)
    for event in logged:
        state = apply_event(state, event.kind, event.occurred_on, event.data)
    state, pending = _clock(store, row, state, as_of)
    return state, logged, pending


def _clock(
    store: Store, row: AlertRow, state: AlertState, as_of: dt.date
) -> tuple[AlertState, list[NewEvent]]:
    """What time alone does to the alert up to ``as_of``, as a sweep would, under the
    alert's own version of the policy (its deadlines, not today's). A closed alert's clock
    has stopped: most alerts are closed, so their version is not even looked up."""
    if not state.is_open:
        return state, []
    own = store_under(store, alert_version(store, row.id))
    return advance(own.policy, own.calendar, state, as_of)


def _stored_state_serves(row: AlertRow, last_event_on: dt.date | None, as_of: dt.date) -> bool:
    """Whether the stored state is the fold of every event up to ``as_of``: the date is on
    or after the alert's last event, and the state has folded that very event (a sweep that
    wrote after the row was read, or a state from before a field was added, is replayed)."""
    stored = row.state
    return (last_event_on is not None and as_of >= last_event_on
            and set(stored) == _STATE_KEYS
            and stored.get("last_event_on") == last_event_on.isoformat())


def _stored_state(row: AlertRow) -> AlertState:
    """The alert's stored state, with the reference, child and track of its row, as a
    replay starts from (a child's case reference can be corrected after the raise)."""
    state = AlertState.from_json(row.state)
    if (state.ref, state.child, state.track) == (row.ref, row.child_ref, row.track):
        return state
    return dataclasses.replace(state, ref=row.ref, child=row.child_ref, track=row.track)


def summary(store: Store, state: AlertState, as_of: dt.date) -> dict[str, Any]:
    track = store.policy.track(state.track)
    cal = store.calendar
    end = state.closed_on or as_of
    formal_due = state.formal_due
    return {
        "alert": state.ref,
        "child": state.child,
        "track": state.track,
        "category": state.category,
        "raised_on": _iso(state.raised_on),
        "status": state.status,
        "level": state.level,
        "level_name": level_name(track, state.level),
        "awaiting": state.awaiting or None,
        "due": _iso(state.due),
        "overdue": state.awaiting_manager and outcomes.overdue(state.due, as_of),
        "formal_started": _iso(state.formal_started),
        "formal_due": _iso(formal_due),
        "formal_at_risk": bool(state.is_open and formal_due and state.formal_at_risk_on
                               and state.formal_at_risk_on <= as_of <= formal_due),
        "formal_breached": outcomes.breached(formal_due, state.closed_on, as_of),
        "working_days_open": (cal.working_days_between(state.raised_on, end)
                              if state.raised_on else 0),
        "cafcass_referred": state.cafcass_referred,
        "closed_on": _iso(state.closed_on),
    }


def _staff_emails(store: Store) -> dict[int, str]:
    return {r["id"]: r["email"] for r in store.db.query("SELECT id, email FROM staff")}


def alert_records(
    store: Store, as_of: dt.date, with_events: bool = True
) -> Iterator[dict[str, Any]]:
    """One record per alert raised on or before ``as_of``, in alert order, produced as it
    goes: the memory of one batch of alerts, however many the store holds."""
    emails = _staff_emails(store)
    alerts = all_alerts(store.db)
    while batch := list(islice(alerts, BATCH)):
        yield from _batch_records(store, batch, as_of, with_events, emails)


def export_alerts(store: Store, as_of: dt.date, with_events: bool = True) -> list[dict[str, Any]]:
    """Every record of :func:`alert_records` in a list (for callers that want them all)."""
    return list(alert_records(store, as_of, with_events))


def _batch_records(
    store: Store, rows: list[AlertRow], as_of: dt.date, with_events: bool,
    emails: dict[int, str],
) -> Iterator[dict[str, Any]]:
    """The records of one batch of alerts: a query for their events (with them) or for
    their last event's date (without), and a replay only for those that need one."""
    if with_events:
        logs = _logs(store, [row.id for row in rows])
        last = {alert_id: on for alert_id, log in logs.items()
                if (on := _last_folded_on(log)) is not None}
    else:
        last = _last_event_dates(store, [row.id for row in rows])
        logs = _logs(store, [row.id for row in rows
                             if not _stored_state_serves(row, last.get(row.id), as_of)])
    impacts = _impacts(store, [row.id for row in rows])
    for row in rows:
        found = _alert_on(store, row, as_of, last.get(row.id), logs.get(row.id, []))
        if found is None:
            continue
        state, logged, pending = found
        record = summary(store, state, as_of)
        record.update(_impact_on(impacts.get(row.id), as_of))
        if with_events:
            record["events"] = [_event_record(e, store, emails) for e in [*logged, *pending]]
        yield record


def _alert_on(
    store: Store, row: AlertRow, as_of: dt.date, last_event_on: dt.date | None,
    log: list[Event],
) -> tuple[AlertState, list[Event], list[NewEvent]] | None:
    """The alert on ``as_of``: the clock from its stored state when that is where a replay
    would arrive, else the replay. ``log`` is its events, or empty when not wanted."""
    if not _stored_state_serves(row, last_event_on, as_of):
        return _replayed(store, row, log, as_of)
    state, pending = _clock(store, row, _stored_state(row), as_of)
    # an impact follow-up after ``as_of`` is in the log but had not happened yet
    return state, [e for e in log if e.occurred_on <= as_of], pending


def _last_folded_on(log: list[Event]) -> dt.date | None:
    """The date of the last event the alert's state folds (the impact's events are about
    the child after the alert closed, and leave the state, its date included, alone)."""
    return next((e.occurred_on for e in reversed(log) if e.kind not in IMPACT_EVENTS), None)


def _impacts(store: Store, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The ``alert_impacts`` rows of ``ids``, in one query (a resolved alert has one)."""
    if not ids:
        return {}
    return {r["alert_id"]: r for r in store.db.query(
        "SELECT alert_id, resolved_on, impact, impact_note, sustained, followed_up_on "
        f"FROM alert_impacts WHERE {_in_clause(ids)}", ids)}


def _impact_on(row: dict[str, Any] | None, as_of: dt.date) -> dict[str, str]:
    """The impact columns as they stood on ``as_of``: empty before the alert was resolved,
    and whether the change lasted only once the follow-up had been answered."""
    day = as_of.isoformat()
    if row is None or row["resolved_on"] > day:
        return dict.fromkeys(IMPACT_FIELDS, "")
    answered = bool(row["followed_up_on"]) and row["followed_up_on"] <= day
    return {"impact": row["impact"], "impact_note": row["impact_note"],
            "impact_sustained": row["sustained"] if answered else ""}


def _in_clause(ids: list[int]) -> str:
    return f"alert_id IN ({', '.join('?' for _ in ids)})"


def _logs(store: Store, ids: list[int]) -> dict[int, list[Event]]:
    """The logged events of each of ``ids``, oldest first, in one query."""
    logs: dict[int, list[Event]] = {}
    if not ids:
        return logs
    for event in events_where(store.db, _in_clause(ids), ids):
        logs.setdefault(event.alert_id or 0, []).append(event)
    return logs


def _last_event_dates(store: Store, ids: list[int]) -> dict[int, dt.date]:
    """The date of each of ``ids``' last logged event that its state folds (see
    :func:`_last_folded_on`), in one query (none: never raised, or its import was rolled
    back)."""
    kinds = ", ".join(f"'{kind}'" for kind in IMPACT_EVENTS)
    rows = store.db.execute(
        f"SELECT alert_id, max(occurred_on) FROM live_events WHERE {_in_clause(ids)}"
        f" AND kind NOT IN ({kinds}) GROUP BY alert_id", ids).fetchall()
    return {alert_id: dt.date.fromisoformat(on) for alert_id, on in rows}


def write_alerts_json_lines(records: Iterable[dict[str, Any]], out: TextOut) -> None:
    """Each record as one line of JSON, written as it is produced."""
    for record in records:
        out.write(json.dumps(record, sort_keys=False) + "\n")


def write_alerts_csv(records: Iterable[dict[str, Any]], out: TextOut) -> None:
    """The records' summary fields as CSV rows (no events), written as produced; every cell
    inert in a spreadsheet."""
    writer = csv.DictWriter(out, fieldnames=RECORD_FIELDS, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: neutralise(_csv_value(record[k])) for k in RECORD_FIELDS})


def alerts_as_json_lines(records: Iterable[dict[str, Any]]) -> str:
    """The JSON lines as one text (for tests and small exports; the command streams)."""
    out = io.StringIO()
    write_alerts_json_lines(records, out)
    return out.getvalue()


def alerts_as_csv(records: Iterable[dict[str, Any]]) -> str:
    """The CSV as one text (for tests and small exports; the command streams)."""
    out = io.StringIO()
    write_alerts_csv(records, out)
    return out.getvalue()


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def import_cell(value: Any) -> Any:
    """One cell of the import format: inert in a spreadsheet, and read back exactly.

    A note or reference can begin like a formula (``=``, ``-``, ...), and this file is
    opened in spreadsheets, so such text gets ``neutralise``'s apostrophe. The import takes
    one apostrophe off again (:func:`usecases.import_events.restored_cell`); text that
    would lose one that way (it already begins with an apostrophe and one of those
    characters) gets one more here, so every value survives the round trip unchanged.
    """
    if isinstance(value, str) and restored_cell(value) != value:
        return INERT_MARK + value
    return neutralise(value)


def _impact_cells(event: Event) -> dict[str, str]:
    """The import's impact columns of one event: a resolution's sentence and actions, a
    new alert's link to the one it follows (empty on every other row)."""
    data = event.data
    satisfied = event.kind == "satisfied"
    return {
        "impact_note": (data.get("impact_note") or "") if satisfied else "",
        "actions": actions_text(data.get("actions") or []) if satisfied else "",
        "follows": (data.get("follows") or "") if event.kind == "raised" else "",
    }


def export_events_csv(store: Store) -> str:
    """Every alert's history in the import's columns: what people recorded, not derived events.

    Importing this into a new store under the same policy rebuilds the same alerts (the
    rules derive the rest again). Every cell goes through :func:`import_cell`, so no
    spreadsheet runs a note as a formula and the import still reads it as written.

    What resolving changed for the child (issue 16) is written where the import reads it
    back: on a ``satisfied`` row the difference in ``outcome``, the sentence in
    ``impact_note`` and the actions agreed in ``actions`` (``2026-12-07: Visits booked;
    2027-01-10: Plan shared``, :func:`usecases.import_events.actions_text`); the reviewer's
    answer to the follow-up as an ``impact_followed_up`` row (``sustained`` or
    ``not_sustained`` in ``outcome``, the note in ``note``); and on a ``raised`` row the
    alert it follows, in ``follows``. The sweep's prompt for the follow-up is a derived
    event, left out like the others (and never made again for an imported history).
    """
    emails = _staff_emails(store)
    out = io.StringIO()
    # CRLF (RFC 4180): Python's writer quotes a value holding a carriage return only when
    # the line ending has one, and an unquoted one would end the row on the way back in.
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    words = alert_words(store.db)
    for row in all_alerts(store.db):
        for event in events_for_alert(store.db, row.id):
            if event.rule is not None:
                continue
            record = _event_record(event, store, emails)
            if event.kind == "raised" and not (record["concern"] or record["outcome_sought"]):
                # raised before the event carried the words: the table still has them
                record["concern"], record["outcome_sought"] = words.get(row.id, ("", ""))
            cells = {"alert": row.ref, "child": row.child_ref, "track": row.track,
                     **{k: record[k] for k in COLUMNS if k in record},
                     **_impact_cells(event)}
            writer.writerow({k: import_cell(v) for k, v in cells.items()})
    return out.getvalue()
