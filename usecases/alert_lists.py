"""Lists of alerts for the screens, labelled the way people talk about them."""

from __future__ import annotations

import datetime as dt

from db.queries import alerts_of_reviewer_children
from rules.alert_state import REVIEWER
from rules.alert_transitions import level_name, reviewer_word
from rules.roles import ACTS_AS_REVIEWER, role_name
from usecases.accounts import SignedInUser
from usecases.inbox import inbox
from usecases.store import Store


def _labelled(store: Store, rows: list[dict], as_of: dt.date) -> list[dict]:
    out = []
    for row in rows:
        track = store.policy.track(row["track"])
        awaiting = row["awaiting"] or ""
        due = dt.date.fromisoformat(row["due"]) if row["due"] else None
        out.append({
            **row,
            "level_name": level_name(track, row["level"]),
            "waiting_for": (reviewer_word(row["track"]) if awaiting == REVIEWER
                            else role_name(awaiting) if awaiting else "-"),
            "days_left": (store.calendar.working_days_between(as_of, due)
                          if due is not None else None),
        })
    return out


def open_on_reviewer_children(store: Store, staff_id: int, as_of: dt.date) -> list[dict]:
    return _labelled(store, alerts_of_reviewer_children(store.db, staff_id), as_of)


def waiting_on(store: Store, user: SignedInUser, as_of: dt.date) -> list:
    """What is waiting for this person: their decisions, or their inbox."""
    if user.role in ACTS_AS_REVIEWER:
        return [r for r in open_on_reviewer_children(store, user.staff_id, as_of)
                if r["awaiting"] == REVIEWER]
    return inbox(store, user, as_of)


def all_open(store: Store, as_of: dt.date) -> list[dict]:
    """Every open alert, soonest due first: what the principal IRO oversees."""
    rows = store.db.query(
        "SELECT a.*, c.case_ref AS child_ref, c.name AS child_name FROM alerts a JOIN children "
        "c ON c.id = a.child_id WHERE a.status = 'open' ORDER BY a.due IS NULL, a.due, a.ref")
    return _labelled(store, list(rows), as_of)
