"""Proving a store is what its event log says, and rebuilding what it does not.

``verify`` reads only: the event log's guard and hash chain (``db.integrity``), then every
projection against a replay of its events. ``rebuild`` writes the projections back from
the log in one transaction, then verifies. A log whose history was changed is never
rebuilt from: that would spread the change to every table.

History is read from ``live_events``: the log without what rolled-back imports wrote
(migration m012). Which imports were rolled back is itself a projection, of the
``import_rolled_back`` events, so those two tables are replayed from ``events`` whole, and
rebuilt first.

Projections verified and rebuilt, row by row (a column an old event does not record yet
is neither compared nor rewritten: old events stay readable):

* ``voided_event_ranges``, ``voided_alerts``: the ``import_rolled_back`` events.
* ``teams``, ``staff``, ``children``: ``team_added``, ``staff_added``/``staff_changed``,
  ``child_added``/``child_changed``/``reviewer_changed``/``social_worker_changed`` and
  ``placement_recorded`` (every column but ``staff.password_hash``: a secret is never put
  in a log that is kept for ever and cannot be edited, where even a hash replaced long ago
  would stay). A child a rolled-back import added is kept when something living names it
  (as the rollback keeps it), though its ``child_added`` is voided; so is a child living
  events name that was added before ``child_added`` was logged (its row is not compared).
* ``alerts``: the folded state JSON and every column ``db.alerts.save_projection``
  writes, and what the ``raised`` event records (child, day, who, concern, outcome
  sought, reference, track).
* ``alert_levels_reached``, ``alert_responses``: the dashboard's facts of the alerts'
  events (``db.alert_facts``, which compares and refills them).
* ``reviews``: the monitoring form (``data``, ``summary`` and its columns) and the
  decisions (status, dates, the reply's status and the sweep's next check).
* ``significant_changes``, ``practice_concerns`` (with the clock's next check under the
  policy in force), ``good_practice``.
* ``policy_versions``: the versions' YAML, digest, dates, who and why (``store_created``
  and ``policy_version_adopted``), not ``recorded_at`` (the server's clock); its
  append-only triggers are lifted only for the rebuild's own corrections, and put back as
  they were. Version 1 of a store made before versions were kept has no event (the
  upgrade wrote it from the preset) and is not reported.
* ``settings``: ``policy_id`` and ``created_on`` (``store_created``).

Rebuild puts back a lost row when the log records every column it needs (a member of
staff comes back without a password), corrects changed columns, and removes a row no event
records unless other rows refer to it (then it is kept, and said so).

Left out by design, because they are not part of the record:

* ``events``: the record itself (its guard and chain are checked above).
* ``notifications`` and ``outbox``: messages composed when an event was written, for the
  people the policy named then; reading and delivering them (``read_at``, attempts,
  leases) is the messages' own state, and an import deletes the ones it made on purpose.
* ``sessions`` and ``sign_in_failures``: sign-in state and throttling, which expire.
* ``access_audit``: its own append-only record of who opened what, guarded by its own
  triggers; never derived from the event log.
* ``settings`` other than the two above: ``policy_version`` is a cache of which version
  is in force *today* (it moves with the calendar, not with an event), the session secret
  is a secret, the demo flag is configuration, and the saved import mapping is not in
  its ``import_map_saved`` event yet (a gap in the log, see ``usecases.import_events``).
* Import staging (a separate temporary database) and ``_sqlite_migrations``.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

import sqlite_utils

from db.alert_facts import differences as fact_differences
from db.alert_facts import refill as refill_facts
from db.alert_impacts import differences as impact_differences
from db.alert_impacts import refill as refill_impacts
from db.alerts import save_projection
from db.connection import open_db, write_transaction
from db.integrity import (
    ALERT_ORIGIN_COLUMNS,
    alert_rows,
    append_only_lifted,
    attempt,
    chain_breaks,
    chain_head,
    chain_kept,
    children_named,
    delete_row,
    guard_problems,
    has_events_table,
    has_table,
    insert_row,
    kept_children_events,
    logged_events,
    missing_guard_only,
    names_of,
    orphan_subjects,
    restore_alert_origin,
    review_rows,
    rowid_of,
    save_review_projection,
    stored_rows,
    subject_events,
    update_row,
)
from db.policy_versions import digest
from db.schema import ensure_event_log_guards
from rules.alert_rules import next_check_on
from rules.alert_state import AlertState, apply_event
from rules.concern_rules import (
    ANSWERED_KIND,
    ESCALATED_KIND,
    REFERRED_KIND,
    ConcernClock,
)
from rules.concern_rules import clock_check_on as concern_check_on
from rules.policy import PolicyInvalid
from rules.review_rules import AGREED, AWAITING, DISPUTED, DecisionsClock, clock_check_on
from usecases.errors import UserError
from usecases.import_runs import describe_unfinished
from usecases.policy_versions import alert_version, policy_in_store, review_version, store_under
from usecases.store import Store, prepare_store

#: Problems listed per area before "and N more".
SHOWN = 50
#: Errors that mean "this could not be read", said in words instead of a traceback.
_UNREADABLE = (sqlite3.Error, ValueError, KeyError, TypeError, AttributeError, PolicyInvalid,
               json.JSONDecodeError)

_WORDS = {
    "status": "status", "level": "level", "awaiting": "who must act", "due": "response due date",
    "category": "category", "formal_due": "formal deadline", "closed_on": "closing date",
    "next_check_on": "next check date", "raised_on": "date raised", "child_id": "child (id)",
    "reply_status": "reply status", "decisions_sent_on": "date the decisions were sent",
    "reply_due": "reply due date", "rag": "RAG judgement", "held_on": "meeting date",
    "kind": "kind", "recorded_on": "date recorded", "reviewer_id": "reviewer (id)",
    "raised_by": "raiser (id)", "concern": "concern", "outcome_sought": "outcome sought",
    "ref": "reference", "track": "track", "summary": "summary", "name": "name",
    "email": "e-mail address", "role": "role", "team_id": "team (id)",
    "line_manager_id": "line manager (id)", "active": "active flag (1 yes, 0 no)",
    "case_ref": "case reference", "date_of_birth": "date of birth",
    "legal_status": "legal status", "social_worker_id": "social worker (id)",
    "placed_with_parents_since": "date placed with parents",
    "permanence_plan": "permanence plan", "permanence_decision_on": "permanence decision date",
    "permanence_placed_on": "permanence placement date", "change_type": "kind of change",
    "happened_on": "date it happened", "notified_on": "date the reviewer was told",
    "description": "description", "notified_by": "teller (id)",
    "late": "told-late flag (1 yes, 0 no)", "review_before": "review-first flag (1 yes, 0 no)",
    "review_date": "review date", "decision_reasons": "reasons no review is needed",
    "decided_by": "decider (id)", "decided_on": "date decided",
    "about_id": "person it is about (id)", "answered_on": "date answered", "answer": "answer",
    "escalated_to": "role escalated to", "worker_id": "worker (id)", "what": "text",
    "recorded_by": "recorder (id)", "policy_id": "policy", "yaml": "YAML text",
    "sha256": "SHA-256 digest", "effective_from": "date it takes effect",
    "adopted_by": "adopter", "reason": "reason", "event_id": "event (id)", "value": "value",
    "import_id": "import",
}

#: Each area's heading in the report, in the order the report gives them.
AREAS = (
    ("store", "The store"), ("guard", "The event log's guard"), ("chain", "The hash chain"),
    ("imports", "Imports of alert histories"),
    ("voided_event_ranges", "The rolled-back imports' events (voided_event_ranges)"),
    ("voided_alerts", "The rolled-back imports' alerts (voided_alerts)"),
    ("policy_versions", "The policy versions table"), ("settings", "The settings table"),
    ("teams", "The teams table"), ("staff", "The staff table"),
    ("children", "The children table"), ("alerts", "The alerts table"),
    ("alert_facts", "The dashboard's alert facts (alert_levels_reached, alert_responses)"),
    ("alert_impacts", "What resolved alerts changed for the child (alert_impacts)"),
    ("reviews", "The reviews table"), ("significant_changes", "The significant changes table"),
    ("practice_concerns", "The practice concerns table"),
    ("good_practice", "The notes of good practice (good_practice)"),
)


@dataclass(frozen=True)
class Finding:
    """One thing that is not as the log says; ``event_id``/``change`` for the chain."""

    area: str  # one of AREAS
    text: str
    event_id: int | None = None
    change: str | None = None  # "altered", "inserted" or "removed"


@dataclass
class Verification:
    """What verify found, and what it checked."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def first_break(self) -> Finding | None:
        return next((f for f in self.findings if f.area == "chain"), None)

    def lines(self) -> list[str]:
        """The report as printed: what was checked, each problem, the verdict."""
        out = [f"Checked {self.path}:"]
        out += [f"  {line}" for line in self.checked]
        for area, title in AREAS:
            found = [f for f in self.findings if f.area == area]
            if not found:
                continue
            out.append(f"{title}: {len(found)} problem{'s' if len(found) != 1 else ''}.")
            if area == "chain":
                first = found[0]
                out.append(f"  History was changed; the first break is at event "
                           f"{first.event_id} ({first.change}).")
            out += [f"  - {f.text}" for f in found[:SHOWN]]
            if len(found) > SHOWN:
                out.append(f"  ... and {len(found) - SHOWN} more.")
        if self.ok:
            out.append("All is well: the store is what its event log says.")
        else:
            out.append(f"{len(self.findings)} problem{'s' if len(self.findings) != 1 else ''} "
                       "found. Restore the store from a backup if its history was changed; "
                       f"if only the tables differ, 'python manage.py rebuild --db {self.path}'"
                       " writes them again from the log.")
        return out


def _require(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"There is no store at {path}.")
    return path


def _value(value: Any) -> str:
    """A value as a message shows it: long texts (a policy's YAML) cut short."""
    if value in (None, ""):
        return "none"
    if isinstance(value, str):
        if len(value) > 60:
            return f"{value[:40]!r}... ({len(value):,} characters)"
        return repr(value)
    return str(value)


def _word(column: str) -> str:
    return _WORDS.get(column, column.replace("_", " "))


def _differences(what: str, stored: Mapping[str, Any], wanted: Mapping[str, Any], where: str
                 ) -> list[str]:
    return [f"{what}: its {_word(k)} is {_value(stored.get(k))} in {where}, but its events "
            f"give {_value(wanted.get(k))}."
            for k in sorted(set(stored) | set(wanted)) if stored.get(k) != wanted.get(k)]


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _json_object(text: str | None) -> dict[str, Any]:
    """A stored JSON column as a dict; one that is not an object says so (to be reported)."""
    try:
        value = json.loads(text or "{}")
    except (json.JSONDecodeError, TypeError):
        return {"(the saved JSON)": "unreadable"}
    return value if isinstance(value, dict) else {"(the saved JSON)": "not an object"}


# -- alerts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Expected:
    """A row's stored values beside what its events give; ``problem`` if they cannot."""

    row: dict[str, Any]
    label: str
    stored: dict[str, Any] = field(default_factory=dict)
    wanted: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] | None = None  # alerts: the folded state, as save_projection keeps
    stored_state: dict[str, Any] | None = None  # reviews: the monitoring form (``data``)
    next_check: dt.date | None = None
    problem: str | None = None
    unlogged: bool = False  # no event at all names the row: it was put in directly

    @property
    def differs(self) -> bool:
        return self.stored != self.wanted or self.stored_state != self.state


def _paired(store: Store, rows: list[dict[str, Any]], column: str
            ) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each row (in id order) with its events: one pass over the log, both sides sorted by
    subject, so a long log is never held in memory whole."""
    groups = groupby(subject_events(store.db, column), lambda r: r["subject"])
    current = next(groups, None)
    for row in rows:
        while current is not None and current[0] < row["id"]:  # events of a deleted row
            current = next(groups, None)
        if current is not None and current[0] == row["id"]:
            yield row, list(current[1])
            current = next(groups, None)
        else:
            yield row, []


def _alert_origin(row: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    """What the ``raised`` event records of the row: who raised it, what they wrote, and
    (in events written since the log carried them) the reference and track."""
    raised = next((e for e in events if e["kind"] == "raised"), None)
    if raised is None:
        return {}
    data = json.loads(raised["data"])
    origin = {"raised_by": raised["actor_id"], "concern": data.get("concern", ""),
              "outcome_sought": data.get("outcome_sought", "")}
    origin.update({k: data[k] for k in ("ref", "track") if k in data})
    return origin


def _alert_expected(store: Store, row: dict[str, Any], events: list[dict[str, Any]],
                    refs: dict[int, str]) -> _Expected:
    label = f"Alert {row['ref']}"
    if not events:
        return _Expected(row, label, unlogged=True,
                         problem=f"{label} has no events in the log: nothing records that it "
                                 "was raised.")
    child_id = events[0]["child_id"]
    try:
        origin = _alert_origin(row, events)
    except _UNREADABLE as exc:
        return _Expected(row, label, problem=f"{label}: its raised event cannot be read "
                                             f"({exc}).")
    label = f"Alert {origin.get('ref', row['ref'])}"
    state = AlertState(ref=origin.get("ref", row["ref"]), child=refs.get(child_id, ""),
                       track=origin.get("track", row["track"]))
    for event in events:
        try:
            state = apply_event(state, event["kind"], dt.date.fromisoformat(event["occurred_on"]),
                                json.loads(event["data"]))
        except _UNREADABLE as exc:
            return _Expected(row, label, problem=f"{label}: event {event['id']} cannot be "
                                                 f"folded ({exc}).")
    try:
        own = store_under(store, alert_version(store, row["id"]))
    except (UserError, PolicyInvalid) as exc:
        return _Expected(row, label, problem=f"{label}: its policy cannot be read ({exc}).")
    check = next_check_on(own.policy, own.calendar, state)
    wanted_state = state.to_json()
    wanted = {
        "status": wanted_state["status"], "level": wanted_state["level"],
        "awaiting": wanted_state["awaiting"] or None, "due": wanted_state["due"],
        "category": wanted_state["category"] or None, "formal_due": wanted_state["formal_due"],
        "closed_on": wanted_state["closed_on"], "next_check_on": _iso(check),
        "raised_on": wanted_state["raised_on"], "child_id": child_id, **origin,
    }
    return _Expected(row, label, stored={k: row[k] for k in wanted}, wanted=wanted,
                     state=wanted_state, stored_state=_json_object(row["state"]),
                     next_check=check)


def _alerts(store: Store) -> Iterator[_Expected]:
    refs = {r["id"]: r["case_ref"] for r in store.db.query("SELECT id, case_ref FROM children")}
    for row, events in _paired(store, alert_rows(store.db), "alert_id"):
        yield _alert_expected(store, row, events, refs)


def _alert_findings(store: Store) -> tuple[list[Finding], int]:
    found, count = [], 0
    for e in _alerts(store):
        count += 1
        if e.problem:
            found.append(Finding("alerts", e.problem))
            continue
        texts = _differences(e.label, e.stored, e.wanted, "the alerts table")
        assert e.state is not None and e.stored_state is not None
        texts += _differences(e.label, e.stored_state, e.state, "its saved state")
        found += [Finding("alerts", t) for t in texts]
    for alert_id in orphan_subjects(store.db, "alert_id", "alerts"):
        found.append(Finding("alerts", f"Events name alert id {alert_id}, which is not in the "
                                       "alerts table: its row was deleted."))
    return found, count


def _remove_unlogged(store: Store, table: str, e: _Expected) -> str | None:
    """Remove a row no event names (put in directly); kept, with why, if others refer to it."""
    with attempt(store.db) as refused:
        delete_row(store.db, table, e.row["id"])
    if refused:
        return (f"{e.label} was kept, though no event records it: other records refer to it "
                f"({refused[0]}). Remove it by hand if it was put in by mistake.")
    return None


def _rebuild_alerts(store: Store, notes: list[str]) -> list[str]:
    fixed = []
    for e in _alerts(store):
        if e.unlogged:
            kept = _remove_unlogged(store, "alerts", e)
            notes += [kept] if kept else []
            fixed += [] if kept else [e.row["ref"]]
            continue
        if e.problem or not e.differs:
            continue
        assert e.state is not None
        save_projection(store.db, e.row["id"], e.state, e.next_check)
        restore_alert_origin(store.db, e.row["id"], {
            k: e.wanted[k] for k in ALERT_ORIGIN_COLUMNS if k in e.wanted})
        fixed.append(e.wanted.get("ref", e.row["ref"]))
    return fixed


# -- reviews -------------------------------------------------------------------------------

#: Keys of the ``review_recorded`` event's data that are not part of the form kept in
#: ``reviews.data`` (they are its own columns).
_NOT_IN_FORM = ("decisions_sent_on", "reply_due")


def _recorded_form(event: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The columns a ``review_recorded`` event decides; the form itself (``data`` and
    ``summary``) only from events that hold it whole (they carry ``progress``)."""
    wanted: dict[str, Any] = {
        "reply_status": AWAITING, "decisions_sent_on": data.get("decisions_sent_on"),
        "reply_due": data.get("reply_due"), "rag": data.get("rag"),
        "held_on": data.get("held_on"), "kind": data.get("kind"),
        "recorded_on": event["occurred_on"], "child_id": event["child_id"],
        "reviewer_id": event["actor_id"]}
    if "progress" in data:
        wanted["summary"] = (data["progress"] or "").strip() or f"Plan judged {data.get('rag')}."
    return wanted


def _review_expected(store: Store, row: dict[str, Any], events: list[dict[str, Any]]
                     ) -> _Expected | None:
    """None for a review with events but no ``review_recorded`` (nothing to fold from)."""
    label = f"Review {row['id']}"
    if not events:
        return _Expected(row, label, unlogged=True,
                         problem=f"{label} is in the reviews table, but no event records it: "
                                 "it was put in directly.")
    wanted: dict[str, Any] = {}
    form: dict[str, Any] | None = None
    for event in events:
        try:
            data = json.loads(event["data"])
        except (json.JSONDecodeError, TypeError) as exc:
            return _Expected(row, label, problem=f"{label}: event {event['id']} cannot be "
                                                 f"read ({exc}).")
        kind = event["kind"]
        if kind == "review_recorded":
            wanted.update(_recorded_form(event, data))
            if "progress" in data:
                form = {k: v for k, v in data.items() if k not in _NOT_IN_FORM}
        elif kind == "decisions_agreed":
            wanted["reply_status"] = AGREED
        elif kind == "decisions_disputed":
            wanted["reply_status"] = DISPUTED
        elif "reply_status" in data and kind.startswith("decisions_"):
            wanted["reply_status"] = data["reply_status"]
    if "held_on" not in wanted:  # no recorded form: nothing says what the row should hold
        return None
    try:
        held_on = dt.date.fromisoformat(wanted["held_on"])
        due = dt.date.fromisoformat(wanted["reply_due"]) if wanted["reply_due"] else None
        own = store_under(store, review_version(store, row["id"], held_on))
    except (TypeError, ValueError, UserError, PolicyInvalid) as exc:
        return _Expected(row, label, problem=f"{label}: its recorded form cannot be read "
                                             f"({exc}).")
    clock = DecisionsClock(review_id=row["id"], kind=wanted["kind"], track="",
                           held_on=held_on, reply_due=due, reply_status=wanted["reply_status"])
    wanted["next_check_on"] = _iso(clock_check_on(own.calendar, clock))
    return _Expected(row, label, stored={k: row[k] for k in wanted}, wanted=wanted,
                     state=form, stored_state=None if form is None else _json_object(row["data"]))


def _reviews(store: Store) -> Iterator[_Expected]:
    for row, events in _paired(store, review_rows(store.db), "review_id"):
        expected = _review_expected(store, row, events)
        if expected is not None:
            yield expected


def _review_findings(store: Store) -> tuple[list[Finding], int]:
    found, count = [], 0
    for e in _reviews(store):
        count += 1
        if e.problem:
            found.append(Finding("reviews", e.problem))
            continue
        texts = _differences(e.label, e.stored, e.wanted, "the reviews table")
        if e.state is not None:
            texts += _differences(f"{e.label}'s monitoring form", e.stored_state or {},
                                  e.state, "the reviews table")
        found += [Finding("reviews", t) for t in texts]
    for review_id in orphan_subjects(store.db, "review_id", "reviews"):
        found.append(Finding("reviews", f"Events name review {review_id}, which is not in the "
                                        "reviews table: its row was deleted."))
    return found, count


def _rebuild_reviews(store: Store, notes: list[str]) -> list[int]:
    fixed = []
    for e in _reviews(store):
        if e.unlogged:
            kept = _remove_unlogged(store, "reviews", e)
            notes += [kept] if kept else []
            fixed += [] if kept else [e.row["id"]]
            continue
        if e.problem or not e.differs:
            continue
        values = dict(e.wanted)
        if e.state is not None:
            values["data"] = json.dumps(e.state, sort_keys=True)
        save_review_projection(store.db, e.row["id"], values)
        fixed.append(e.row["id"])
    return fixed


# -- the other tables: a replay of their events, compared row by row --------------------------

Key = tuple[Any, ...]


@dataclass
class Replay:
    """What the log says a table holds: each row's key -> the columns its events record.

    A column no event records (one written before the log carried it) is absent, and so
    neither compared nor rewritten; ``forget`` drops one an old event changed without
    saying to what.
    """

    rows: dict[Key, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def put(self, key: Key, **values: Any) -> None:
        self.rows.setdefault(key, {}).update(values)

    def forget(self, key: Key, *columns: str) -> None:
        for column in columns:
            self.rows.setdefault(key, {}).pop(column, None)


Fold = Callable[[Replay, dict[str, Any], dict[str, Any]], None]
Names = dict[str, dict[int, str]]


@dataclass(frozen=True)
class Table:
    """One projected table: how to replay it, name a row, and put a row back."""

    name: str
    noun: str  # "teams": what the report counts
    key: tuple[str, ...]  # the columns that name a row
    replay: Callable[[sqlite_utils.Database], Replay]
    describe: Callable[[Mapping[str, Any], Names], str]
    required: tuple[str, ...] = ()  # what the log must record for a lost row to be put back
    whole: bool = True  # False: only the rows the log names are its (settings)
    append_only: bool = False  # its triggers refuse UPDATE and DELETE (policy_versions)
    #: Said of a lost row once put back (what the log cannot give it).
    put_back_note: str = ""
    #: A stored row no event made, on purpose (not reported, never removed).
    unlogged: Callable[[Mapping[str, Any]], bool] = lambda row: False
    #: What the policy adds to the replay (the practice concerns' clock).
    finish: Callable[[Store, Replay], Replay] | None = None


@dataclass(frozen=True)
class Difference:
    """One way a table is not its replay: a ``column`` differs, or a row is ``missing``
    (the log has it, the table not) or ``extra`` (the table has it, the log not)."""

    change: str
    key: Key
    label: str
    column: str | None = None
    stored: Any = None
    wanted: Any = None
    rowid: int | None = None

    def text(self, table: str, names: Names) -> str:
        if self.change == "missing":
            return (f"{self.label} is in the log but not in the {table} table: its row was "
                    "deleted.")
        if self.change == "extra":
            return (f"{self.label} is in the {table} table, but no event records it: it was "
                    "put in directly.")
        column = self.column or ""
        if _long_texts(self.stored, self.wanted):
            return (f"{self.label}: its {_word(column)} is not what its events give "
                    f"({_length(self.stored)} in the {table} table, {_length(self.wanted)} in "
                    f"its events; they first differ at character "
                    f"{_first_difference(self.stored, self.wanted):,}).")
        return (f"{self.label}: its {_word(column)} is {_named(column, self.stored, names)} in "
                f"the {table} table, but its events give {_named(column, self.wanted, names)}.")


def _long_texts(a: Any, b: Any) -> bool:
    """Two texts both too long to quote in a message (a policy's YAML)."""
    return isinstance(a, str) and isinstance(b, str) and min(len(a), len(b)) > 60


def _length(text: str) -> str:
    return f"{len(text):,} characters"


def _first_difference(a: str, b: str) -> int:
    """Where two texts part (counting from 1)."""
    return next((n for n, (x, y) in enumerate(zip(a, b, strict=False), 1) if x != y),
                min(len(a), len(b)) + 1)


#: Columns holding the id of a row of another table, to name it in a message.
_REFERS_TO = {
    "child_id": "children", "team_id": "teams", "line_manager_id": "staff",
    "social_worker_id": "staff", "reviewer_id": "staff", "notified_by": "staff",
    "decided_by": "staff", "about_id": "staff", "raised_by": "staff", "worker_id": "staff",
    "recorded_by": "staff",
}


def _named(column: str, value: Any, names: Names) -> str:
    """A value as a message shows it; an id with what it names (a case reference, an
    e-mail address, a team's name) when that is known."""
    name = names.get(_REFERS_TO.get(column, ""), {}).get(value) if value is not None else None
    return f"{_value(value)} ({name})" if name else _value(value)


def _read(db: sqlite_utils.Database, kinds: tuple[str, ...], fold: Fold, *,
          whole_log: bool = False, replay: Replay | None = None) -> Replay:
    """Fold the events of ``kinds``, in log order; an event that cannot be read is a
    problem to report, never a traceback."""
    replay = replay if replay is not None else Replay()
    return _fold_all(logged_events(db, kinds, whole_log=whole_log), fold, replay)


def _fold_all(events: list[dict[str, Any]], fold: Fold, replay: Replay) -> Replay:
    """``events`` folded into ``replay`` one by one; an unreadable one is noted, and the
    rest still folded (one bad event should not hide every other difference)."""
    for event in events:
        try:
            data = json.loads(event["data"])
            if not isinstance(data, dict):
                raise ValueError("its data is not a JSON object")
            fold(replay, event, data)
        except _UNREADABLE as exc:
            replay.problems.append(f"Event {event['id']} ({event['kind']} on "
                                   f"{event['occurred_on']}) cannot be read: {exc}.")
    return replay


def _recorded(data: Mapping[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    """The columns ``data`` records (an older event may record fewer)."""
    return {c: data[c] for c in columns if c in data}


def _stored(db: sqlite_utils.Database, table: Table) -> dict[Key, dict[str, Any]]:
    """The table's rows by key; a second row with the same key is kept under a key of its
    own, so it is reported (and removed) as put in directly."""
    rows: dict[Key, dict[str, Any]] = {}
    for row in stored_rows(db, table.name):
        key = tuple(row[c] for c in table.key)
        rows[key if key not in rows else ("(again)", row["_rowid"])] = row
    return rows


def compare(db: sqlite_utils.Database, table: Table, replay: Replay, names: Names
            ) -> list[Difference]:
    """Every difference between the table and its replay, in key order of the log."""
    stored = _stored(db, table)
    found: list[Difference] = []
    for key, wanted in replay.rows.items():
        row = stored.get(key)
        named = dict(zip(table.key, key, strict=True))
        label = table.describe({**(row or {}), **named, **wanted}, names)
        if row is None:
            found.append(Difference("missing", key, label))
            continue
        found += [Difference("column", key, label, column, row.get(column), value,
                             row["_rowid"])
                  for column, value in wanted.items() if row.get(column) != value]
    if table.whole:
        found += [Difference("extra", key, table.describe(row, names), rowid=row["_rowid"])
                  for key, row in stored.items()
                  if key not in replay.rows and not table.unlogged(row)]
    return found


def _replay(table: Table, db: sqlite_utils.Database, store: Store | None) -> Replay:
    """The table as the log gives it (with what the policy adds, once it can be read)."""
    replay = table.replay(db)
    if table.finish is not None:
        assert store is not None, table.name
        replay = table.finish(store, replay)
    return replay


def _table_findings(db: sqlite_utils.Database, store: Store | None, table: Table
                    ) -> tuple[list[Finding], int]:
    names = names_of(db)
    replay = _replay(table, db, store)
    found = [Finding(table.name, p) for p in replay.problems]
    found += [Finding(table.name, d.text(table.name, names))
              for d in compare(db, table, replay, names)]
    return found, len(replay.rows)


# -- the replays ------------------------------------------------------------------------------


def _fold_voided_ranges(replay: Replay, event: dict[str, Any], data: dict[str, Any]) -> None:
    for first, last in data.get("ranges", []):
        replay.put((data["import_id"], int(first), int(last)))


def _fold_voided_alerts(replay: Replay, event: dict[str, Any], data: dict[str, Any]) -> None:
    for alert_id in data.get("alerts", []):
        replay.put((int(alert_id),), import_id=data["import_id"])


TEAM_COLUMNS = ("name", "service")
STAFF_COLUMNS = ("name", "email", "role", "team_id", "line_manager_id", "active")
CHILD_COLUMNS = ("case_ref", "name", "date_of_birth", "legal_status", "team_id",
                 "social_worker_id", "reviewer_id")
PLACEMENT_COLUMNS = ("placed_with_parents_since", "permanence_plan", "permanence_decision_on",
                     "permanence_placed_on")
#: The words an import's change event names a field by, for events written before they
#: carried the values themselves.
_FIELD_COLUMNS = {"team": "team_id", "line manager": "line_manager_id",
                  "social worker": "social_worker_id", "reviewer": "reviewer_id"}
_CHILD_CHANGES = {"child_changed": (), "reviewer_changed": ("reviewer_id",),
                  "social_worker_changed": ("social_worker_id",)}


def _changed(replay: Replay, key: Key, data: dict[str, Any], columns: tuple[str, ...],
             named: tuple[str, ...] = ()) -> None:
    """An import's change to a row: the values it set, or (an older event, which said only
    what changed in words) those columns forgotten, as the log cannot say what they hold."""
    if "values" in data:
        replay.put(key, **_recorded(data["values"], columns))
        return
    words = list(data.get("changes", {}))
    replay.forget(key, *named, *(_FIELD_COLUMNS.get(w, w.replace(" ", "_")) for w in words))


def _fold_team(replay: Replay, event: dict[str, Any], data: dict[str, Any]) -> None:
    replay.put((data["team_id"],), **_recorded(data, TEAM_COLUMNS))


def _fold_staff(replay: Replay, event: dict[str, Any], data: dict[str, Any]) -> None:
    key = (data["staff_id"],)
    if event["kind"] == "staff_added":
        replay.put(key, **_recorded(data, STAFF_COLUMNS))
    else:
        _changed(replay, key, data, STAFF_COLUMNS)


def _fold_child(replay: Replay, event: dict[str, Any], data: dict[str, Any]) -> None:
    key = (event["child_id"],)
    kind = event["kind"]
    if kind == "child_added":  # a child is added with no placement facts yet
        replay.put(key, **dict.fromkeys(PLACEMENT_COLUMNS), **_recorded(data, CHILD_COLUMNS))
    elif kind == "placement_recorded":
        replay.put(key, **_recorded(data["after"], PLACEMENT_COLUMNS))
    else:
        _changed(replay, key, data, CHILD_COLUMNS, _CHILD_CHANGES[kind])


def _replay_children(db: sqlite_utils.Database) -> Replay:
    """The children the living log adds, and those a rolled-back import added that were kept
    because something living names them (their ``child_added`` is voided, not the child).

    A child that living events name but none added (made before ``child_added`` was
    logged) is the log's too: that it exists is recorded, though not what its row holds.
    """
    replay = _fold_all(kept_children_events(db), _fold_child, Replay())
    replay = _read(db, ("child_added", "placement_recorded", *_CHILD_CHANGES), _fold_child,
                   replay=replay)
    for child_id in children_named(db):
        replay.rows.setdefault((child_id,), {})
    return replay


def _fold_change(replay: Replay, event: dict[str, Any], data: dict[str, Any]) -> None:
    key = (data["change_id"],)
    kind = event["kind"]
    if kind == "significant_change_notified":
        replay.put(key, child_id=event["child_id"], notified_on=event["occurred_on"],
                   notified_by=event["actor_id"], review_date=None, decision_reasons=None,
                   decided_by=None, decided_on=None,
                   **_recorded(data, ("change_type", "happened_on", "description", "status")),
                   **{k: int(bool(data[k])) for k in ("late", "review_before") if k in data})
    elif kind == "review_booked_for_change":
        row = replay.rows.get(key, {})
        replay.put(key, status=data.get("status", "review_booked"),
                   review_date=data["review_date"],
                   decided_by=row.get("decided_by") or event["actor_id"],
                   decided_on=row.get("decided_on") or event["occurred_on"])
    else:  # change_review_needed, change_no_review
        replay.put(key, status=data["status"], decision_reasons=data.get("reasons") or None,
                   decided_by=event["actor_id"], decided_on=event["occurred_on"])


def _fold_concern(replay: Replay, event: dict[str, Any], data: dict[str, Any]) -> None:
    key = (data["concern_id"],)
    kind = event["kind"]
    if kind == REFERRED_KIND:
        replay.put(key, about_id=data["about_id"], raised_by=event["actor_id"],
                   raised_on=event["occurred_on"], concern=data["concern"], status="open",
                   due=data["due"], answered_on=None, answer=None, escalated_to=None,
                   **_recorded(data, ("child_id",)))
    elif kind == ESCALATED_KIND:
        replay.put(key, status="escalated", escalated_to=data["escalated_to"])
    else:
        replay.put(key, status=data["status"], answer=data["answer"],
                   answered_on=event["occurred_on"])


def _concern_clock(store: Store, replay: Replay) -> Replay:
    """The day the clock could next move each concern, under the policy in force (as the
    sweep keeps ``next_check_on``)."""
    for key, row in replay.rows.items():
        if not {"status", "raised_on", "due"} <= set(row):
            continue
        clock = ConcernClock(concern_id=key[0], status=row["status"],
                             raised_on=dt.date.fromisoformat(row["raised_on"]),
                             due=dt.date.fromisoformat(row["due"]) if row["due"] else None)
        row["next_check_on"] = _iso(concern_check_on(store.policy, store.calendar, clock))
    return replay


def _fold_good_practice(replay: Replay, event: dict[str, Any], data: dict[str, Any]) -> None:
    replay.put((data["good_practice_id"],), child_id=event["child_id"],
               recorded_by=event["actor_id"], recorded_on=event["occurred_on"],
               **_recorded(data, ("worker_id", "team_id", "what")))


def _version_text(data: dict[str, Any]) -> dict[str, Any]:
    """The version's text and why, from events written since the log carries them."""
    if "yaml" not in data:
        return {}
    return {"yaml": data["yaml"], "sha256": digest(data["yaml"]),
            "reason": data.get("version_reason", "")}


def _fold_version(replay: Replay, event: dict[str, Any], data: dict[str, Any]) -> None:
    if event["kind"] == "store_created":  # version 1; a store upgraded to keep versions
        replay.put((1,), policy_id=data["policy_id"])  # got its row without this event
        if "yaml" in data:
            replay.put((1,), effective_from=event["occurred_on"], adopted_by=data["adopted_by"],
                       recorded_on=event["occurred_on"], event_id=event["id"],
                       **_version_text(data))
        return
    replay.put((data["version"],), policy_id=data["policy_id"],
               effective_from=data["effective_from"], adopted_by=data["adopted_by"],
               recorded_on=event["occurred_on"], event_id=event["id"], **_version_text(data))


def _fold_settings(replay: Replay, event: dict[str, Any], data: dict[str, Any]) -> None:
    replay.put(("policy_id",), value=data["policy_id"])
    replay.put(("created_on",), value=event["occurred_on"])


def _replaying(kinds: tuple[str, ...], fold: Fold, *, whole_log: bool = False
               ) -> Callable[[sqlite_utils.Database], Replay]:
    return lambda db: _read(db, kinds, fold, whole_log=whole_log)


# -- how each row is named in a message ----------------------------------------------------------


def _child(row: Mapping[str, Any], names: Names) -> str:
    child_id = row.get("child_id")
    if child_id is None:
        return ""
    return f" (child {names['children'].get(child_id, f'id {child_id}')})"


def _about_range(row: Mapping[str, Any], names: Names) -> str:
    return (f"The voided range of events {row['first_id']} to {row['last_id']} (the "
            f"rolled-back import {row['import_id']})")


def _about_voided_alert(row: Mapping[str, Any], names: Names) -> str:
    return f"Alert id {row['alert_id']} (voided by the rolled-back import {row.get('import_id')})"


def _about_team(row: Mapping[str, Any], names: Names) -> str:
    return f"Team {row.get('name') or '(no name)'} (id {row['id']})"


def _about_staff(row: Mapping[str, Any], names: Names) -> str:
    return f"Staff member {row.get('email') or '(no e-mail)'} (id {row['id']})"


def _about_child(row: Mapping[str, Any], names: Names) -> str:
    return f"Child {row.get('case_ref') or '(no case reference)'} (id {row['id']})"


def _about_change(row: Mapping[str, Any], names: Names) -> str:
    return f"Significant change {row['id']}{_child(row, names)}"


def _about_concern(row: Mapping[str, Any], names: Names) -> str:
    about = row.get("about_id")
    whom = names["staff"].get(about, f"id {about}") if about is not None else "someone"
    return f"Practice concern {row['id']} (about {whom})"


def _about_note(row: Mapping[str, Any], names: Names) -> str:
    return f"Note of good practice {row['id']}{_child(row, names)}"


def _backfilled_version(row: Mapping[str, Any]) -> bool:
    """Version 1 of a store made before versions were kept: written by the upgrade
    (``ensure_versions``) from the preset, with no event, as its history predates them."""
    return row["version"] == 1 and row["event_id"] is None


def _about_version(row: Mapping[str, Any], names: Names) -> str:
    return f"Policy version {row['version']}"


def _about_setting(row: Mapping[str, Any], names: Names) -> str:
    return f"The setting '{row['key']}'"


#: The tables replayed here, in the order rebuild writes them (what a row refers to first).
TABLES: tuple[Table, ...] = (
    Table("voided_event_ranges", "ranges of voided events", ("import_id", "first_id", "last_id"),
          _replaying(("import_rolled_back",), _fold_voided_ranges, whole_log=True),
          _about_range),
    Table("voided_alerts", "voided alerts", ("alert_id",),
          _replaying(("import_rolled_back",), _fold_voided_alerts, whole_log=True),
          _about_voided_alert, required=("import_id",)),
    Table("policy_versions", "policy versions", ("version",),
          _replaying(("store_created", "policy_version_adopted"), _fold_version),
          _about_version, required=("policy_id", "yaml", "sha256", "effective_from",
                                    "adopted_by", "recorded_on"), append_only=True,
          unlogged=_backfilled_version),
    Table("settings", "settings the log records", ("key",),
          _replaying(("store_created",), _fold_settings), _about_setting,
          required=("value",), whole=False),
    Table("teams", "teams", ("id",), _replaying(("team_added",), _fold_team), _about_team,
          required=("name",)),
    Table("staff", "members of staff", ("id",),
          _replaying(("staff_added", "staff_changed"), _fold_staff), _about_staff,
          required=("name", "email", "role"),
          put_back_note="it has no password (the log never holds one): set one with "
                        "'python manage.py users set-password', or sign in through single "
                        "sign-on."),
    Table("children", "children", ("id",),
          _replay_children, _about_child, required=("case_ref", "name", "legal_status")),
    Table("significant_changes", "significant changes", ("id",),
          _replaying(("significant_change_notified", "review_booked_for_change",
                      "change_review_needed", "change_no_review"), _fold_change),
          _about_change, required=("child_id", "change_type", "happened_on", "notified_on",
                                   "description", "status")),
    Table("practice_concerns", "concerns about practice", ("id",),
          _replaying((REFERRED_KIND, ESCALATED_KIND, ANSWERED_KIND), _fold_concern),
          _about_concern, required=("about_id", "raised_on", "concern", "status"),
          finish=_concern_clock),
    Table("good_practice", "notes of good practice", ("id",),
          _replaying(("good_practice_noted",), _fold_good_practice), _about_note,
          required=("what", "recorded_on")),
)
#: Replayed before the policy is read, as the policy is read from them (and what was rolled
#: back decides what every other replay reads).
_WITHOUT_POLICY = ("voided_event_ranges", "voided_alerts", "policy_versions", "settings")
#: Then the people (alerts and reviews refer to them), then alerts and reviews, then these.
_PEOPLE = ("teams", "staff", "children")
_AFTER = ("significant_changes", "practice_concerns", "good_practice")


def _present(db: sqlite_utils.Database, table: Table) -> bool:
    return has_table(db, table.name)


# -- rebuilding one table -----------------------------------------------------------------------


@dataclass
class TableRebuilt:
    """What rebuild did to one table: the rows corrected, and what it could not do."""

    table: str
    corrected: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        labels = list(dict.fromkeys(self.corrected))
        shown = ", ".join(labels[:10]) + (", ..." if len(labels) > 10 else "")
        out = [f"Rebuilt the {self.table} table from the log: {len(labels)} corrected"
               + (f" ({shown})" if labels else "") + "."]
        return out + [f"  - {note}" for note in self.notes]


def _put_back(db: sqlite_utils.Database, table: Table, d: Difference, wanted: dict[str, Any],
              result: TableRebuilt) -> None:
    """A row the log has and the table lost: its key and required columns now (the rest
    follow as corrections, once every row it may refer to is back)."""
    lacking = [c for c in table.required if c not in wanted]
    if lacking:
        result.notes.append(f"{d.label} could not be put back: the log does not record its "
                            + ", ".join(_word(c) for c in lacking) + ".")
        return
    with attempt(db) as refused:
        insert_row(db, table.name, {**dict(zip(table.key, d.key, strict=True)),
                                          **{c: wanted[c] for c in table.required}})
    if refused:
        result.notes.append(f"{d.label} could not be put back: {refused[0]}.")
        return
    result.corrected.append(d.label)
    if table.put_back_note:
        result.notes.append(f"{d.label} was put back; {table.put_back_note}")


def _correct(db: sqlite_utils.Database, table: Table, key: Key, label: str,
             values: dict[str, Any], result: TableRebuilt) -> None:
    rowid = rowid_of(db, table.name, dict(zip(table.key, key, strict=True)))
    if rowid is None or not values:
        return
    with attempt(db) as refused:
        update_row(db, table.name, rowid, values)
    if refused:
        result.notes.append(f"{label} could not be corrected: {refused[0]}.")
    else:
        result.corrected.append(label)


def _remove(db: sqlite_utils.Database, table: Table, d: Difference, result: TableRebuilt
            ) -> None:
    assert d.rowid is not None
    with attempt(db) as refused:
        delete_row(db, table.name, d.rowid)
    if refused:
        result.notes.append(f"{d.label} was kept, though no event records it: other records "
                            f"refer to it ({refused[0]}). Remove it by hand if it was put in "
                            "by mistake.")
    else:
        result.corrected.append(d.label)


def _rebuild_table(db: sqlite_utils.Database, store: Store | None, table: Table
                   ) -> TableRebuilt:
    """Put back lost rows, correct changed columns, remove rows no event records."""
    result = TableRebuilt(table.name)
    replay = _replay(table, db, store)
    result.notes += replay.problems
    found = compare(db, table, replay, names_of(db))
    if not found:
        return result
    if table.append_only:  # its triggers are lifted for these corrections alone
        with append_only_lifted(db, table.name):
            _apply(db, table, replay, found, result)
    else:
        _apply(db, table, replay, found, result)
    return result


def _apply(db: sqlite_utils.Database, table: Table, replay: Replay, found: list[Difference],
           result: TableRebuilt) -> None:
    changes: dict[Key, tuple[str, dict[str, Any]]] = {}
    for d in found:
        if d.change == "missing":  # every lost row first: the others may refer to it
            _put_back(db, table, d, replay.rows[d.key], result)
            changes[d.key] = (d.label, {c: v for c, v in replay.rows[d.key].items()
                                        if c not in table.required})
    for d in found:
        if d.change == "column" and d.column is not None:
            changes.setdefault(d.key, (d.label, {}))[1][d.column] = d.wanted
    for key, (label, values) in changes.items():
        _correct(db, table, key, label, values, result)
    for d in found:
        if d.change == "extra":
            _remove(db, table, d, result)


def _rebuild_tables(db: sqlite_utils.Database, store: Store | None, names: tuple[str, ...]
                    ) -> list[TableRebuilt]:
    return [_rebuild_table(db, store, table) for table in TABLES
            if table.name in names and _present(db, table)]


# -- verify --------------------------------------------------------------------------------


def _checked(result: Verification, area: str, check: Callable[[], None]) -> None:
    """Run one check; a store too damaged to read is reported, never a traceback."""
    try:
        check()
    except UserError as exc:
        result.findings.append(Finding(area, str(exc)))
    except _UNREADABLE as exc:
        result.findings.append(Finding(area, f"Could not be checked: {exc}."))


def _log_checks(db: sqlite_utils.Database, path: str | Path, result: Verification) -> None:
    """The guard and the hash chain: is the log itself what was written?"""

    def guard() -> None:
        problems = guard_problems(db)
        result.findings += [Finding("guard", p) for p in problems]
        if not problems:
            result.checked.append("The event log's guard is whole: every trigger is on "
                                  "'events' as written.")

    def chain() -> None:
        if not has_events_table(db):
            return  # the guard's check says so
        if not chain_kept(db):
            result.findings.append(Finding(
                "store", "This store keeps no hash chain yet: it has not been upgraded. Start "
                f"the app, or run 'python manage.py rebuild --db {path}', to upgrade it."))
            return
        breaks = chain_breaks(db)
        result.findings += [Finding("chain", b.text, b.event_id, b.change) for b in breaks]
        head = chain_head(db)
        if not breaks:
            result.checked.append(f"The hash chain holds over {head.events} events; the latest "
                                  f"is event {head.last_id}, hash {head.last_hash}.")

    _checked(result, "guard", guard)
    _checked(result, "chain", chain)


def _table_check(result: Verification, db: sqlite_utils.Database, store: Store | None,
                 names: tuple[str, ...]) -> None:
    """Compare the tables ``names`` with their replays (``store`` None: before the policy
    can be read)."""

    def check(table: Table) -> Callable[[], None]:
        def run() -> None:
            if not _present(db, table):
                result.checked.append(f"The {table.name} table is not in this store (it is "
                                      "older than that table): not compared.")
                return
            found, count = _table_findings(db, store, table)
            result.findings += found
            if not found:
                result.checked.append(f"All {count} {table.noun} in the {table.name} table "
                                      "match what their events give.")
        return run

    for table in TABLES:
        if table.name in names:
            _checked(result, table.name, check(table))


def _projection_checks(store: Store, result: Verification) -> None:
    """People, alerts, reviews and the rest, against their replays under the policy."""

    def alerts() -> None:
        found, count = _alert_findings(store)
        result.findings += found
        if not found:
            result.checked.append(f"All {count} alerts match what their events give.")

    def reviews() -> None:
        found, count = _review_findings(store)
        result.findings += found
        if not found:
            result.checked.append(f"All {count} reviews' forms and decisions match what "
                                  "their events give.")

    def facts() -> None:
        if not has_table(store.db, "alert_levels_reached"):
            return
        found = fact_differences(store.db)
        result.findings += [Finding("alert_facts", text) for text in found]
        if not found:
            result.checked.append("The dashboard's alert facts (levels reached, responses) "
                                  "match what the alerts' events give.")

    def impacts() -> None:
        if not has_table(store.db, "alert_impacts"):
            return
        found = impact_differences(store.db)
        result.findings += [Finding("alert_impacts", text) for text in found]
        if not found:
            result.checked.append("What resolved alerts changed for the child, and whether "
                                  "it lasted, matches what their events give.")

    def imports() -> None:
        unfinished = describe_unfinished(store)
        result.findings += [Finding("imports", text) for text in unfinished]
        if not unfinished:
            result.checked.append("No import of alert histories was left unfinished.")

    _checked(result, "imports", imports)
    _table_check(result, store.db, store, _PEOPLE)
    _checked(result, "alerts", alerts)
    _checked(result, "alert_facts", facts)
    _checked(result, "alert_impacts", impacts)
    _checked(result, "reviews", reviews)
    _table_check(result, store.db, store, _AFTER)


def verify_db(db: sqlite_utils.Database, path: str | Path) -> Verification:
    """Verify an open store (nothing is written)."""
    result = Verification(path=str(path))
    _log_checks(db, path, result)
    if not has_events_table(db):
        result.checked.append("The tables were not compared: there is no event log.")
        return result
    _table_check(result, db, None, _WITHOUT_POLICY)
    store: list[Store] = []
    _checked(result, "store", lambda: store.append(
        Store(db=db, policy=policy_in_store(db, path), path=Path(path))))
    if store:
        _projection_checks(store[0], result)
    return result


def verify_store(path: str | Path) -> Verification:
    """Check the guard, the hash chain and the projections of the store at ``path``."""
    path = _require(path)
    try:
        db = open_db(path)
    except sqlite3.Error as exc:
        raise UserError(f"{path} could not be opened as a store: {exc}.") from None
    try:
        if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'settings'").fetchone() is None:
            raise UserError(f"{path} is not a store made by this application.")
        return verify_db(db, path)
    except sqlite3.DatabaseError as exc:
        raise UserError(f"{path} could not be read as a store: {exc}.") from None
    finally:
        db.close()


# -- rebuild -------------------------------------------------------------------------------


@dataclass
class Rebuilt:
    """What rebuild put right, and the verification that followed."""

    verification: Verification
    alerts: list[str] = field(default_factory=list)
    reviews: list[int] = field(default_factory=list)
    guard: list[str] = field(default_factory=list)
    tables: list[TableRebuilt] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # alerts and reviews it could not mend
    facts: bool = False  # the dashboard's alert facts were written again
    impacts: bool = False  # the resolved alerts' impact was written again

    def lines(self) -> list[str]:
        out = [f"Put back the event log's guard: {p}" for p in self.guard]
        before = [t for t in self.tables if t.table not in _AFTER]
        for table in before:
            out += table.lines()
        out.append(f"Rebuilt the alerts from the log: {len(self.alerts)} corrected"
                   + (f" ({', '.join(self.alerts[:20])}{', ...' if len(self.alerts) > 20 else ''})"
                      if self.alerts else "") + ".")
        if self.facts:
            out.append("Rebuilt the dashboard's alert facts (levels reached, responses) from "
                       "the log.")
        if self.impacts:
            out.append("Rebuilt what resolved alerts changed for the child from the log.")
        out.append(f"Rebuilt the reviews' forms and decisions from the log: {len(self.reviews)} "
                   "corrected.")
        out += [f"  - {note}" for note in self.notes]
        for table in self.tables:
            if table not in before:
                out += table.lines()
        return out + self.verification.lines()


def _refuse_a_changed_history(db: sqlite_utils.Database, path: Path) -> list[str]:
    """Before rebuilding: the log must be intact, and its guard whole or only missing.

    Returns the guard problems put right (missing triggers, put back: the chain shows
    nothing was changed while they were away).
    """
    if not chain_kept(db):
        return []  # an old store: the upgrade seals its chain and adds the guard
    problems = guard_problems(db)
    if not has_events_table(db):
        raise UserError(f"{path} has no 'events' table to rebuild from. " + " ".join(problems)
                        + " Restore the store from a backup.")
    breaks = chain_breaks(db)
    if breaks:
        first = breaks[0]
        raise UserError(
            f"The event log's history was changed (the first break is at event "
            f"{first.event_id}: {first.text}) Rebuilding from it would spread the change to "
            f"every table: nothing was rebuilt. Restore the store from a backup; "
            f"'python manage.py verify --db {path}' lists every change.")
    if problems and not missing_guard_only(db):
        raise UserError(f"The event log's guard was tampered with: {' '.join(problems)} "
                        "Nothing was rebuilt. Restore the store from a backup.")
    if problems:
        with write_transaction(db):
            ensure_event_log_guards(db)
    return problems


def _rebuild_facts(db: sqlite_utils.Database) -> bool:
    """The dashboard's alert facts written again from the log, if they differ from it."""
    if not has_table(db, "alert_levels_reached") or not fact_differences(db):
        return False
    refill_facts(db)
    return True


def _rebuild_impacts(db: sqlite_utils.Database) -> bool:
    """The resolved alerts' impact written again from the log, if it differs from it."""
    if not has_table(db, "alert_impacts") or not impact_differences(db):
        return False
    refill_impacts(db)
    return True


def _rebuild_all(db: sqlite_utils.Database, path: Path, rebuilt: Rebuilt) -> None:
    """Every projection, in the order they depend on each other: which imports were rolled
    back (every other replay reads the log without them) and the policy's versions (the
    policy is read from them) first, then people, alerts and reviews, then the rest."""
    rebuilt.tables = _rebuild_tables(db, None, _WITHOUT_POLICY)
    store = Store(db=db, policy=policy_in_store(db, path), path=path)
    rebuilt.tables += _rebuild_tables(db, store, _PEOPLE)
    rebuilt.alerts = _rebuild_alerts(store, rebuilt.notes)
    rebuilt.facts = _rebuild_facts(db)
    rebuilt.impacts = _rebuild_impacts(db)
    rebuilt.reviews = _rebuild_reviews(store, rebuilt.notes)
    rebuilt.tables += _rebuild_tables(db, store, _AFTER)


def rebuild_store(path: str | Path) -> Rebuilt:
    """Write every projection again from the log (one transaction), then verify. Refuses a
    store whose history was changed: restore that from a backup."""
    path = _require(path)
    db = open_db(path)
    try:
        guard = _refuse_a_changed_history(db, path)
    finally:
        db.close()
    prepare_store(path)  # upgrade, as every command does (and check the guard after)
    db = open_db(path)
    try:
        rebuilt = Rebuilt(Verification(str(path)), guard=guard)
        try:
            with write_transaction(db):
                _rebuild_all(db, path, rebuilt)
        except UserError as exc:
            raise UserError(f"Nothing was rebuilt: {exc}") from None
        except _UNREADABLE as exc:
            raise UserError(f"Nothing was rebuilt: the store could not be read ({exc}). "
                            f"'python manage.py verify --db {path}' lists what is wrong; "
                            "restore the store from a backup if it cannot be put right.") from None
        rebuilt.verification = verify_db(db, path)
        return rebuilt
    finally:
        db.close()
