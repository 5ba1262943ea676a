"""The post-review monitoring form as declarative rules on durable_rules.

Two rulesets, driven by policy data and never by per-authority code:

``review_saved``
    What saving a monitoring form sets off (seed 004, 2.3 and 2.7-2.8; seed 002, 3.3): an
    amber or red judgement is routed to the managers the policy names, a second amber or
    red review in a row prompts the reviewer to consider an alert of concern (a prompt
    only: raising an alert stays the reviewer's decision), and decisions recorded later
    than the policy allows are flagged as sent late.
``review_clock``
    What time alone does to the review decisions sent to the team manager: when no reply
    has come by the due date, silence counts from the next working day, and the policy
    says whether silence means the decisions are agreed or the reviewer is prompted.

As in ``rules.alert_rules``, each fact is a flat record of words and day numbers (never
``None``, never booleans: flags are the integers 1 and 0 so conditions read ``== 1``), and
every action is guarded by :func:`rules.engine.first_time` because a condition with ``|``
becomes one rule per alternative. The functions here are pure: policy, calendar and what
the review says in; events (``NewEvent``) out. The caller writes them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from durable.lang import m, ruleset, when_all

from rules.alert_transitions import NewEvent, reviewer_word
from rules.dates import uk_date, working_days_phrase
from rules.engine import (
    action,
    declares_rulesets,
    evaluate,
    every_fact_is_handled,
)
from rules.policy import Policy
from rules.roles import role_name
from rules.working_days import WorkingCalendar

RAGS: tuple[str, ...] = ("red", "amber", "green")
#: Judgements that mean the plan is not on track (seed 004, 2.7-2.8).
CONCERNING: tuple[str, ...] = ("amber", "red")

#: What the review is called at the start of a sentence, by review kind.
REVIEW_NAMES: dict[str, str] = {
    "lac_review": "Looked-after review",
    "cp_conference": "Child protection conference",
}
#: The one word for the meeting, by review kind ("the review date", "the conference date").
MEETING_WORDS: dict[str, str] = {"lac_review": "review", "cp_conference": "conference"}

#: Who the review decisions are sent to, and who is silent when no reply comes (seed 002, 3.3).
DECISIONS_TO = "team_manager"

#: reply_status values. ``awaiting`` is the only one the clock acts on.
AWAITING = "awaiting"
AGREED = "agreed"
DISPUTED = "disputed"
AGREED_BY_SILENCE = "agreed_by_silence"
OVERDUE = "overdue"
REPLY_STATUSES: tuple[str, ...] = (AWAITING, AGREED, DISPUTED, AGREED_BY_SILENCE, OVERDUE)

SYSTEM = "system"


@dataclass(frozen=True)
class SavedReview:
    """What the ``review_saved`` rules look at: the review just recorded, the one before it."""

    review_id: int
    kind: str
    track: str
    held_on: dt.date
    recorded_on: dt.date
    rag: str
    concerns: tuple[str, ...] = ()
    resolution_sought: str = ""
    previous_review_id: int | None = None
    previous_held_on: dt.date | None = None
    previous_rag: str = ""  # "" when there is no earlier review of this kind, or no judgement


@dataclass(frozen=True)
class DecisionsClock:
    """What the ``review_clock`` rules look at: review decisions waiting for a reply."""

    review_id: int
    kind: str
    track: str
    held_on: dt.date
    reply_due: dt.date | None
    reply_status: str


@dataclass(frozen=True)
class _Saved:
    policy: Policy
    calendar: WorkingCalendar
    review: SavedReview


@dataclass(frozen=True)
class _Clock:
    policy: Policy
    calendar: WorkingCalendar
    review: DecisionsClock
    today: dt.date


# -- dates -----------------------------------------------------------------------------------


def send_due(policy: Policy, calendar: WorkingCalendar, held_on: dt.date) -> dt.date:
    """The last day the decisions may be sent: within send_within_days of the review."""
    return calendar.add_working_days(held_on, policy.review_decisions.send_within_days)


def reply_due(policy: Policy, calendar: WorkingCalendar, sent_on: dt.date) -> dt.date:
    """The last day the team manager may reply: within reply_within_days of receiving them."""
    return calendar.add_working_days(sent_on, policy.review_decisions.reply_within_days)


def silence_on(calendar: WorkingCalendar, due: dt.date) -> dt.date:
    """The day silence counts: the first working day after the due date, never the due date
    itself (nothing is overdue on its due date)."""
    return calendar.next_working_day(due)


def clock_check_on(calendar: WorkingCalendar, review: DecisionsClock) -> dt.date | None:
    """The next day the clock could change this review, or None once it is settled; kept in
    ``reviews.next_check_on`` so the sweep finds the few reviews that can change today."""
    if review.reply_status != AWAITING or review.reply_due is None:
        return None
    return silence_on(calendar, review.reply_due)


# -- words -----------------------------------------------------------------------------------


def _roles_told(roles: tuple[str, ...]) -> str:
    names = [f"the {role_name(r)}" for r in roles]
    who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"{who} {'is' if len(names) == 1 else 'are'} told"


def notify_roles(policy: Policy, rag: str) -> tuple[str, ...]:
    """Who hears of a judgement: amber and red route to the roles the policy names."""
    if rag == "amber":
        return policy.rag.amber_notify
    if rag == "red":
        return policy.rag.red_notify
    return ()


# -- what each rule makes --------------------------------------------------------------------


def _derived(kind: str, on: dt.date, data: dict[str, Any], reason: str, rule: str) -> NewEvent:
    return NewEvent(kind=kind, on=on, data=data, reason=reason, rule=rule, actor_role=SYSTEM)


def _rag_routed(s: _Saved) -> list[NewEvent]:
    r = s.review
    roles = notify_roles(s.policy, r.rag)
    what = ("the concern and the resolution sought" if r.rag == "amber"
            else "the concern and the plans proposed to resolve it")
    reason = (f"Plan judged {r.rag} at the {MEETING_WORDS[r.kind]} of {uk_date(r.held_on)}: "
              f"{_roles_told(roles)}, with {what}.")
    data = {"rag": r.rag, "notify": list(roles), "concerns": list(r.concerns),
            "resolution_sought": r.resolution_sought}
    return [_derived("rag_routed", r.recorded_on, data, reason, f"rag_{r.rag}_routed")]


def _drift_prompt(s: _Saved) -> list[NewEvent]:
    r = s.review
    assert r.previous_held_on is not None
    reason = (f"Two {MEETING_WORDS[r.kind]}s in a row judged amber or red "
              f"({uk_date(r.previous_held_on)}, {uk_date(r.held_on)}): consider raising an "
              "alert of concern.")
    data = {"reviews": [r.previous_review_id, r.review_id],
            "dates": [r.previous_held_on.isoformat(), r.held_on.isoformat()],
            "rags": [r.previous_rag, r.rag]}
    return [_derived("drift_prompt", r.recorded_on, data, reason, "two_in_a_row")]


def _sent_late(s: _Saved) -> list[NewEvent]:
    r = s.review
    days = s.policy.review_decisions.send_within_days
    due = send_due(s.policy, s.calendar, r.held_on)
    allowed = (f"the {working_days_phrase(days)} the policy allows" if days
               else "the same working day the policy allows")
    reason = (f"Decisions sent on {uk_date(r.recorded_on)}, after {allowed} from the "
              f"{MEETING_WORDS[r.kind]} (due {uk_date(due)}).")
    data = {"send_due": due.isoformat(), "sent_on": r.recorded_on.isoformat(),
            "late_by": s.calendar.working_days_between(due, r.recorded_on)}
    return [_derived("decisions_sent_late", r.recorded_on, data, reason, "decisions_sent_late")]


def _silence(s: _Clock, agreed: bool) -> list[NewEvent]:
    r = s.review
    assert r.reply_due is not None
    day = silence_on(s.calendar, r.reply_due)
    manager = role_name(DECISIONS_TO)
    if agreed:
        reason = (f"No reply from the {manager} by {uk_date(r.reply_due)}: the "
                  f"{MEETING_WORDS[r.kind]} decisions are taken as agreed ({s.policy.id}).")
        kind, status, rule = "decisions_agreed_by_silence", AGREED_BY_SILENCE, "silence_agrees"
    else:
        reason = (f"No reply from the {manager} by {uk_date(r.reply_due)} to the decisions of "
                  f"the {MEETING_WORDS[r.kind]} of {uk_date(r.held_on)}: "
                  f"{reviewer_word(r.track)} is prompted to chase ({s.policy.id}).")
        kind, status, rule = "decisions_reply_overdue", OVERDUE, "silence_prompts"
    data = {"reply_due": r.reply_due.isoformat(), "reply_status": status}
    return [_derived(kind, day, data, reason, rule)]


# -- the rulesets ----------------------------------------------------------------------------


@declares_rulesets
def _declare() -> None:
    with ruleset("review_saved"):
        every_fact_is_handled()
        when_all((m.rag == "amber") & (m.notify_count > 0))(action(_rag_routed, "rag_amber"))
        when_all((m.rag == "red") & (m.notify_count > 0))(action(_rag_routed, "rag_red"))
        when_all(((m.rag == "amber") | (m.rag == "red"))
                 & ((m.previous_rag == "amber") | (m.previous_rag == "red")))(
            action(_drift_prompt, "two_in_a_row"))
        when_all(m.late == 1)(action(_sent_late, "decisions_sent_late"))

    with ruleset("review_clock"):
        every_fact_is_handled()
        silent = ((m.status == AWAITING) & (m.silence_on > 0) & (m.today >= m.silence_on))
        when_all(silent & (m.on_silence == "agreed"))(
            action(lambda s: _silence(s, agreed=True), "silence_agrees"))
        when_all(silent & (m.on_silence == "prompt"))(
            action(lambda s: _silence(s, agreed=False), "silence_prompts"))


# -- facts and decisions ---------------------------------------------------------------------


def _saved_fact(s: _Saved) -> dict[str, Any]:
    r = s.review
    late = r.recorded_on > send_due(s.policy, s.calendar, r.held_on)
    return {
        "rag": r.rag,
        "previous_rag": r.previous_rag or "none",
        "notify_count": len(notify_roles(s.policy, r.rag)),
        "late": 1 if late else 0,
    }


def _clock_fact(s: _Clock) -> dict[str, Any]:
    r = s.review
    check = clock_check_on(s.calendar, r)
    return {
        "today": s.today.toordinal(),
        "status": r.reply_status or "none",
        "silence_on": check.toordinal() if check else 0,
        "on_silence": s.policy.review_decisions.on_silence,
    }


_SAVED_ORDER = ("rag_routed", "drift_prompt", "decisions_sent_late")


def decide_saved(policy: Policy, calendar: WorkingCalendar, review: SavedReview) -> list[NewEvent]:
    """The derived events saving this monitoring form makes (empty for an on-time green)."""
    situation = _Saved(policy=policy, calendar=calendar, review=review)
    events = [e for e in evaluate("review_saved", _saved_fact(situation), situation)
              if isinstance(e, NewEvent)]
    return sorted(events, key=lambda e: _SAVED_ORDER.index(e.kind))


def decide_clock(
    policy: Policy, calendar: WorkingCalendar, review: DecisionsClock, as_of: dt.date
) -> list[NewEvent]:
    """What silence has done to the review decisions by ``as_of``: at most one event, dated
    the day silence counted however late this runs; empty while a reply may still come."""
    situation = _Clock(policy=policy, calendar=calendar, review=review, today=as_of)
    return [e for e in evaluate("review_clock", _clock_fact(situation), situation)
            if isinstance(e, NewEvent)]
