"""Concerns about an IRO's or CP chair's own practice, as declarative rules (seed 002, 1.6).

Seed 002 has workers and managers refer concerns about the performance of an IRO or CP
chair, or about the organisation and conduct of a review or conference, to the Deputy Head
of Service, who investigates and feeds back within 15 working days; if the matter is not
resolved, it goes to the QA Head of Service or the Divisional Director. Who receives them,
the days and where they go next are policy data (``Policy.practice_concerns``); a policy
without that section has no such procedure in the app.

One ruleset, ``practice_concern_clock``, decides what time alone does to a concern: one
still open (unanswered) after its due date escalates on the next working day, once. As
elsewhere the fact is flat (words and day numbers, never ``None``), the action is guarded
by :func:`rules.engine.first_time`, and the functions are pure: policy, calendar and the
concern in, events out. The escalation is dated the day it fell due, however late the
sweep runs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from durable.lang import m, ruleset, when_all

from rules.alert_transitions import NewEvent
from rules.dates import uk_date
from rules.engine import (
    context,
    declares_rulesets,
    emit,
    evaluate,
    every_fact_is_handled,
    first_time,
)
from rules.policy import Policy, PracticeConcerns
from rules.roles import role_name
from rules.working_days import WorkingCalendar

#: Who may see and answer concerns about reviewers' practice: the Deputy Head of Service
#: and everyone above. Defined once: the use cases enforce it, the pages only follow it.
CONCERN_READERS: frozenset[str] = frozenset({
    "deputy_head_of_service", "qa_head_of_service", "head_of_service", "divisional_director",
    "director", "assistant_director", "service_director", "executive_director",
    "deputy_chief_executive", "chief_executive",
})

#: Whose practice a concern can be about: the people who chair reviews and conferences.
ABOUT_ROLES: tuple[str, ...] = ("iro", "cp_chair")

#: practice_concerns.status values (as the schema allows them).
OPEN = "open"
ANSWERED = "answered"
ESCALATED = "escalated"
RESOLVED = "resolved"
STATUSES: tuple[str, ...] = (OPEN, ANSWERED, ESCALATED, RESOLVED)

#: The event kinds; none is linked to a child, so none shows on a child's chronology.
REFERRED_KIND = "practice_concern_referred"
ANSWERED_KIND = "practice_concern_answered"
ESCALATED_KIND = "practice_concern_escalated"
SYSTEM = "system"


@dataclass(frozen=True)
class ConcernClock:
    """What the clock looks at: one concern's status and when its answer was due."""

    concern_id: int
    status: str
    raised_on: dt.date
    due: dt.date | None
    about_name: str = ""
    about_role: str = ""


def answer_due(rule: PracticeConcerns, calendar: WorkingCalendar, raised_on: dt.date) -> dt.date:
    """The last day for the answer: ``respond_days`` working days after the referral."""
    return calendar.add_working_days(raised_on, rule.respond_days)


def escalation_day(calendar: WorkingCalendar, due: dt.date) -> dt.date:
    """The day silence escalates: the first working day after the due date (nothing is
    overdue on its due date)."""
    return calendar.next_working_day(due)


def clock_check_on(policy: Policy, calendar: WorkingCalendar, concern: ConcernClock
                   ) -> dt.date | None:
    """The next day the clock could change this concern, or None when it never will (kept in
    ``practice_concerns.next_check_on`` so the sweep reads only concerns that can move)."""
    rule = policy.practice_concerns
    if rule is None or not rule.escalate_to or concern.status != OPEN or concern.due is None:
        return None
    return escalation_day(calendar, concern.due)


def escalation_reason(policy: Policy, concern: ConcernClock) -> str:
    """Why the concern moved: who did not answer by when, and who it went to."""
    rule = policy.practice_concerns
    assert rule is not None and concern.due is not None
    about = concern.about_name or "a reviewer"
    if concern.about_role:
        about += f" ({role_name(concern.about_role)})"
    return (f"No answer from the {role_name(rule.to)} by {uk_date(concern.due)} to the concern "
            f"about the practice of {about} referred on {uk_date(concern.raised_on)}: escalated "
            f"to the {role_name(rule.escalate_to[0])} under {policy.id}.")


# -- the ruleset -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Clock:
    policy: Policy
    calendar: WorkingCalendar
    concern: ConcernClock


def _escalate(c: Any) -> None:
    if not first_time(c, "escalate"):
        return
    s: _Clock = context(c)
    rule = s.policy.practice_concerns
    assert rule is not None and s.concern.due is not None
    day = escalation_day(s.calendar, s.concern.due)
    data = {"concern_id": s.concern.concern_id, "due": s.concern.due.isoformat(),
            "escalated_to": rule.escalate_to[0], "told": list(rule.escalate_to)}
    emit(c, NewEvent(kind=ESCALATED_KIND, on=day, data=data,
                     reason=escalation_reason(s.policy, s.concern),
                     rule="practice_concern_unanswered", actor_role=SYSTEM))


@declares_rulesets
def _declare() -> None:
    with ruleset("practice_concern_clock"):
        every_fact_is_handled()
        when_all((m.status == OPEN) & (m.can_escalate == 1) & (m.escalate_on > 0)
                 & (m.today >= m.escalate_on))(_escalate)


def _fact(s: _Clock, as_of: dt.date) -> dict[str, Any]:
    check = clock_check_on(s.policy, s.calendar, s.concern)
    return {
        "today": as_of.toordinal(),
        "status": s.concern.status or "none",
        "can_escalate": 1 if check is not None else 0,
        "escalate_on": check.toordinal() if check else 0,
    }


def decide_clock(policy: Policy, calendar: WorkingCalendar, concern: ConcernClock,
                 as_of: dt.date) -> list[NewEvent]:
    """What silence has done to this concern by ``as_of``: at most one escalation, dated the
    first working day after the due date; empty while an answer may still come in time."""
    if policy.practice_concerns is None:
        return []
    situation = _Clock(policy=policy, calendar=calendar, concern=concern)
    return [e for e in evaluate("practice_concern_clock", _fact(situation, as_of), situation)
            if isinstance(e, NewEvent)]
