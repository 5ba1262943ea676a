"""An alert's current state, as a fold over its events.

The event log is the record; this is its projection. Every event that changes the state
carries in its data the values it sets (the new level, the new due date, the formal
clock's dates), so folding needs no calendar and no policy: replaying the log always
gives the same state, whatever the policy says today.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields, replace
from typing import Any

from rules.impact import IMPACT_EVENTS

INFORMAL = "informal"
REVIEWER = "iro"  # "awaiting the reviewer": the IRO or CP chair must decide what next

#: Events a person records (and the import accepts).
USER_EVENTS = (
    "raised", "responded", "satisfied", "not_satisfied", "escalated",
    "extension_requested", "extension_agreed", "extension_refused", "withdrawn",
    "hos_notified", "cafcass_referral", "legal_advice", "complaint", "acknowledged",
)
#: Events only a rule makes.
DERIVED_EVENTS = ("overdue", "formal_at_risk", "formal_breached", "cafcass_prompt")
OUTCOMES = ("agree", "uphold", "alternative", "no_action")


@dataclass(frozen=True)
class AlertState:
    """Everything the rules need to know about one alert, and the screens to show it."""

    ref: str
    child: str
    track: str
    category: str = ""
    raised_on: dt.date | None = None
    status: str = "open"  # open | resolved | withdrawn
    level: str = INFORMAL  # "informal" or the role slug of a formal level
    awaiting: str = ""  # role slug of who must act, or "iro" for the reviewer
    due: dt.date | None = None
    outcome: str = ""  # the last response's outcome at this level
    overdue_flagged: bool = False  # the reviewer was prompted about silence at this level
    formal_started: dt.date | None = None
    formal_due: dt.date | None = None
    formal_at_risk_on: dt.date | None = None
    at_risk_flagged: bool = False
    breached_flagged: bool = False
    cafcass_referred: bool = False
    cafcass_prompted: bool = False
    hos_notified: bool = False
    extension_until: dt.date | None = None  # a request waiting for the reviewer's answer
    acknowledged: bool = False  # the addressee at this level has acknowledged it
    level_since: dt.date | None = None  # the day the alert reached its current level
    closed_on: dt.date | None = None
    last_event_on: dt.date | None = None

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def awaiting_manager(self) -> bool:
        return self.is_open and self.awaiting not in ("", REVIEWER)

    def to_json(self) -> dict[str, Any]:
        values = ((name, getattr(self, name)) for name in _FIELD_NAMES)
        return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in values}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AlertState:
        values = dict(data)
        for name in _DATE_FIELDS:
            if values.get(name):
                values[name] = dt.date.fromisoformat(values[name])
        return cls(**values)


_FIELD_NAMES = tuple(f.name for f in fields(AlertState))
_DATE_FIELDS = (
    "raised_on", "due", "formal_started", "formal_due", "formal_at_risk_on",
    "extension_until", "closed_on", "last_event_on", "level_since",
)


def _date(data: dict[str, Any], key: str) -> dt.date | None:
    value = data.get(key)
    return dt.date.fromisoformat(value) if value else None


def _new_level(state: AlertState, data: dict[str, Any], on: dt.date) -> AlertState:
    """A new level (raised or escalated): the addressee, due date and maybe the formal clock."""
    state = replace(
        state,
        level=data["level"],
        awaiting=data["awaiting"],
        due=_date(data, "due"),
        outcome="",
        overdue_flagged=False,
        extension_until=None,
        acknowledged=False,
        level_since=on,
    )
    if data.get("formal_started") and state.formal_started is None:
        state = replace(
            state,
            formal_started=_date(data, "formal_started"),
            formal_due=_date(data, "formal_due"),
            formal_at_risk_on=_date(data, "formal_at_risk_on"),
        )
    return state


def apply_event(state: AlertState, kind: str, on: dt.date, data: dict[str, Any]) -> AlertState:
    """The state after one event. Unknown kinds (notes) change nothing but the date; the
    impact follow-up's events, about the child after the alert closed, change nothing."""
    if kind in IMPACT_EVENTS:
        return state
    state = replace(state, last_event_on=on)
    if kind == "raised":
        state = replace(state, raised_on=on, category=data.get("category") or "")
        return _new_level(state, data, on)
    if kind == "escalated":
        return _new_level(state, data, on)
    if kind == "responded":
        return replace(state, awaiting=REVIEWER, due=None, outcome=data.get("outcome", ""),
                       extension_until=None)
    if kind == "not_satisfied":
        return replace(state, awaiting=REVIEWER, due=None)
    if kind == "satisfied":
        return replace(state, status="resolved", awaiting="", due=None, closed_on=on)
    if kind == "withdrawn":
        return replace(state, status="withdrawn", awaiting="", due=None, closed_on=on)
    if kind == "policy_migrated":  # moved to a newer version of the policy, on purpose
        from rules.policy_migration import apply_migration  # it builds on this module

        return apply_migration(state, on, data)
    if kind == "extension_requested":
        return replace(state, extension_until=_date(data, "until"))
    if kind == "extension_agreed":
        return replace(state, due=_date(data, "until"), extension_until=None,
                       overdue_flagged=False)
    if kind == "extension_refused":
        return replace(state, extension_until=None)
    if kind == "hos_notified":
        return replace(state, hos_notified=True)
    if kind == "cafcass_referral":
        return replace(state, cafcass_referred=True)
    if kind == "acknowledged":
        return replace(state, acknowledged=True)
    if kind == "overdue":
        return replace(state, overdue_flagged=True)
    if kind == "formal_at_risk":
        return replace(state, at_risk_flagged=True)
    if kind == "formal_breached":
        return replace(state, breached_flagged=True, at_risk_flagged=True)
    if kind == "cafcass_prompt":
        return replace(state, cafcass_prompted=True)
    return state
