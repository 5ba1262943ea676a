"""A person's in-app messages: read them, count the unread, mark them read."""

from __future__ import annotations

from db.connection import write_transaction
from db.notifications import mark_read, notifications_for, unread_count
from usecases.accounts import SignedInUser
from usecases.store import Store


def messages_for(store: Store, user: SignedInUser) -> list[dict]:
    return notifications_for(store.db, user.staff_id)


def unread(store: Store, user: SignedInUser) -> int:
    return unread_count(store.db, user.staff_id)


def mark_messages_read(
    store: Store, user: SignedInUser, ids: list[int] | None, now: str
) -> int:
    """Mark some, or all (``ids`` None), of this person's messages read; returns how many."""
    with write_transaction(store.db):
        return mark_read(store.db, user.staff_id, ids, now)
