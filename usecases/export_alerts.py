"""Exporting alerts as they stood on a date, and their histories in the import's format.

An export is a pure replay: the alert's logged events up to ``as_of`` are folded, then
the clock is run to ``as_of`` in memory. Nothing is written, and the answer does not
depend on whether a sweep has run.

Overdue, breached, resolved and a response's being on time are ``db.outcomes``' one
definition, the same the dashboard and the reports count with.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from db import outcomes
from db.alerts import AlertRow, alert_words, all_alerts
from db.events import Event, events_for_alert
from rules.alert_rules import advance
from rules.alert_state import AlertState, apply_event
from rules.alert_transitions import NewEvent, level_name
from usecases.import_events import COLUMNS, INERT_MARK, restored_cell
from usecases.policy_versions import alert_version, store_under
from usecases.report_files import neutralise
from usecases.store import Store

SUMMARY_FIELDS = (
    "alert", "child", "track", "category", "raised_on", "status", "level", "level_name",
    "awaiting", "due", "overdue", "formal_started", "formal_due", "formal_at_risk",
    "formal_breached", "working_days_open", "cafcass_referred", "closed_on",
)


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
        "outcome": data.get("outcome", ""),
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


def alert_as_of(
    store: Store, row: AlertRow, as_of: dt.date
) -> tuple[AlertState, list[Event], list[NewEvent]] | None:
    """The alert's state on ``as_of``, its logged events then, and what the clock adds."""
    logged = [e for e in events_for_alert(store.db, row.id) if e.occurred_on <= as_of]
    if not logged:
        return None
    state = AlertState(ref=row.ref, child=row.child_ref, track=row.track)
    for event in logged:
        state = apply_event(state, event.kind, event.occurred_on, event.data)
    own = store_under(store, alert_version(store, row.id))  # its deadlines, not today's
    state, pending = advance(own.policy, own.calendar, state, as_of)
    return state, logged, pending


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


def export_alerts(store: Store, as_of: dt.date, with_events: bool = True) -> list[dict[str, Any]]:
    """One record per alert raised on or before ``as_of``."""
    emails = _staff_emails(store)
    records = []
    for row in all_alerts(store.db):
        replay = alert_as_of(store, row, as_of)
        if replay is None:
            continue
        state, logged, pending = replay
        record = summary(store, state, as_of)
        if with_events:
            record["events"] = [_event_record(e, store, emails) for e in [*logged, *pending]]
        records.append(record)
    return records


def alerts_as_json_lines(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, sort_keys=False) + "\n" for r in records)


def alerts_as_csv(records: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SUMMARY_FIELDS, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: neutralise(_csv_value(record[k])) for k in SUMMARY_FIELDS})
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


def export_events_csv(store: Store) -> str:
    """Every alert's history in the import's columns: what people recorded, not derived events.

    Importing this into a new store under the same policy rebuilds the same alerts (the
    rules derive the rest again). Every cell goes through :func:`import_cell`, so no
    spreadsheet runs a note as a formula and the import still reads it as written.
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
                     **{k: record[k] for k in COLUMNS if k in record}}
            writer.writerow({k: import_cell(v) for k, v in cells.items()})
    return out.getvalue()
