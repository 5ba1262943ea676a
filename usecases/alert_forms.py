"""The alert forms' use cases: check what was typed, then hand it to the engine.

Field checks (is it filled in, is the date sensible) happen here and come back as a
message per field; the engine's own refusals (a gate not recorded, the wrong person
answering) come back too, attached to the field they are about.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from db.people import child_by_ref
from rules.alert_state import INFORMAL, REVIEWER
from rules.alert_transitions import Command, informal_addressee
from rules.dates import uk_date
from rules.ladder_text import gate_text
from rules.policy import Track
from rules.roles import role_name
from usecases.alert_view import AlertView
from usecases.alerts import AlertRefused, Recorded, raise_alert, record_action
from usecases.errors import UserError
from usecases.store import Store

TRACK_OF_STATUS = {"looked_after": "iro", "child_protection": "cp"}
REVIEWER_ACTIONS = ("satisfied", "not_satisfied", "escalated", "extension_agreed",
                    "extension_refused", "withdrawn", "hos_notified", "legal_advice",
                    "cafcass_referral")
ADDRESSEE_ACTIONS = ("responded", "extension_requested", "acknowledged")
ACTION_LABELS = {
    "responded": "Respond",
    "extension_requested": "Ask for more time",
    "acknowledged": "Acknowledge",
    "satisfied": "Satisfied: resolve the alert",
    "not_satisfied": "Not satisfied with the response",
    "escalated": "Escalate to a higher level",
    "extension_agreed": "Agree the extra time",
    "extension_refused": "Refuse the extra time",
    "withdrawn": "Withdraw the alert",
    "hos_notified": "Record that the Head of Service was told",
    "legal_advice": "Record that legal advice was sought",
    "cafcass_referral": "Record a referral to CAFCASS",
    "complaint": "Note a complaint by or for the child",
}
OUTCOME_LABELS = {
    "agree": "Agree with the concern",
    "uphold": "Uphold the service's decision",
    "alternative": "Propose another course of action",
    "no_action": "No action will be taken",
}


class FormInvalid(UserError):
    """What is wrong with a form, field by field ("" for the form as a whole)."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(" ".join(errors.values()))


@dataclass(frozen=True)
class LevelChoice:
    slug: str
    label: str
    responder: str
    due: dt.date
    gate: str  # what the policy asks before starting here, or ""
    emergency_allowed: bool


@dataclass(frozen=True)
class RaiseAlertForm:
    child_ref: str
    category: str
    concern: str
    outcome_sought: str
    level: str
    agreed_date: dt.date | None = None  # informal stage only
    gate: str = ""
    emergency: bool = False
    child_knows_rights: bool | None = None  # of the right to complain and to an advocate


def track_for_child(store: Store, child_ref: str) -> Track:
    child = child_by_ref(store.db, child_ref)
    if child is None:
        raise UserError(f"There is no child with case reference {child_ref}.")
    track_id = TRACK_OF_STATUS[child["legal_status"]]
    if track_id not in store.policy.tracks:
        raise UserError(f"{store.policy.id} has no escalation process for this child's "
                        "legal status.")
    return store.policy.track(track_id)


def level_choices(store: Store, track: Track, on: dt.date) -> list[LevelChoice]:
    """Where an alert can start, with who answers, the due date and any gate."""
    cal = store.calendar
    choices = [LevelChoice(
        INFORMAL, track.informal.label, role_name(informal_addressee(track)),
        cal.add_working_days(on, track.informal.response_days), "", False)]
    if track.bypass.allowed:
        for level in track.levels:
            gates = [g for g in (track.informal.gate_to_formal, track.bypass.gate, level.gate)
                     if g is not None]
            choices.append(LevelChoice(
                level.role, level.label, role_name(level.role),
                cal.add_working_days(on, level.response_days),
                "; ".join(dict.fromkeys(gate_text(g) for g in gates)),
                bool(gates) and all(g.emergency_exempt for g in gates)))
    return choices


def _field_for(message: str) -> str:
    if "consulted" in message:
        return "gate"
    if "category" in message:
        return "category"
    if "date" in message.lower():
        return "agreed_date"
    return ""


def last_review_on(store: Store, child_id: int, kind: str, on: dt.date) -> dt.date | None:
    """The child's last review or conference of this kind, on or before ``on``."""
    row = store.db.execute(
        "SELECT max(held_on) FROM reviews WHERE child_id = ? AND kind = ? AND held_on <= ?",
        [child_id, kind, on.isoformat()]).fetchone()
    return dt.date.fromisoformat(row[0]) if row and row[0] else None


def raise_from_form(
    store: Store, form: RaiseAlertForm, *, actor_id: int, actor_role: str, on: dt.date
) -> Recorded:
    errors: dict[str, str] = {}
    child = child_by_ref(store.db, form.child_ref)
    if child is None:
        errors["child"] = "Choose the child the alert is about."
    if not form.category:
        errors["category"] = "Choose the category of concern."
    if not form.concern.strip():
        errors["concern"] = "Describe the issue of concern."
    if not form.outcome_sought.strip():
        errors["outcome_sought"] = "Say what outcome you are seeking, and by when."
    if form.level == INFORMAL and form.agreed_date is not None and form.agreed_date <= on:
        errors["agreed_date"] = f"The response date must be after today ({uk_date(on)})."
    if errors:
        raise FormInvalid(errors)
    assert child is not None
    track = track_for_child(store, form.child_ref)
    details = ({} if form.child_knows_rights is None
               else {"child_knows_rights": form.child_knows_rights})
    command = Command(
        kind="raised", on=on, actor_role=actor_role, actor_id=actor_id, level=form.level,
        until=form.agreed_date if form.level == INFORMAL else None, gate=form.gate.strip(),
        emergency=form.emergency, category=form.category, note="", details=details,
        review_held_on=last_review_on(store, child["id"], track.review_kind, on),
    )
    try:
        return raise_alert(store, child_id=child["id"], child_ref=form.child_ref,
                           track=track.id, command=command, concern=form.concern.strip(),
                           outcome_sought=form.outcome_sought.strip())
    except AlertRefused as refused:
        raise FormInvalid({_field_for(m): m for m in refused.messages}) from None


def available_actions(view: AlertView, role: str, track: Track) -> list[str]:
    """What this role may record on the alert now (the engine checks again on saving)."""
    if not view.is_open:
        return []
    actions: list[str] = []
    if role in set(track.raised_by) | {"principal_iro"}:
        skip = set()
        if view.awaiting != REVIEWER:
            skip.add("not_satisfied")  # there is no response yet to be dissatisfied with
        if view.extension_until is None:
            skip |= {"extension_agreed", "extension_refused"}
        if view.level == track.levels[-1].role:
            skip.add("escalated")
        actions.extend(kind for kind in REVIEWER_ACTIONS if kind not in skip)
    addressees = set(track.informal.with_roles) if view.level == INFORMAL else {view.awaiting}
    if view.awaiting not in ("", REVIEWER) and role in addressees:
        actions.extend(ADDRESSEE_ACTIONS)
    actions.append("complaint")
    return actions


def higher_levels(track: Track, view: AlertView) -> list[tuple[str, str]]:
    current = 0 if view.level == INFORMAL else track.level(view.level).number
    return [(lvl.role, lvl.label) for lvl in track.levels if lvl.number > current]


def act_from_form(
    store: Store,
    ref: str,
    kind: str,
    *,
    actor_id: int,
    actor_role: str,
    on: dt.date,
    outcome: str = "",
    until: dt.date | None = None,
    note: str = "",
    level: str = "",
    gate: str = "",
    emergency: bool = False,
    details: dict | None = None,
) -> Recorded:
    errors: dict[str, str] = {}
    if kind == "responded" and outcome not in OUTCOME_LABELS:
        errors["outcome"] = "Choose the outcome of your response."
    if kind == "responded" and not note.strip():
        errors["note"] = "Write your response: what you agree to do, or why not."
    if kind == "extension_requested" and (until is None or until <= on):
        errors["until"] = f"Choose the date you need, after today ({uk_date(on)})."
    if kind == "extension_requested" and not note.strip():
        errors["note"] = "Say why more time is needed."
    if kind == "escalated" and not level:
        errors["level"] = "Choose the level to escalate to."
    if kind == "withdrawn" and not note.strip():
        errors["note"] = "Say why the alert is withdrawn."
    if errors:
        raise FormInvalid(errors)
    command = Command(kind=kind, on=on, actor_role=actor_role, actor_id=actor_id, level=level,
                      outcome=outcome, until=until, note=note.strip(), gate=gate.strip(),
                      emergency=emergency, details=details or {})
    try:
        return record_action(store, ref, command)
    except AlertRefused as refused:
        raise FormInvalid({_field_for(m): m for m in refused.messages}) from None
