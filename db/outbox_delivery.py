"""The outbox's delivery side: claiming due messages, recording outcomes, listing for admins.

Every function here runs inside the caller's transaction, so a use case decides where a
transaction begins and ends. Claims are leases: ``claimed_until`` says how long a worker
may keep a row before another run may take it over, so a worker that dies mid-send never
strands a message. Outcomes are written only while the row is still claimed by the worker
that sent it: a worker whose lease was taken over cannot overwrite the newer run's result.

Timestamps are compared through SQLite's ``julianday()`` rather than as text, because
queued times come from callers in more than one ISO shape (date-time, with or without
seconds fractions or a UTC offset). A time without an offset counts as UTC.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlite_utils

from db.schema import OUTBOX_STATUSES


def stamp(moment: dt.datetime) -> str:
    """The stored form of a moment: ISO 8601, converted to UTC when it carries an offset."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.isoformat()


@dataclass(frozen=True)
class OutboxMessage:
    """One claimed message, with everything needed to build and send it."""

    id: int
    message_id: str
    kind: str
    to_addrs: str
    cc_addrs: str
    subject: str
    body: str
    link: str | None
    attempts: int
    created_at: str


@dataclass(frozen=True)
class OutboxRow:
    """One line of the admin view of the outbox."""

    id: int
    kind: str
    to: str
    cc: str
    subject: str
    status: str
    attempts: int
    next_attempt_at: str | None
    sent_at: str | None
    last_error: str | None
    claimed_by: str | None
    claimed_until: str | None
    created_at: str


# A row is due when its time has come; an unreadable time counts as due (julianday() gives
# NULL), so a caller's odd timestamp delays nothing instead of stranding the message.
_DUE = """status = 'pending'
    AND (next_attempt_at IS NULL OR coalesce(julianday(next_attempt_at), 0) <= julianday(:now))
    AND (claimed_until IS NULL OR coalesce(julianday(claimed_until), 0) < julianday(:now))"""


def claim_due(
    db: sqlite_utils.Database,
    *,
    now: dt.datetime,
    claimed_until: dt.datetime,
    worker: str,
    batch: int,
) -> list[OutboxMessage]:
    """Lease up to ``batch`` due messages to ``worker``, oldest first; run in BEGIN IMMEDIATE.

    One UPDATE ... RETURNING both picks and marks the rows, and the caller's immediate
    transaction holds the write lock throughout, so two runs never claim the same row.
    """
    if batch < 1:
        return []
    rows = db.execute(
        f"""UPDATE outbox SET claimed_until = :claimed_until, claimed_by = :worker
            WHERE id IN (SELECT id FROM outbox WHERE {_DUE} ORDER BY id LIMIT :batch)
            RETURNING id, message_id, kind, to_addrs, cc_addrs, subject, body, link,
                      attempts, created_at""",
        {"now": stamp(now), "claimed_until": stamp(claimed_until), "worker": worker,
         "batch": batch},
    ).fetchall()
    messages = [OutboxMessage(*row) for row in rows]
    # RETURNING gives no promise of order.
    return sorted(messages, key=lambda m: m.id)


def is_claimed_by(db: sqlite_utils.Database, outbox_id: int, worker: str) -> bool:
    """Whether ``worker`` still holds the lease on a pending message (checked before sending)."""
    row = db.execute(
        "SELECT 1 FROM outbox WHERE id = ? AND status = 'pending' AND claimed_by = ?",
        [outbox_id, worker],
    ).fetchone()
    return row is not None


_STILL_MINE = "id = :id AND status = 'pending' AND claimed_by = :worker"


def mark_sent(
    db: sqlite_utils.Database,
    outbox_id: int,
    *,
    worker: str,
    sent_at: dt.datetime,
    note: str | None = None,
) -> bool:
    """Record a delivery (``note`` names recipients the server refused); False if not ours."""
    cursor = db.execute(
        f"""UPDATE outbox SET status = 'sent', sent_at = :sent_at, attempts = attempts + 1,
                              last_error = :note, claimed_until = NULL, claimed_by = NULL
            WHERE {_STILL_MINE}""",
        {"id": outbox_id, "worker": worker, "sent_at": stamp(sent_at), "note": note},
    )
    return cursor.rowcount == 1


def schedule_retry(
    db: sqlite_utils.Database,
    outbox_id: int,
    *,
    worker: str,
    next_attempt_at: dt.datetime,
    error: str,
) -> bool:
    """Count a failed attempt and release the row until ``next_attempt_at``; False if not ours."""
    cursor = db.execute(
        f"""UPDATE outbox SET attempts = attempts + 1, next_attempt_at = :next_attempt_at,
                              last_error = :error, claimed_until = NULL, claimed_by = NULL
            WHERE {_STILL_MINE}""",
        {"id": outbox_id, "worker": worker, "next_attempt_at": stamp(next_attempt_at),
         "error": error},
    )
    return cursor.rowcount == 1


def mark_failed(db: sqlite_utils.Database, outbox_id: int, *, worker: str, error: str) -> bool:
    """Give up on a message for good, saying why; False if not ours."""
    cursor = db.execute(
        f"""UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = :error,
                              claimed_until = NULL, claimed_by = NULL
            WHERE {_STILL_MINE}""",
        {"id": outbox_id, "worker": worker, "error": error},
    )
    return cursor.rowcount == 1


def outbox_rows(
    db: sqlite_utils.Database, status: str | None = None, limit: int = 200
) -> list[OutboxRow]:
    """The newest messages first, optionally of one status, for an admin screen."""
    if status is not None and status not in OUTBOX_STATUSES:
        raise ValueError(
            f"Unknown outbox status {status!r}: choose one of {', '.join(OUTBOX_STATUSES)}."
        )
    rows = db.execute(
        """SELECT id, kind, to_addrs, cc_addrs, subject, status, attempts, next_attempt_at,
                  sent_at, last_error, claimed_by, claimed_until, created_at
           FROM outbox
           WHERE (:status IS NULL OR status = :status)
           ORDER BY id DESC
           LIMIT :limit""",
        {"status": status, "limit": max(0, limit)},
    ).fetchall()
    return [OutboxRow(*row) for row in rows]
