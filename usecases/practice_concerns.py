"""Concerns about an IRO's or CP chair's own practice (seed 002, 1.6).

Any worker or manager may refer a concern about the performance of an IRO or CP chair, or
about how a review or conference was organised and conducted; it goes to the role the
policy names (the Deputy Head of Service), who answers within the policy's working days
(15). An answer that does not come escalates, on the next working day, to the first role
of ``escalate_to`` (the QA Head of Service), once.

These concerns are about staff, not a child: their events never carry a child id, so they
never appear on a child's chronology, and only the Deputy Head of Service and those above
(``rules.concern_rules.CONCERN_READERS``) can list or answer them, which is enforced here
and not only on the screen. Under a policy without ``practice_concerns`` the procedure is
off: nothing can be referred, and nothing is listed or swept. A concern may name the child
whose review it was: only a child the referrer may see (``usecases.access``), and a reader
who may not see that child sees the concern without it.

Each use case is one :func:`db.connection.write_transaction`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import rules.concern_rules  # noqa: F401 - registers the ruleset before the engine starts
from db.connection import write_transaction
from db.events import append_event
from db.practice_concerns import (
    all_concerns,
    child_id_by_ref,
    concern_by_id,
    concern_ids_to_check,
    insert_concern,
    mark_escalated,
    record_answer,
    reviewers,
    set_next_check,
    staff_member,
)
from db.recipients import active_staff_with_role
from rules.alert_transitions import NewEvent
from rules.concern_rules import (
    ABOUT_ROLES,
    ANSWERED,
    ANSWERED_KIND,
    CONCERN_READERS,
    OPEN,
    REFERRED_KIND,
    RESOLVED,
    ConcernClock,
    answer_due,
    clock_check_on,
    decide_clock,
)
from rules.dates import uk_date, working_days_phrase
from rules.policy import Policy, PracticeConcerns
from rules.roles import role_name
from usecases.access import child_ties, children_for_action, require_act_on_child
from usecases.accounts import SignedInUser
from usecases.alerts import OnCommitted
from usecases.errors import UserError
from usecases.notifications import base_url, tell
from usecases.store import Store

#: Where the screen is served, for links in messages.
PAGE = "practice_concerns"
PRIVATE = ("This message is about a member of staff's practice: do not forward it outside the "
           "authority.")


class ConcernInvalid(UserError):
    """The concern or answer cannot be saved; ``errors`` maps each field to what to do."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(" ".join(self.errors.values()))


@dataclass
class ConcernRecorded:
    """What a use case wrote: the concern, and its events (the person's and the clock's)."""

    concern_id: int
    events: list[NewEvent] = field(default_factory=list)
    event_ids: list[int] = field(default_factory=list)


def procedure_off_text(policy: Policy) -> str:
    """What a screen says when the policy has no such procedure."""
    return (f"The policy this store follows ({policy.id}, {policy.authority}) has no procedure "
            "for concerns about an IRO's or CP chair's own practice, so they are not referred "
            "or tracked in this app. Raise them with the reviewer's line manager.")


def procedure_text(policy: Policy) -> str:
    """The procedure in one sentence, from the policy data."""
    rule = _rule(policy)
    after = (f"; if no answer comes by then, it goes to the {role_name(rule.escalate_to[0])}"
             if rule.escalate_to else "")
    return (f"A concern about the performance of an IRO or CP chair, or about how a review or "
            f"conference was organised or conducted, goes to the {role_name(rule.to)}, who "
            f"looks into it and answers within {working_days_phrase(rule.respond_days)}"
            f"{after} ({policy.id}).")


def may_read(role: str) -> bool:
    """Whether this role may see and answer concerns: the Deputy Head of Service and above."""
    return role in CONCERN_READERS


def _rule(policy: Policy) -> PracticeConcerns:
    if policy.practice_concerns is None:
        raise UserError(procedure_off_text(policy))
    return policy.practice_concerns


def _who(row: Mapping) -> str:
    return f"{row['about_name']} ({role_name(row['about_role'])})"


def _link() -> str:
    return f"{base_url()}/{PAGE}"


def _without(people: list[dict], ids: set[int]) -> list[dict]:
    return [p for p in people if p["id"] not in ids]


def _unique(people: list[dict]) -> list[dict]:
    found: dict[int, dict] = {}
    for person in people:
        found.setdefault(person["id"], person)
    return list(found.values())


def _clock(row: Mapping) -> ConcernClock:
    return ConcernClock(
        concern_id=row["id"], status=row["status"],
        raised_on=dt.date.fromisoformat(row["raised_on"]),
        due=dt.date.fromisoformat(row["due"]) if row["due"] else None,
        about_name=row["about_name"], about_role=row["about_role"])


# -- referring ---------------------------------------------------------------------------------


def people_to_refer_about(store: Store, user: SignedInUser | None = None) -> list[dict]:
    """The IROs and CP chairs a concern can be about (never the person referring)."""
    found = reviewers(store.db, ABOUT_ROLES)
    return [p for p in found if user is None or p["id"] != user.staff_id]


def children_to_name(store: Store, user: SignedInUser) -> list[dict]:
    """The children a concern of this person's may name: any child they may see."""
    return children_for_action(store, user, "refer_concern")


def refer_concern(
    store: Store,
    *,
    about_staff_id: int | None,
    child_ref: str | None = None,
    concern: str,
    user: SignedInUser,
    on: dt.date,
    now: dt.datetime,
) -> ConcernRecorded:
    """Refer a concern about an IRO's or CP chair's practice: one transaction.

    The answer is due ``respond_days`` working days later; the policy's ``to`` role is told.
    Raises :class:`ConcernInvalid` (every field problem at once), AccessRefused (a child the
    person may not see) or :class:`UserError` (the procedure is off, or no role) with
    nothing written.
    """
    rule = _rule(store.policy)
    actor_id, actor_role = user.staff_id, user.role
    if child_ref and child_id_by_ref(store.db, child_ref) is not None:
        require_act_on_child(store, user, child_ref, "refer_concern", now)
    if not actor_role:
        raise UserError("Sign in to refer a concern: it must say who referred it.")
    errors: dict[str, str] = {}
    with write_transaction(store.db):
        about = staff_member(store.db, about_staff_id) if about_staff_id else None
        if about is None or not about["active"]:
            errors["about"] = "Choose the IRO or CP chair the concern is about."
        elif about["role"] not in ABOUT_ROLES:
            errors["about"] = (f"{about['name']} is a {role_name(about['role'])}: this procedure "
                               "is for concerns about an IRO's or CP chair's practice. Choose "
                               "an IRO or CP chair.")
        elif actor_id is not None and about["id"] == actor_id:
            errors["about"] = "A concern cannot be about yourself; choose another IRO or CP chair."
        child_id = None
        if child_ref:
            child_id = child_id_by_ref(store.db, child_ref)
            if child_id is None:
                errors["child"] = (f"There is no child with case reference {child_ref}; choose "
                                   "one from the list, or none.")
        text = concern.strip()
        if not text:
            errors["concern"] = ("Describe the concern: what happened, at which review or "
                                 "conference, and when.")
        if errors:
            raise ConcernInvalid(errors)
        assert about is not None
        due = answer_due(rule, store.calendar, on)
        pending = ConcernClock(concern_id=0, status=OPEN, raised_on=on, due=due)
        concern_id = insert_concern(
            store.db, about_id=about["id"], raised_by=actor_id, raised_on=on, child_id=child_id,
            concern=text, due=due,
            next_check_on=clock_check_on(store.policy, store.calendar, pending))
        who = f"{about['name']} ({role_name(about['role'])})"
        reason = (f"Concern about the practice of {who} referred to the {role_name(rule.to)}; "
                  f"an answer is due by {uk_date(due)} "
                  f"({working_days_phrase(rule.respond_days)}, {store.policy.id}).")
        event = NewEvent(kind=REFERRED_KIND, on=on, reason=reason, actor_id=actor_id,
                         actor_role=actor_role,
                         # the child named goes in the data only (the row needs it), never
                         # in the event's child_id: the concern is not on the chronology
                         data={"concern_id": concern_id, "about_id": about["id"],
                               "due": due.isoformat(), "concern": text, "child_id": child_id})
        event_id = _append(store, event)
        assert event_id is not None  # a person's event has no dedupe key: always written
        to = _without(active_staff_with_role(store.db, rule.to),
                      {actor_id} if actor_id is not None else set())
        if to:
            tell(store, event_id=event_id, on=on, to=to, cc=[],
                 subject=f"Concern about the practice of {who}: answer due {uk_date(due)}",
                 body="\n".join([reason, "",
                                 f"Read it and answer it in the app: {_link()}", "", PRIVATE]),
                 link=_link())
    return ConcernRecorded(concern_id=concern_id, events=[event], event_ids=[event_id])


def _append(store: Store, event: NewEvent, dedupe_key: str | None = None) -> int | None:
    """Write one concern event: never linked to a child, so never on a chronology."""
    derived = event.rule is not None
    event_id = append_event(
        store.db, kind=event.kind, occurred_on=event.on, actor_id=event.actor_id,
        actor_role=event.actor_role or None, data=event.data, reason=event.reason,
        rule=event.rule, policy_id=store.policy.id if derived else None,
        policy_version=store.policy.version if derived else None, dedupe_key=dedupe_key)
    return event_id


# -- the clock ---------------------------------------------------------------------------------


def _advance(store: Store, row: Mapping, as_of: dt.date) -> list[tuple[NewEvent, int]]:
    """Apply the clock to one concern up to ``as_of`` inside the caller's transaction;
    returns the escalation this call wrote, if any."""
    clock = _clock(row)
    events = decide_clock(store.policy, store.calendar, clock, as_of)
    if not events:
        wanted = clock_check_on(store.policy, store.calendar, clock)
        if (wanted.isoformat() if wanted else None) != row["next_check_on"]:
            set_next_check(store.db, row["id"], wanted)  # keep the sweep's index honest
        return []
    written = []
    for event in events:
        event_id = _append(store, event, dedupe_key=f"practice_concern:{row['id']}:escalated")
        mark_escalated(store.db, row["id"], event.data["escalated_to"])
        if event_id is None:  # another sweep wrote it first
            continue
        written.append((event, event_id))
        _tell_escalation(store, row, event, event_id)
    return written


def _tell_escalation(store: Store, row: Mapping, event: NewEvent, event_id: int) -> None:
    """The first escalation role is told; the other escalation roles, the role that did not
    answer and the referrer are copied."""
    rule = _rule(store.policy)
    to = active_staff_with_role(store.db, rule.escalate_to[0])
    cc_roles = [*rule.escalate_to[1:], rule.to]
    cc = [p for role in cc_roles for p in active_staff_with_role(store.db, role)]
    if row["raised_by"] is not None:
        referrer = staff_member(store.db, row["raised_by"])
        if referrer and referrer["active"]:
            cc.append(referrer)
    cc = _without(_unique(cc), {p["id"] for p in to})
    tell(store, event_id=event_id, on=event.on, to=to, cc=cc,
         subject=f"Concern about the practice of {_who(row)}: escalated, no answer by "
                 f"{uk_date(row['due'])}",
         body="\n".join([event.reason, "", f"Read it and answer it in the app: {_link()}", "",
                         PRIVATE]),
         link=_link())


def _record(store: Store, row: Mapping, event: NewEvent) -> dict:
    """An escalation as the sweep prints it (the shape of the other sweeps' records)."""
    return {
        "concern": row["id"],
        "date": event.on.isoformat(),
        "event": event.kind,
        "level": event.data.get("escalated_to", ""),
        "due": event.data.get("due", ""),
        "rule": event.rule,
        "policy_id": store.policy.id,
        "policy_version": store.policy.version,
        "reason": event.reason,
    }


def sweep_concerns(store: Store, as_of: dt.date, batch_size: int = 500,
                   on_committed: OnCommitted | None = None) -> list[dict]:
    """Escalate every concern left unanswered past its due date, up to ``as_of``.

    Nothing under a policy without ``practice_concerns``. Idempotent: each concern is
    re-read inside the write transaction and its escalation has a unique key, so a sweep
    run twice, late or from two processes at once escalates (and tells) once, dated the
    first working day after the due date.

    Concerns are swept ``batch_size`` to a transaction, each batch whole (an escalation and
    its messages together); ``on_committed`` is given each batch's escalations as soon as it
    commits, so a sweep stopped halfway has said all it wrote.
    """
    if store.policy.practice_concerns is None:
        return []
    written: list[dict] = []
    ids = concern_ids_to_check(store.db, as_of)
    for start in range(0, len(ids), batch_size):
        batch: list[dict] = []
        with write_transaction(store.db):
            for concern_id in ids[start:start + batch_size]:
                row = concern_by_id(store.db, concern_id)
                if row is None or row["status"] != OPEN:
                    continue
                batch.extend(_record(store, row, e) for e, _ in _advance(store, row, as_of))
        written.extend(batch)
        if on_committed is not None and batch:  # committed: say so before the next batch
            on_committed(batch)
    return written


# -- answering ---------------------------------------------------------------------------------


def _check_reader(role: str, what: str) -> None:
    if not may_read(role):
        who = role_name(role) if role else "Someone without a role"
        raise UserError(f"Only the Deputy Head of Service and more senior managers can {what} "
                        f"concerns about an IRO's practice; {who} cannot.")


def answer_concern(
    store: Store,
    concern_id: int,
    *,
    answer: str,
    resolved: bool,
    actor: SignedInUser,
    on: dt.date,
) -> ConcernRecorded:
    """The Deputy Head of Service (or someone more senior) answers a concern: one transaction.

    ``resolved`` closes it; otherwise it is ``answered`` and can be answered again later. The
    clock is brought up to ``on`` first, so an answer after the due date meets a concern that
    has already escalated (and is recorded against it). The referrer is told. Raises
    :class:`ConcernInvalid` or :class:`UserError` with nothing written.
    """
    _rule(store.policy)
    _check_reader(actor.role, "answer")
    text = answer.strip()
    with write_transaction(store.db):
        row = concern_by_id(store.db, concern_id)
        if row is None:
            raise UserError(f"There is no concern {concern_id}.")
        if row["status"] == RESOLVED:
            raise UserError(f"The concern about {_who(row)} was resolved on "
                            f"{uk_date(row['answered_on'])}; it cannot be answered again.")
        if not text:
            raise ConcernInvalid({"answer": "Write the answer: what was looked into, what was "
                                            "found and what happens next."})
        raised_on = dt.date.fromisoformat(row["raised_on"])
        if on < raised_on:
            raise UserError(f"An answer cannot be dated before the concern was referred on "
                            f"{uk_date(raised_on)}.")
        caught_up = _advance(store, row, on) if row["status"] == OPEN else []
        row = concern_by_id(store.db, concern_id)
        assert row is not None
        due = dt.date.fromisoformat(row["due"])
        status = RESOLVED if resolved else ANSWERED
        reason = (f"The {role_name(actor.role)} answered the concern about the practice of "
                  f"{_who(row)}" + (" and it is resolved: " if resolved else ": ") + text)
        if on > due:
            reason += ("" if reason.endswith(".") else ".") + \
                f" The answer was due by {uk_date(due)}."
        event = NewEvent(kind=ANSWERED_KIND, on=on, reason=reason, actor_id=actor.staff_id,
                         actor_role=actor.role,
                         data={"concern_id": concern_id, "status": status, "answer": text,
                               "due": row["due"], "late": on > due})
        event_id = _append(store, event)
        assert event_id is not None
        record_answer(store.db, concern_id, status=status, answer=text, answered_on=on)
        if row["raised_by"] is not None and row["raised_by"] != actor.staff_id:
            referrer = staff_member(store.db, row["raised_by"])
            if referrer and referrer["active"]:
                word = "resolved" if resolved else "answered"
                tell(store, event_id=event_id, on=on, to=[referrer], cc=[],
                     subject=f"Your concern about the practice of {_who(row)}: {word}",
                     body="\n".join([reason, "", f"See it in the app: {_link()}", "", PRIVATE]),
                     link=_link())
    return ConcernRecorded(concern_id=concern_id,
                           events=[*(e for e, _ in caught_up), event],
                           event_ids=[*(i for _, i in caught_up), event_id])


# -- reading -----------------------------------------------------------------------------------


def concerns_visible_to(store: Store, user: SignedInUser) -> list[dict]:
    """The concerns this person may see: all of them for the Deputy Head of Service and
    above, nothing for anyone else (or when the policy has no such procedure)."""
    if store.policy.practice_concerns is None or not may_read(user.role):
        return []
    seen = child_ties(store, user)
    return [row if row["child_id"] is None or row["child_id"] in seen
            else {**row, "child_ref": None, "child_name": None}
            for row in all_concerns(store.db)]
