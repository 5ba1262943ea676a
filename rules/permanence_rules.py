"""Permanence referrals as declarative rules on durable_rules (seed 004, 2.4).

Seed 004 refers a looked-after child's case to the service manager when the child has been
placed with parents under the regulations for a year, or has a permanence plan (adoption or
long-term fostering) and has not been placed nine months after the permanence decision.
The periods and who is told are policy data (``Policy.permanence``); a policy without that
section has no permanence referrals at all.

One ruleset, ``permanence_check``, looks at one child on one day. As elsewhere the fact is
flat (words and day numbers, flags as the integers 1 and 0, never ``None``), every action
is guarded by :func:`rules.engine.first_time`, and the functions here are pure: policy and
the child's placement facts in, events (``NewEvent``) out. A referral is dated the day its
period was reached, whenever the check runs, so a late sweep writes the same history as a
punctual one.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
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
from rules.policy import Permanence, Policy
from rules.roles import role_name

#: The permanence plans seed 004 names, with the words people use for them.
PLANS: dict[str, str] = {
    "adoption": "adoption",
    "long_term_fostering": "long-term fostering",
}

#: Why a case is referred: the two criteria of seed 004, 2.4.
PLACED_WITH_PARENTS = "placed_with_parents"
NOT_PLACED = "not_placed"
REASONS: tuple[str, ...] = (PLACED_WITH_PARENTS, NOT_PLACED)

#: The events about a child's placement; both are linked to the child, for its chronology.
RECORDED_KIND = "placement_recorded"
REFERRAL_KIND = "permanence_referral"
#: What the child's chronology calls them.
CHRONOLOGY_WORDS: dict[str, str] = {
    RECORDED_KIND: "Placement and permanence recorded",
    REFERRAL_KIND: "Permanence referral",
}
SYSTEM = "system"


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day of the month ``months`` calendar months later.

    When that month is too short for the day (31 May + 9 months would be "31 Feb") the
    answer is clamped to the month's last day (28 Feb 2027, or 29 Feb in a leap year): the
    period is reached by the end of that month, never rolled over into the next one, which
    would give the child days the procedure does not.
    """
    if months < 0:
        raise ValueError(f"A number of months cannot be negative (got {months}).")
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


def period_words(months: int) -> str:
    """``a year``, ``2 years``, ``9 months``: as the procedure would say the period."""
    if months % 12 == 0:
        years = months // 12
        return "a year" if years == 1 else f"{years} years"
    return "a month" if months == 1 else f"{months} months"


@dataclass(frozen=True)
class PlacementFacts:
    """What the check looks at: one child's legal status and placement facts."""

    child_id: int
    case_ref: str
    looked_after: bool
    placed_with_parents_since: dt.date | None = None
    permanence_plan: str = ""  # "" or a key of PLANS
    permanence_decision_on: dt.date | None = None
    permanence_placed_on: dt.date | None = None


def with_parents_due(rule: Permanence, facts: PlacementFacts) -> dt.date | None:
    """The day a placement with parents reaches the policy's period, or None."""
    since = facts.placed_with_parents_since
    return add_months(since, rule.placed_with_parents_months) if since else None


def not_placed_due(rule: Permanence, facts: PlacementFacts) -> dt.date | None:
    """The day an unplaced permanence plan reaches the policy's period, or None when there
    is no plan, no decision date, or the child was placed by that day."""
    decided = facts.permanence_decision_on
    if not facts.permanence_plan or decided is None:
        return None
    due = add_months(decided, rule.not_placed_after_decision_months)
    placed = facts.permanence_placed_on
    return None if placed is not None and placed <= due else due


def episode_start(reason: str, facts: PlacementFacts) -> dt.date | None:
    """The date the period of ``reason`` runs from: the placement with parents began, or
    the permanence decision was made."""
    if reason == PLACED_WITH_PARENTS:
        return facts.placed_with_parents_since
    return facts.permanence_decision_on


def referral_key(child_id: int, reason: str, start: dt.date) -> str:
    """The event's dedupe key: one referral per child, reason and period (its start date),
    however often or late the check runs. A new placement with parents, or a new permanence
    decision, starts a new period and can be referred again."""
    return f"permanence:{child_id}:{reason}:{start.isoformat()}"


def upcoming(policy: Policy, facts: PlacementFacts) -> list[tuple[str, dt.date]]:
    """Each referral this child's facts lead to and the day it falls due (past or future),
    for a screen to say what will happen; empty when the policy has no permanence rule."""
    rule = policy.permanence
    if rule is None or not facts.looked_after:
        return []
    found = [(PLACED_WITH_PARENTS, with_parents_due(rule, facts)),
             (NOT_PLACED, not_placed_due(rule, facts))]
    return [(reason, due) for reason, due in found if due is not None]


# -- words -----------------------------------------------------------------------------------


def referral_reason(policy: Policy, reason: str, facts: PlacementFacts) -> str:
    """The plain sentence a referral carries, naming the dates, the period and who is told."""
    rule = policy.permanence
    assert rule is not None
    who = role_name(rule.refer_to)
    asks = f"Policy {policy.id} asks that the case is referred to the {who}."
    if reason == PLACED_WITH_PARENTS:
        since = facts.placed_with_parents_since
        assert since is not None
        due = add_months(since, rule.placed_with_parents_months)
        period = period_words(rule.placed_with_parents_months)
        return f"Placed with parents since {uk_date(since)}: {period} on {uk_date(due)}. {asks}"
    decided = facts.permanence_decision_on
    assert decided is not None
    due = add_months(decided, rule.not_placed_after_decision_months)
    plan = PLANS.get(facts.permanence_plan, facts.permanence_plan)
    period = period_words(rule.not_placed_after_decision_months)
    return (f"Permanence plan for {plan} decided on {uk_date(decided)} and the child not "
            f"placed {period} later, on {uk_date(due)}. {asks}")


# -- the ruleset -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Check:
    policy: Policy
    facts: PlacementFacts


def _referral(s: _Check, reason: str) -> list[NewEvent]:
    rule = s.policy.permanence
    assert rule is not None
    due = with_parents_due(rule, s.facts) if reason == PLACED_WITH_PARENTS \
        else not_placed_due(rule, s.facts)
    start = episode_start(reason, s.facts)
    assert due is not None and start is not None
    data = {"reason": reason, "from": start.isoformat(), "due": due.isoformat(),
            "refer_to": rule.refer_to, "plan": s.facts.permanence_plan}
    return [NewEvent(kind=REFERRAL_KIND, on=due, data=data,
                     reason=referral_reason(s.policy, reason, s.facts),
                     rule=f"permanence_{reason}", actor_role=SYSTEM)]


def _make(reason: str) -> Callable[[Any], None]:
    def action(c: Any) -> None:
        if first_time(c, reason):
            for event in _referral(context(c), reason):
                emit(c, event)

    action.__name__ = f"permanence_{reason}"
    return action


@declares_rulesets
def _declare() -> None:
    with ruleset("permanence_check"):
        every_fact_is_handled()
        when_all((m.looked_after == 1) & (m.with_parents_due > 0)
                 & (m.today >= m.with_parents_due))(_make(PLACED_WITH_PARENTS))
        when_all((m.looked_after == 1) & (m.not_placed_due > 0)
                 & (m.today >= m.not_placed_due))(_make(NOT_PLACED))


def _fact(rule: Permanence, facts: PlacementFacts, as_of: dt.date) -> dict[str, Any]:
    with_parents = with_parents_due(rule, facts)
    unplaced = not_placed_due(rule, facts)
    return {
        "today": as_of.toordinal(),
        "looked_after": 1 if facts.looked_after else 0,
        "with_parents_due": with_parents.toordinal() if with_parents else 0,
        "not_placed_due": unplaced.toordinal() if unplaced else 0,
    }


def decide_referrals(policy: Policy, facts: PlacementFacts, as_of: dt.date) -> list[NewEvent]:
    """The referrals due for this child by ``as_of``, each dated the day its period was
    reached; empty when the policy has no permanence rule. The caller writes them with
    :func:`referral_key`, so one already logged is not logged again."""
    if policy.permanence is None:
        return []
    situation = _Check(policy=policy, facts=facts)
    events = [e for e in evaluate("permanence_check", _fact(policy.permanence, facts, as_of),
                                  situation) if isinstance(e, NewEvent)]
    return sorted(events, key=lambda e: (e.on, REASONS.index(e.data["reason"])))
