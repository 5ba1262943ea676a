"""The dispute-resolution ladder as declarative rules on durable_rules.

Two rulesets, both driven by policy data and never by per-authority code:

``alert_commands``
    Whether something a person records is allowed now, and what it does. Accepting rules
    name a transition in ``rules.alert_transitions``; refusing rules explain, in plain
    English, what is wrong. A command is refused if any refusing rule matches.
``alert_clock``
    What time alone does on a given day: silence escalates or prompts, the formal clock
    goes at risk or is breached, the top of the ladder prompts a CAFCASS referral.

A fact is a flat record of booleans, words and day numbers computed from the situation
(policy, calendar, alert state, command), so each rule reads like the procedure it
encodes. :func:`advance` walks the clock day by day up to ``as_of``, dating every derived
event on the day it became due, so a sweep run late gives the same history as one run on
time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from durable.lang import m, ruleset, when_all

from rules import alert_transitions as t
from rules.alert_state import INFORMAL, OUTCOMES, AlertState, apply_event
from rules.alert_transitions import Command, NewEvent, Situation
from rules.engine import (
    action,
    context,
    declares_rulesets,
    emit,
    evaluate,
    every_fact_is_handled,
)
from rules.policy import Gate, Policy
from rules.roles import role_name
from rules.working_days import WorkingCalendar

REVIEWER_ONLY = (
    "raised", "satisfied", "not_satisfied", "escalated", "extension_agreed",
    "extension_refused", "withdrawn", "hos_notified", "cafcass_referral", "legal_advice",
)
ADDRESSEE_ONLY = ("responded", "extension_requested", "acknowledged")
#: Roles that may act for the reviewer are the policy's ``access.act_for_reviewer``
#: (by default the principal IRO, the IRO service's own manager).


@dataclass(frozen=True)
class Refusal:
    message: str


@dataclass(frozen=True)
class Decision:
    """What a command does: the events to write, or why it cannot be recorded."""

    events: tuple[NewEvent, ...] = ()
    refusals: tuple[str, ...] = ()

    @property
    def accepted(self) -> bool:
        return not self.refusals and bool(self.events)


# -- the rulesets ----------------------------------------------------------------------------


def _refuse(message: Any) -> Any:
    def action(c: Any) -> None:
        emit(c, Refusal(message(context(c)) if callable(message) else message))

    return action


@declares_rulesets
def _declare() -> None:
    reviewer_only = m.cmd == REVIEWER_ONLY[0]
    for kind in REVIEWER_ONLY[1:]:
        reviewer_only = reviewer_only | (m.cmd == kind)
    addressee_only = m.cmd == ADDRESSEE_ONLY[0]
    for kind in ADDRESSEE_ONLY[1:]:
        addressee_only = addressee_only | (m.cmd == kind)

    with ruleset("alert_commands"):
        every_fact_is_handled()
        # raising
        when_all((m.cmd == "raised") & (m.is_new == True) & (m.target == "informal")
                 & (m.by_reviewer == True) & (m.category_ok == True)
                 & ((m.until_given == False) | (m.until_after == True)))(
            action(t.raise_alert))
        when_all((m.cmd == "raised") & (m.is_new == True) & (m.target == "formal")
                 & (m.by_reviewer == True) & (m.category_ok == True)
                 & (m.bypass_allowed == True) & (m.gate_ok == True))(action(t.raise_alert))
        when_all((m.cmd == "raised") & (m.is_new == True) & (m.late_raise == 1))(
            action(t.raised_late))
        when_all((m.cmd == "raised") & (m.is_new == False))(_refuse(_already_exists))
        when_all((m.cmd != "raised") & (m.is_new == True))(_refuse(
            "The first event of an alert must be 'raised'."))
        when_all((m.cmd == "raised") & (m.target == "formal") & (m.bypass_allowed == False))(
            _refuse(_no_bypass))
        when_all((m.cmd == "raised") & (m.target == "informal") & (m.until_given == True)
                 & (m.until_after == False))(_refuse(_until_not_after))
        when_all((m.cmd == "raised") & (m.category_ok == False))(_refuse(_bad_category))

        # who may act
        when_all((m.is_new == False) & (m.open == False))(_refuse(_closed))
        when_all(reviewer_only & (m.by_reviewer == False))(_refuse(_reviewer_only))
        when_all(addressee_only & (m.open == True) & (m.awaiting_manager == True)
                 & (m.by_addressee == False))(_refuse(_not_addressee))
        when_all(addressee_only & (m.open == True) & (m.awaiting_manager == False))(
            _refuse(_nothing_awaited))

        # responding and deciding
        when_all((m.cmd == "responded") & (m.open == True) & (m.awaiting_manager == True)
                 & (m.by_addressee == True) & (m.outcome_ok == True))(action(t.respond))
        when_all((m.cmd == "responded") & (m.outcome_ok == False))(_refuse(
            "A response needs an outcome: agree, uphold, alternative or no_action."))
        when_all((m.cmd == "satisfied") & (m.open == True) & (m.by_reviewer == True))(
            action(t.satisfied))
        when_all((m.cmd == "not_satisfied") & (m.open == True) & (m.by_reviewer == True)
                 & (m.awaiting_reviewer == True) & (m.stage == "formal")
                 & (m.on_not_satisfied == "escalate") & (m.has_next == True)
                 & (m.next_exceptional == False))(action(t.not_satisfied_and_escalate))
        when_all((m.cmd == "not_satisfied") & (m.open == True) & (m.by_reviewer == True)
                 & (m.awaiting_reviewer == True)
                 & ((m.stage == "informal") | (m.on_not_satisfied == "prompt")
                    | (m.has_next == False) | (m.next_exceptional == True)))(
            action(t.not_satisfied_and_decide))
        when_all((m.cmd == "not_satisfied") & (m.open == True)
                 & (m.awaiting_reviewer == False))(_refuse(_no_response_yet))

        # escalating by hand
        when_all((m.cmd == "escalated") & (m.open == True) & (m.by_reviewer == True)
                 & (m.target == "formal") & (m.target_above == True)
                 & ((m.skips == False) | (m.bypass_allowed == True)) & (m.gate_ok == True))(
            action(t.escalate_by_hand))
        when_all((m.cmd == "escalated") & (m.target != "formal"))(_refuse(_escalate_where))
        when_all((m.cmd == "escalated") & (m.target == "formal") & (m.target_above == False))(
            _refuse(_not_above))
        when_all((m.cmd == "escalated") & (m.target_above == True) & (m.skips == True)
                 & (m.bypass_allowed == False))(_refuse(_no_skipping))
        when_all(((m.cmd == "escalated") | (m.cmd == "raised")) & (m.target == "formal")
                 & (m.gate_ok == False))(_refuse(_gate_missing))

        # more time
        when_all((m.cmd == "extension_requested") & (m.open == True)
                 & (m.awaiting_manager == True) & (m.by_addressee == True)
                 & (m.until_after == True))(action(t.request_extension))
        when_all((m.cmd == "extension_requested") & (m.until_after == False))(
            _refuse(_until_not_after))
        when_all((m.cmd == "extension_agreed") & (m.open == True) & (m.by_reviewer == True)
                 & (m.ext_pending == True)
                 & ((m.until_given == False) | (m.until_after == True)))(
            action(t.agree_extension))
        when_all((m.cmd == "extension_agreed") & (m.until_given == True)
                 & (m.until_after == False))(_refuse(_until_not_after))
        when_all((m.cmd == "extension_refused") & (m.open == True) & (m.by_reviewer == True)
                 & (m.ext_pending == True))(action(t.refuse_extension))
        when_all(((m.cmd == "extension_agreed") | (m.cmd == "extension_refused"))
                 & (m.ext_pending == False))(_refuse(
            "There is no request for more time waiting for an answer."))

        # notes alongside the ladder
        when_all((m.cmd == "withdrawn") & (m.open == True) & (m.by_reviewer == True)
                 & (m.note_given == True))(action(t.note))
        when_all((m.cmd == "withdrawn") & (m.note_given == False))(_refuse(
            "Say why the alert is withdrawn: the reason is kept on the child's chronology."))
        when_all(((m.cmd == "hos_notified") | (m.cmd == "legal_advice")) & (m.open == True)
                 & (m.by_reviewer == True))(action(t.note))
        when_all((m.cmd == "cafcass_referral") & (m.open == True) & (m.by_reviewer == True)
                 & ((m.cafcass_gate == False) | (m.hos_notified == True)))(action(t.note))
        when_all((m.cmd == "cafcass_referral") & (m.cafcass_gate == True)
                 & (m.hos_notified == False))(_refuse(_cafcass_gate))
        when_all((m.cmd == "complaint") & (m.open == True))(action(t.note))
        when_all((m.cmd == "acknowledged") & (m.open == True) & (m.awaiting_manager == True)
                 & (m.by_addressee == True))(action(t.note))

    with ruleset("alert_clock"):
        every_fact_is_handled()
        silent = ((m.open == True) & (m.awaiting_manager == True) & (m.silence_on > 0)
                  & (m.today >= m.silence_on))
        when_all(silent & (m.stage == "formal") & (m.on_silence == "escalate")
                 & (m.has_next == True) & (m.next_exceptional == False))(
            action(t.silence_escalates))
        when_all(silent & (m.overdue_flagged == False)
                 & ((m.stage == "informal") | (m.on_silence == "prompt")
                    | (m.has_next == False) | (m.next_exceptional == True)))(
            action(t.silence_prompts))
        when_all((m.open == True) & (m.formal == True) & (m.at_risk_flagged == False)
                 & (m.today >= m.at_risk_on) & (m.today < m.breach_on))(
            action(t.formal_at_risk))
        when_all((m.open == True) & (m.formal == True) & (m.breached_flagged == False)
                 & (m.today >= m.breach_on))(action(t.formal_breached))


# -- refusal messages --------------------------------------------------------------------------


def _already_exists(s: Situation) -> str:
    return f"Alert {s.state.ref} has already been raised; record what happens next on it."


def _closed(s: Situation) -> str:
    return f"Alert {s.state.ref} is already {s.state.status}; nothing more can be recorded on it."


def _reviewer_word(s: Situation) -> str:
    return t.reviewer_word(s.state.track)


def _reviewer_only(s: Situation) -> str:
    assert s.command is not None
    who = role_name(s.command.actor_role) if s.command.actor_role else "Someone"
    return f"Only {_reviewer_word(s)} can record '{s.command.kind}'; {who} cannot."


def _not_addressee(s: Situation) -> str:
    assert s.command is not None
    where = t.level_name(s.track, s.state.level)
    who = role_name(s.command.actor_role) if s.command.actor_role else "This person"
    return (f"The alert is waiting for {t.awaiting_words(s.state)} at {where}; "
            f"{who} cannot answer for them.")


def _nothing_awaited(s: Situation) -> str:
    return (f"Nothing is waiting for a manager's answer: {_reviewer_word(s)} must decide what "
            "happens next (satisfied, not satisfied, or escalate).")


def _no_response_yet(s: Situation) -> str:
    return (f"There is no response at {t.level_name(s.track, s.state.level)} yet to be "
            "dissatisfied with; to move the alert on now, escalate it.")


def _no_bypass(s: Situation) -> str:
    return (f"{s.policy.id} does not allow starting an alert at a formal level; raise it at "
            f"{s.track.informal.label}.")


def _no_skipping(s: Situation) -> str:
    return (f"{s.policy.id} does not allow skipping levels; escalate to "
            f"{s.next_level.label if s.next_level else 'the next level'}.")


def _bad_category(s: Situation) -> str:
    assert s.command is not None
    ids = ", ".join(c.id for c in s.track.categories)
    return f"'{s.command.category}' is not a concern category of this track. Use one of: {ids}."


def _until_not_after(s: Situation) -> str:
    assert s.command is not None
    return f"The date asked for must be after {t.uk_date(s.command.on)}."


def _escalate_where(s: Situation) -> str:
    ladder = ", ".join(level.role for level in s.track.levels)
    return f"Escalate to a formal level of the ladder: one of {ladder}."


def _not_above(s: Situation) -> str:
    assert s.target is not None
    where = t.level_name(s.track, s.state.level)
    return f"{s.target.label} is not above where the alert is now ({where}); choose a higher level."


def _gate_missing(s: Situation) -> str:
    gates = _gates(s)
    who = " or ".join(dict.fromkeys(role_name(r) for g in gates for r in g.consult))
    target = s.target.label if s.target else "this level"
    text = (f"Before {target}, {s.policy.id} asks that {who} is consulted. Record who was "
            "consulted and when")
    if all(g.emergency_exempt for g in gates):
        text += ", or that it is an emergency"
    return text + "."


def _cafcass_gate(s: Situation) -> str:
    gate = s.policy.cafcass_gate
    assert gate is not None
    who = " or ".join(role_name(r) for r in gate.notify)
    return (f"Before a referral to CAFCASS, {s.policy.id} requires the {who} to be told and "
            f"the reasons given. Record that the {who} was told first.")


# -- facts -------------------------------------------------------------------------------------


def _gates(s: Situation) -> list[Gate]:
    """The gates a move to a formal level passes: going formal, skipping levels, the level."""
    target = s.target
    if target is None:
        return []
    track = s.track
    current = 0 if s.state.raised_on is None or s.state.level == INFORMAL else s.level.number
    gates: list[Gate | None] = []
    if current == 0:
        gates.append(track.informal.gate_to_formal)
    if s.state.raised_on is None or target.number > current + 1:
        gates.append(track.bypass.gate)
    gates.append(target.gate)
    return [g for g in gates if g is not None]


def _target_kind(s: Situation) -> str:
    c = s.command
    assert c is not None
    if c.level == "":
        return "none"
    if c.level == INFORMAL:
        return "informal"
    return "formal" if c.level in s.track.roles_on_ladder else "unknown"


def _command_fact(s: Situation) -> dict[str, Any]:
    c, state, track = s.command, s.state, s.track
    assert c is not None
    is_new = state.raised_on is None
    reviewers = set(track.raised_by) | set(s.policy.access.act_for_reviewer)
    informal = state.level == INFORMAL
    addressees = set(track.informal.with_roles) if informal else {state.awaiting}
    target_kind = _target_kind(s)
    level, nxt = (None, None) if is_new else (s.level, s.next_level)
    current = level.number if level else 0
    target = s.target if target_kind == "formal" else None
    gates = _gates(s) if target else []
    gate_ok = (not gates or bool(c.gate.strip())
               or (c.emergency and all(g.emergency_exempt for g in gates)))
    return {
        "cmd": c.kind,
        "is_new": is_new,
        "open": state.is_open,
        "stage": INFORMAL if state.level == INFORMAL else "formal",
        "by_reviewer": c.actor_role in reviewers,
        "by_addressee": c.actor_role in addressees,
        "awaiting_manager": state.awaiting_manager,
        "awaiting_reviewer": state.is_open and state.awaiting == t.REVIEWER,
        "target": target_kind,
        "target_above": bool(target and target.number > current),
        "skips": bool(target and (is_new or target.number > current + 1)),
        "bypass_allowed": track.bypass.allowed,
        "gate_ok": gate_ok,
        "outcome_ok": c.outcome in OUTCOMES,
        "has_next": nxt is not None,
        "next_exceptional": bool(nxt and nxt.exceptional),
        "on_not_satisfied": level.on_not_satisfied if level else "prompt",
        "ext_pending": state.extension_until is not None,
        "until_given": c.until is not None,
        "until_after": bool(c.until and c.until > c.on),
        "note_given": bool(c.note.strip()),
        "cafcass_gate": s.policy.cafcass_gate is not None,
        "hos_notified": state.hos_notified,
        "category_ok": c.kind != "raised" or c.category in {x.id for x in track.categories},
        "late_raise": 1 if _raised_late(s) else 0,
    }


def _raised_late(s: Situation) -> bool:
    c, track = s.command, s.track
    if c is None or c.kind != "raised" or c.review_held_on is None:
        return False
    if track.raise_within_days is None or c.review_held_on > c.on:
        return False
    return c.on > s.calendar.add_working_days(c.review_held_on, track.raise_within_days)


def _clock_fact(s: Situation) -> dict[str, Any]:
    state = s.state
    level = s.level
    nxt = s.next_level if level is not None else None
    silence = t.silence_on(s)
    breach = t.breach_on(s)
    assert s.today is not None
    return {
        "today": s.today.toordinal(),
        "open": state.is_open,
        "awaiting_manager": state.awaiting_manager,
        "stage": INFORMAL if level is None else "formal",
        "silence_on": silence.toordinal() if silence else 0,
        "overdue_flagged": state.overdue_flagged,
        "on_silence": level.on_silence if level else "prompt",
        "has_next": nxt is not None,
        "next_exceptional": bool(nxt and nxt.exceptional),
        "formal": state.formal_started is not None,
        "at_risk_on": state.formal_at_risk_on.toordinal() if state.formal_at_risk_on else 0,
        "at_risk_flagged": state.at_risk_flagged,
        "breach_on": breach.toordinal() if breach else 0,
        "breached_flagged": state.breached_flagged,
    }


# -- deciding ------------------------------------------------------------------------------------


def _split(results: list[Any]) -> Decision:
    refusals = tuple(dict.fromkeys(r.message for r in results if isinstance(r, Refusal)))
    # what the person did first, then what the rules made of it, each in firing order
    events = tuple(sorted((r for r in results if isinstance(r, NewEvent)),
                          key=lambda e: e.rule is not None))
    return Decision(events=() if refusals else events, refusals=refusals)


def decide_command(
    policy: Policy, calendar: WorkingCalendar, state: AlertState, command: Command
) -> Decision:
    """Whether ``command`` may be recorded on an alert in ``state``, and the events it makes.

    The caller first brings the alert up to the command's date with :func:`advance`.
    """
    if state.last_event_on is not None and command.on < state.last_event_on:
        return Decision(refusals=(
            f"This is dated {t.uk_date(command.on)}, before the alert's last event on "
            f"{t.uk_date(state.last_event_on)}; record events in date order.",))
    if command.kind in ("raised", "escalated") and command.level not in ("", INFORMAL):
        track = policy.track(state.track)
        if command.level not in track.roles_on_ladder:
            return Decision(refusals=(
                f"'{command.level}' is not a level of the {track.label.lower()} ladder under "
                f"{policy.id}. Use informal or one of: {', '.join(track.roles_on_ladder)}.",))
    situation = Situation(policy=policy, calendar=calendar, state=state, command=command)
    decision = _split(evaluate("alert_commands", _command_fact(situation), situation))
    if not decision.refusals and not decision.events:
        return Decision(refusals=(f"'{command.kind}' cannot be recorded on this alert now.",))
    return decision


def fold(state: AlertState, events: tuple[NewEvent, ...] | list[NewEvent]) -> AlertState:
    for event in events:
        state = apply_event(state, event.kind, event.on, event.data)
    return state


def clock_candidates(policy: Policy, calendar: WorkingCalendar, state: AlertState) -> list[dt.date]:
    """The days on which a clock rule could next fire for this alert (soonest first)."""
    if not state.is_open:
        return []
    s = Situation(policy=policy, calendar=calendar, state=state)
    days = []
    silence = t.silence_on(s)
    if silence is not None:
        level = s.level
        escalates = (level is not None and level.on_silence == "escalate"
                     and s.next_level is not None and not s.next_level.exceptional)
        if escalates or not state.overdue_flagged:
            days.append(silence)
    if state.formal_at_risk_on is not None and not state.at_risk_flagged:
        days.append(state.formal_at_risk_on)
    breach = t.breach_on(s)
    if breach is not None and not state.breached_flagged:
        days.append(breach)
    return sorted(days)


def next_check_on(policy: Policy, calendar: WorkingCalendar, state: AlertState) -> dt.date | None:
    days = clock_candidates(policy, calendar, state)
    return days[0] if days else None


def advance(
    policy: Policy, calendar: WorkingCalendar, state: AlertState, as_of: dt.date
) -> tuple[AlertState, list[NewEvent]]:
    """Apply every time-driven rule up to and including ``as_of``, day by day.

    Each derived event is dated the day its rule became due, however late this runs: a
    sweep that catches up three levels writes three escalations on their own dates.
    """
    derived: list[NewEvent] = []
    checked: set[dt.date] = set()
    while True:
        days = [d for d in clock_candidates(policy, calendar, state)
                if d <= as_of and d not in checked]
        if not days:
            return state, derived
        day = days[0]
        checked.add(day)
        situation = Situation(policy=policy, calendar=calendar, state=state, today=day)
        events = [e for e in evaluate("alert_clock", _clock_fact(situation), situation)
                  if isinstance(e, NewEvent)]
        events.sort(key=lambda e: _CLOCK_ORDER.index(e.kind))
        state = fold(state, events)
        derived.extend(events)


_CLOCK_ORDER = ("escalated", "overdue", "cafcass_prompt", "formal_at_risk", "formal_breached")
