"""Moving an open alert to a newer version of its authority's policy, deliberately.

An alert keeps the policy version it started under, so a deadline once given never moves
by itself (DESIGN.md, "Policy versions and what-if"). An administrator may move open alerts
to a newer version after seeing which dates would change; this module says what the move
does to one alert, and how the ``policy_migrated`` event that records it folds into the
alert's state. Pure: policies, calendars and states in; dates and states out.

What moves:

- the current due date, when the policy set it (counted from the day the alert reached its
  level): it is counted again under the new version. A date a person agreed (an informal
  stage's agreed date, an extension) is kept: it was agreed, not given by the policy;
- the formal clock (the cap and the at-risk day), counted again from the day the formal
  process started; once the limit has been passed (the breach prompted) it stays as it was:
  a breach is history;
- a date that would fall before the day of the move becomes the day of the move: nobody
  can have missed a deadline that did not exist yet;
- the "overdue" and "at risk" prompts are cleared when their new date is still ahead, so
  they fire again on the new date.

An alert cannot be moved when the new version has no such track or no longer has the
level the alert is at: :func:`move` says why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from rules.alert_state import INFORMAL, AlertState
from rules.policy import NotInPolicy, Policy
from rules.working_days import calendar_for

#: The kind of the event that records a move.
MIGRATED = "policy_migrated"


@dataclass(frozen=True)
class Move:
    """What moving one alert would do; ``problem`` says why it cannot be moved instead."""

    due_before: dt.date | None
    due_after: dt.date | None
    formal_due_before: dt.date | None
    formal_due_after: dt.date | None
    at_risk_before: dt.date | None
    at_risk_after: dt.date | None
    overdue_flagged: bool
    at_risk_flagged: bool
    problem: str = ""

    @property
    def changes(self) -> bool:
        return bool(self.problem) or (self.due_before, self.formal_due_before,
                                      self.at_risk_before) != (
            self.due_after, self.formal_due_after, self.at_risk_after)

    def event_data(self, from_version: int, to_version: int, level: str) -> dict[str, Any]:
        """The data of the ``policy_migrated`` event: everything the fold needs."""
        def iso(day: dt.date | None) -> str:
            return day.isoformat() if day else ""

        return {
            "from_version": from_version, "to_version": to_version, "level": level,
            "due": iso(self.due_after), "due_before": iso(self.due_before),
            "formal_due": iso(self.formal_due_after),
            "formal_due_before": iso(self.formal_due_before),
            "formal_at_risk_on": iso(self.at_risk_after),
            "overdue_flagged": self.overdue_flagged, "at_risk_flagged": self.at_risk_flagged,
        }


def move(
    new: Policy, state: AlertState, on: dt.date, *, agreed_due: bool = False
) -> Move:
    """What moving ``state`` (brought up to ``on``) to ``new`` on ``on`` would do.

    ``agreed_due``: the current due date was agreed by people (an informal stage's agreed
    date, or an extension), so it is kept.
    """
    unchanged = Move(state.due, state.due, state.formal_due, state.formal_due,
                     state.formal_at_risk_on, state.formal_at_risk_on,
                     state.overdue_flagged, state.at_risk_flagged)
    if state.track not in new.tracks:
        return replace(unchanged, problem=f"version {new.version} has no '{state.track}' track")
    track = new.track(state.track)
    try:
        days = (track.informal.response_days if state.level == INFORMAL
                else track.level(state.level).response_days)
    except NotInPolicy:
        return replace(unchanged, problem=(
            f"version {new.version} has no level '{state.level}' on the {track.label.lower()}"
            " ladder"))
    calendar = calendar_for(new.closure_days)
    due, overdue_flagged = state.due, state.overdue_flagged
    if (state.awaiting_manager and state.due is not None and not agreed_due
            and state.level_since is not None):
        due = max(calendar.add_working_days(state.level_since, days), on)
        if due != state.due and due >= on:
            overdue_flagged = False
    formal_due, at_risk_on, at_risk_flagged = (state.formal_due, state.formal_at_risk_on,
                                               state.at_risk_flagged)
    if state.formal_started is not None and not state.breached_flagged:
        cap = track.formal_cap_days
        formal_due = max(calendar.add_working_days(state.formal_started, cap), on)
        at_risk_on = max(calendar.add_working_days(state.formal_started,
                                                   max(cap - track.at_risk_days, 0)), on)
        at_risk_on = min(at_risk_on, formal_due)
        if at_risk_on != state.formal_at_risk_on and at_risk_on > on:
            at_risk_flagged = False
    return Move(state.due, due, state.formal_due, formal_due, state.formal_at_risk_on,
                at_risk_on, overdue_flagged, at_risk_flagged)


def apply_migration(state: AlertState, on: dt.date, data: dict[str, Any]) -> AlertState:
    """The state after a ``policy_migrated`` event (what ``apply_event`` should do with one)."""
    def day(key: str, current: dt.date | None) -> dt.date | None:
        if key not in data:
            return current
        return dt.date.fromisoformat(data[key]) if data[key] else None

    return replace(
        state,
        due=day("due", state.due),
        formal_due=day("formal_due", state.formal_due),
        formal_at_risk_on=day("formal_at_risk_on", state.formal_at_risk_on),
        overdue_flagged=bool(data.get("overdue_flagged", state.overdue_flagged)),
        at_risk_flagged=bool(data.get("at_risk_flagged", state.at_risk_flagged)),
        last_event_on=on,
    )
