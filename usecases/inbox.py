"""A manager's inbox: what waits for them, overdue first, and acknowledging it.

Three kinds of row: alerts whose next move is theirs (``usecases.whose_move``, the same
answer the reviewer's list and the Home page use) for children in their line of
management, review decisions waiting for their reply, and amber or red reviews they were
told of and have not acknowledged. The roles the policy makes authority-wide (heads of
service, directors, the principal IRO) can look at everyone's. Every row is one the access
module (``usecases.access``) lets this person see, and acknowledging asks it again.

Each row says what it is about and what is asked in words: the child's full name and case
reference, who asked, when it is due and what happens if the day is missed (counted in
working days, ``rules.deadline_text``), and a request for more time still waiting for the
reviewer's answer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from db.connection import write_transaction
from db.events import append_event
from db.notifications import mark_read
from db.queries import reviews_awaiting_reply, routed_reviews_unread
from rules.alert_transitions import Command, level_name, reviewer_word, sentence
from rules.dates import uk_date
from rules.deadline_text import day_text, deadline
from rules.roles import role_name
from usecases.access import (
    CARE_TIE,
    WHOLE_RECORD_TIES,
    AccessRefused,
    is_authority_wide,
    only_visible_children,
    require_act_on_alert,
    require_act_on_child,
)
from usecases.accounts import SignedInUser
from usecases.alerts import AlertRefused, record_action
from usecases.errors import UserError
from usecases.recipients import people_for_role
from usecases.reviews import REPLY_ROLES
from usecases.store import Store
from usecases.whose_move import OpenAlert, open_alert_moves

#: What a manager's silence about review decisions leads to, in ``rules.deadline_text``'s
#: terms (the reviewer is prompted, or the decisions are taken as agreed).
REVIEW_SILENCE = {"agreed": "agree", "prompt": "prompt"}


def sees_every_inbox(store: Store, user: SignedInUser) -> bool:
    """Whether this person may switch to every team's inbox: the roles the policy makes
    authority-wide (they see every child)."""
    return is_authority_wide(store, user)


@dataclass(frozen=True)
class InboxRow:
    kind: str  # "alert", "decisions" or "review"
    key: str  # the alert's reference, or the review's id
    child_ref: str
    child_name: str
    asked: str  # what is asked, as the row's link: "Respond to alert A1 at Level 1: ..."
    by_whom: str  # who asked: "Hayden Rushmere, Independent Reviewing Officer"
    due: dt.date | None
    days_left: int | None  # working days left (negative: late)
    when: str = "For information"  # "Due Fri 27 Nov 2026 (2 working days left); escalates..."
    overdue: bool = False  # after the due date, weekend or not
    concern: str = ""  # the alert's category of concern
    outcome_sought: str = ""  # what the reviewer asked for, as they typed it
    more_time_until: dt.date | None = None  # asked for, not yet agreed or refused
    reviewer: str = ""  # "the IRO" or "the CP chair"
    note: str = ""  # what already happened because a deadline was missed
    acknowledged: bool = False
    acknowledge_late: bool = False
    notification_id: int | None = None
    held_on: dt.date | None = None  # a review's date (review and decisions rows)
    respondable: bool = False  # this person may answer it from the row (and acknowledge it)

    @property
    def can_acknowledge(self) -> bool:
        if self.kind == "alert":
            return self.respondable and not self.acknowledged
        return self.kind == "review" and self.notification_id is not None

    @property
    def subject(self) -> str:
        """What the row is about, in a few words that tell rows apart (for labels)."""
        if self.kind == "alert":
            return f"alert {self.key}"
        return f"the review of {uk_date(self.held_on)} for {self.child_ref}"

    @property
    def pending_request(self) -> str:
        """A request for more time still waiting for the reviewer's answer, in words."""
        if self.more_time_until is None:
            return ""
        return (f"More time asked for until {day_text(self.more_time_until)}: waiting for "
                f"{self.reviewer or 'the reviewer'}")


def inbox(store: Store, user: SignedInUser, as_of: dt.date, *, everyone: bool = False) -> list:
    """The rows for this person (or, for those allowed, everyone's), overdue first."""
    if everyone and not sees_every_inbox(store, user):
        raise UserError("Only the roles that see every child (heads of service, directors "
                        "and the principal IRO) can see every team's inbox.")
    rows: list[InboxRow] = []
    mine_cache: dict[tuple[int, str], bool] = {}
    for item in open_alert_moves(store, user, as_of):
        move = item.move
        if not (move.answerable or (everyone and move.reviewers_move)):
            continue
        mine = user.role in move.answer_roles and _mine(store, user, item.row["child_id"],
                                                        mine_cache)
        if mine or everyone:
            rows.append(_alert_row(store, item, as_of, mine=mine, everyone=everyone))
    if everyone or user.role in REPLY_ROLES:
        rows.extend(_decision_rows(store, user, as_of, everyone))
    told_of = routed_reviews_unread(store.db, None if everyone else user.staff_id)
    for told in only_visible_children(store, user, told_of, "child_id"):
        rows.append(InboxRow(
            kind="review", key=str(told["review_id"]), child_ref=told["case_ref"],
            child_name=told["child_name"], asked=told["subject"],
            by_whom=_person(told["reviewer"], told["reviewer_role"]),
            due=None, days_left=None, notification_id=told["id"],
            held_on=dt.date.fromisoformat(told["held_on"]) if told["held_on"] else None))
    return sorted(rows, key=lambda r: (r.due is None, r.due or dt.date.max, r.kind, r.key))


def _mine(store: Store, user: SignedInUser, child_id: int, cache: dict) -> bool:
    """Whether this person is whom their role means for this child (this child's team
    manager, not any team manager)."""
    key = (child_id, user.role)
    if key not in cache:
        cache[key] = any(p["id"] == user.staff_id
                         for p in people_for_role(store, child_id, user.role))
    return cache[key]


def _person(name: str | None, role: str | None) -> str:
    if not name:
        return "Not recorded"
    return f"{name}, {role_name(role)}" if role else name


def _roles_words(roles: tuple[str, ...]) -> str:
    names = [role_name(r) for r in roles]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _alert_row(store: Store, item: OpenAlert, as_of: dt.date, *, mine: bool,
               everyone: bool) -> InboxRow:
    row, move, state = item.row, item.move, item.state
    track = store.policy.track(state.track)
    stage = level_name(track, state.level)
    who = reviewer_word(state.track)
    if move.answerable:
        asked = f"Respond to alert {row['ref']} at {stage}" + (
            f" ({_roles_words(move.answer_roles)})" if everyone else "")
    else:
        asked = f"{sentence(who)} to decide on alert {row['ref']} at {stage}"
    when, overdue, days_left = "No deadline: the reviewer decides", False, None
    if move.answerable and state.due is not None:
        words = deadline(state.due, as_of, store.calendar, move.on_silence)
        when, overdue, days_left = sentence(words.words()), words.overdue, \
            words.working_days_left
    note = ""
    if move.answerable and state.overdue_flagged:
        note = (f"No reply came in time, so {who} has been asked to decide the next step. "
                "A response can still be sent.")
    category = next((c.label for c in track.categories if c.id == state.category),
                    state.category)
    ack_by = (store.calendar.add_working_days(state.level_since, store.policy.acknowledge_days)
              if state.level_since else None)
    return InboxRow(
        kind="alert", key=row["ref"], child_ref=row["child_ref"], child_name=row["child_name"],
        asked=asked, by_whom=_person(row["raised_by_name"], row["raised_by_role"]),
        due=state.due if move.answerable else None, days_left=days_left, when=when,
        overdue=overdue, concern=category, outcome_sought=row["outcome_sought"] or "",
        more_time_until=state.extension_until if move.answerable else None, reviewer=who,
        note=note, respondable=mine,
        acknowledged=state.acknowledged or not move.answerable,
        acknowledge_late=bool(mine and not state.acknowledged and ack_by and as_of > ack_by),
    )


def _decision_rows(store: Store, user: SignedInUser, as_of: dt.date,
                   everyone: bool) -> list[InboxRow]:
    team = user.team_id if user.role in ("team_manager", "practice_manager") else None
    waiting = reviews_awaiting_reply(store.db, None if everyone else team)
    silence = REVIEW_SILENCE.get(store.policy.review_decisions.on_silence)
    rows = []
    for review in only_visible_children(store, user, waiting, "child_id",
                                        WHOLE_RECORD_TIES if everyone else {CARE_TIE}):
        due = dt.date.fromisoformat(review["reply_due"])
        words = deadline(due, as_of, store.calendar,
                         None if review["reply_status"] == "overdue" else silence)
        rows.append(InboxRow(
            kind="decisions", key=str(review["id"]), child_ref=review["case_ref"],
            child_name=review["child_name"],
            asked=f"Agree the decisions of the review of {uk_date(review['held_on'])}",
            by_whom=_person(review["reviewer"], review["reviewer_role"]), due=due,
            days_left=words.working_days_left, when=sentence(words.words()),
            overdue=words.overdue, held_on=dt.date.fromisoformat(review["held_on"])))
    return rows


def acknowledge(
    store: Store, user: SignedInUser, rows: list[InboxRow], on: dt.date, now: dt.datetime
) -> list[str]:
    """Acknowledge several rows at once, each in its own transaction; returns what happened.

    A row that cannot be acknowledged (an alert that moved on meanwhile, or one this person
    may not act on) is reported and the others still go through.
    """
    results = []
    for row in rows:
        if row.kind == "alert":
            try:
                require_act_on_alert(store, user, row.key, "acknowledged", now, on=on)
                record_action(store, row.key, Command(kind="acknowledged", on=on,
                                                      actor_role=user.role,
                                                      actor_id=user.staff_id))
                results.append(f"Alert {row.key}: acknowledged.")
            except (AlertRefused, AccessRefused) as refused:
                results.append(f"Alert {row.key}: not acknowledged. {refused}")
        elif row.kind == "review" and row.notification_id is not None:
            try:
                _acknowledge_review(store, user, row, on, now)
            except AccessRefused as refused:
                results.append(f"Review of {row.child_ref}: not acknowledged. {refused}")
            else:
                results.append(f"Review of {row.child_ref}: acknowledged.")
        else:
            results.append(f"{row.asked}: reply to the decisions instead of acknowledging.")
    return results


def _acknowledge_review(store: Store, user: SignedInUser, row: InboxRow, on: dt.date,
                        now: dt.datetime) -> None:
    child = require_act_on_child(store, user, row.child_ref, "acknowledge_review", now)
    with write_transaction(store.db):
        if not mark_read(store.db, user.staff_id, [row.notification_id],
                         now.isoformat(timespec="seconds")):
            return  # not this person's message, or already acknowledged
        append_event(store.db, kind="acknowledged", occurred_on=on, actor_id=user.staff_id,
                     actor_role=user.role, child_id=child["id"], review_id=int(row.key),
                     reason=f"{user.name}, {user.role_name}, acknowledged: {row.asked}.")
