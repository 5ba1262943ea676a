"""Who is signed in, and what their role lets them see."""

from __future__ import annotations

import streamlit as st

from rules.roles import ACTS_AS_REVIEWER
from usecases.accounts import SignedInUser

USER_KEY = "user"



def current_user() -> SignedInUser | None:
    user = st.session_state.get(USER_KEY)
    return user if isinstance(user, SignedInUser) else None


def require_user() -> SignedInUser:
    """The signed-in user; a page reached without one stops with a plain message."""
    user = current_user()
    if user is None:
        st.warning("Please sign in first.")
        st.stop()
    assert user is not None
    return user


def require_reviewer() -> SignedInUser:
    """The signed-in IRO, CP chair or principal IRO; anyone else is stopped with a reason."""
    user = require_user()
    if not is_reviewer(user):
        st.warning(f"This screen is for IROs and CP chairs; you are signed in as "
                   f"{user.role_name}.")
        st.stop()
    return user


def sign_in(user: SignedInUser) -> None:
    st.session_state[USER_KEY] = user


def sign_out() -> None:
    st.session_state.pop(USER_KEY, None)


def is_reviewer(user: SignedInUser) -> bool:
    return user.role in ACTS_AS_REVIEWER
