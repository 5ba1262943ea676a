"""A manager's inbox: what waits for them, overdue first, and acknowledging it.

Three kinds of row: alerts at their level for children in their line of management,
review decisions waiting for their reply, and amber or red reviews they were told of and
have not acknowledged. Heads of service and directors can look at everyone's.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from db.connection import write_transaction
from db.events import append_event
from db.notifications import mark_read
from db.queries import alerts_awaiting_role, reviews_awaiting_reply, staff_names
from rules.alert_state import REVIEWER, AlertState
from rules.alert_transitions import Command, level_name, reviewer_word, sentence
from rules.dates import uk_date
from rules.roles import role_name
from usecases.accounts import SignedInUser
from usecases.alerts import AlertRefused, record_action
from usecases.errors import UserError
from usecases.recipients import people_for_role
from usecases.reviews import REPLY_ROLES
from usecases.store import Store

#: Roles that may look at every team's inbox.
SEES_EVERY_INBOX = frozenset({
    "head_of_service", "deputy_head_of_service", "qa_head_of_service", "service_director",
    "divisional_director", "assistant_director", "director", "executive_director",
    "deputy_chief_executive", "chief_executive", "principal_iro",
})


@dataclass(frozen=True)
class InboxRow:
    kind: str  # "alert", "decisions" or "review"
    key: str  # the alert's reference, or the review's id
    child_ref: str
    child_name: str
    asked: str
    by_whom: str
    due: dt.date | None
    days_left: int | None
    acknowledged: bool = False
    acknowledge_late: bool = False
    notification_id: int | None = None
    respondable: bool = False  # an alert waiting for a manager: answerable from the row

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0

    @property
    def when(self) -> str:
        if self.due is None:
            return "For information"
        text = f"By {uk_date(self.due)}"
        if self.days_left is None:
            return text
        if self.days_left < 0:
            return f"{text}: {-self.days_left} working day{'s' if self.days_left < -1 else ''} late"
        if self.days_left == 0:
            return f"{text}: due today"
        return f"{text}: {self.days_left} working day{'s' if self.days_left > 1 else ''} left"


def _days_left(store: Store, due: dt.date | None, as_of: dt.date) -> int | None:
    return None if due is None else store.calendar.working_days_between(as_of, due)


def _mine(store: Store, user: SignedInUser, child_id: int, role: str, everyone: bool) -> bool:
    return everyone or any(p["id"] == user.staff_id
                           for p in people_for_role(store, child_id, role))


def inbox(store: Store, user: SignedInUser, as_of: dt.date, *, everyone: bool = False) -> list:
    """The rows for this person (or, for those allowed, everyone's), overdue first."""
    if everyone and user.role not in SEES_EVERY_INBOX:
        raise UserError("Only heads of service, directors and the principal IRO can see "
                        "every team's inbox.")
    names = staff_names(store.db)
    rows: list[InboxRow] = []
    roles = None if everyone else (user.role,)
    for alert in _open_alerts(store, roles):
        child_id = _child_id(store, alert["child_ref"])
        if not alert["awaiting"] or not _mine(store, user, child_id, alert["awaiting"],
                                              everyone):
            continue
        state = AlertState.from_json(json.loads(alert["state"]))
        track = store.policy.track(alert["track"])
        ack_by = (store.calendar.add_working_days(state.level_since, store.policy.acknowledge_days)
                  if state.level_since else None)
        stage = level_name(track, alert["level"])
        if alert["awaiting"] == REVIEWER:
            asked = f"{sentence(reviewer_word(alert['track']))} to decide on alert " \
                    f"{alert['ref']} at {stage}"
        else:
            asked = f"Respond to alert {alert['ref']} at {stage}" + (
                f" ({role_name(alert['awaiting'])})" if everyone else "")
        rows.append(InboxRow(
            kind="alert", key=alert["ref"], child_ref=alert["child_ref"],
            child_name=alert["child_name"], asked=asked,
            by_whom=names.get(alert["raised_by"], "-") if alert["raised_by"] else "-",
            due=state.due, days_left=_days_left(store, state.due, as_of),
            respondable=alert["awaiting"] != REVIEWER,
            acknowledged=state.acknowledged or alert["awaiting"] == REVIEWER,
            acknowledge_late=bool(alert["awaiting"] != REVIEWER and not state.acknowledged
                                  and ack_by and as_of > ack_by),
        ))
    if everyone or user.role in REPLY_ROLES:
        team = user.team_id if user.role in ("team_manager", "practice_manager") else None
        for review in reviews_awaiting_reply(store.db, None if everyone else team):
            due = dt.date.fromisoformat(review["reply_due"])
            rows.append(InboxRow(
                kind="decisions", key=str(review["id"]), child_ref=review["case_ref"],
                child_name=review["child_name"],
                asked=f"Agree the decisions of the review of {uk_date(review['held_on'])}",
                by_whom=(f"{review['reviewer']}, {role_name(review['reviewer_role'])}"
                         if review["reviewer"] else "-"), due=due,
                days_left=_days_left(store, due, as_of)))
    for told in _routed_reviews_unread(store, None if everyone else user.staff_id):
        rows.append(InboxRow(
            kind="review", key=str(told["review_id"]), child_ref=told["case_ref"],
            child_name=told["child_name"], asked=told["subject"],
            by_whom=names.get(told["actor_id"], "-") if told["actor_id"] else "-",
            due=None, days_left=None, notification_id=told["id"]))
    return sorted(rows, key=lambda r: (r.due is None, r.due or dt.date.max, r.kind, r.key))


def _open_alerts(store: Store, roles: tuple[str, ...] | None) -> list[dict]:
    if roles is None:  # everyone's: every open alert, whoever must move next
        return list(store.db.query(
            "SELECT a.*, c.case_ref AS child_ref, c.name AS child_name FROM alerts a "
            "JOIN children c ON c.id = a.child_id WHERE a.status = 'open' ORDER BY a.id"))
    return [a for role in roles for a in alerts_awaiting_role(store.db, role)]


def _child_id(store: Store, case_ref: str) -> int:
    return store.db.execute("SELECT id FROM children WHERE case_ref = ?", [case_ref]).fetchone()[0]


def _routed_reviews_unread(store: Store, staff_id: int | None) -> list[dict]:
    sql = """SELECT n.id, n.subject, n.staff_id, e.review_id, e.actor_id, c.case_ref,
                    c.name AS child_name
             FROM notifications n JOIN events e ON e.id = n.event_id
             JOIN children c ON c.id = e.child_id
             WHERE e.kind = 'rag_routed' AND n.read_at IS NULL"""
    params: list = []
    if staff_id is not None:
        sql += " AND n.staff_id = ?"
        params.append(staff_id)
    return list(store.db.query(sql + " ORDER BY n.id", params))


def acknowledge(
    store: Store, user: SignedInUser, rows: list[InboxRow], on: dt.date, now: str
) -> list[str]:
    """Acknowledge several rows at once, each in its own transaction; returns what happened.

    A row that cannot be acknowledged (an alert that moved on meanwhile) is reported and
    the others still go through.
    """
    results = []
    for row in rows:
        if row.kind == "alert":
            try:
                record_action(store, row.key, Command(kind="acknowledged", on=on,
                                                      actor_role=user.role,
                                                      actor_id=user.staff_id))
                results.append(f"Alert {row.key}: acknowledged.")
            except AlertRefused as refused:
                results.append(f"Alert {row.key}: not acknowledged. {refused}")
        elif row.kind == "review" and row.notification_id is not None:
            _acknowledge_review(store, user, row, on, now)
            results.append(f"Review of {row.child_ref}: acknowledged.")
        else:
            results.append(f"{row.asked}: reply to the decisions instead of acknowledging.")
    return results


def _acknowledge_review(store: Store, user: SignedInUser, row: InboxRow, on: dt.date,
                        now: str) -> None:
    child_id = _child_id(store, row.child_ref)
    with write_transaction(store.db):
        append_event(store.db, kind="acknowledged", occurred_on=on, actor_id=user.staff_id,
                     actor_role=user.role, child_id=child_id, review_id=int(row.key),
                     reason=f"{user.name}, {user.role_name}, acknowledged: {row.asked}.")
        mark_read(store.db, user.staff_id, [row.notification_id], now)
