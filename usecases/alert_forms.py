"""The alert forms' use cases: check what was typed, then hand it to the engine.

Field checks (is it filled in, is the date sensible) happen here and come back as a
message per field; the engine's own refusals (a gate not recorded, the wrong person
answering) come back too, attached to the field they are about. Before either, the access
module (``usecases.access``) says whether this person may act on this child or alert at
all: AccessRefused (a UserError) when not, recorded in the access audit.

One click, one action: a form passes its submission token and the action is recorded
inside ``usecases.submissions.once``; a second save of the same filling-in writes nothing
and raises AlreadySaved. Steps that cannot be undone (resolving, withdrawing, escalating)
are saved only when the form says the person confirmed them.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from db.alerts import alert_by_ref
from db.people import child_by_ref
from rules.alert_state import INFORMAL, REVIEWER
from rules.alert_transitions import Command, informal_addressee, level_name
from rules.conversation import OUTCOME_WORDS, without_typed
from rules.dates import uk_date
from rules.informal_stage import informal_date_problem, latest_informal_date
from rules.ladder_text import gate_text
from rules.policy import Track
from rules.roles import role_name
from usecases.access import (
    actions_allowed,
    children_for_action,
    require_act_on_alert,
    require_act_on_child,
)
from usecases.accounts import SignedInUser
from usecases.alert_view import AlertView
from usecases.alerts import AlertRefused, Recorded, raise_alert, record_action
from usecases.errors import UserError
from usecases.impact import ImpactInvalid, alert_to_follow, resolution_details
from usecases.store import Store
from usecases.submissions import AlreadySaved, once

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
OUTCOME_LABELS = OUTCOME_WORDS
#: What each action's written words are for (every field its own label).
NOTE_LABELS = {
    "responded": "Your response in writing",
    "extension_requested": "Why more time is needed",
    "withdrawn": "Why it is withdrawn",
    "not_satisfied": "Why you are not satisfied (optional; the managers read it)",
    "satisfied": "Note for the record (optional)",
    "escalated": "Why you are escalating (optional)",
    "extension_refused": "Why more time is refused (optional)",
}
#: Steps that cannot be undone: the form asks "are you sure?" before saving them.
NEEDS_CONFIRMING = ("satisfied", "withdrawn", "escalated")


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
    latest: dt.date | None = None  # informal: the latest response date that may be agreed


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
    follows: str = ""  # an alert whose change for the child did not last (issue 16)


def children_to_raise_for(store: Store, user: SignedInUser) -> list[dict]:
    """The children this person may raise an alert for: those they review (every child,
    for whoever acts for the reviewer)."""
    return children_for_action(store, user, "raise_alert")


def _track_of(store: Store, child: dict) -> Track:
    track_id = TRACK_OF_STATUS[child["legal_status"]]
    if track_id not in store.policy.tracks:
        raise UserError(f"{store.policy.id} has no escalation process for this child's "
                        "legal status.")
    return store.policy.track(track_id)


def track_for_child(store: Store, user: SignedInUser, child_ref: str, now: dt.datetime,
                    action: str = "raise_alert") -> Track:
    """The escalation process for a child this person may raise an alert (or, with
    ``action="record_review"``, record a review) for; AccessRefused otherwise."""
    child = child_by_ref(store.db, child_ref)
    if child is None:
        raise UserError(f"There is no child with case reference {child_ref}.")
    require_act_on_child(store, user, child_ref, action, now)
    return _track_of(store, child)


def level_choices(store: Store, track: Track, on: dt.date) -> list[LevelChoice]:
    """Where an alert can start, with who answers, the due date and any gate."""
    cal = store.calendar
    choices = [LevelChoice(
        INFORMAL, track.informal.label, role_name(informal_addressee(track)),
        cal.add_working_days(on, track.informal.response_days), "", False,
        latest_informal_date(track, cal, on))]
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


def raise_form_problems(store: Store, form: RaiseAlertForm, on: dt.date) -> dict[str, str]:
    """Every problem with the form to raise an alert, field -> what to do (empty when fine).
    Whether this person may raise it is the access module's question (asked on saving)."""
    errors: dict[str, str] = {}
    child = child_by_ref(store.db, form.child_ref) if form.child_ref else None
    if child is None:
        errors["child"] = "Choose the child the alert is about."
    if not form.category:
        errors["category"] = "Choose the category of concern."
    if not form.concern.strip():
        errors["concern"] = "Describe the issue of concern."
    if not form.outcome_sought.strip():
        errors["outcome_sought"] = "Say what outcome you are seeking, and by when."
    if form.level == INFORMAL and form.agreed_date is not None:
        if form.agreed_date <= on:
            errors["agreed_date"] = f"The response date must be after today ({uk_date(on)})."
        elif child is not None and child["legal_status"] in TRACK_OF_STATUS:
            track_id = TRACK_OF_STATUS[child["legal_status"]]
            if track_id in store.policy.tracks:
                problem = informal_date_problem(store.policy.track(track_id), store.calendar,
                                                on, form.agreed_date)
                if problem:
                    errors["agreed_date"] = problem
    return errors


def raise_from_form(
    store: Store, form: RaiseAlertForm, *, user: SignedInUser, on: dt.date, now: dt.datetime
) -> Recorded:
    """Raise an alert for a child this person reviews (or acts for the reviewer of).

    Every field problem at once (:class:`FormInvalid`): an informal stage's agreed date must
    be after today and no later than the policy's cap (``informal.max_days``)."""
    child = child_by_ref(store.db, form.child_ref) if form.child_ref else None
    if child is not None:
        require_act_on_child(store, user, child["case_ref"], "raise_alert", now)
    errors = raise_form_problems(store, form, on)
    followed = None
    if form.follows.strip() and child is not None:
        try:
            followed = alert_by_ref(store.db, alert_to_follow(store, user, form.follows,
                                                              child["case_ref"]))
        except UserError as wrong:
            errors["follows"] = str(wrong)
    if errors:
        raise FormInvalid(errors)
    assert child is not None
    track = _track_of(store, child)
    # what the reviewer wrote goes into the raised event too: the chronology and the
    # messages read it from there
    details: dict = {"concern": form.concern.strip(),
                     "outcome_sought": form.outcome_sought.strip()}
    if form.child_knows_rights is not None:
        details["child_knows_rights"] = form.child_knows_rights
    if followed is not None:
        details.update(follows=followed.ref, follows_alert_id=followed.id)
    command = Command(
        kind="raised", on=on, actor_role=user.role, actor_id=user.staff_id, level=form.level,
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


def available_actions(store: Store, user: SignedInUser, view: AlertView, track: Track,
                      on: dt.date) -> list[str]:
    """What this person may record on the alert now: what the process offers at this point,
    and only what the access module lets them (the engine checks again on saving)."""
    if not view.is_open:
        return []
    reviewers = set(track.raised_by) | set(store.policy.access.act_for_reviewer)
    offered: list[str] = []
    if user.role in reviewers:
        skip = set()
        if view.awaiting != REVIEWER:
            skip.add("not_satisfied")  # there is no response yet to be dissatisfied with
        if view.extension_until is None:
            skip |= {"extension_agreed", "extension_refused"}
        if view.level == track.levels[-1].role:
            skip.add("escalated")
        offered.extend(kind for kind in REVIEWER_ACTIONS if kind not in skip)
    addressees = set(track.informal.with_roles) if view.level == INFORMAL else {view.awaiting}
    if view.awaiting not in ("", REVIEWER) and user.role in addressees:
        offered.extend(ADDRESSEE_ACTIONS)
    offered.append("complaint")
    allowed = set(actions_allowed(store, user, view.ref, on))
    return [kind for kind in offered if kind in allowed]


def note_label(kind: str) -> str:
    """The label of the written-words field for an action."""
    return NOTE_LABELS.get(kind, "Note (optional)")


def confirm_label(kind: str, track: Track, level: str = "") -> str:
    """The "are you sure?" box for a step that cannot be undone ("" for the others)."""
    if kind == "satisfied":
        return "I am sure: this resolves and closes the alert, and cannot be undone"
    if kind == "withdrawn":
        return "I am sure: this withdraws and closes the alert, and cannot be undone"
    if kind == "escalated":
        where = level_name(track, level) if level else "the chosen level"
        return (f"I am sure: this escalates the alert to {where} and tells them now; it "
                "cannot be undone")
    return ""


def higher_levels(track: Track, view: AlertView) -> list[tuple[str, str]]:
    current = 0 if view.level == INFORMAL else track.level(view.level).number
    return [(lvl.role, lvl.label) for lvl in track.levels if lvl.number > current]


def act_from_form(
    store: Store,
    ref: str,
    kind: str,
    *,
    user: SignedInUser,
    on: dt.date,
    now: dt.datetime,
    outcome: str = "",
    until: dt.date | None = None,
    note: str = "",
    level: str = "",
    gate: str = "",
    emergency: bool = False,
    details: dict | None = None,
    confirmed: bool | None = None,
    submission: str | None = None,
    impact: str = "",
    impact_note: str = "",
    actions: list[tuple[str, dt.date | None]] | None = None,
) -> Recorded:
    """Record one action on an alert, for someone the access module lets take it.

    ``submission`` is the form's token: the same filling-in saved again raises AlreadySaved
    and writes nothing. ``confirmed`` is the form's "I am sure" box: False refuses a step
    that cannot be undone (None: the caller has no such box, as the inbox's response form).
    Resolving (``satisfied``) needs the difference made for the child: ``impact``,
    ``impact_note`` and the ``actions`` agreed, (words, date) rows (``usecases.impact``).
    """
    if kind not in ACTION_LABELS:
        raise FormInvalid({"": "Choose what to record."})
    if _saved_before(store, submission):
        raise AlreadySaved()
    require_act_on_alert(store, user, ref, kind, now, on=on)
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
    if kind == "satisfied":
        try:
            details = {**(details or {}), **resolution_details(
                store, ref, impact, impact_note, list(actions or []), on)}
        except ImpactInvalid as invalid:
            errors.update(invalid.errors)
    if kind in NEEDS_CONFIRMING and confirmed is False:
        errors["confirm"] = ("This cannot be undone: tick \"I am sure\" to save it, or choose "
                             "another action.")
    if errors:
        raise FormInvalid(errors)
    command = Command(kind=kind, on=on, actor_role=user.role, actor_id=user.staff_id,
                      level=level,
                      outcome=outcome, until=until, note=note.strip(), gate=gate.strip(),
                      emergency=emergency, details=details or {})
    try:
        with once(submission):
            return record_action(store, ref, command)
    except AlertRefused as refused:
        raise FormInvalid({_field_for(m): m for m in refused.messages}) from None


def saved_summary(store: Store, submission: str) -> str:
    """What a form's submission saved, in the rules' words (never anyone's typed words, which
    the page shows as typed in the exchange): "Saved. <reason> <reason>"; "" when nothing.
    The same answer whichever of several quick clicks' runs gets to say it."""
    reasons = [without_typed(row["reason"], json.loads(row["data"] or "{}"))
               for row in store.db.query("SELECT reason, data FROM events WHERE submission = ? "
                                         "ORDER BY id", [submission])]
    return "Saved. " + " ".join(reasons) if reasons else ""


def _saved_before(store: Store, submission: str | None) -> bool:
    """Whether this form's filling-in was saved already (checked before anything else, so
    a repeat says "already saved" even when the first save closed the alert)."""
    if not submission:
        return False
    return store.db.execute("SELECT 1 FROM events WHERE submission = ? LIMIT 1",
                            [submission]).fetchone() is not None
