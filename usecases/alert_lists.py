"""Lists of alerts for the screens, labelled the way people talk about them; each holds
only the alerts the access module (``usecases.access``) lets the person see.

Whose move an alert waits for comes from one place, ``usecases.whose_move``: the
reviewer's "Waiting for your decision", the Home page's count and the managers' inbox all
ask it. Dates are counted in working days and said the same way everywhere
(``rules.deadline_text``).
"""

from __future__ import annotations

import datetime as dt
import json

from db.queries import latest_alert_events
from rules.alert_state import INFORMAL
from rules.alert_transitions import level_name, reviewer_word, sentence
from rules.deadline_text import day_text, deadline
from rules.roles import ACTS_AS_REVIEWER, role_name
from usecases.accounts import SignedInUser
from usecases.inbox import inbox
from usecases.store import Store
from usecases.whose_move import (
    DECIDE,
    MORE_TIME,
    NO_REPLY,
    OpenAlert,
    open_alert_moves,
    waiting_for_reviewer,
)

OUTCOME_WORDS = {
    "agree": "agreed with the concern",
    "uphold": "upheld the service's decision",
    "alternative": "proposed another course of action",
    "no_action": "said no action will be taken",
}


def _roles_words(roles: tuple[str, ...]) -> str:
    names = [role_name(r) for r in roles]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _line(store: Store, item: OpenAlert, as_of: dt.date) -> dict:
    """One alert as the lists show it: the child, the stage, who it waits for, and the
    deadline in words."""
    row, move, state = item.row, item.move, item.state
    track = store.policy.track(state.track)
    who = reviewer_word(state.track)
    waiting = []
    if move.answerable:
        waiting.append(_roles_words(move.answer_roles))
    if move.reviewer_asked == DECIDE:
        waiting.append(f"{who}: decide on the response")
    elif move.reviewer_asked == NO_REPLY:
        waiting.append(f"{who}: decide the next step")
    elif move.reviewer_asked == MORE_TIME:
        waiting.append(f"{who}: agree or refuse more time")
    due_words, overdue = "No deadline: the reviewer decides", False
    if move.answerable and state.due is not None:
        words = deadline(state.due, as_of, store.calendar, move.on_silence)
        due_words, overdue = sentence(words.words()), words.overdue
    return {
        **{k: row[k] for k in ("id", "ref", "child_ref", "child_name", "track")},
        "level": state.level,
        "level_name": level_name(track, state.level),
        "awaiting": state.awaiting,
        "due": state.due,
        "waiting_for": sentence("; ".join(waiting)) if waiting else "Nobody",
        "due_words": due_words,
        "overdue": overdue,
        "reviewers_move": move.reviewers_move,
    }


def open_on_reviewer_children(store: Store, user: SignedInUser, as_of: dt.date) -> list[dict]:
    """The open alerts on the children this person reviews, soonest due first."""
    items = open_alert_moves(store, user, as_of, reviewer_id=user.staff_id)
    return _by_due([_line(store, item, as_of) for item in items])


def all_open(store: Store, user: SignedInUser, as_of: dt.date) -> list[dict]:
    """Every open alert this person may see, soonest due first: what the principal IRO
    oversees."""
    return _by_due([_line(store, item, as_of) for item in open_alert_moves(store, user, as_of)])


def _by_due(lines: list[dict]) -> list[dict]:
    return sorted(lines, key=lambda x: (x["due"] is None, x["due"] or dt.date.max, x["ref"]))


def decisions_waiting(store: Store, user: SignedInUser, as_of: dt.date) -> list[dict]:
    """The alerts on this reviewer's children whose next move is theirs, with what they are
    asked in words and since when; missed deadlines first, then requests for more time,
    then responses by date."""
    items = waiting_for_reviewer(store, user, as_of)
    latest = latest_alert_events(
        store.db, [i.row["id"] for i in items],
        ("responded", "not_satisfied", "extension_requested", "overdue"))
    lines = []
    for item in items:
        line = _line(store, item, as_of)
        state, move = item.state, item.move
        event = latest.get(item.row["id"])
        since = dt.date.fromisoformat(event["occurred_on"]) if event else state.level_since
        addressees = f"the {_roles_words(move.answer_roles)}" if move.answer_roles else ""
        if move.reviewer_asked == NO_REPLY:
            stage = ("No agreement at the informal stage" if state.level == INFORMAL
                     else f"No response from {addressees}")
            asked = f"{stage} in time: decide the next step"
            when = (sentence(deadline(state.due, as_of, store.calendar).words())
                    if state.due else _since("Waiting since", since, store, as_of))
        elif move.reviewer_asked == MORE_TIME and state.extension_until is not None:
            asked = (f"{sentence(addressees)} asked for more time, until "
                     f"{day_text(state.extension_until)}: agree or refuse")
            when = line["due_words"]
        elif event is not None and event["kind"] == "not_satisfied":
            asked = "You were not satisfied with the response: decide the next step"
            when = _since("Waiting since", since, store, as_of)
        elif event is not None and event["kind"] == "responded":
            data = json.loads(event["data"] or "{}")
            said = OUTCOME_WORDS.get(data.get("outcome", ""), "responded")
            whom = role_name(event["actor_role"]) if event["actor_role"] else "manager"
            asked = (f"The {whom} {said}: decide whether this resolves the concern, or "
                     "escalate")
            when = _since("Replied", since, store, as_of)
        else:
            asked = "Decide: satisfied, not satisfied, or escalate"
            when = _since("Waiting since", since, store, as_of)
        order = {NO_REPLY: 0, MORE_TIME: 1}.get(move.reviewer_asked, 2)
        lines.append({**line, "asked": asked, "when": when, "since": since, "order": order,
                      "missed": move.reviewer_asked == NO_REPLY})
    return sorted(lines, key=lambda x: (x["order"], x["since"] or dt.date.min, x["ref"]))


def _since(words: str, since: dt.date | None, store: Store, as_of: dt.date) -> str:
    """``Replied Tue 17 Nov 2026, 4 working days ago``."""
    if since is None:
        return ""
    ago = store.calendar.working_days_between(since, as_of)
    if ago <= 0:
        return f"{words} today, {day_text(since)}" if since == as_of else \
            f"{words} {day_text(since)}"
    return f"{words} {day_text(since)}, {ago} working day{'s' if ago != 1 else ''} ago"


def waiting_on(store: Store, user: SignedInUser, as_of: dt.date) -> list:
    """What is waiting for this person: their decisions, or their inbox (the Home page
    counts these)."""
    if user.role in ACTS_AS_REVIEWER:
        return decisions_waiting(store, user, as_of)
    return inbox(store, user, as_of)
