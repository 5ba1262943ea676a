"""Who is signed in, read afresh from the store on every page run.

The browser holds a session cookie set by ``ui.auth_routes`` (password sign-in) or
Streamlit's own identity cookie (single sign-on through ``st.login``). Each run checks the
session on the server and re-reads the account, so sign-out, an idle timeout,
deactivation or a role change take effect at the person's next click. Nothing is kept in
``st.session_state`` that could outlive the account.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import streamlit as st

from rules.roles import ACTS_AS_REVIEWER
from ui.auth_routes import NEXT_COOKIE, SESSION_COOKIE, safe_next
from ui.context import current_store, now_utc
from usecases.accounts import SignedInUser
from usecases.sessions import (
    SessionCheck,
    identity_key,
    idle_limit,
    sign_out,
    sign_out_identity,
    user_for_identity,
    user_for_session,
)

#: Where a session token may be put by code that cannot send cookies (Streamlit's
#: AppTest): it is checked exactly like the cookie, against a real server-side session.
TOKEN_KEY = "session_token"
IDLE_ENV = "IRO_SESSION_IDLE_MINUTES"
SSO_COOKIE_PREFIX = "_streamlit_user"
PAGES = Path(__file__).resolve().parent.parent / "pages"
DESTINATION_KEY = "destination_after_sign_in"


def idle_minutes() -> int:
    """The idle timeout in minutes (``IRO_SESSION_IDLE_MINUTES``, default 30)."""
    try:
        value = int(os.environ.get(IDLE_ENV, ""))
    except ValueError:
        return int(idle_limit().total_seconds() // 60)
    return value if value > 0 else int(idle_limit().total_seconds() // 60)


def single_sign_on_configured() -> bool:
    """True when ``.streamlit/secrets.toml`` has an ``[auth]`` section for ``st.login``."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _client() -> str:
    try:
        return st.context.ip_address or ""
    except Exception:
        return ""


def cookie(name: str) -> str | None:
    """A cookie the browser sent with this session (None outside a browser, e.g. AppTest)."""
    try:
        value = st.context.cookies.get(name)
    except Exception:
        return None
    return value if isinstance(value, str) else None


def _sso_key() -> str:
    cookies = st.context.cookies
    return identity_key([cookies[k] for k in sorted(cookies)
                         if k.startswith(SSO_COOKIE_PREFIX) and isinstance(cookies[k], str)])


def current_session() -> tuple[SessionCheck, str]:
    """This run's session check, and how the person signed in ("password", "sso" or "")."""
    store = current_store()
    now = now_utc()
    idle = idle_limit(idle_minutes())
    token = cookie(SESSION_COOKIE) or st.session_state.get(TOKEN_KEY)
    notice = ""
    if token:
        check = user_for_session(store, token, now=now, idle=idle)
        if check.user is not None:
            return check, "password"
        notice = check.notice
    if single_sign_on_configured() and st.user.is_logged_in:
        check, started = user_for_identity(store, str(st.user.get("email") or ""), _sso_key(),
                                           client=_client(), now=now, idle=idle)
        if check.user is not None and started:
            _remember_where_the_link_pointed()
        if check.user is not None:
            return check, "sso"
        return check, "sso-refused"
    return SessionCheck(None, notice), ""


def current_user() -> SignedInUser | None:
    return current_session()[0].user


def require_user() -> SignedInUser:
    """The signed-in person; without one, the page shows the sign-in form and stops there."""
    check, method = current_session()
    if check.user is None:
        from ui.sign_in_form import show_sign_in

        show_sign_in(current_store(), notice=check.notice, sso_refused=method == "sso-refused")
        st.stop()
    assert check.user is not None
    return check.user


def require_reviewer() -> SignedInUser:
    """The signed-in IRO, CP chair or principal IRO; anyone else is stopped with a reason."""
    user = require_user()
    if not is_reviewer(user):
        st.warning(f"This screen is for IROs and CP chairs; you are signed in as "
                   f"{user.role_name}.")
        st.stop()
    return user


def end_single_sign_on() -> None:
    """Sign out of a single sign-on session: ours on the server, then Streamlit's cookie."""
    sign_out_identity(current_store(), _sso_key(), now=now_utc())
    st.logout()


def end_token_session() -> None:
    """Sign out a session held in ``st.session_state`` (AppTest): ended on the server."""
    sign_out(current_store(), st.session_state.pop(TOKEN_KEY, None), now=now_utc())


def requested_path() -> str:
    """This page's address on the site (path and query), for "come back here" links."""
    path = urlsplit(st.context.url or "/").path or "/"
    query = st.query_params.to_dict()
    return safe_next(path + (("?" + urlencode(query)) if query else ""))


def _remember_where_the_link_pointed() -> None:
    """After single sign-on, remember the page the person was trying to reach (once)."""
    target = safe_next(cookie(NEXT_COOKIE))
    parts = urlsplit(target)
    name = parts.path.strip("/")
    if name.isidentifier() and (PAGES / f"{name}.py").exists():
        st.session_state[DESTINATION_KEY] = (f"pages/{name}.py", dict(parse_qsl(parts.query)))


def go_to_remembered_page() -> None:
    """Open the page remembered at sign-in; call after ``st.navigation`` has its pages."""
    destination = st.session_state.pop(DESTINATION_KEY, None)
    if destination:
        st.switch_page(destination[0], query_params=destination[1])


def is_reviewer(user: SignedInUser) -> bool:
    return user.role in ACTS_AS_REVIEWER
