"""Forms that save once and then clear: a token per filling-in, fresh widgets after a save.

Each form has a *round*: a version number that goes into every widget's key, and a random
token the use case stores with the events it writes (``usecases.submissions.once``).
After a save the round moves on, so the form shows empty and a new token is ready; a
second click that arrives before that finds the token already used and is told "already
saved". A failed save keeps the round, so nothing typed is lost.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import streamlit as st

_ROUNDS = "form_rounds"
_FLASH = "form_flash"


@dataclass(frozen=True)
class FormRound:
    name: str
    version: int
    token: str

    def key(self, field: str) -> str:
        """A widget key for this round: a new round gets fresh, empty widgets."""
        return f"{self.name}.{self.version}.{field}"

    def finish(self, message: str) -> None:
        """The form was saved: start a new round and keep ``message`` for the next run."""
        rounds = st.session_state.setdefault(_ROUNDS, {})
        rounds[self.name] = (self.version + 1, uuid.uuid4().hex)
        st.session_state.setdefault(_FLASH, {})[self.name] = message


def form_round(name: str) -> FormRound:
    """This form's current round (made on first use)."""
    rounds = st.session_state.setdefault(_ROUNDS, {})
    if name not in rounds:
        rounds[name] = (0, uuid.uuid4().hex)
    version, token = rounds[name]
    return FormRound(name, version, token)


def show_saved(name: str) -> None:
    """Show what the last save of this form did (once), as plain text."""
    message = st.session_state.get(_FLASH, {}).pop(name, None)
    if message:
        st.success(message, icon=":material/check_circle:")
