"""The screens: open the store, find who is signed in, show the screens of their role.

Serve it with ``streamlit run serve.py``, which runs this script and adds the sign-in
routes. The store is ``$IRO_DB`` (default ``data/iro.db``) and must exist: create it with
``python manage.py init`` (``--demo`` for a demonstration store of invented people).
"""

from __future__ import annotations

import html
from pathlib import Path

import streamlit as st

from db.connection import resolve_db_path
from ui.auth import (
    cookie,
    current_session,
    end_single_sign_on,
    end_token_session,
    go_to_remembered_page,
)
from ui.auth_routes import SESSION_COOKIE, SIGN_OUT_PATH
from ui.background import start_background_jobs
from ui.context import DB_PATH_KEY, current_store, friendly_errors
from ui.navigation import pages_for
from usecases.access import may_manage_policy
from usecases.errors import UserError
from usecases.messages import unread
from usecases.store import prepare_store


@st.cache_resource(show_spinner="Opening the store...")
def start_store(path: str) -> str:
    """Migrate the store once per process, under a lock. A missing store is an error:
    a store is only ever created on purpose, by ``manage.py init``."""
    if not Path(path).exists():
        raise UserError(
            f"There is no store at {path}. Create one with 'python manage.py init --db "
            f"{path} --policy POLICY' (a policy id from 'python manage.py policy list'; add "
            "--demo for a demonstration store of invented people), or point IRO_DB at an "
            "existing store, then reload this page.")
    prepare_store(path)
    return path


def sign_out_control(method: str) -> None:
    """Sign-out: a form posted to the server (which clears the cookie), or single sign-on's."""
    if method == "password" and cookie(SESSION_COOKIE):
        st.html(f'<form method="post" action="{html.escape(SIGN_OUT_PATH)}">'
                '<button type="submit" style="padding:0.4rem 1rem;font-size:0.95rem;'
                'border:1px solid #595959;border-radius:0.4rem;background:#ffffff;'
                'color:#1f1f1f;cursor:pointer">Sign out</button></form>')
    elif st.button("Sign out", key="sign_out"):
        if method == "sso":
            end_single_sign_on()
        else:
            end_token_session()
        st.rerun()


st.set_page_config(page_title="IRO alerts", layout="wide")
APP_NAME = "IRO alerts"

with friendly_errors():
    st.session_state[DB_PATH_KEY] = start_store(str(resolve_db_path()))
    start_background_jobs(st.session_state[DB_PATH_KEY])
    check, method = current_session()
    user = check.user
    unread_messages, manages_policy = 0, False
    if user is not None:
        unread_messages = unread(current_store(), user)
        manages_policy = may_manage_policy(current_store(), user)
        with st.sidebar:
            st.text(f"Signed in as {user.name}, {user.role_name}")
            sign_out_control(method)
    navigation = st.navigation(pages_for(user, unread_messages,
                                         manages_policy=manages_policy))
    # each page its own title in the browser's tab and history (screen readers read it)
    st.set_page_config(page_title=f"{navigation.title.split(' (')[0]} - {APP_NAME}")
    if user is not None:
        go_to_remembered_page()
    navigation.run()
