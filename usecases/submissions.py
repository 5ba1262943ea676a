"""One click, one action: a form's submission token makes saving it twice a no-op.

A page gives each filled-in form a random token and runs the use case inside
:func:`once`. The events the use case writes carry the token; a second run with the same
token (a double or triple click on Save, a resubmitted form after a reload) finds them,
writes nothing, and says so with :class:`AlreadySaved`.

A second click can also meet a refusal rather than :class:`AlreadySaved`, when the first
one already moved things on (a reply cannot be sent twice): :func:`was_saved` lets the
screen ask whether its own token did that, and say "already saved" instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from db.events import DuplicateSubmission, submission, submission_logged
from usecases.errors import UserError
from usecases.store import Store

ALREADY_SAVED = "That was already saved; nothing was saved twice."


class AlreadySaved(UserError):
    """The same form submission was saved before: nothing more was written."""

    def __init__(self) -> None:
        super().__init__(ALREADY_SAVED)


@contextmanager
def once(token: str | None) -> Iterator[None]:
    """Run the use cases in the block as one submission of a form (see module docstring)."""
    try:
        with submission(token):
            yield
    except DuplicateSubmission:
        raise AlreadySaved() from None


def was_saved(store: Store, token: str | None) -> bool:
    """True when events saved with this form submission's token are on the log."""
    return bool(token) and submission_logged(store.db, token)
