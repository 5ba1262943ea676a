"""What each step of the ladder does to an alert: the events it writes, and why.

The rulesets in ``rules.alert_rules`` decide *which* step applies; the functions here say
*what* it produces: new levels, due dates counted in working days, and a plain-English
reason naming the policy and level. They are pure: policy, calendar, state and command
in; events out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from rules.alert_state import INFORMAL, REVIEWER, AlertState
from rules.dates import uk_date
from rules.impact import FOLLOWED_UP_KIND, IMPACT_WORDS
from rules.policy import Level, Policy, Track
from rules.roles import role_name
from rules.working_days import WorkingCalendar

#: The order roles are thought of as senior, for choosing who answers an informal stage.
SENIORITY = (
    "social_worker", "practice_manager", "team_manager", "operations_manager",
    "service_manager", "strategic_manager", "deputy_head_of_service", "head_of_service",
    "qa_head_of_service", "service_director", "assistant_director", "divisional_director",
    "director", "executive_director", "deputy_chief_executive", "chief_executive",
)


@dataclass(frozen=True)
class Command:
    """Something a person records on an alert (from a screen or an imported row)."""

    kind: str
    on: dt.date
    actor_role: str = ""
    actor_id: int | None = None
    level: str = ""  # for raised / escalated: "informal" or a formal level's role slug
    outcome: str = ""  # for responded
    until: dt.date | None = None  # agreed informal date, or an extension's new due date
    note: str = ""
    gate: str = ""  # who was consulted, as the policy's gate asks; or "emergency"
    emergency: bool = False
    category: str = ""
    details: dict[str, Any] = field(default_factory=dict)  # extra facts kept in the event
    review_held_on: dt.date | None = None  # the last review or conference, for raise_within


@dataclass(frozen=True)
class NewEvent:
    """An event the rules want written: by a person (rule is None) or derived by a rule."""

    kind: str
    on: dt.date
    data: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    rule: str | None = None
    actor_role: str = ""
    actor_id: int | None = None


@dataclass(frozen=True)
class Situation:
    """The inputs of one decision, handed to the rule actions."""

    policy: Policy
    calendar: WorkingCalendar
    state: AlertState
    command: Command | None = None
    today: dt.date | None = None

    @property
    def track(self) -> Track:
        return self.policy.track(self.state.track)

    @property
    def level(self) -> Level | None:
        return None if self.state.level == INFORMAL else self.track.level(self.state.level)

    @property
    def next_level(self) -> Level | None:
        level = self.level
        if level is None:
            return self.track.levels[0]
        return self.track.next_level(level)

    @property
    def target(self) -> Level | None:
        assert self.command is not None
        if self.command.level in ("", INFORMAL):
            return None
        return self.track.level(self.command.level)


# -- words ----------------------------------------------------------------------------------


def reviewer_word(track_id: str) -> str:
    return "the CP chair" if track_id == "cp" else "the IRO"


def sentence(text: str) -> str:
    """Capitalise the first letter only ("The CP chair", not "The cp chair")."""
    return text[:1].upper() + text[1:]


def informal_addressee(track: Track) -> str:
    """The most senior of the people an informal stage is resolved with."""
    roles = track.informal.with_roles
    return max(roles, key=lambda r: SENIORITY.index(r) if r in SENIORITY else -1)


def level_name(track: Track, slug: str) -> str:
    return track.informal.label if slug == INFORMAL else track.level(slug).label


def _under(policy: Policy, level: Level | None) -> str:
    return f"under {policy.id} level {level.number}" if level else f"under {policy.id}"


# -- moving to a level -----------------------------------------------------------------------


def _level_data(s: Situation, level: Level | None, on: dt.date, until: dt.date | None) -> dict:
    """The data that puts an alert at ``level`` on ``on``: addressee, due, formal clock."""
    track = s.track
    if level is None:
        due = until or s.calendar.add_working_days(on, track.informal.response_days)
        data: dict[str, Any] = {"level": INFORMAL, "awaiting": informal_addressee(track)}
    else:
        due = s.calendar.add_working_days(on, level.response_days)
        data = {"level": level.role, "awaiting": level.role, "level_number": level.number}
    data["due"] = due.isoformat()
    if level is not None and s.state.formal_started is None:
        cap = track.formal_cap_days
        data["formal_started"] = on.isoformat()
        data["formal_due"] = s.calendar.add_working_days(on, cap).isoformat()
        data["formal_at_risk_on"] = s.calendar.add_working_days(
            on, max(cap - track.at_risk_days, 0)
        ).isoformat()
    return data


def raise_alert(s: Situation) -> list[NewEvent]:
    c = s.command
    assert c is not None
    level = s.target
    data = _level_data(s, level, c.on, c.until if level is None else None)
    data["category"] = c.category
    if level is None and c.until is not None:
        data["until"] = c.until.isoformat()  # the date agreed for the informal stage
    if c.gate or c.emergency:
        data["gate"] = "Emergency" if c.emergency and not c.gate else c.gate
    where = level.label if level else s.track.informal.label
    reason = f"Raised at {where}; {role_name(data['awaiting'])} to respond by " \
             f"{uk_date(data['due'])}."
    return [_person(c, "raised", data, reason)]


def escalate_by_hand(s: Situation) -> list[NewEvent]:
    c = s.command
    assert c is not None and s.target is not None
    data = _level_data(s, s.target, c.on, None)
    data["from_level"] = s.state.level
    if c.gate or c.emergency:
        data["gate"] = "Emergency" if c.emergency and not c.gate else c.gate
    reason = (f"{sentence(reviewer_word(s.state.track))} escalated the alert to "
              f"{s.target.label}; response due by {uk_date(data['due'])}.")
    return [_person(c, "escalated", data, reason)]


def respond(s: Situation) -> list[NewEvent]:
    c = s.command
    assert c is not None
    words = {"agree": "agreed with the concern", "uphold": "upheld the service's decision",
             "alternative": "proposed another course of action",
             "no_action": "advised that no action will be taken"}
    who = role_name(c.actor_role or s.state.awaiting)
    reason = f"{who} {words[c.outcome]}; {reviewer_word(s.state.track)} decides whether " \
             "this resolves it."
    data = {"level": s.state.level, "outcome": c.outcome,
            "due": s.state.due.isoformat() if s.state.due else ""}  # on time or not, later
    return [_person(c, "responded", data, reason)]


def satisfied(s: Situation) -> list[NewEvent]:
    c = s.command
    assert c is not None
    reason = f"{sentence(reviewer_word(s.state.track))} is satisfied: the alert is resolved."
    impact = c.details.get("impact", "")
    if impact in IMPACT_WORDS and impact:
        reason += f" Difference for the child: {IMPACT_WORDS[impact].lower()}."
    if c.details.get("follow_up_on"):
        reason += (f" Whether it lasted is asked on {uk_date(c.details['follow_up_on'])}, or "
                   "at the child's next review if that is sooner.")
    return [_person(c, "satisfied", {"level": s.state.level}, reason)]


def not_satisfied_and_escalate(s: Situation) -> list[NewEvent]:
    """Not satisfied where the policy escalates: to the next level the same day."""
    c = s.command
    assert c is not None
    level, nxt = s.level, s.next_level
    assert level is not None and nxt is not None
    first = _person(c, "not_satisfied", {"level": s.state.level},
                    f"{sentence(reviewer_word(s.state.track))} is not satisfied with "
                    f"the {role_name(level.role)}'s response.")
    data = _level_data(s, nxt, c.on, None)
    data["from_level"] = level.role
    reason = (f"{sentence(reviewer_word(s.state.track))} was not satisfied with the "
              f"{role_name(level.role)}'s response; escalated to {role_name(nxt.role)} the "
              f"same day {_under(s.policy, nxt)}; response due by {uk_date(data['due'])}.")
    return [first, _derived("escalated", c.on, data, reason, "not_satisfied_escalates")]


def not_satisfied_and_decide(s: Situation) -> list[NewEvent]:
    """Not satisfied where the reviewer decides the next step (informal, or a 'prompt' level)."""
    c = s.command
    assert c is not None
    who = reviewer_word(s.state.track)
    if s.level is None:
        gate = s.track.informal.gate_to_formal
        step = "decides whether to go formal"
        if gate is not None:
            step += " after consulting " + " or ".join(role_name(r) for r in gate.consult)
    elif s.next_level is None:
        step = "is at the top of the ladder and should consider a referral to CAFCASS"
    else:
        step = f"decides whether to escalate to {s.next_level.label}"
    events = [_person(c, "not_satisfied", {"level": s.state.level},
                      f"{sentence(who)} is not satisfied and {step}.")]
    if s.next_level is None and s.level is not None and _cafcass_applies(s):
        events.append(_cafcass_prompt(s, c.on))
    return events


def request_extension(s: Situation) -> list[NewEvent]:
    c = s.command
    assert c is not None and c.until is not None
    who = role_name(c.actor_role or s.state.awaiting)
    reason = f"{who} asked for more time, until {uk_date(c.until)}"
    reason += f": {c.note}" if c.note else "."
    return [_person(c, "extension_requested", {"until": c.until.isoformat()}, reason)]


def agree_extension(s: Situation) -> list[NewEvent]:
    c = s.command
    assert c is not None
    until = c.until or s.state.extension_until
    assert until is not None
    reason = f"{sentence(reviewer_word(s.state.track))} agreed more time: response now " \
             f"due by {uk_date(until)}."
    return [_person(c, "extension_agreed", {"until": until.isoformat()}, reason)]


def refuse_extension(s: Situation) -> list[NewEvent]:
    c = s.command
    assert c is not None
    due = uk_date(s.state.due, "the date already set")
    reason = f"{sentence(reviewer_word(s.state.track))} refused more time: the response " \
             f"is still due by {due}."
    return [_person(c, "extension_refused", {}, reason)]


def raised_late(s: Situation) -> list[NewEvent]:
    """A concern raised later than the policy allows after the review or conference."""
    c = s.command
    assert c is not None and c.review_held_on is not None
    days = s.track.raise_within_days
    meeting = "conference" if s.track.review_kind == "cp_conference" else "review"
    reason = (f"Raised on {uk_date(c.on)}, more than {days} working day{'s' if days != 1 else ''}"
              f" after the {meeting} of {uk_date(c.review_held_on)}: {s.policy.id} asks for "
              f"concerns to be raised within {days}.")
    return [_derived("raised_late", c.on, {"review_held_on": c.review_held_on.isoformat()},
                     reason, "raise_within")]


COMPLAINANTS = {
    "child": "the child", "parent": "a parent", "carer": "the carer",
    "advocate": "the child's advocate", "other": "someone on the child's behalf",
}
NOTE_REASONS = {
    "withdrawn": "The alert was withdrawn",
    "hos_notified": "The Head of Service was told",
    "cafcass_referral": "The child's case was referred to CAFCASS",
    "legal_advice": "Independent legal advice was sought",
    "complaint": "A complaint by or for the child was noted (the dispute carries on)",
    "acknowledged": "Acknowledged",
}


def note(s: Situation) -> list[NewEvent]:
    c = s.command
    assert c is not None
    reason = NOTE_REASONS[c.kind]
    if c.kind == "acknowledged":
        reason = f"{role_name(c.actor_role or s.state.awaiting)} acknowledged the alert"
    if c.kind == "complaint":
        who = COMPLAINANTS.get(c.details.get("complaint_by", ""), "the child or someone for them")
        reason = f"A complaint by {who} was noted (the dispute carries on)"
        if c.details.get("told_by_complaints_manager"):
            reason += "; the complaints manager told the reviewer"
    reason += f": {c.note}" if c.note else "."
    return [_person(c, c.kind, {"level": s.state.level}, reason)]


# -- the clock -------------------------------------------------------------------------------


def silence_on(s: Situation) -> dt.date | None:
    """The day silence counts: the first working day after the due date."""
    state = s.state
    if not state.awaiting_manager or state.due is None:
        return None
    return s.calendar.next_working_day(state.due)


def breach_on(s: Situation) -> dt.date | None:
    if s.state.formal_due is None:
        return None
    return s.calendar.next_working_day(s.state.formal_due)


def silence_escalates(s: Situation) -> list[NewEvent]:
    level, nxt, day = s.level, s.next_level, s.today
    assert level is not None and nxt is not None and day is not None
    data = _level_data(s, nxt, day, None)
    data["from_level"] = level.role
    reason = (f"No response from {role_name(level.role)} by {uk_date(s.state.due)}; "
              f"escalated to {role_name(nxt.role)} {_under(s.policy, nxt)}; response due by "
              f"{uk_date(data['due'])}.")
    if nxt.gate is not None:
        reason += (" The policy asks that " + " or ".join(role_name(r) for r in nxt.gate.consult)
                   + " is consulted at this level.")
    return [_derived("escalated", day, data, reason, "silence_escalates")]


def silence_prompts(s: Situation) -> list[NewEvent]:
    day = s.today
    assert day is not None
    who = reviewer_word(s.state.track)
    level = s.level
    if level is None:
        text = (f"No agreement at the informal stage by {uk_date(s.state.due)}; {who} decides "
                f"the next step {_under(s.policy, None)}.")
    elif s.next_level is None:
        text = (f"No response from {role_name(level.role)} by {uk_date(s.state.due)}; this is "
                f"the top of the ladder {_under(s.policy, level)}: the alert is overdue.")
    else:
        text = (f"No response from {role_name(level.role)} by {uk_date(s.state.due)}; {who} "
                f"is prompted to decide the next step ({s.policy.id} level {level.number} "
                "does not escalate by itself).")
    events = [_derived("overdue", day, {"level": s.state.level,
                                        "due": s.state.due.isoformat() if s.state.due else ""},
                       text, "silence_prompts")]
    if level is not None and s.next_level is None and _cafcass_applies(s):
        events.append(_cafcass_prompt(s, day))
    return events


def formal_at_risk(s: Situation) -> list[NewEvent]:
    day, state = s.today, s.state
    assert day is not None and state.formal_due is not None and state.formal_started is not None
    left = s.calendar.working_days_between(day, state.formal_due)
    cap = s.track.formal_cap_days
    reason = (f"The formal process must finish by {uk_date(state.formal_due)} ({cap} working "
              f"days from {uk_date(state.formal_started)} under {s.policy.id}); "
              f"{left} working day{'s' if left != 1 else ''} left.")
    return [_derived("formal_at_risk", day, {"formal_due": state.formal_due.isoformat()},
                     reason, "formal_at_risk")]


def formal_breached(s: Situation) -> list[NewEvent]:
    day, state = s.today, s.state
    assert day is not None and state.formal_due is not None
    cap = s.track.formal_cap_days
    reason = (f"The formal process passed its {cap}-working-day limit on "
              f"{uk_date(state.formal_due)} under {s.policy.id} and the alert is unresolved.")
    return [_derived("formal_breached", day, {"formal_due": state.formal_due.isoformat()},
                     reason, "formal_breached")]


def _cafcass_applies(s: Situation) -> bool:
    """CAFCASS reviewed-case referrals are for looked-after children: the IRO track."""
    return s.state.track == "iro" and not s.state.cafcass_referred and not s.state.cafcass_prompted


def _cafcass_prompt(s: Situation, day: dt.date) -> NewEvent:
    top = s.track.levels[-1]
    reason = (f"The alert is unresolved at the top of the ladder ({top.label}); the IRO should "
              f"consider a referral to CAFCASS under {s.policy.id}.")
    return _derived("cafcass_prompt", day, {"level": top.role}, reason, "top_of_ladder")


# -- event makers ----------------------------------------------------------------------------


def followed_up(track_id: str, ref: str, sustained: str, on: dt.date, *, data: dict[str, Any],
                actor_role: str, actor_id: int | None) -> NewEvent:
    """The reviewer's answer to "did the change for the child last?" (issue 16), however it
    was given: the follow-up form, or an imported row. ``data`` carries the note (and an
    import's line)."""
    word = "has lasted" if sustained == "sustained" else "has not lasted"
    return NewEvent(kind=FOLLOWED_UP_KIND, on=on, data={"sustained": sustained, **data},
                    reason=f"{sentence(reviewer_word(track_id))} followed up alert {ref}: the "
                           f"change for the child {word}.",
                    actor_role=actor_role, actor_id=actor_id)



def _person(c: Command, kind: str, data: dict[str, Any], reason: str) -> NewEvent:
    data = {**c.details, **data}
    if c.note:
        data = {**data, "note": c.note}
    return NewEvent(kind=kind, on=c.on, data=data, reason=reason, actor_role=c.actor_role,
                    actor_id=c.actor_id)


def _derived(kind: str, on: dt.date, data: dict[str, Any], reason: str, rule: str) -> NewEvent:
    return NewEvent(kind=kind, on=on, data=data, reason=reason, rule=rule, actor_role="system")


def awaiting_words(state: AlertState) -> str:
    if state.awaiting == REVIEWER:
        return reviewer_word(state.track)
    return role_name(state.awaiting) if state.awaiting else ""
