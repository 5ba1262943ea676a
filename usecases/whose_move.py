"""Whose move is it on an open alert: worked out here, once, for every list that asks.

The reviewer's "Waiting for your decision", the Home page's count and the managers' inbox
all ask :func:`whose_move`, so an alert is never missing from one of them and shown in
another. An open alert can wait for two sides at once:

- **the people it is addressed to** at its level (the informal stage's people, or the
  formal level's role): they may respond, ask for more time and acknowledge, until the
  alert moves on, even after their deadline has passed;
- **the reviewer** (the child's IRO or CP chair), who has to decide when

  * a response came in, or they said they were not satisfied (the alert waits for them);
  * the level did not answer in time and the policy prompts the reviewer rather than
    escalating by itself ("no response in time: decide the next step"), the informal
    stage included;
  * the people it is addressed to asked for more time (agree or refuse).

The clock is run up to the day first, so an alert that silence escalated this morning is
already the next level's, whether or not the sweep has written it yet. Every list built
here holds only the alerts ``usecases.access`` lets the person see.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from db.queries import open_alerts
from rules.alert_rules import advance
from rules.alert_state import INFORMAL, REVIEWER, AlertState
from rules.policy import Policy
from usecases.access import only_visible_alerts
from usecases.accounts import SignedInUser
from usecases.store import Store

#: What the reviewer is asked to do (``Move.reviewer_asked``).
DECIDE = "decide"  # a response came in, or they were not satisfied: what next
NO_REPLY = "no_reply"  # the level did not answer in time and the policy prompts them
MORE_TIME = "more_time"  # the addressee asked for more time: agree or refuse


@dataclass(frozen=True)
class Move:
    """Who must act next on one alert on a day, and what is asked of them."""

    state: AlertState  # the alert as the clock has it that day
    answer_roles: tuple[str, ...]  # roles that may answer now (respond, more time, ack)
    reviewer_asked: str  # "" when nothing waits for the reviewer, else DECIDE ...
    on_silence: str | None  # what a missed deadline leads to next ("escalate", "prompt")

    @property
    def reviewers_move(self) -> bool:
        return bool(self.reviewer_asked)

    @property
    def answerable(self) -> bool:
        return bool(self.answer_roles)


def whose_move(policy: Policy, state: AlertState) -> Move:
    """Who must act next on an alert in ``state`` (already brought up to the day)."""
    if not state.is_open:
        return Move(state, (), "", None)
    track = policy.track(state.track)
    roles: tuple[str, ...] = ()
    on_silence: str | None = None
    if state.awaiting_manager:
        roles = (tuple(track.informal.with_roles) if state.level == INFORMAL
                 else (state.awaiting,))
        level = None if state.level == INFORMAL else track.level(state.level)
        following = track.next_level(level) if level is not None else None
        if (level is not None and level.on_silence == "escalate" and following is not None
                and not following.exceptional):
            on_silence = "escalate"
        elif not state.overdue_flagged:
            on_silence = "prompt"  # the reviewer decides the next step (informal too)
    if state.awaiting == REVIEWER:
        asked = DECIDE
    elif state.extension_until is not None:
        asked = MORE_TIME
    elif state.awaiting_manager and state.overdue_flagged:
        asked = NO_REPLY
    else:
        asked = ""
    return Move(state, roles, asked, on_silence)


def alert_on(store: Store, row: Mapping[str, Any], as_of: dt.date) -> AlertState:
    """An open alert's state on ``as_of``: the projection, with the clock run up to the day
    when something could have happened since it was written."""
    raw = row["state"]
    state = AlertState.from_json(json.loads(raw) if isinstance(raw, str) else dict(raw))
    check = row.get("next_check_on", "")
    if state.is_open and check is not None and (not check or check <= as_of.isoformat()):
        state, _ = advance(store.policy, store.calendar, state, as_of)
    return state


@dataclass(frozen=True)
class OpenAlert:
    """An open alert this person may see, with whose move it is on the day."""

    row: dict  # the alert and its child (``db.queries.open_alerts``)
    move: Move

    @property
    def state(self) -> AlertState:
        return self.move.state


def open_alert_moves(store: Store, user: SignedInUser, as_of: dt.date, *,
                     reviewer_id: int | None = None) -> list[OpenAlert]:
    """Every open alert this person may see (only those on one reviewer's children, given
    ``reviewer_id``), each with whose move it is on ``as_of``. By reference."""
    rows = only_visible_alerts(store, user, open_alerts(store.db, reviewer_id=reviewer_id))
    found = []
    for row in rows:
        move = whose_move(store.policy, alert_on(store, row, as_of))
        if move.state.is_open:
            found.append(OpenAlert(row=row, move=move))
    return found


def waiting_for_reviewer(store: Store, user: SignedInUser, as_of: dt.date) -> list[OpenAlert]:
    """The alerts on the children this person reviews whose next move is theirs: a
    decision on a response, a deadline missed at a level that prompts them (the informal
    stage included), or a request for more time."""
    return [a for a in open_alert_moves(store, user, as_of, reviewer_id=user.staff_id)
            if a.move.reviewers_move]
