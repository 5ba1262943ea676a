"""Significant changes in a child's circumstances, as declarative rules on durable_rules.

The local authority must tell the IRO of "any significant change of circumstances occurring
after the review that affects arrangements" (seed 003, Appendix B; seed 002, section 8:
"social workers advise the IRO without delay"). The IRO then decides whether a review is
needed; for a few changes the IRO Handbook leaves no choice: a review must be held *before*
the change happens. The policy lists the kinds of change (``significant_changes.types``,
each with ``review_before``) and how quickly the IRO must be told
(``notify_within_days``).

One ruleset, ``change_notified``, decides what telling the IRO of a change sets off:

- told later than the policy asks (after ``notify_within_days`` working days from the day
  the change happened): ``change_notified_late``, so the chronology shows the delay;
- a kind of change that needs a review first: ``review_required_before_change``, and the
  change waits, shown red, until the reviewer books a review date;
- anything else waits for the reviewer to decide whether a review is needed.

As in ``rules.review_rules``, the fact is flat (day numbers, and flags as the integers 1
and 0, never ``None`` or booleans), every action is guarded by
:func:`rules.engine.first_time`, and the module is pure: policy, calendar and the change in;
events (``NewEvent``) and the change's status out. The caller writes them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
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
from rules.policy import ChangeType, Policy
from rules.working_days import WorkingCalendar

#: Statuses of a change (``significant_changes.status``; the schema checks the same list).
AWAITING_DECISION = "awaiting_decision"  # the reviewer decides whether a review is needed
REVIEW_REQUIRED = "review_required"  # a review must be held before the change: book one
REVIEW_NEEDED = "review_needed"  # the reviewer decided a review is needed: book one
REVIEW_BOOKED = "review_booked"  # a review date is booked
NO_REVIEW = "no_review"  # the reviewer decided no review is needed, and said why
CHANGE_STATUSES: tuple[str, ...] = (
    AWAITING_DECISION, REVIEW_REQUIRED, REVIEW_NEEDED, REVIEW_BOOKED, NO_REVIEW)
#: Statuses still waiting for the reviewer: to decide, or to book a review date.
WAITING_STATUSES: tuple[str, ...] = (REVIEW_REQUIRED, REVIEW_NEEDED, AWAITING_DECISION)
#: Statuses in which a review date can be booked.
BOOKABLE_STATUSES: tuple[str, ...] = (REVIEW_REQUIRED, REVIEW_NEEDED)

#: What each status means, for screens and messages.
STATUS_WORDS: dict[str, str] = {
    AWAITING_DECISION: "Waiting for the reviewer to decide whether a review is needed",
    REVIEW_REQUIRED: "A review must be held before this change: no date booked yet",
    REVIEW_NEEDED: "A review is needed: no date booked yet",
    REVIEW_BOOKED: "Review booked",
    NO_REVIEW: "No review needed",
}

SYSTEM = "system"

#: The rules' names, as derived events carry them.
RULE_LATE = "change_notified_late"
RULE_REVIEW_FIRST = "review_before_change"


@dataclass(frozen=True)
class NotifiedChange:
    """What the ``change_notified`` rules look at: a change the reviewer has just been told of.

    ``track`` is the child's track ("iro" or "cp"), only so the words name the right
    reviewer ("the IRO", "the CP chair").
    """

    change_type: str
    happened_on: dt.date
    told_on: dt.date
    track: str = "iro"
    data: dict[str, Any] = field(default_factory=dict)  # added to every event's data


@dataclass(frozen=True)
class ChangeDecision:
    """What the rules decided: the derived events, the change's status and whether it was
    told late."""

    events: list[NewEvent]
    status: str
    late: bool
    due: dt.date


@dataclass(frozen=True)
class _Notified:
    policy: Policy
    calendar: WorkingCalendar
    change: NotifiedChange
    kind: ChangeType
    due: dt.date


# -- policy look-ups and dates ------------------------------------------------------------------


def change_types(policy: Policy) -> dict[str, ChangeType]:
    """The policy's kinds of significant change, by id, in the policy's order."""
    return {t.id: t for t in policy.significant_changes.types}


def change_type(policy: Policy, type_id: str) -> ChangeType | None:
    """The kind of change with this id, or None when the policy does not list it."""
    return change_types(policy).get(type_id)


def review_first_types(policy: Policy) -> tuple[ChangeType, ...]:
    """The kinds of change that need a review before they happen (IRO Handbook)."""
    return tuple(t for t in policy.significant_changes.types if t.review_before)


def notice_due(policy: Policy, calendar: WorkingCalendar, happened_on: dt.date) -> dt.date:
    """The last day the reviewer may be told: within ``notify_within_days`` working days of
    the change (the day it happened does not count; nothing is late on its due date)."""
    return calendar.add_working_days(happened_on, policy.significant_changes.notify_within_days)


def status_words(status: str) -> str:
    return STATUS_WORDS.get(status, status)


# -- what each rule makes -----------------------------------------------------------------------


def _derived(kind: str, s: _Notified, data: dict[str, Any], reason: str, rule: str) -> NewEvent:
    return NewEvent(kind=kind, on=s.change.told_on, data={**s.change.data, **data},
                    reason=reason, rule=rule, actor_role=SYSTEM)


def _late(s: _Notified) -> list[NewEvent]:
    c = s.change
    days = s.policy.significant_changes.notify_within_days
    allowed = (f"the {working_days_phrase(days)} the policy asks" if days
               else "the same working day the policy asks")
    reason = (f"Told on {uk_date(c.told_on)} of a change on {uk_date(c.happened_on)}: later "
              f"than {allowed}. It was due by {uk_date(s.due)}.")
    data = {"notice_due": s.due.isoformat(), "told_on": c.told_on.isoformat(),
            "late_by": s.calendar.working_days_between(s.due, c.told_on)}
    return [_derived("change_notified_late", s, data, reason, RULE_LATE)]


def _review_first(s: _Notified) -> list[NewEvent]:
    who = reviewer_word(s.change.track)
    reason = (f"A review must be held before this change happens: {s.kind.label}. "
              f"{who[0].upper()}{who[1:]} must book a review date ({s.policy.id}).")
    data = {"status": REVIEW_REQUIRED}
    return [_derived("review_required_before_change", s, data, reason, RULE_REVIEW_FIRST)]


@declares_rulesets
def _declare() -> None:
    with ruleset("change_notified"):
        every_fact_is_handled()
        when_all(m.told_on > m.due_on)(action(_late, RULE_LATE))
        when_all(m.review_before == 1)(action(_review_first, RULE_REVIEW_FIRST))


# -- the decision -------------------------------------------------------------------------------


def _fact(s: _Notified) -> dict[str, Any]:
    return {
        "told_on": s.change.told_on.toordinal(),
        "due_on": s.due.toordinal(),
        "review_before": 1 if s.kind.review_before else 0,
    }


_ORDER = ("change_notified_late", "review_required_before_change")


def decide_notified(
    policy: Policy, calendar: WorkingCalendar, change: NotifiedChange
) -> ChangeDecision:
    """What telling the reviewer of this change sets off: the derived events (late notice, a
    review required first), and the status the change starts in.

    Raises KeyError when the policy has no such kind of change: callers validate first.
    """
    kind = change_type(policy, change.change_type)
    if kind is None:
        raise KeyError(f"Policy {policy.id} lists no significant change '{change.change_type}'.")
    situation = _Notified(policy=policy, calendar=calendar, change=change, kind=kind,
                          due=notice_due(policy, calendar, change.happened_on))
    events = sorted((e for e in evaluate("change_notified", _fact(situation), situation)
                     if isinstance(e, NewEvent)), key=lambda e: _ORDER.index(e.kind))
    kinds = {e.kind for e in events}
    status = REVIEW_REQUIRED if "review_required_before_change" in kinds else AWAITING_DECISION
    return ChangeDecision(events=events, status=status, late="change_notified_late" in kinds,
                          due=situation.due)
