"""The event log: the child's chronology, the audit trail and the input of every rule.

Only :func:`append_event` writes to it; triggers in the schema refuse UPDATE, DELETE and
an INSERT that would replace an event, and each event is chained to the one before by its
hash (``db.integrity``), so ``manage.py verify`` can show any change made around them.
A derived event (made by a rule, not a person) carries the rule's name and the policy id
and version behind it, so a manager can always see why something happened.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from db.alert_facts import project as project_facts
from db.alert_impacts import project as project_impact
from db.connection import write_transaction
from db.integrity import event_hash, next_link

SYSTEM_ACTOR_ROLE = "system"


class DuplicateSubmission(Exception):
    """The form submission being saved has already written its events."""


@dataclass
class _Submission:
    token: str
    checked: bool = False


_submission: ContextVar[_Submission | None] = ContextVar("iro_submission", default=None)


@contextmanager
def submission(token: str | None) -> Iterator[None]:
    """Mark every event appended inside the block with a form submission's token.

    The first event appended checks that no event already carries the token (a second
    click on Save, or a resubmitted form) and raises :class:`DuplicateSubmission` if one
    does, which rolls the caller's transaction back. Writers queue on ``BEGIN IMMEDIATE``,
    so two clicks arriving together are checked one after the other.
    """
    if not token:
        yield
        return
    handle = _submission.set(_Submission(token))
    try:
        yield
    finally:
        _submission.reset(handle)


def forget_unsaved_submission() -> None:
    """A rolled-back transaction wrote nothing: the next one checks the token again."""
    current = _submission.get()
    if current is not None:
        current.checked = False


def submission_logged(db: sqlite_utils.Database, token: str) -> bool:
    """True when an event saved with this form submission's token is in the log."""
    return db.execute("SELECT 1 FROM events WHERE submission = ? LIMIT 1",
                      [token]).fetchone() is not None


def _submission_token(db: sqlite_utils.Database) -> str | None:
    current = _submission.get()
    if current is None:
        return None
    if not current.checked:
        if db.execute("SELECT 1 FROM events WHERE submission = ? LIMIT 1",
                      [current.token]).fetchone():
            raise DuplicateSubmission(current.token)
        current.checked = True
    return current.token


@dataclass(frozen=True)
class Event:
    """One line of the log, as read back."""

    id: int
    occurred_on: dt.date
    recorded_at: str
    kind: str
    actor_id: int | None
    actor_role: str | None
    child_id: int | None
    alert_id: int | None
    review_id: int | None
    data: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    rule: str | None = None
    policy_id: str | None = None
    policy_version: int | None = None

    @property
    def derived(self) -> bool:
        return self.rule is not None


def append_event(
    db: sqlite_utils.Database,
    *,
    kind: str,
    occurred_on: dt.date,
    actor_id: int | None = None,
    actor_role: str | None = None,
    child_id: int | None = None,
    alert_id: int | None = None,
    review_id: int | None = None,
    data: dict[str, Any] | None = None,
    reason: str = "",
    rule: str | None = None,
    policy_id: str | None = None,
    policy_version: int | None = None,
    dedupe_key: str | None = None,
) -> int | None:
    """Append one event; returns its id, or None when ``dedupe_key`` was already logged.

    Call inside :func:`db.connection.write_transaction` together with the projection
    change it explains, so the log and the tables never disagree. ``dedupe_key`` makes
    derived events idempotent: a sweep that runs twice writes each of them once.
    """
    if rule is not None and (policy_id is None or policy_version is None):
        raise ValueError("A derived event must name the policy id and version behind it.")
    row: dict[str, Any] = {
        "occurred_on": occurred_on.isoformat(),
        "kind": kind,
        "actor_id": actor_id,
        "actor_role": actor_role,
        "child_id": child_id,
        "alert_id": alert_id,
        "review_id": review_id,
        "data": json.dumps(data or {}, sort_keys=True, default=str),
        "reason": reason,
        "rule": rule,
        "policy_id": policy_id,
        "policy_version": policy_version,
        "dedupe_key": dedupe_key,
    }
    if not db.conn.in_transaction:  # the chain's end must be read where the write happens
        with write_transaction(db):
            return _append(db, row)
    return _append(db, row)


def _append(db: sqlite_utils.Database, row: dict[str, Any]) -> int | None:
    """Write ``row`` as the next link of the hash chain (``db.integrity``).

    A logged dedupe key is looked up first: the guard's trigger refuses an insert that
    reuses one (so REPLACE cannot delete history), which ``ON CONFLICT DO NOTHING`` can no
    longer absorb. Inside the write transaction nothing can come between the look-up, the
    read of the last hash and the insert.
    """
    row["submission"] = _submission_token(db)
    if row["dedupe_key"] is not None and db.execute(
        "SELECT 1 FROM events WHERE dedupe_key = ?", [row["dedupe_key"]]
    ).fetchone():
        return None
    link = next_link(db)
    row.update(id=link.id, prev_hash=link.prev_hash)
    row["hash"] = event_hash(row, link.prev_hash)
    columns = list(row)
    db.execute(
        f"INSERT INTO events ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
        [row[c] for c in columns],
    )
    project_facts(db, link.id, row)  # the dashboard's narrow tables, in the same transaction
    project_impact(db, row)  # what resolved alerts changed for the child
    return link.id


def _event_from_row(row: dict[str, Any]) -> Event:
    return Event(
        id=row["id"],
        occurred_on=dt.date.fromisoformat(row["occurred_on"]),
        recorded_at=row["recorded_at"],
        kind=row["kind"],
        actor_id=row["actor_id"],
        actor_role=row["actor_role"],
        child_id=row["child_id"],
        alert_id=row["alert_id"],
        review_id=row["review_id"],
        data=json.loads(row["data"]),
        reason=row["reason"],
        rule=row["rule"],
        policy_id=row["policy_id"],
        policy_version=row["policy_version"],
    )


def events_where(
    db: sqlite_utils.Database, where: str = "1 = 1", params: list[Any] | None = None
) -> list[Event]:
    """Events matching a SQL condition, oldest first (by business date, then log order)."""
    rows = db.query(
        f"SELECT * FROM live_events WHERE {where} ORDER BY occurred_on, id", params or []
    )
    return [_event_from_row(row) for row in rows]


def events_for_alert(db: sqlite_utils.Database, alert_id: int) -> list[Event]:
    return events_where(db, "alert_id = ?", [alert_id])


def events_for_child(db: sqlite_utils.Database, child_id: int) -> list[Event]:
    return events_where(db, "child_id = ?", [child_id])
