"""Streamlit entry point: open the store, sign in, then show the screens of the user's role.

Run with ``streamlit run app.py``. The store is ``$IRO_DB`` (default ``data/iro.db``); when
it does not exist yet it is created with synthetic demo data under ``$IRO_POLICY``
(default ``seed-001``), so a newcomer sees a working app at once.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from db.connection import resolve_db_path
from ui.auth import current_user, sign_out
from ui.background import start_background_jobs
from ui.context import DB_PATH_KEY, current_store, friendly_errors, today
from ui.navigation import pages_for
from usecases.messages import unread
from usecases.store import create_store, prepare_store

POLICY_ENV = "IRO_POLICY"
DEFAULT_POLICY = "seed-001"


@st.cache_resource(show_spinner="Opening the store...")
def start_store(path: str) -> str:
    """Create (first run) and migrate the store once per process, under a lock."""
    if not Path(path).exists():
        policy_id = os.environ.get(POLICY_ENV, DEFAULT_POLICY)
        store = create_store(path, policy_id, demo=True, as_of=today())
        store.db.close()
    prepare_store(path)
    return path


st.set_page_config(page_title="IRO alerts", layout="wide")

with friendly_errors():
    st.session_state[DB_PATH_KEY] = start_store(str(resolve_db_path()))
    start_background_jobs(st.session_state[DB_PATH_KEY])
    user = current_user()
    unread_messages = 0
    if user is not None:
        unread_messages = unread(current_store(), user)
        with st.sidebar:
            st.write(f"Signed in as **{user.name}**, {user.role_name}")
            if st.button("Sign out", key="sign_out"):
                sign_out()
                st.rerun()
    navigation = st.navigation(pages_for(user, unread_messages))
    navigation.run()
