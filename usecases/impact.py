"""Impact: what a resolved alert changed for the child, and whether it lasted (issue 16).

Three steps, each an event so the log holds every word:

1. **On resolving** the reviewer records the difference (improved, partly, not improved),
   a sentence and the actions agreed with their dates: the ``satisfied`` event's data
   (:func:`resolution_details` checks and shapes them for ``usecases.alert_forms``).
2. **The sweep** (:func:`sweep_follow_ups`) writes ``impact_follow_up_due`` when the
   follow-up's day comes (the policy's months after resolution, default 3, or the child's
   first review after resolution if that is sooner), naming its rule and policy version,
   and the reviewer is told. The follow-up is then in the reviewer's list
   (:func:`follow_ups_waiting`).
3. **The reviewer answers** (:func:`record_follow_up`): sustained or not sustained, with
   a note. Not sustained offers a new alert linked to the old one (the new alert's
   ``raised`` event names ``follows_alert_id``; :func:`alert_to_follow` checks the link).

Who may do each step is asked of ``usecases.access``, like every other action on an alert.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from db.alert_impacts import follow_ups_due, impact_of
from db.alerts import alert_by_id, alert_by_ref
from db.connection import write_transaction
from rules.alert_state import AlertState
from rules.alert_transitions import NewEvent, followed_up, reviewer_word
from rules.dates import uk_date
from rules.impact import (
    FOLLOW_UP_DUE,
    FOLLOW_UP_RULE,
    FOLLOWED_UP_KIND,
    SUSTAINED,
    AgreedAction,
    agreed_actions,
    impact_details,
    impact_problems,
)
from usecases.access import alert_access, may_act_on_alert, require_act_on_alert
from usecases.accounts import SignedInUser
from usecases.errors import UserError
from usecases.event_log import write_events
from usecases.policy_versions import alert_version, store_under
from usecases.store import Store
from usecases.submissions import AlreadySaved, once, was_saved


class ImpactInvalid(UserError):
    """What is wrong with an impact or a follow-up as filled in, by field."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(" ".join(errors.values()))


def follow_up_months(store: Store, alert_id: int) -> int:
    """The months to the follow-up under the policy version the alert runs under."""
    return store_under(store, alert_version(store, alert_id)).policy.impact_follow_up_months


def resolution_details(store: Store, ref: str, impact: str, note: str,
                       actions: list[tuple[str, dt.date | None]], on: dt.date) -> dict[str, Any]:
    """The ``satisfied`` event's impact data, or ImpactInvalid naming every problem."""
    problems = impact_problems(impact, note, actions, on)
    if problems:
        raise ImpactInvalid(problems)
    row = alert_by_ref(store.db, ref)
    months = follow_up_months(store, row.id) if row else store.policy.impact_follow_up_months
    return impact_details(impact, note, agreed_actions(actions), on, months)


# -- the sweep ------------------------------------------------------------------------------


def _prompt(store: Store, due: dict[str, Any], as_of: dt.date) -> NewEvent:
    because_review = due["review_on"] is not None and due["review_on"] < due["follow_up_on"]
    day = dt.date.fromisoformat(due["review_on"] if because_review else due["follow_up_on"])
    row = alert_by_id(store.db, due["alert_id"])
    track = AlertState.from_json(row.state).track if row else ""
    why = (f"the child's review of {uk_date(day)} came first" if because_review
           else f"{store.policy.impact_follow_up_months} months since it was resolved "
                f"on {uk_date(due['resolved_on'])}")
    reason = (f"Follow-up due on {uk_date(day)} ({why}): {reviewer_word(track)} is asked "
              f"whether the change for the child lasted, under {store.policy.id}.")
    return NewEvent(kind=FOLLOW_UP_DUE, on=max(day, dt.date.fromisoformat(due["resolved_on"])),
                    data={"due_on": day.isoformat(),
                          "because": "review" if because_review else "months"},
                    reason=reason, rule=FOLLOW_UP_RULE, actor_role="system")


def sweep_follow_ups(store: Store, as_of: dt.date, batch_size: int = 200,
                     on_committed: Callable[[list[dict]], None] | None = None) -> list[dict]:
    """Ask for every follow-up whose day has come by ``as_of``; returns what was written,
    as the alert sweep prints it. Idempotent: a follow-up asked for once is not asked
    again (the table says so, and the derived event's key refuses a second copy)."""
    written: list[dict] = []
    due = follow_ups_due(store.db, as_of)
    for start in range(0, len(due), batch_size):
        batch: list[dict] = []
        with write_transaction(store.db):
            for item in due[start:start + batch_size]:
                batch.extend(_ask(store, item["alert_id"], as_of))
        written.extend(batch)
        if on_committed is not None and batch:
            on_committed(batch)
    return written


def _ask(store: Store, alert_id: int, as_of: dt.date) -> list[dict]:
    """One follow-up prompt, re-read inside the transaction (another sweep may have asked)."""
    fresh = follow_ups_due(store.db, as_of, alert_id)
    row = alert_by_id(store.db, alert_id)
    if not fresh or row is None:
        return []
    under = store_under(store, alert_version(store, alert_id))
    event = _prompt(under, fresh[0], as_of)
    state = AlertState.from_json(row.state)
    ids = write_events(under, [event], child_id=row.child_id, alert_id=alert_id,
                       alert_states=[state])
    if not ids:
        return []
    return [{"alert": row.ref, "child": row.child_ref, "date": event.on.isoformat(),
             "event": event.kind, "level": "", "due": event.data["due_on"],
             "rule": event.rule, "policy_id": under.policy.id,
             "policy_version": under.policy.version, "reason": event.reason}]


# -- the reviewer's answer ------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUp:
    """A resolved alert's impact, as its page and the reviewer's list show it."""

    ref: str
    child_ref: str
    child_name: str
    impact: str
    impact_note: str
    actions: tuple[AgreedAction, ...]
    resolved_on: dt.date
    follow_up_on: dt.date | None
    asked_on: dt.date | None  # when the sweep asked for the follow-up
    sustained: str
    followed_up_on: dt.date | None
    follow_up_note: str
    linked_ref: str  # the new alert raised because the change did not last

    @property
    def waiting(self) -> bool:
        """True while the reviewer has been asked and has not answered."""
        return self.asked_on is not None and not self.sustained


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _follow_up(store: Store, row: dict[str, Any], ref: str, child_ref: str,
               child_name: str) -> FollowUp:
    linked = ""
    if row["linked_alert_id"] is not None:
        linked_row = alert_by_id(store.db, row["linked_alert_id"])
        linked = linked_row.ref if linked_row else ""
    actions = row["actions"] if isinstance(row["actions"], list) else []
    return FollowUp(
        ref=ref, child_ref=child_ref, child_name=child_name, impact=row["impact"],
        impact_note=row["impact_note"],
        actions=tuple(AgreedAction.from_json(a) for a in actions),
        resolved_on=dt.date.fromisoformat(row["resolved_on"]),
        follow_up_on=_day(row["follow_up_on"]), asked_on=_day(row["prompted_on"]),
        sustained=row["sustained"], followed_up_on=_day(row["followed_up_on"]),
        follow_up_note=row["follow_up_note"], linked_ref=linked)


def impact_for_alert(store: Store, user: SignedInUser, ref: str) -> FollowUp | None:
    """The alert's impact for someone who may see the alert; None before it is resolved."""
    row = alert_by_ref(store.db, ref)
    if row is None or not alert_access(store, user, ref).may_view:
        return None
    found = impact_of(store.db, row.id)
    return _follow_up(store, found, row.ref, row.child_ref, "") if found else None


def record_follow_up(store: Store, user: SignedInUser, ref: str, sustained: str, note: str,
                     *, on: dt.date, now: dt.datetime,
                     submission: str | None = None) -> int:
    """Record whether the change lasted; returns the event's id. For the child's reviewer
    (and whoever acts for them), once the follow-up has been asked for; once only."""
    if submission and was_saved(store, submission):
        raise AlreadySaved()
    row = require_act_on_alert(store, user, ref, FOLLOWED_UP_KIND, now, on=on)
    errors: dict[str, str] = {}
    if sustained not in SUSTAINED:
        errors["sustained"] = "Choose whether the change for the child has lasted."
    if not note.strip():
        errors["note"] = "Write a sentence on how things are for the child now."
    if errors:
        raise ImpactInvalid(errors)
    with once(submission), write_transaction(store.db):
        found = impact_of(store.db, row["id"])
        if found is None or not found["follow_up_on"]:
            raise UserError(f"Alert {ref} has no follow-up to record: only an alert resolved "
                            "as improved or partly improved is followed up.")
        if found["sustained"]:
            raise UserError(f"The follow-up of alert {ref} was already recorded on "
                            f"{uk_date(found['followed_up_on'])}: nothing more was saved.")
        if on < dt.date.fromisoformat(found["resolved_on"]):
            raise ImpactInvalid({"on": f"The follow-up cannot be before the alert was resolved "
                                       f"({uk_date(found['resolved_on'])})."})
        alert = alert_by_id(store.db, row["id"])
        assert alert is not None
        under = store_under(store, alert_version(store, alert.id))
        state = AlertState.from_json(alert.state)
        event = followed_up(state.track, ref, sustained, on, data={"note": note.strip()},
                            actor_role=user.role, actor_id=user.staff_id)
        ids = write_events(under, [event], child_id=alert.child_id, alert_id=alert.id,
                           alert_states=[state])
    return ids[0]


def may_follow_up(store: Store, user: SignedInUser, ref: str) -> bool:
    """Whether this person may record the alert's follow-up (the child's reviewer, or
    whoever acts for them)."""
    return may_act_on_alert(store, user, ref, FOLLOWED_UP_KIND).may_act


def follow_ups_waiting(store: Store, user: SignedInUser) -> list[FollowUp]:
    """The follow-ups asked for and not yet answered on alerts this person may answer
    them on (the reviewer's list), oldest first."""
    rows = list(store.db.query(
        """SELECT i.*, a.ref, c.case_ref, c.name AS child_name
           FROM alert_impacts i JOIN alerts a ON a.id = i.alert_id
           JOIN children c ON c.id = i.child_id
           WHERE i.prompted_on IS NOT NULL AND i.sustained = ''
           ORDER BY i.prompted_on, a.id"""))
    found = []
    for row in rows:
        if not may_act_on_alert(store, user, row["ref"], FOLLOWED_UP_KIND).may_act:
            continue
        item = dict(row)
        item["actions"] = []
        found.append(_follow_up(store, item, row["ref"], row["case_ref"], row["child_name"]))
    return found


def alert_it_follows(store: Store, user: SignedInUser, ref: str) -> str:
    """The reference of the alert this one was raised to follow (its change for the child
    did not last), for someone who may see that one too; "" when none."""
    row = alert_by_ref(store.db, ref)
    if row is None:
        return ""
    found = store.db.execute(
        "SELECT json_extract(data, '$.follows') FROM live_events WHERE alert_id = ? AND "
        "kind = 'raised' ORDER BY id LIMIT 1", [row.id]).fetchone()
    followed = found[0] if found and isinstance(found[0], str) else ""
    if not followed or not alert_access(store, user, followed).may_view:
        return ""
    return followed


def alert_to_follow(store: Store, user: SignedInUser, ref: str, child_ref: str) -> str:
    """The reference of the alert a new one follows, checked: it exists, the person may see
    it, it is this child's, and its change was recorded as not lasting. UserError if not."""
    row = alert_by_ref(store.db, ref.strip())
    if row is None or not alert_access(store, user, ref.strip()).may_view:
        raise UserError(f"There is no alert {ref.strip()} you can see to link the new alert to.")
    if row.child_ref != child_ref:
        raise UserError(f"Alert {row.ref} is about another child: a linked alert must be "
                        "about the same child.")
    found = impact_of(store.db, row.id)
    if found is None or found["sustained"] != "not_sustained":
        raise UserError(f"Alert {row.ref}'s change has not been recorded as not lasting, so a "
                        "new alert cannot be linked to it. Raise the new alert on its own.")
    return row.ref
