"""The administrator's view of the mail outbox: what is waiting, sent, or failed for good."""

from __future__ import annotations

from dataclasses import dataclass

from db.outbox_delivery import OutboxRow, outbox_rows
from usecases.accounts import SignedInUser
from usecases.errors import UserError
from usecases.store import Store

STATUS_WORDS = {"pending": "Waiting to be sent", "sent": "Sent", "failed": "Failed for good"}


@dataclass(frozen=True)
class OutboxSummary:
    counts: dict[str, int]
    rows: list[OutboxRow]


def outbox_for_admin(store: Store, user: SignedInUser, status: str | None) -> OutboxSummary:
    if user.role != "admin":
        raise UserError("The mail outbox is for the system administrator.")
    counts = {s: store.db.execute("SELECT count(*) FROM outbox WHERE status = ?",
                                  [s]).fetchone()[0] for s in STATUS_WORDS}
    return OutboxSummary(counts=counts, rows=outbox_rows(store.db, status))
