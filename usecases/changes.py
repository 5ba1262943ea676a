"""Significant changes: the social worker tells the IRO; the IRO decides or books a review.

The local authority must tell the child's IRO of any significant change in the child's
circumstances between reviews (seed 003, Appendix B; seed 002, section 8: "without
delay"). The IRO decides whether a review is needed and, when not, records why on the
child's file; some changes need a review *before* they happen, and wait, shown red, until
the IRO books one. The ``change_notified`` rules (``rules.change_rules``) decide what a
notice sets off; the policy says which kinds of change there are and how fast to tell.

Every use case here is one :func:`db.connection.write_transaction` that writes the row,
its events and the messages together (or nothing), and re-reads the change inside it, so
two people acting at once cannot both act on the same state. Before it, the access module
(``usecases.access``) says whether this person may act for this child at all: the child's
social worker, their managers and business support for the child's team tell; the child's
reviewer (or whoever acts for them) decides. A refusal is recorded in the access audit.

Messages (in the app and by e-mail) carry the case reference, the kind of change, dates
and what to do, with a link; the free text (what happened, the IRO's reasons) stays in the
app, on the child's record, so it is not copied into mailboxes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from db.changes import (
    ChangeRow,
    book_review,
    change_by_id,
    changes_with_status,
    insert_change,
    record_decision,
)
from db.changes import changes_of_child as _changes_of_child
from db.connection import write_transaction
from db.events import append_event
from db.people import child_by_ref
from db.recipients import staff_by_id
from rules.alert_transitions import NewEvent, reviewer_word
from rules.change_rules import (
    AWAITING_DECISION,
    BOOKABLE_STATUSES,
    NO_REVIEW,
    REVIEW_BOOKED,
    REVIEW_NEEDED,
    REVIEW_REQUIRED,
    WAITING_STATUSES,
    NotifiedChange,
    decide_notified,
    review_first_types,
    status_words,
)
from rules.change_rules import change_type as type_of_change
from rules.dates import uk_date
from rules.roles import REVIEWER_ROLES, role_name
from rules.working_days import OutsideCalendar
from usecases.access import (
    REVIEWER_TIE,
    acts_for_reviewer,
    children_for_action,
    only_visible_children,
    require_act_on_child,
    require_view_child,
)
from usecases.accounts import SignedInUser
from usecases.errors import UserError
from usecases.notifications import base_url, tell
from usecases.recipients import people_for_role, reviewer_of
from usecases.store import Store

#: Who may tell the reviewer of a change: the child's social work team, and business
#: support on their behalf (which children: ``usecases.access``).
NOTIFIER_ROLES: tuple[str, ...] = (
    "social_worker", "practice_manager", "team_manager", "business_support")

#: How the child's chronology names each event this module writes (for
#: ``usecases.children.EXTRA_EVENT_WORDS``).
CHANGE_EVENT_WORDS: dict[str, str] = {
    "significant_change_notified": "Significant change: IRO told",
    "change_notified_late": "IRO told of a change late",
    "review_required_before_change": "Review required before the change",
    "review_booked_for_change": "Review booked for a change",
    "change_review_needed": "Change: review needed",
    "change_no_review": "Change: no review needed",
}

NO_REVIEW_REASONS_NEEDED = "Record why no review is needed: it goes on the child's file."


class ChangeInvalid(UserError):
    """What was typed cannot be saved; ``errors`` maps each field to what to do about it."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(" ".join(self.errors.values()))


@dataclass
class ChangeOutcome:
    """What a use case wrote and whom it told, with a sentence for the screen."""

    change_id: int
    status: str
    late: bool = False
    events: list[NewEvent] = field(default_factory=list)
    event_ids: list[int] = field(default_factory=list)
    told: list[str] = field(default_factory=list)
    message: str = ""


# -- small helpers ---------------------------------------------------------------------------


def _and(names: list[str]) -> str:
    if not names:
        return ""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _cap(text: str) -> str:
    """Capitalise the first letter only ("The CP chair", not "The cp chair")."""
    return text[:1].upper() + text[1:]


def _is_date(value: object) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _track(legal_status: str) -> str:
    return "cp" if legal_status == "child_protection" else "iro"


def _label(store: Store, type_id: str) -> str:
    kind = type_of_change(store.policy, type_id)
    return kind.label if kind else type_id


def _write(store: Store, events: list[NewEvent], *, child_id: int, change_id: int) -> list[int]:
    """Append a change's events with the store's policy stamped on each; a derived event
    carries a key so it can never be logged twice. Returns the ids written, in order."""
    ids = []
    for event in events:
        key = (f"change:{change_id}:{event.rule}:{event.kind}" if event.rule is not None
               else None)
        event_id = append_event(
            store.db, kind=event.kind, occurred_on=event.on, actor_id=event.actor_id,
            actor_role=event.actor_role or None, child_id=child_id,
            data={**event.data, "change_id": change_id}, reason=event.reason, rule=event.rule,
            policy_id=store.policy.id, policy_version=store.policy.version, dedupe_key=key)
        if event_id is not None:
            ids.append(event_id)
    return ids


def _footer(link: str) -> list[str]:
    return [f"Open it: {link}", "",
            "This message is about a child's record: do not forward it outside the authority."]


def _who(person: dict) -> str:
    return f"{person['name']} ({role_name(person['role'])})"


# -- telling the reviewer of a change --------------------------------------------------------------


def validate_notice(
    store: Store,
    *,
    child_ref: str,
    change_type_id: str,
    happened_on: dt.date | None,
    description: str,
    on: dt.date,
) -> tuple[dict[str, str], dict | None]:
    """Every problem with a notice at once (field -> what to do), and the child if found.
    Whether this person may tell of a change for the child is the access module's question
    (:func:`notify_change` asks it first)."""
    errors: dict[str, str] = {}
    policy = store.policy
    child = child_by_ref(store.db, child_ref.strip()) if child_ref and child_ref.strip() else None
    if not child_ref or not child_ref.strip():
        errors["child"] = "Choose the child the change is about."
    elif child is None:
        errors["child"] = f"There is no child with case reference {child_ref.strip()}."

    if not change_type_id:
        errors["change_type"] = "Choose the kind of change from the list."
    elif type_of_change(policy, change_type_id) is None:
        errors["change_type"] = (f"'{change_type_id}' is not a significant change under "
                                 f"{policy.id}; choose the kind of change from the list.")

    if happened_on is None or not _is_date(happened_on):
        errors["happened_on"] = "Enter the date the change happened (or was proposed)."
    elif happened_on > on:
        errors["happened_on"] = (f"The change cannot have happened in the future; today is "
                                 f"{uk_date(on)}. For a change that is only planned, give "
                                 "the date it was proposed.")
    else:
        try:
            store.calendar.is_working_day(happened_on)
        except OutsideCalendar as exc:
            errors["happened_on"] = str(exc)

    if not isinstance(description, str) or not description.strip():
        errors["description"] = ("Describe the change: what happened or is proposed, and what "
                                 "it means for the child.")
    return errors, child


def notify_change(
    store: Store,
    *,
    child_ref: str,
    change_type: str,
    happened_on: dt.date | None,
    description: str,
    user: SignedInUser,
    on: dt.date,
    now: dt.datetime,
) -> ChangeOutcome:
    """Tell the child's IRO (or CP chair) of a significant change: one transaction.

    Writes the change, its ``significant_change_notified`` event and what the
    ``change_notified`` rules derive (told late; a review required first), and tells the
    reviewer. Raises AccessRefused (not this person's child to tell of), :class:`UserError`
    (a role that does not tell) or :class:`ChangeInvalid` (every field problem at once) with
    nothing written.
    """
    type_id = change_type
    actor_id, actor_role = user.staff_id, user.role
    known = child_by_ref(store.db, child_ref.strip()) if child_ref and child_ref.strip() else None
    if known is not None:
        require_act_on_child(store, user, known["case_ref"], "tell_change", now)
    if actor_role not in NOTIFIER_ROLES:
        who = role_name(actor_role) if actor_role else "Someone without a role"
        raise UserError(f"Only the child's social worker, their managers or business support "
                        f"tell the IRO of a change; {who} cannot.")
    errors, child = validate_notice(
        store, child_ref=child_ref, change_type_id=type_id, happened_on=happened_on,
        description=description, on=on)
    if errors:
        raise ChangeInvalid(errors)
    assert child is not None and happened_on is not None
    kind = type_of_change(store.policy, type_id)
    assert kind is not None
    track = _track(child["legal_status"])
    reviewer = reviewer_word(track)
    description = description.strip()

    with write_transaction(store.db):
        decision = decide_notified(store.policy, store.calendar, NotifiedChange(
            change_type=type_id, happened_on=happened_on, told_on=on, track=track,
            data={"change_type": type_id}))
        change_id = insert_change(
            store.db, child_id=child["id"], change_type=type_id, happened_on=happened_on,
            notified_on=on, description=description, notified_by=actor_id,
            late=decision.late, review_before=kind.review_before, status=decision.status)
        notified = NewEvent(
            kind="significant_change_notified", on=on, actor_id=actor_id, actor_role=actor_role,
            data={"change_type": type_id, "happened_on": happened_on.isoformat(),
                  "late": decision.late, "review_before": kind.review_before,
                  "status": decision.status, "description": description},
            reason=(f"Significant change of {uk_date(happened_on)} told to {reviewer} on "
                    f"{uk_date(on)}: {kind.label}. What happened: {description}"))
        events = [notified, *decision.events]
        ids = _write(store, events, child_id=child["id"], change_id=change_id)
        told = _tell_reviewer(store, child, event_id=ids[0],
                              label=kind.label, happened_on=happened_on, on=on,
                              status=decision.status, late_reason=next(
                                  (e.reason for e in decision.events
                                   if e.kind == "change_notified_late"), ""),
                              notifier_id=actor_id, notifier_role=actor_role)
    message = _notice_message(child["case_ref"], reviewer, told, decision.status)
    return ChangeOutcome(change_id=change_id, status=decision.status, late=decision.late,
                         events=events, event_ids=ids, told=[p["name"] for p in told],
                         message=message)


def _notice_message(child_ref: str, reviewer: str, told: list[dict], status: str) -> str:
    if told:
        sentence = f"{_and([_who(p) for p in told])} told of the change for {child_ref}."
    else:
        sentence = (f"The change for {child_ref} is recorded, but nobody could be told: the "
                    f"child has no {reviewer.removeprefix('the ')} and there is no Principal "
                    "IRO. Tell the IRO service yourself.")
    if status == REVIEW_REQUIRED:
        sentence += f" A review must be held before this change happens: {reviewer} books it."
    else:
        sentence += f" {_cap(reviewer)} decides whether a review is needed."
    return sentence


def _tell_reviewer(
    store: Store, child: dict, *, event_id: int, label: str,
    happened_on: dt.date, on: dt.date, status: str, late_reason: str,
    notifier_id: int | None, notifier_role: str,
) -> list[dict]:
    """Tell the child's reviewer (or, with none allocated, the Principal IRO)."""
    to = reviewer_of(store, child["id"]) or people_for_role(store, child["id"], "principal_iro")
    if not to:
        return []
    notifier = staff_by_id(store.db, notifier_id) if notifier_id is not None else None
    by = _who(notifier) if notifier else role_name(notifier_role)
    ref = child["case_ref"]
    if status == REVIEW_REQUIRED:
        subject = f"Review required before a change for {ref}: book a date"
        action = ("A review must be held before this change happens: book a review date. "
                  "Until you do, it shows red on your list of significant changes.")
    else:
        subject = f"Significant change for {ref}: decide whether a review is needed"
        action = ("Decide whether a review is needed. If it is not, record why: the reasons "
                  "go on the child's file.")
    link = f"{base_url()}/changes"
    lines = [f"{by} told you on {uk_date(on)} of a significant change for {ref} on "
             f"{uk_date(happened_on)}: {label}.", "", action]
    if late_reason:
        lines += ["", late_reason]
    lines += ["", "What happened is on the list of significant changes.", *_footer(link)]
    tell(store, event_id=event_id, on=on, to=to, cc=[], subject=subject, body="\n".join(lines),
         link=link)
    return to


# -- the reviewer's decision ----------------------------------------------------------------------


def _load(store: Store, change_id: int) -> ChangeRow:
    row = change_by_id(store.db, change_id)
    if row is None:
        raise UserError(f"There is no significant change with id {change_id}.")
    return row


def _check_reviewer(store: Store, user: SignedInUser) -> None:
    """The process's part: only a reviewer's role decides (which children: access)."""
    if user.role not in REVIEWER_ROLES and not acts_for_reviewer(store, user):
        raise UserError(f"Only the child's IRO or CP chair (or the Principal IRO) decides "
                        f"about a significant change; {role_name(user.role)} cannot.")


def _may_decide(store: Store, user: SignedInUser, change_id: int, now: dt.datetime) -> None:
    """Whether this person may decide about the change: the access module's answer for
    the child (its reviewer, or whoever acts for them), asked outside the transaction so
    a refusal is kept in the access audit."""
    row = _load(store, change_id)
    require_act_on_child(store, user, row.child_ref, "decide_change", now)
    _check_reviewer(store, user)


def _tell_notifier(store: Store, row: ChangeRow, *, event_id: int, on: dt.date,
                   actor_id: int | None, subject: str, lines: list[str]) -> list[dict]:
    """Tell whoever told the reviewer of the change, and the child's social worker."""
    people: dict[int, dict] = {}
    for staff_id in (row.notified_by, row.social_worker_id):
        if staff_id is not None and staff_id != actor_id:
            person = staff_by_id(store.db, staff_id)
            if person:
                people.setdefault(person["id"], person)
    to = list(people.values())
    if not to:
        return []
    link = f"{base_url()}/child?child={row.child_ref}"
    tell(store, event_id=event_id, on=on, to=to, cc=[], subject=subject,
         body="\n".join([*lines, "", *_footer(link)]), link=link)
    return to


def _about(row: ChangeRow, label: str) -> str:
    return f"the change of {uk_date(row.happened_on)} for {row.child_ref} ({label})"


def book_review_for_change(
    store: Store,
    change_id: int,
    *,
    review_date: dt.date | None,
    user: SignedInUser,
    on: dt.date,
    now: dt.datetime,
) -> ChangeOutcome:
    """The reviewer books the review a change needs (required first, or decided needed).

    Raises :class:`ChangeInvalid` for a missing or past date, :class:`UserError` when the
    person may not, or the change needs no booking; nothing is written then.
    """
    actor_id, actor_role = user.staff_id, user.role
    _may_decide(store, user, change_id, now)
    with write_transaction(store.db):
        row = _load(store, change_id)
        label = _label(store, row.change_type)
        if row.status not in BOOKABLE_STATUSES:
            raise UserError(f"No review is waiting to be booked for {_about(row, label)}: "
                            f"{status_words(row.status).lower()}"
                            + (f" ({uk_date(row.review_date)})." if row.review_date else "."))
        if review_date is None or not _is_date(review_date):
            raise ChangeInvalid({"review_date": "Choose the date of the review."})
        if review_date < on:
            raise ChangeInvalid({"review_date": f"The review date cannot be in the past; today "
                                                f"is {uk_date(on)}."})
        before = " before the change happens" if row.status == REVIEW_REQUIRED else ""
        reason = (f"Review booked for {uk_date(review_date)}{before}, to consider "
                  f"{_about(row, label)}.")
        event = NewEvent(kind="review_booked_for_change", on=on, actor_id=actor_id,
                         actor_role=actor_role, reason=reason,
                         data={"review_date": review_date.isoformat(),
                               "was": row.status, "status": REVIEW_BOOKED})
        book_review(store.db, change_id, review_date=review_date, booked_by=actor_id,
                    booked_on=on)
        ids = _write(store, [event], child_id=row.child_id, change_id=change_id)
        told = _tell_notifier(
            store, row, event_id=ids[0], on=on, actor_id=actor_id,
            subject=f"Review booked for {uk_date(review_date)}: {row.child_ref}",
            lines=[reason])
    return ChangeOutcome(change_id=change_id, status=REVIEW_BOOKED, events=[event],
                         event_ids=ids, told=[p["name"] for p in told],
                         message=reason + _told_text(told))


def _told_text(told: list[dict]) -> str:
    return f" {_and([_who(p) for p in told])} told." if told else ""


def decide_change(
    store: Store,
    change_id: int,
    *,
    review_needed: bool,
    reasons: str,
    user: SignedInUser,
    on: dt.date,
    now: dt.datetime,
) -> ChangeOutcome:
    """The reviewer decides whether a change needs a review (seed 003, Appendix B).

    Not needed: the reasons are required and go on the child's chronology; the social worker
    is told, so the child and family can be advised. Needed: the change waits for a review
    date. Only a change waiting for this decision can be decided.
    """
    reasons = reasons.strip() if isinstance(reasons, str) else ""
    actor_id, actor_role = user.staff_id, user.role
    _may_decide(store, user, change_id, now)
    with write_transaction(store.db):
        row = _load(store, change_id)
        label = _label(store, row.change_type)
        if row.status != AWAITING_DECISION:
            raise UserError(f"{_cap(_about(row, label))} is not "
                            f"waiting for a decision: {status_words(row.status).lower()}.")
        who = reviewer_word(_track(row.legal_status))
        if review_needed:
            status, kind = REVIEW_NEEDED, "change_review_needed"
            reason = (f"{_cap(who)} decided a review is needed to consider "
                      f"{_about(row, label)}; a review date is to be booked."
                      + (f" {reasons}" if reasons else ""))
            subject = f"A review is needed after a change: {row.child_ref}"
        else:
            if not reasons:
                raise ChangeInvalid({"reasons": NO_REVIEW_REASONS_NEEDED})
            status, kind = NO_REVIEW, "change_no_review"
            reason = (f"{_cap(who)} decided no review is needed for "
                      f"{_about(row, label)}. Reasons: {reasons}")
            subject = f"No review needed after a change: {row.child_ref}"
        event = NewEvent(kind=kind, on=on, actor_id=actor_id, actor_role=actor_role,
                         reason=reason, data={"status": status, "reasons": reasons})
        record_decision(store.db, change_id, status=status, reasons=reasons or None,
                        decided_by=actor_id, decided_on=on)
        ids = _write(store, [event], child_id=row.child_id, change_id=change_id)
        if review_needed:
            lines = [f"{_cap(who)} decided a review is needed to consider "
                     f"{_about(row, label)}. The review date will follow."]
        else:
            lines = [f"{_cap(who)} decided no review is needed for "
                     f"{_about(row, label)}. The reasons are on the child's record: advise "
                     "the child, family and professionals of the decision where appropriate."]
        told = _tell_notifier(store, row, event_id=ids[0], on=on, actor_id=actor_id,
                              subject=subject, lines=lines)
    return ChangeOutcome(change_id=change_id, status=status, events=[event], event_ids=ids,
                         told=[p["name"] for p in told], message=reason + _told_text(told))


# -- what the screens read -------------------------------------------------------------------------


def changes_waiting_for(store: Store, user: SignedInUser) -> list[ChangeRow]:
    """The changes waiting for this reviewer: those needing a review first at the top (shown
    red), then those needing a date booked or a decision, the longest waiting first. Only
    changes for children this person reviews, or acts for the reviewer of (the Principal
    IRO: every child's); anyone else, none."""
    if acts_for_reviewer(store, user):
        rows = changes_with_status(store.db, WAITING_STATUSES, first=REVIEW_REQUIRED)
    elif user.role in REVIEWER_ROLES:
        rows = changes_with_status(store.db, WAITING_STATUSES, reviewer_id=user.staff_id,
                                   first=REVIEW_REQUIRED)
    else:
        return []
    return only_visible_children(store, user, rows, "child_id", {REVIEWER_TIE})


def changes_of_child(store: Store, user: SignedInUser, case_ref: str,
                     now: dt.datetime) -> list[ChangeRow]:
    """Every change the reviewer was told of for one child, the latest first, for someone
    who may see the child's whole record (the opening is audited)."""
    child, decision = require_view_child(store, user, case_ref, now)
    if decision.summary_only:
        return []
    return _changes_of_child(store.db, child["id"])


def children_to_tell_of(store: Store, user: SignedInUser) -> list[dict]:
    """The children this person may tell the reviewer of a change for: their own and their
    reports' (the social-work side), or their team's (business support)."""
    return children_for_action(store, user, "tell_change")


def change_type_labels(store: Store) -> dict[str, str]:
    """The policy's kinds of change, id -> label, in the policy's order (for a form)."""
    return {t.id: t.label for t in store.policy.significant_changes.types}


def review_first_labels(store: Store) -> list[str]:
    """The labels of the changes that need a review before they happen."""
    return [t.label for t in review_first_types(store.policy)]


def change_label(store: Store, row: ChangeRow) -> str:
    """What kind of change a row is, in the policy's words."""
    return _label(store, row.change_type)
