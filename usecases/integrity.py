"""Proving a store is what its event log says, and rebuilding what it does not.

``verify`` reads only: the event log's guard and hash chain (``db.integrity``), then each
projection against a fold of its events. ``rebuild`` writes the projections back from
the log in one transaction, then verifies. A log whose history was changed is never
rebuilt from: that would spread the change to every table.

Covered projections: the alerts table (the folded state JSON and every column
``db.alerts.save_projection`` writes, plus the child and the day raised), and the reviews
table's decisions (status, dates, the reply's status and the sweep's next check).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

import sqlite_utils

from db.alerts import save_projection
from db.connection import open_db, write_transaction
from db.integrity import (
    alert_rows,
    chain_breaks,
    chain_head,
    chain_kept,
    guard_problems,
    has_events_table,
    missing_guard_only,
    orphan_subjects,
    restore_alert_origin,
    review_rows,
    save_review_projection,
    subject_events,
)
from db.schema import ensure_event_log_guards
from rules.alert_rules import next_check_on
from rules.alert_state import AlertState, apply_event
from rules.policy import PolicyInvalid
from rules.review_rules import AGREED, AWAITING, DISPUTED, DecisionsClock, clock_check_on
from usecases.errors import UserError
from usecases.policy_versions import alert_version, policy_in_store, review_version, store_under
from usecases.store import Store, prepare_store

#: Problems listed per area before "and N more".
SHOWN = 50
#: Errors that mean "this could not be read", said in words instead of a traceback.
_UNREADABLE = (sqlite3.Error, ValueError, KeyError, TypeError, AttributeError, PolicyInvalid)

_WORDS = {
    "status": "status", "level": "level", "awaiting": "who must act", "due": "response due date",
    "category": "category", "formal_due": "formal deadline", "closed_on": "closing date",
    "next_check_on": "next check date", "raised_on": "date raised", "child_id": "child (id)",
    "reply_status": "reply status", "decisions_sent_on": "date the decisions were sent",
    "reply_due": "reply due date", "rag": "RAG judgement", "held_on": "meeting date",
    "kind": "kind", "recorded_on": "date recorded", "reviewer_id": "reviewer (id)",
}


@dataclass(frozen=True)
class Finding:
    """One thing that is not as the log says; ``event_id``/``change`` for the chain."""

    area: str  # "store", "guard", "chain", "alerts" or "reviews"
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
        for area, title in (("store", "The store"), ("guard", "The event log's guard"),
                            ("chain", "The hash chain"), ("alerts", "The alerts table"),
                            ("reviews", "The reviews table")):
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
    return "none" if value in (None, "") else repr(value) if isinstance(value, str) else str(value)


def _differences(what: str, stored: dict[str, Any], wanted: dict[str, Any], where: str
                 ) -> list[str]:
    return [f"{what}: its {_WORDS.get(k, k.replace('_', ' '))} is {_value(stored.get(k))} in "
            f"{where}, but its events give {_value(wanted.get(k))}."
            for k in sorted(set(stored) | set(wanted)) if stored.get(k) != wanted.get(k)]


# -- alerts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Expected:
    """A row's stored values beside what its events give; ``problem`` if they cannot."""

    row: dict[str, Any]
    label: str
    stored: dict[str, Any] = field(default_factory=dict)
    wanted: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] | None = None  # alerts: the folded state, as save_projection keeps
    stored_state: dict[str, Any] | None = None
    next_check: dt.date | None = None
    problem: str | None = None


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


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _alert_expected(store: Store, row: dict[str, Any], events: list[dict[str, Any]],
                    refs: dict[int, str]) -> _Expected:
    label = f"Alert {row['ref']}"
    if not events:
        return _Expected(row, label, problem=f"{label} has no events in the log: nothing "
                                             "records that it was raised.")
    child_id = events[0]["child_id"]
    state = AlertState(ref=row["ref"], child=refs.get(child_id, ""), track=row["track"])
    for event in events:
        try:
            state = apply_event(state, event["kind"], dt.date.fromisoformat(event["occurred_on"]),
                                json.loads(event["data"]))
        except (*_UNREADABLE, json.JSONDecodeError) as exc:
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
        "raised_on": wanted_state["raised_on"], "child_id": child_id,
    }
    try:
        stored_state = json.loads(row["state"])
        if not isinstance(stored_state, dict):
            raise ValueError("not a JSON object")
    except (json.JSONDecodeError, TypeError, ValueError):
        stored_state = {"(the saved state)": "unreadable"}
    return _Expected(row, label, stored={k: row[k] for k in wanted}, wanted=wanted,
                     state=wanted_state, stored_state=stored_state, next_check=check)


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


def _rebuild_alerts(store: Store) -> list[str]:
    fixed = []
    for e in _alerts(store):
        if e.problem or (e.stored == e.wanted and e.stored_state == e.state):
            continue
        assert e.state is not None
        save_projection(store.db, e.row["id"], e.state, e.next_check)
        restore_alert_origin(store.db, e.row["id"], child_id=e.wanted["child_id"],
                             raised_on=e.wanted["raised_on"])
        fixed.append(e.row["ref"])
    return fixed


# -- reviews -------------------------------------------------------------------------------


def _review_expected(store: Store, row: dict[str, Any], events: list[dict[str, Any]]
                     ) -> _Expected | None:
    """None for a review no ``review_recorded`` event made (nothing to fold from)."""
    label = f"Review {row['id']}"
    wanted: dict[str, Any] = {}
    for event in events:
        try:
            data = json.loads(event["data"])
        except (json.JSONDecodeError, TypeError) as exc:
            return _Expected(row, label, problem=f"{label}: event {event['id']} cannot be "
                                                 f"read ({exc}).")
        kind = event["kind"]
        if kind == "review_recorded":
            wanted.update(reply_status=AWAITING, decisions_sent_on=data.get("decisions_sent_on"),
                          reply_due=data.get("reply_due"), rag=data.get("rag"),
                          held_on=data.get("held_on"), kind=data.get("kind"),
                          recorded_on=event["occurred_on"], child_id=event["child_id"],
                          reviewer_id=event["actor_id"])
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
    return _Expected(row, label, stored={k: row[k] for k in wanted}, wanted=wanted)


def _reviews(store: Store) -> Iterator[_Expected]:
    for row, events in _paired(store, review_rows(store.db), "review_id"):
        expected = _review_expected(store, row, events)
        if expected is not None:
            yield expected


def _review_findings(store: Store) -> tuple[list[Finding], int]:
    found, count = [], 0
    for e in _reviews(store):
        count += 1
        texts = [e.problem] if e.problem else _differences(e.label, e.stored, e.wanted,
                                                           "the reviews table")
        found += [Finding("reviews", t) for t in texts]
    for review_id in orphan_subjects(store.db, "review_id", "reviews"):
        found.append(Finding("reviews", f"Events name review {review_id}, which is not in the "
                                        "reviews table: its row was deleted."))
    return found, count


def _rebuild_reviews(store: Store) -> list[int]:
    fixed = []
    for e in _reviews(store):
        if not e.problem and e.stored != e.wanted:
            save_review_projection(store.db, e.row["id"], e.wanted)
            fixed.append(e.row["id"])
    return fixed


# -- verify --------------------------------------------------------------------------------


def _checked(result: Verification, area: str, check: Callable[[], None]) -> None:
    """Run one check; a store too damaged to read is reported, never a traceback."""
    try:
        check()
    except UserError as exc:
        result.findings.append(Finding(area, str(exc)))
    except (*_UNREADABLE, json.JSONDecodeError) as exc:
        result.findings.append(Finding(area, f"Could not be checked: {exc}."))


def verify_db(db: sqlite_utils.Database, path: str | Path) -> Verification:
    """Verify an open store (nothing is written)."""
    result = Verification(path=str(path))

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
    if not has_events_table(db):
        result.checked.append("The tables were not compared: there is no event log.")
        return result
    store: list[Store] = []
    _checked(result, "store", lambda: store.append(
        Store(db=db, policy=policy_in_store(db, path), path=Path(path))))
    if not store:
        return result

    def alerts() -> None:
        found, count = _alert_findings(store[0])
        result.findings += found
        if not found:
            result.checked.append(f"All {count} alerts match what their events give.")

    def reviews() -> None:
        found, count = _review_findings(store[0])
        result.findings += found
        if not found:
            result.checked.append(f"All {count} reviews' decisions match what their events "
                                  "give.")

    _checked(result, "alerts", alerts)
    _checked(result, "reviews", reviews)
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

    def lines(self) -> list[str]:
        out = [f"Put back the event log's guard: {p}" for p in self.guard]
        out.append(f"Rebuilt the alerts from the log: {len(self.alerts)} corrected"
                   + (f" ({', '.join(self.alerts[:20])}{', ...' if len(self.alerts) > 20 else ''})"
                      if self.alerts else "") + ".")
        out.append(f"Rebuilt the reviews' decisions from the log: {len(self.reviews)} "
                   "corrected.")
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


def rebuild_store(path: str | Path) -> Rebuilt:
    """Write the alerts and reviews projections again from the log (one transaction), then
    verify. Refuses a store whose history was changed: restore that from a backup."""
    path = _require(path)
    db = open_db(path)
    try:
        guard = _refuse_a_changed_history(db, path)
    finally:
        db.close()
    prepare_store(path)  # upgrade, as every command does (and check the guard after)
    db = open_db(path)
    try:
        store = Store(db=db, policy=policy_in_store(db, path), path=path)
        with write_transaction(db):
            alerts = _rebuild_alerts(store)
            reviews = _rebuild_reviews(store)
        return Rebuilt(verify_db(db, path), alerts, reviews, guard)
    finally:
        db.close()
