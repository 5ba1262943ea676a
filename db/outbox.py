"""The mail outbox: messages written in the same transaction as the event they tell of."""

from __future__ import annotations

import uuid

import sqlite_utils

MESSAGE_ID_DOMAIN = "iro-alerts.invalid"


def new_message_id() -> str:
    """A Message-ID fixed when the message is queued, so a resend is recognisably the same."""
    return f"<{uuid.uuid4().hex}@{MESSAGE_ID_DOMAIN}>"


def enqueue_mail(
    db: sqlite_utils.Database,
    *,
    to: list[str],
    cc: list[str],
    subject: str,
    body: str,
    link: str | None = None,
    event_id: int | None = None,
    kind: str = "notification",
    dedupe_key: str | None = None,
    queued_at: str,
) -> int | None:
    """Queue one message; None when ``dedupe_key`` was queued before (or nobody to send to).

    ``queued_at`` is an ISO timestamp from the caller: the first attempt is due then.
    """
    if not to and not cc:
        return None
    cursor = db.execute(
        """INSERT INTO outbox (event_id, message_id, to_addrs, cc_addrs, subject, body, link,
                               status, next_attempt_at, kind, dedupe_key, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)
           ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING""",
        [event_id, new_message_id(), ", ".join(to), ", ".join(cc), subject, body, link,
         queued_at, kind, dedupe_key, queued_at],
    )
    return cursor.lastrowid if cursor.rowcount else None
