"""The post-review monitoring form: record it, reply to its decisions, and the decisions' clock.

After every looked-after review or child protection conference the IRO or CP chair records
a monitoring form (seed 004, 2.3): a Red/Amber/Green judgement of the plan, the concerns,
the state of the key documents, how the child took part, the actions and their dates, and
the decisions, and the answers to any questions the authority's policy adds to the form
(``review_questions``, checked by ``rules.review_questions``). Saving it is one transaction
that writes the review, the person's event (holding the answers with the questions as
asked) and whatever the ``review_saved`` rules derive (amber and red routed to managers, a
drift prompt, decisions sent late), and sends the decisions to the team manager, whose
reply (or silence, under ``review_clock``) settles them (seed 002, 3.3).

Every use case here is one :func:`db.connection.write_transaction`, and reads the review
again inside it, so two people (or two sweeps) acting at once cannot both act on the same
state. Before it, the access module (``usecases.access``) says whether this person may act
for this child at all (the child's reviewer records the form; the managers above the
child's social worker reply to its decisions); a refusal is recorded in the access audit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import rules.review_rules  # noqa: F401 - registers the rulesets before the engine first starts
from db.connection import write_transaction
from db.reviews import (
    ReviewRow,
    child_row,
    insert_review_form,
    rag_history,
    review_by_id,
    review_ids_to_check,
    send_decisions,
    set_reply_status,
    staff_row,
    team_name,
)
from rules.alert_transitions import NewEvent
from rules.dates import uk_date
from rules.policy import REVIEW_KINDS, Policy, Track
from rules.review_questions import (
    answer_problems,
    asked_questions,
    date_answer_ids,
    stored_answers,
)
from rules.review_rules import (
    AGREED,
    AWAITING,
    CONCERNING,
    DECISIONS_TO,
    DISPUTED,
    MEETING_WORDS,
    OVERDUE,
    RAGS,
    REVIEW_NAMES,
    DecisionsClock,
    SavedReview,
    clock_check_on,
    decide_clock,
    decide_saved,
    notify_roles,
    reply_due,
    silence_on,
)
from rules.roles import ROLES, role_name
from usecases.access import children_for_action, require_act_on_child, require_act_on_review
from usecases.accounts import SignedInUser
from usecases.errors import UserError
from usecases.event_log import write_events
from usecases.policy_versions import review_version, store_under
from usecases.store import Store

#: How the child took part in the review, as the form offers it.
PARTICIPATION: dict[str, str] = {
    "attended": "The child attended",
    "views_shared": "The child's views were shared",
    "advocate": "An advocate spoke for the child",
    "did_not_participate": "The child did not take part",
    "too_young": "The child is too young to take part",
}

#: What the form records about each key document (seed 004, 2.3: "monitoring of key
#: planning documentation").
DOCUMENT_CHECKS: tuple[str, ...] = ("present", "up_to_date", "adequate")

#: Who may reply to review decisions: the child's team's managers (seed 002, 3.3).
REPLY_ROLES: tuple[str, ...] = ("team_manager", "practice_manager", "service_manager")
#: Of those, the roles that belong to one social-work team (a service manager is above teams).
TEAM_ROLES: tuple[str, ...] = ("team_manager", "practice_manager")

#: reply_status values a reply may still be recorded against: awaiting, or overdue (a late
#: reply the reviewer was prompted to chase is still wanted).
REPLY_OPEN: tuple[str, ...] = (AWAITING, OVERDUE)


@dataclass(frozen=True)
class ReviewForm:
    """What the IRO or CP chair types into the monitoring form.

    ``documents`` maps every key document id in the policy to
    ``{"present": bool, "up_to_date": bool, "adequate": bool}``; ``iro_actions`` are
    ``(text, due)``; ``actions_required`` are ``(who, text, due)`` with ``who`` a role slug.
    ``answers`` maps the id of each of the policy's own questions the form asked to its
    answer: text as typed, ``"Yes"``/``"No"``, the chosen option, or a date (None or
    nothing for a question left unanswered).
    """

    child_id: int
    kind: str
    held_on: dt.date | None
    rag: str
    progress: str = ""
    concerns: tuple[str, ...] = ()
    concern_details: str = ""
    documents: Mapping[str, Mapping[str, bool]] = field(default_factory=dict)
    participation: str = ""
    child_knows_rights: bool = False
    iro_actions: tuple[tuple[str, dt.date | None], ...] = ()
    actions_required: tuple[tuple[str, str, dt.date | None], ...] = ()
    decisions: str = ""
    resolution_sought: str = ""
    answers: Mapping[str, Any] = field(default_factory=dict)

    def to_data(self) -> dict[str, Any]:
        """The whole form as JSON-ready data (dates ISO), kept in ``reviews.data``; the
        answers only when the form asked the policy's own questions."""
        data: dict[str, Any] = {
            "child_id": self.child_id,
            "kind": self.kind,
            "held_on": _iso(self.held_on),
            "rag": self.rag,
            "progress": self.progress,
            "concerns": list(self.concerns),
            "concern_details": self.concern_details,
            "documents": {doc: {check: bool(values.get(check)) for check in DOCUMENT_CHECKS}
                          for doc, values in self.documents.items()},
            "participation": self.participation,
            "child_knows_rights": bool(self.child_knows_rights),
            "iro_actions": [{"text": text, "due": _iso(due)} for text, due in self.iro_actions],
            "actions_required": [{"who": who, "text": text, "due": _iso(due)}
                                 for who, text, due in self.actions_required],
            "decisions": self.decisions,
            "resolution_sought": self.resolution_sought,
        }
        if self.answers:
            data["answers"] = {qid: _iso(v) if _is_date(v) else v
                               for qid, v in self.answers.items()}
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ReviewForm:
        """The form back from ``reviews.data``, to show a recorded review as it was typed."""
        dates = date_answer_ids(data)
        return cls(
            child_id=data["child_id"],
            kind=data["kind"],
            held_on=_date(data.get("held_on")),
            rag=data.get("rag", ""),
            progress=data.get("progress", ""),
            concerns=tuple(data.get("concerns", ())),
            concern_details=data.get("concern_details", ""),
            documents={k: dict(v) for k, v in data.get("documents", {}).items()},
            participation=data.get("participation", ""),
            child_knows_rights=bool(data.get("child_knows_rights", False)),
            iro_actions=tuple((a["text"], _date(a["due"]))
                              for a in data.get("iro_actions", ())),
            actions_required=tuple((a["who"], a["text"], _date(a["due"]))
                                   for a in data.get("actions_required", ())),
            decisions=data.get("decisions", ""),
            resolution_sought=data.get("resolution_sought", ""),
            answers={qid: _date(v) if qid in dates and isinstance(v, str) else v
                     for qid, v in (data.get("answers") or {}).items()},
        )


class ReviewInvalid(UserError):
    """The form cannot be saved; ``errors`` maps each field name to what to do about it."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(" ".join(self.errors.values()))


@dataclass
class RecordedReview:
    """What a use case wrote: the review, and its events (the person's and the rules')."""

    review_id: int
    events: list[NewEvent] = field(default_factory=list)
    event_ids: list[int] = field(default_factory=list)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def track_for_kind(policy: Policy, kind: str) -> Track | None:
    """The policy's track whose reviews are of this kind ("iro" for lac_review, "cp" for
    cp_conference), or None when the authority has no such track."""
    for track in policy.tracks.values():
        if track.review_kind == kind:
            return track
    return None


def recorder_roles(policy: Policy, kind: str) -> tuple[str, ...]:
    """Who may record a monitoring form of this kind: the track's reviewers and those the
    policy lets act for the reviewer (the principal IRO)."""
    track = track_for_kind(policy, kind)
    if track is None:
        return ()
    return (*track.raised_by,
            *(r for r in policy.access.act_for_reviewer if r not in track.raised_by))


def children_to_review(store: Store, user: SignedInUser) -> list[dict]:
    """The children this person may record a review for: those they review (every child,
    for whoever acts for the reviewer)."""
    return children_for_action(store, user, "record_review")


# -- validation --------------------------------------------------------------------------------


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _is_date(value: object) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _action_problems(
    text: object, due: object, held_on: dt.date | None, meeting: str
) -> list[str]:
    problems = []
    if not isinstance(text, str) or not text.strip():
        problems.append("Describe the action.")
    if not isinstance(due, dt.date) or isinstance(due, dt.datetime):
        problems.append("Give the date it is due.")
    elif _is_date(held_on) and held_on is not None and due < held_on:
        problems.append(f"The due date {uk_date(due)} is before the {meeting} on "
                        f"{uk_date(held_on)}; choose a date on or after it.")
    return problems


def validate_review_form(policy: Policy, form: ReviewForm, as_of: dt.date) -> dict[str, str]:
    """Every problem with the form at once: field name -> what to do (empty when it is fine).

    ``as_of`` is today (the review cannot be later). Action rows are keyed like
    ``actions_required[2]``, counting from 1 as people do.
    """
    errors: dict[str, str] = {}
    meeting = MEETING_WORDS.get(form.kind, "review")

    if not isinstance(form.child_id, int) or form.child_id <= 0:
        errors["child_id"] = "Choose the child this form is about."

    track = track_for_kind(policy, form.kind)
    if form.kind not in REVIEW_KINDS:
        errors["kind"] = ("Choose what was held: a looked-after review (lac_review) or a child "
                          "protection conference (cp_conference).")
    elif track is None:
        errors["kind"] = (f"Policy {policy.id} has no track for {REVIEW_KINDS[form.kind]}, so "
                          "this form cannot be recorded under it.")

    if form.held_on is None or not _is_date(form.held_on):
        errors["held_on"] = f"Enter the date the {meeting} was held."
    elif form.held_on > as_of:
        errors["held_on"] = (f"The {meeting} date cannot be in the future; today is "
                             f"{uk_date(as_of)}.")

    if form.rag not in RAGS:
        errors["rag"] = "Judge the plan's progress: choose red, amber or green."
    concerning = form.rag in CONCERNING

    unknown = [c for c in form.concerns if track and c not in {x.id for x in track.categories}]
    if unknown:
        errors["concerns"] = (
            f"{_and([repr(c) for c in unknown])} "
            f"{'is not a concern category' if len(unknown) == 1 else 'are not concern categories'}"
            f" of the {track.label.lower() if track else ''} track under {policy.id}; choose "
            "from the list.")
    elif concerning and not form.concerns:
        errors["concerns"] = (f"A plan judged {form.rag} needs at least one concern: choose "
                              "the categories that apply.")

    known_docs = {d.id for d in policy.key_documents}
    missing = [d.label for d in policy.key_documents
               if not isinstance(form.documents.get(d.id), Mapping)
               or any(not isinstance(form.documents[d.id].get(check), bool)
                      for check in DOCUMENT_CHECKS)]
    extra = [doc for doc in form.documents if doc not in known_docs]
    doc_problems = []
    if missing:
        doc_problems.append(f"Say whether each key document is present, up to date and "
                            f"adequate: {_and(missing)} still "
                            f"{'needs' if len(missing) == 1 else 'need'} an answer.")
    if extra:
        what = "is not a key document" if len(extra) == 1 else "are not key documents"
        doc_problems.append(f"{_and([repr(d) for d in extra])} {what} under {policy.id}.")
    if doc_problems:
        errors["documents"] = " ".join(doc_problems)

    if form.participation not in PARTICIPATION:
        errors["participation"] = (
            f"Say how the child took part in the {meeting}: attended, views shared, an "
            "advocate spoke for them, did not take part, or too young to take part.")
    if not isinstance(form.child_knows_rights, bool):
        errors["child_knows_rights"] = ("Say whether the child knows of the right to complain "
                                        "and to an advocate.")

    if concerning and not form.resolution_sought.strip():
        told = [role_name(r) for r in notify_roles(policy, form.rag)]
        errors["resolution_sought"] = (
            f"Say what resolution is sought: a plan judged {form.rag} needs one"
            + (f", and the {_and(told)} {'is' if len(told) == 1 else 'are'} told of it."
               if told else "."))

    for n, action in enumerate(form.iro_actions, start=1):
        if not isinstance(action, tuple | list) or len(action) != 2:
            errors[f"iro_actions[{n}]"] = "Give each action a description and a due date."
            continue
        problems = _action_problems(action[0], action[1], form.held_on, meeting)
        if problems:
            errors[f"iro_actions[{n}]"] = " ".join(problems)

    for n, action in enumerate(form.actions_required, start=1):
        key = f"actions_required[{n}]"
        if not isinstance(action, tuple | list) or len(action) != 3:
            errors[key] = "Give each action who must take it, a description and a due date."
            continue
        who, text, due = action
        problems = []
        if not who:
            problems.append("Choose who must take the action.")
        elif who not in ROLES:
            problems.append(f"'{who}' is not a role; choose who must act (for example "
                            "Social Worker or Team Manager).")
        problems += _action_problems(text, due, form.held_on, meeting)
        if problems:
            errors[key] = " ".join(problems)

    if not form.decisions.strip():
        errors["decisions"] = (f"Write down the decisions made at the {meeting}: they are "
                               f"sent to the {role_name(DECISIONS_TO)} to agree.")

    if track is not None:  # the questions follow the kind of review; none for a wrong kind
        if not isinstance(form.answers, Mapping):
            errors["answers"] = "Answer your procedure's questions, one answer per question."
        else:
            errors.update(answer_problems(policy.questions_for(form.kind), form.answers,
                                          rag=form.rag, as_of=as_of, meeting=meeting))
    return errors


# -- recording -----------------------------------------------------------------------------------


def record_review(
    store: Store,
    form: ReviewForm,
    *,
    user: SignedInUser,
    recorded_on: dt.date,
    now: dt.datetime,
) -> RecordedReview:
    """Save a monitoring form and send its decisions to the team manager: one transaction.

    Raises :class:`ReviewInvalid` (every field problem at once), AccessRefused (not this
    person's child to review) or :class:`UserError` (a role that does not record it, an
    unknown child) with nothing written.
    """
    policy, calendar = store.policy, store.calendar
    actor_id, actor_role = user.staff_id, user.role
    errors = validate_review_form(policy, form, recorded_on)
    if errors:
        raise ReviewInvalid(errors)
    track = track_for_kind(policy, form.kind)
    assert track is not None and form.held_on is not None
    if child_row(store.db, form.child_id) is None:
        raise UserError(f"There is no child with id {form.child_id} in this store.")
    require_act_on_child(store, user, {"id": form.child_id}, "record_review", now)
    allowed = recorder_roles(policy, form.kind)
    if actor_role not in allowed:
        who = role_name(actor_role) if actor_role else "Someone without a role"
        raise UserError(f"Only {_and([f'the {role_name(r)}' for r in allowed])} can record "
                        f"the monitoring form of {REVIEW_KINDS[form.kind]}; {who} cannot.")

    # The policy's own questions, as asked, go with the answers: the label kept is the one
    # the reviewer read, whatever a later version of the policy says.
    questions = policy.questions_for(form.kind)
    asked = ({"answers": stored_answers(questions, form.answers),
              "questions": asked_questions(questions)} if questions else {})

    with write_transaction(store.db):
        if child_row(store.db, form.child_id) is None:
            raise UserError(f"There is no child with id {form.child_id} in this store.")
        review_id = insert_review_form(
            store.db, child_id=form.child_id, kind=form.kind, held_on=form.held_on,
            reviewer_id=actor_id, rag=form.rag,
            summary=form.progress.strip() or f"Plan judged {form.rag}.",
            data={**form.to_data(), **asked}, recorded_on=recorded_on)

        due = reply_due(policy, calendar, recorded_on)
        send_decisions(store.db, review_id, sent_on=recorded_on, reply_due=due,
                       reply_status=AWAITING, next_check_on=silence_on(calendar, due))

        history = rag_history(store.db, form.child_id, form.kind)
        position = next(i for i, entry in enumerate(history) if entry.review_id == review_id)
        previous = history[position - 1] if position > 0 else None
        saved = SavedReview(
            review_id=review_id, kind=form.kind, track=track.id, held_on=form.held_on,
            recorded_on=recorded_on, rag=form.rag, concerns=tuple(form.concerns),
            resolution_sought=form.resolution_sought.strip(),
            previous_review_id=previous.review_id if previous else None,
            previous_held_on=previous.held_on if previous else None,
            previous_rag=(previous.rag or "") if previous else "",
        )
        reason = (f"{REVIEW_NAMES[form.kind]} of {uk_date(form.held_on)} recorded: plan judged "
                  f"{form.rag}. Decisions sent to the {role_name(DECISIONS_TO)}; reply due by "
                  f"{uk_date(due)}.")
        recorded = NewEvent(
            kind="review_recorded", on=recorded_on, reason=reason, actor_role=actor_role,
            actor_id=actor_id,
            # the whole form as the reviewer filled it in: the log is the record, and the
            # reviews table only a projection of it
            data={**form.to_data(), "kind": form.kind, "rag": form.rag,
                  "held_on": form.held_on.isoformat(), "concerns": list(form.concerns),
                  "decisions_sent_on": recorded_on.isoformat(), "reply_due": due.isoformat(),
                  **asked})
        events = [recorded, *decide_saved(policy, calendar, saved)]
        ids = write_events(store, events, child_id=form.child_id, review_id=review_id)
    return RecordedReview(review_id=review_id, events=events, event_ids=ids)


# -- the decisions' clock ------------------------------------------------------------------------


def _clock(row: ReviewRow, track_id: str) -> DecisionsClock:
    return DecisionsClock(review_id=row.id, kind=row.kind, track=track_id, held_on=row.held_on,
                          reply_due=row.reply_due, reply_status=row.reply_status or "")


def _track_id(store: Store, kind: str) -> str:
    track = track_for_kind(store.policy, kind)
    return track.id if track else ("cp" if kind == "cp_conference" else "iro")


def _advance(store: Store, row: ReviewRow, as_of: dt.date) -> tuple[list[NewEvent], list[int]]:
    """Apply the decisions' clock to one review up to ``as_of``, inside the caller's
    transaction; returns the events it made and the ids of those it wrote."""
    if row.reply_status is None:
        return [], []
    clock = _clock(row, _track_id(store, row.kind))
    events = decide_clock(store.policy, store.calendar, clock, as_of)
    if not events:
        wanted = clock_check_on(store.calendar, clock)
        if wanted != row.next_check_on:  # keep the sweep's index honest
            set_reply_status(store.db, row.id, row.reply_status, wanted)
        return [], []
    ids = write_events(store, events, child_id=row.child_id, review_id=row.id)
    set_reply_status(store.db, row.id, events[-1].data["reply_status"], None)
    return events, ids


def review_event_record(store: Store, row: ReviewRow, event: NewEvent) -> dict:
    """A derived review event as the sweep prints it (the alerts' shape, keyed by review)."""
    return {
        "review": row.id,
        "child": row.child_ref,
        "date": event.on.isoformat(),
        "event": event.kind,
        "level": "",
        "due": event.data.get("reply_due", ""),
        "rule": event.rule,
        "policy_id": store.policy.id,
        "policy_version": store.policy.version,
        "reason": event.reason,
    }


def sweep_reviews(store: Store, as_of: dt.date, batch_size: int = 500,
                  on_committed: Callable[[list[dict]], None] | None = None) -> list[dict]:
    """Apply the decisions' clock up to ``as_of`` to every review waiting for a reply.

    Idempotent: each review is re-read inside its write transaction, so a second sweep, or
    one running at the same time, finds nothing left to do; derived events carry a unique
    key, so the log cannot hold one twice. Events are dated the day silence counted.
    ``on_committed`` is given each batch's events as soon as the batch is committed.
    """
    written: list[dict] = []
    ids = review_ids_to_check(store.db, as_of)
    for start in range(0, len(ids), batch_size):
        batch: list[dict] = []
        with write_transaction(store.db):
            for review_id in ids[start:start + batch_size]:
                row = review_by_id(store.db, review_id)
                if row is None:
                    continue
                own = store_under(store, review_version(store, row.id, row.held_on))
                events, event_ids = _advance(own, row, as_of)  # under the review's version
                if events and len(event_ids) == len(events):
                    batch.extend(review_event_record(own, row, e) for e in events)
        written.extend(batch)
        if on_committed is not None and batch:  # committed: say so before the next batch
            on_committed(batch)
    return written


# -- replying ------------------------------------------------------------------------------------


def _check_replier(store: Store, row: ReviewRow, actor_id: int | None, actor_role: str) -> None:
    if actor_role not in REPLY_ROLES:
        who = role_name(actor_role) if actor_role else "Someone without a role"
        raise UserError(
            f"Only the {role_name(DECISIONS_TO)} (or a Practice Manager or Service Manager for "
            f"the child's team) can reply to the decisions of a {MEETING_WORDS[row.kind]}; "
            f"{who} cannot.")
    if actor_role in TEAM_ROLES and actor_id is not None and row.child_team_id is not None:
        staff = staff_row(store.db, actor_id)
        if staff and staff["team_id"] is not None and staff["team_id"] != row.child_team_id:
            team = team_name(store.db, row.child_team_id) or "another team"
            raise UserError(
                f"{staff['name']} is not a manager of the child's team ({team}); a manager "
                "of that team replies to the decisions.")


def _settled_message(store: Store, row: ReviewRow) -> str:
    of = f"the {MEETING_WORDS[row.kind]} of {uk_date(row.held_on)}"
    status = row.reply_status
    if status is None:
        return f"No decisions were sent to a manager for {of}, so there is nothing to reply to."
    if status in (AGREED, DISPUTED):
        return f"The decisions of {of} have already been {status}; a reply cannot be changed."
    assert row.reply_due is not None
    return (f"The decisions of {of} were taken as agreed on "
            f"{uk_date(silence_on(store.calendar, row.reply_due))}, as no reply came by "
            f"{uk_date(row.reply_due)} ({store.policy.id}). To disagree now, speak to the "
            "reviewer, who may raise an alert of concern.")


def reply_to_decisions(
    store: Store,
    review_id: int,
    *,
    agree: bool,
    note: str,
    user: SignedInUser,
    on: dt.date,
    now: dt.datetime,
) -> RecordedReview:
    """The team manager agrees or disputes the review decisions: one transaction.

    The clock is brought up to ``on`` first, so a reply after silence already counted meets
    the decisions where they now are (under ``on_silence: agreed`` they are settled; under
    ``prompt`` a late reply is still recorded). Raises AccessRefused (someone not above the
    child's social worker) or :class:`UserError` with nothing written when the reply is not
    allowed.
    """
    actor_id, actor_role = user.staff_id, user.role
    if review_by_id(store.db, review_id) is None:
        raise UserError(f"There is no review {review_id}.")
    require_act_on_review(store, user, review_id, now)
    with write_transaction(store.db):
        row = review_by_id(store.db, review_id)
        if row is None:
            raise UserError(f"There is no review {review_id}.")
        _check_replier(store, row, actor_id, actor_role)
        caught_up, caught_up_ids = _advance(
            store_under(store, review_version(store, row.id, row.held_on)), row, on)
        row = review_by_id(store.db, review_id)
        assert row is not None
        if row.reply_status not in REPLY_OPEN:
            raise UserError(_settled_message(store, row))
        assert row.decisions_sent_on is not None and row.reply_due is not None
        if on < row.decisions_sent_on:
            raise UserError(f"A reply cannot be dated before the decisions were sent on "
                            f"{uk_date(row.decisions_sent_on)}.")
        if not agree and not note.strip():
            raise UserError("Say which decisions cannot be agreed and why: the reviewer needs "
                            "the reason to resolve it.")
        of = f"the {MEETING_WORDS[row.kind]} of {uk_date(row.held_on)}"
        who = role_name(actor_role)
        if agree:
            reason = f"The {who} agreed the decisions of {of}"
            reason += f": {note.strip()}" if note.strip() else "."
        else:
            reason = f"The {who} disputed the decisions of {of}: {note.strip()}"
        late = on > row.reply_due
        if late:
            reason += ("" if reason.endswith(".") else ".") + \
                f" The reply was due by {uk_date(row.reply_due)}."
        event = NewEvent(
            kind="decisions_agreed" if agree else "decisions_disputed", on=on, reason=reason,
            actor_role=actor_role, actor_id=actor_id,
            data={"note": note.strip(), "reply_due": row.reply_due.isoformat(), "late": late})
        ids = write_events(store, [event], child_id=row.child_id, review_id=row.id)
        set_reply_status(store.db, row.id, AGREED if agree else DISPUTED, None)
    return RecordedReview(review_id=review_id, events=[*caught_up, event],
                          event_ids=[*caught_up_ids, *ids])
