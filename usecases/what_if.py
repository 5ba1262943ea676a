"""What-if: every alert history in the store replayed as if a draft policy had been in force.

DESIGN.md, "Policy versions and what-if": people's actions stay as recorded, on their
dates; what time does (silence, escalation, overdue prompts, the formal cap) is remade by
the same rules the sweep uses (``rules.alert_rules``: :func:`decide_command` for each action,
:func:`advance` for the clock). Derived events are never taken from the log under the
draft: they are made again.

For each alert raised between ``start`` and ``end`` (inclusive):

- **actual**: the alert as the store records it on ``end``: its logged events up to ``end``
  folded, and whatever the clock owed by ``end`` under the version the alert runs under
  (what ``export-alerts`` shows, whether or not the sweep has run);
- **draft**: its person events up to ``end`` played, in order and on their dates, through
  the engine under the draft, with the clock run between them and up to ``end``.

Actions the draft refuses. A recorded action may not fit the draft's history: a manager's
response at Level 1 arrives after, under the draft, silence already took the alert to
Level 2; an escalation by hand to a level the draft already reached by itself; a "not
satisfied" with no response to be dissatisfied with. Such an action is **left out and
counted** (``refused_actions``, and one line each under ``refused`` with the rules' own
reason) and the replay carries on with the next action: the alert continues as the draft
would have had it. A manager's action (respond, ask for more time, acknowledge) counts for
the draft when the draft has the alert at the same level (matched by role, or by level
number when the draft's ladder has other roles) and is made by whoever the draft has at
that level. If the draft refuses the raising itself (it has no such track, category or
bypass), the alert is counted under ``not_raised`` and nothing more of it is replayed.

Nothing is written: the replay reads the store through a connection that refuses writes.
Long replays can use several processes (``workers``); ``progress(done, total)`` is called as
alerts are finished.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import multiprocessing
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rules.alert_rules as alert_rules
from db import outcomes
from db.connection import open_db
from rules.alert_rules import ADDRESSEE_ONLY, advance, decide_command, fold
from rules.alert_state import INFORMAL, USER_EVENTS, AlertState, apply_event
from rules.alert_transitions import Command, informal_addressee
from rules.legacy import with_not_recorded
from rules.policy import Policy, PolicyInvalid, Track
from rules.policy_check import read_policy_file, read_policy_text
from rules.policy_migration import MIGRATED, apply_migration
from rules.working_days import WorkingCalendar, calendar_for
from usecases.errors import UserError
from usecases.policy_versions import alert_version, policy_for, policy_in_store, version_rows
from usecases.store import Store

Progress = Callable[[int, int], None]

#: The per-alert figures compared between the actual history and the draft's.
FIELDS = ("raised", "status", "level", "highest_level", "due", "formal_due",
          "escalated_by_silence", "overdue_prompts", "late_responses", "over_cap",
          "refused_actions")
#: Alerts handed to a worker at a time.
CHUNK = 250
#: Times one alert's replay is tried before its error is raised (see _run_chunk).
ATTEMPTS = 3


@dataclass(frozen=True)
class Draft:
    """A draft policy: its text (what the workers read) and the checked policy."""

    text: str
    file_name: str
    policy: Policy


def draft_from_text(text: str, file_name: str) -> Draft:
    """A draft held as text, checked as ``policy check`` checks a file called ``file_name``;
    PolicyInvalid listing every problem otherwise."""
    policy, problems = read_policy_text(text, file_name)
    if problems or policy is None:
        raise PolicyInvalid(problems)
    return Draft(text=text, file_name=Path(file_name).name, policy=policy)


def draft_from_file(path: str | Path) -> Draft:
    """A draft policy file, checked as ``policy check`` checks it."""
    policy, problems = read_policy_file(path)
    if problems or policy is None:
        raise PolicyInvalid(problems)
    return Draft(text=Path(path).read_text(encoding="utf-8"), file_name=Path(path).name,
                 policy=policy)


@dataclass
class WhatIf:
    """The comparison: totals under the actual history and under the draft, and what
    differs alert by alert."""

    start: dt.date | None
    end: dt.date
    draft_policy: str
    alerts: int = 0
    changed: int = 0
    actual: dict[str, Any] = field(default_factory=dict)
    draft: dict[str, Any] = field(default_factory=dict)
    differences: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    evaluations: int | None = None  # rule evaluations the draft replay needed, if counted

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat(),
            "draft_policy": self.draft_policy,
            "alerts": self.alerts,
            "changed": self.changed,
            "actual": self.actual,
            "draft": self.draft,
            "differences": self.differences,
            "refused": self.refused,
        }


# -- one alert ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Logged:
    on: dt.date
    kind: str
    actor_role: str
    actor_id: int | None
    data: dict[str, Any]
    rule: str | None
    policy_version: int | None


@dataclass
class _Tally:
    """What one side of one alert came to."""

    raised: bool = False
    reached: list[str] = field(default_factory=list)  # levels reached, in order
    escalated_by_silence: int = 0
    overdue_prompts: int = 0
    responses: int = 0
    late_responses: int = 0
    refused: list[tuple[dt.date, str, str]] = field(default_factory=list)

    def see(self, kind: str, on: dt.date, data: dict[str, Any], rule: str | None) -> None:
        if kind in ("raised", "escalated"):
            self.raised = True
            level = data.get("level", "")
            if level and level not in self.reached:
                self.reached.append(level)
        if kind == "escalated" and rule == "silence_escalates":
            self.escalated_by_silence += 1
        elif kind == "overdue":
            self.overdue_prompts += 1
        elif kind == "responded":
            self.responses += 1
            due = data.get("due")
            if not outcomes.on_time(on, dt.date.fromisoformat(due) if due else None):
                self.late_responses += 1


class _Context:
    """What every alert's replay needs: the draft, and the store's versions."""

    def __init__(self, store: Store, draft: Draft, end: dt.date) -> None:
        self.store = store
        self.end = end
        self.draft = with_not_recorded(draft.policy)
        self.draft_calendar = calendar_for(draft.policy.closure_days)
        self.known_versions = {row.version for row in version_rows(store.db)} or {
            store.policy.version}
        self._policies: dict[int, tuple[Policy, WorkingCalendar]] = {}

    def actual(self, version: int) -> tuple[Policy, WorkingCalendar]:
        if version not in self._policies:
            policy = policy_for(self.store, version)
            self._policies[version] = (policy, calendar_for(policy.closure_days))
        return self._policies[version]


def _version(ctx: _Context, alert_id: int, logged: list[_Logged]) -> int:
    moved = [e.data.get("to_version") for e in logged if e.kind == MIGRATED]
    if moved and moved[-1] in ctx.known_versions:
        return int(moved[-1])
    stamped = next((e.policy_version for e in logged if e.kind == "raised"), None)
    if stamped in ctx.known_versions:
        return int(stamped)  # type: ignore[arg-type]
    return alert_version(ctx.store, alert_id)


def _outcome(state: AlertState, tally: _Tally, track: Track | None, end: dt.date) -> dict:
    highest = INFORMAL
    if track is not None:
        numbers = {lv.role: lv.number for lv in track.levels}
        formal = [role for role in tally.reached if role in numbers]
        if formal:
            highest = max(formal, key=lambda role: numbers[role])
    iso = (lambda d: d.isoformat() if d else None)  # noqa: E731
    return {
        "raised": tally.raised,
        "status": state.status if tally.raised else None,
        "level": state.level if tally.raised else None,
        "highest_level": highest if tally.raised else None,
        "due": iso(state.due) if state.is_open else None,
        "formal_due": iso(state.formal_due),
        "escalated_by_silence": tally.escalated_by_silence,
        "overdue_prompts": tally.overdue_prompts,
        "late_responses": tally.late_responses,
        "responses": tally.responses,
        "over_cap": outcomes.breached(state.formal_due, state.closed_on, end),
        "refused_actions": len(tally.refused),
        "reached": list(tally.reached),
    }


def _translate(role: str, actual: Track, draft: Track) -> str | None:
    """The draft's level for an actual level: the same role, else the same level number."""
    if role == INFORMAL:
        return INFORMAL
    if role in draft.roles_on_ladder:
        return role
    if role not in actual.roles_on_ladder:
        return None
    number = actual.level(role).number
    return draft.levels[number - 1].role if number <= len(draft.levels) else None


def _number(track: Track, role: str) -> int:
    return 0 if role == INFORMAL else track.level(role).number


def _day(text: Any) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _command(
    event: _Logged, actual_level: str, state: AlertState, actual: Track, draft: Track,
    review_held_on: dt.date | None,
) -> tuple[Command | None, str]:
    """The command a logged person event was, as the draft's alert would receive it; or
    None and why it does not fit the draft's history."""
    data, kind = event.data, event.kind
    base = {"kind": kind, "on": event.on, "actor_role": event.actor_role,
            "actor_id": event.actor_id, "note": data.get("note", "") or ""}
    if kind in ("raised", "escalated"):
        recorded = data.get("level", INFORMAL)
        level = _translate(recorded, actual, draft)
        if level is None:
            return None, f"the draft's ladder has no level like '{recorded}'"
        gate = data.get("gate", "") or ""
        emergency = gate == "Emergency"
        extra: dict[str, Any] = {"level": level, "gate": "" if emergency else gate,
                                 "emergency": emergency}
        if kind == "raised":
            extra.update(category=data.get("category", "") or "",
                         until=_day(data.get("until")) if level == INFORMAL else None,
                         review_held_on=review_held_on)
        return Command(**base, **extra), ""
    if kind in ADDRESSEE_ONLY:
        at = _translate(actual_level, actual, draft)
        if at is None:
            return None, f"the draft's ladder has no level like '{actual_level}'"
        if state.is_open and at != state.level:
            where = draft.informal.label if at == INFORMAL else draft.level(at).label
            now = (draft.informal.label if state.level == INFORMAL
                   else draft.level(state.level).label)
            if _number(draft, state.level) > _number(draft, at):
                return None, (f"it answers {where}, but under the draft the alert had already "
                              f"moved on to {now}")
            return None, f"it answers {where}, which the alert had not reached under the draft"
        if at == INFORMAL:
            role = (event.actor_role if event.actor_role in draft.informal.with_roles
                    else informal_addressee(draft))
        else:
            role = at
        extra = {"actor_role": role, "outcome": data.get("outcome", "") or "",
                 "until": _day(data.get("until"))}
        return Command(**{**base, **extra}), ""
    if kind in ("extension_agreed", "extension_refused"):
        return Command(**base, until=_day(data.get("until"))), ""
    details = {k: v for k, v in data.items() if k not in ("level", "note")}
    return Command(**base, details=details), ""


def _folded(ref: str, child: str, track_id: str, logged: list[_Logged]) -> AlertState:
    state = AlertState(ref=ref, child=child, track=track_id)
    for event in logged:
        state = apply_event(state, event.kind, event.on, event.data)
        if event.kind == MIGRATED:
            state = apply_migration(state, event.on, event.data)
    return state


def _projected(projection: str | None, ref: str, end: dt.date) -> AlertState | None:
    """The alert's stored projection, when it is its state on ``end`` (nothing logged after
    ``end``): the fold of its log, kept beside it in the same transactions."""
    if not projection:
        return None
    try:
        state = AlertState.from_json(json.loads(projection))
    except (TypeError, ValueError):
        return None
    if state.ref != ref or state.last_event_on is None or state.last_event_on > end:
        return None
    return state


def _replay_alert(
    ctx: _Context, alert_id: int, ref: str, child: str, track_id: str, logged: list[_Logged],
    projection: str | None = None,
) -> tuple[dict, dict, list[tuple[dt.date, str, str]]]:
    """(actual outcome, draft outcome, actions the draft refused) for one alert."""
    end = ctx.end
    version = _version(ctx, alert_id, logged)
    policy, calendar = ctx.actual(version)
    actual_track = policy.tracks.get(track_id)
    # the actual side: the log up to ``end`` (as folded), then what the clock owed by then
    tally = _Tally()
    script: list[tuple[_Logged, str]] = []
    review_held_on = None
    level = INFORMAL  # the alert's level when each event happened
    for event in logged:
        if event.rule is None and event.kind in USER_EVENTS:
            script.append((event, level))
        if event.kind in ("raised", "escalated"):
            level = event.data.get("level", level)
        elif event.kind == "raised_late":
            review_held_on = _day(event.data.get("review_held_on"))
        tally.see(event.kind, event.on, event.data, event.rule)
    state = _projected(projection, ref, end) or _folded(ref, child, track_id, logged)
    if state.raised_on is not None and actual_track is not None:
        state, pending = advance(policy, calendar, state, end)
        for new in pending:
            tally.see(new.kind, new.on, new.data, new.rule)
    actual = _outcome(state, tally, actual_track, end)

    # the draft: the people's actions through the engine, the clock remade between them
    draft, draft_calendar = ctx.draft, ctx.draft_calendar
    draft_track = draft.tracks.get(track_id)
    state = AlertState(ref=ref, child=child, track=track_id)
    tally = _Tally()
    for event, actual_level in script:
        if draft_track is None or actual_track is None:
            tally.refused.append((event.on, event.kind,
                                  f"the draft has no '{track_id}' track"))
            break
        if tally.raised:
            state, derived = advance(draft, draft_calendar, state, event.on)
            for new in derived:
                tally.see(new.kind, new.on, new.data, new.rule)
        command, why = _command(event, actual_level, state, actual_track, draft_track,
                                review_held_on)
        if command is not None:
            decision = decide_command(draft, draft_calendar, state, command)
            why = decision.refusals[0] if decision.refusals else ""
        if command is None or why:
            tally.refused.append((event.on, event.kind, why))
            if not tally.raised:
                break  # the draft would not have raised it: nothing more to replay
            continue
        state = fold(state, decision.events)
        for new in decision.events:
            tally.see(new.kind, new.on, new.data, new.rule)
    if tally.raised:
        state, derived = advance(draft, draft_calendar, state, end)
        for new in derived:
            tally.see(new.kind, new.on, new.data, new.rule)
    return actual, _outcome(state, tally, draft_track, end), tally.refused


# -- reading the store ----------------------------------------------------------------------


Alert = tuple[int, str, str, str]


def _alerts_in(db: Any, start: dt.date | None, end: dt.date) -> list[Alert]:
    rows = db.execute(
        "SELECT a.id, a.ref, c.case_ref, a.track FROM alerts a "
        "JOIN children c ON c.id = a.child_id "
        "WHERE a.raised_on >= ? AND a.raised_on <= ? ORDER BY a.id",
        [(start or dt.date(1, 1, 1)).isoformat(), end.isoformat()]).fetchall()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def _projections(db: Any, ids: Sequence[int]) -> dict[int, str]:
    marks = ", ".join("?" for _ in ids)
    rows = db.execute(f"SELECT id, state FROM alerts WHERE id IN ({marks})", list(ids))
    return dict(rows.fetchall())


def _logged(db: Any, ids: Sequence[int], end: dt.date) -> dict[int, list[_Logged]]:
    found: dict[int, list[_Logged]] = {i: [] for i in ids}
    marks = ", ".join("?" for _ in ids)
    rows = db.execute(
        "SELECT alert_id, occurred_on, kind, actor_role, actor_id, data, rule, policy_version "
        f"FROM live_events WHERE alert_id IN ({marks}) AND occurred_on <= ? "
        "ORDER BY alert_id, occurred_on, id", [*ids, end.isoformat()]).fetchall()
    for alert_id, on, kind, role, actor_id, data, rule, version in rows:
        found[alert_id].append(_Logged(dt.date.fromisoformat(on), kind, role or "", actor_id,
                                       json.loads(data), rule, version))
    return found


def _read_only(path: Path) -> Any:
    """A connection to the store that SQLite itself stops from writing."""
    db = open_db(path)
    db.execute("PRAGMA query_only = ON")
    return db


Result = tuple[str, dict, dict, list[tuple[str, str, str]]]


def _run_chunk(ctx: _Context, alerts: Sequence[Alert]) -> list[Result]:
    ids = [a[0] for a in alerts]
    logged = _logged(ctx.store.db, ids, ctx.end)
    projections = _projections(ctx.store.db, ids)
    results = []
    for alert_id, ref, child, track in alerts:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                actual, draft, refused = _replay_alert(ctx, alert_id, ref, child, track,
                                                       logged[alert_id],
                                                       projections.get(alert_id))
                break
            except Exception:
                # The rules engine's own dispatch thread can race an evaluation on a busy
                # machine (durable_rules "error code: 307"). A replay is pure, so it is
                # simply done again; a real fault fails every time and is raised.
                if attempt == ATTEMPTS:
                    raise
        results.append((ref, actual, draft,
                        [(on.isoformat(), kind, why) for on, kind, why in refused]))
    return results


# -- workers ---------------------------------------------------------------------------------

_worker: dict[str, Any] = {}


class _Counter:
    """Counts calls of the engine's ``evaluate`` as the rules make them."""

    def __init__(self, evaluate: Callable[..., Any]) -> None:
        self.evaluate = evaluate
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.evaluate(*args, **kwargs)


def _start_worker(path: str, draft_text: str, draft_name: str, end: dt.date,
                  count: bool) -> None:
    db = _read_only(Path(path))
    store = Store(db=db, policy=policy_in_store(db, path), path=Path(path))
    draft = draft_from_text(draft_text, draft_name)
    _worker["ctx"] = _Context(store, draft, end)
    if count:
        _worker["counter"] = alert_rules.evaluate = _Counter(alert_rules.evaluate)


def _work(alerts: Sequence[Alert]) -> tuple[list[Result], int]:
    counter = _worker.get("counter")
    before = counter.calls if counter else 0
    results = _run_chunk(_worker["ctx"], alerts)
    return results, (counter.calls - before if counter else 0)


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# -- the use case ------------------------------------------------------------------------------


def what_if(
    store: Store,
    draft: Draft,
    *,
    end: dt.date,
    start: dt.date | None = None,
    progress: Progress | None = None,
    workers: int = 1,
    count_evaluations: bool = False,
) -> WhatIf:
    """Replay every alert raised from ``start`` (default: the first) to ``end`` under
    ``draft`` and compare with what the store records. Writes nothing.

    ``workers`` > 1 replays in that many processes (each reads the store itself);
    ``count_evaluations`` also counts the rule evaluations the draft's replay made.
    """
    if start is not None and start > end:
        raise UserError(f"The period starts on {start.isoformat()}, after it ends on "
                        f"{end.isoformat()}: swap the dates.")
    in_memory = str(store.path) == ":memory:"
    db = store.db if in_memory else _read_only(store.path)
    try:
        reading = dataclasses.replace(store, db=db)
        alerts = _alerts_in(db, start, end)
        results: list[Result] = []
        evaluations = 0
        workers = max(1, min(workers, (len(alerts) + CHUNK - 1) // CHUNK))
        if workers == 1 or in_memory:
            ctx = _Context(reading, draft, end)
            counter = None
            if count_evaluations:
                counter = alert_rules.evaluate = _Counter(alert_rules.evaluate)
            try:
                for chunk in _chunks(alerts, CHUNK):
                    results.extend(_run_chunk(ctx, chunk))
                    if progress:
                        progress(len(results), len(alerts))
            finally:
                if counter is not None:
                    alert_rules.evaluate = counter.evaluate
                    evaluations = counter.calls
        else:
            results, evaluations = _in_processes(store.path, draft, end, alerts, workers,
                                                 count_evaluations, progress)
    finally:
        if not in_memory:
            db.close()
    report = _compare(results, start, end, draft.policy, store)
    report.evaluations = evaluations if count_evaluations else None
    return report


def _in_processes(
    path: Path, draft: Draft, end: dt.date, alerts: list[Alert],
    workers: int, count: bool, progress: Progress | None,
) -> tuple[list[Result], int]:
    order = {alert[1]: n for n, alert in enumerate(alerts)}
    results: list[Result] = []
    evaluations = 0
    # spawn, not fork: the rules engine keeps threads and state a forked child must not share
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=_start_worker,
                             initargs=(str(path), draft.text, draft.file_name, end,
                                       count)) as pool:
        futures = [pool.submit(_work, chunk) for chunk in _chunks(alerts, CHUNK)]
        for future in as_completed(futures):
            done, counted = future.result()
            results.extend(done)
            evaluations += counted
            if progress:
                progress(len(results), len(alerts))
    results.sort(key=lambda result: order[result[0]])
    return results, evaluations


# -- comparing -------------------------------------------------------------------------------


def _totals(outcomes_: list[dict], roles: list[str]) -> dict[str, Any]:
    raised = [o for o in outcomes_ if o["raised"]]
    reached = dict.fromkeys(roles, 0)
    for o in raised:
        for role in o["reached"]:
            if role != INFORMAL:
                reached[role] = reached.get(role, 0) + 1
    return {
        "alerts": len(raised),
        "escalated_by_silence": sum(o["escalated_by_silence"] for o in raised),
        "overdue_prompts": sum(o["overdue_prompts"] for o in raised),
        "over_cap": sum(1 for o in raised if o["over_cap"]),
        "late_responses": sum(o["late_responses"] for o in raised),
        "responses": sum(o["responses"] for o in raised),
        "open": sum(1 for o in raised if o["status"] == "open"),
        "resolved": sum(1 for o in raised if o["status"] == "resolved"),
        "withdrawn": sum(1 for o in raised if o["status"] == "withdrawn"),
        "refused_actions": sum(o["refused_actions"] for o in outcomes_),
        "not_raised": sum(1 for o in outcomes_ if not o["raised"]),
        "reached_level": reached,
    }


def _ladder_roles(*policies: Policy) -> list[str]:
    roles: list[str] = []
    for policy in policies:
        for track in policy.tracks.values():
            roles += [lv.role for lv in track.levels if lv.role not in roles]
    return roles


def _compare(results: list[Result], start: dt.date | None, end: dt.date, draft: Policy,
             store: Store) -> WhatIf:
    report = WhatIf(start=start, end=end, draft_policy=f"{draft.id} version {draft.version}")
    roles = _ladder_roles(store.policy, draft)
    changed = set()
    for ref, actual, drafted, refused in results:
        for name in FIELDS:
            if actual[name] != drafted[name]:
                report.differences.append({"alert": ref, "field": name,
                                           "actual": actual[name], "draft": drafted[name]})
                changed.add(ref)
        report.refused += [{"alert": ref, "date": on, "event": kind, "why": why}
                           for on, kind, why in refused]
    report.alerts = len(results)
    report.changed = len(changed)
    report.actual = _totals([r[1] for r in results], roles)
    report.draft = _totals([r[2] for r in results], roles)
    return report


__all__ = ["Draft", "WhatIf", "draft_from_file", "draft_from_text", "what_if"]
