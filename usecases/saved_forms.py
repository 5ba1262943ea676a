"""Asking after a form saved once (``usecases.submissions``): was this submission saved?

A second click can meet a refusal rather than :class:`usecases.submissions.AlreadySaved`
when the first one already moved things on (a reply cannot be sent twice, the facts are
already recorded). The screen asks here whether its own token did that, and then says
"already saved" instead of the refusal.
"""

from __future__ import annotations

from db.submission_log import submission_logged
from usecases.store import Store


def was_saved(store: Store, token: str | None) -> bool:
    """True when events saved with this form submission's token are on the log."""
    return bool(token) and submission_logged(store.db, token)
