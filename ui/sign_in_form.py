"""The sign-in form, shown on the sign-in page and on any page opened while signed out.

The form is plain HTML posting to ``/auth/sign-in`` (``ui.auth_routes``), because only a
web route can set the session cookie; it carries the address the person asked for, so
after signing in they land on it (an e-mail's link to an alert opens that alert).
"""

from __future__ import annotations

import html

import streamlit as st

from ui.auth import cookie, requested_path, single_sign_on_configured
from ui.auth_routes import FLASH_COOKIE, SIGN_IN_PATH, SSO_PATH, read_flash, routes_mounted
from usecases.demo import DEMO_PASSWORD, demo_accounts
from usecases.store import Store

SIGNED_OUT = "You have signed out."
_FIELD = ("display:block;width:100%;max-width:28rem;box-sizing:border-box;padding:0.5rem;"
          "margin:0.25rem 0 1rem 0;font-size:1rem;border:1px solid #595959;border-radius:0.4rem")
_LABEL = "display:block;font-weight:600;font-size:0.95rem"
_BUTTON = ("padding:0.55rem 1.2rem;font-size:1rem;border:none;border-radius:0.4rem;"
           "background:#1d4f91;color:#ffffff;cursor:pointer")


def password_form(next_path: str) -> str:
    """The e-mail and password form, labelled for screen readers and password managers."""
    e = html.escape
    return (
        f'<form method="post" action="{SIGN_IN_PATH}">'
        f'<input type="hidden" name="next" value="{e(next_path)}">'
        f'<label for="iro-email" style="{_LABEL}">E-mail address</label>'
        f'<input id="iro-email" name="email" type="email" autocomplete="username" required '
        f'spellcheck="false" style="{_FIELD}">'
        f'<label for="iro-password" style="{_LABEL}">Password</label>'
        f'<input id="iro-password" name="password" type="password" '
        f'autocomplete="current-password" required style="{_FIELD}">'
        f'<button type="submit" style="{_BUTTON}">Sign in</button></form>'
    )


def single_sign_on_form(next_path: str, label: str) -> str:
    e = html.escape
    return (
        f'<form method="post" action="{SSO_PATH}">'
        f'<input type="hidden" name="next" value="{e(next_path)}">'
        f'<button type="submit" style="{_BUTTON}">{e(label)}</button></form>'
    )


def show_sign_in(store: Store, *, notice: str = "", sso_refused: bool = False) -> None:
    st.title("Sign in")
    st.caption(f"IRO alerts for {store.policy.authority}.")
    flash = read_flash(store, cookie(FLASH_COOKIE))
    if flash == SIGNED_OUT:
        st.success(flash)
    elif flash:
        st.error(flash)
    if notice:
        st.info(notice)
    if sso_refused:
        from ui.auth import end_single_sign_on

        if st.button("Sign out of single sign-on", key="sso_sign_out"):
            end_single_sign_on()
        return
    next_path = requested_path()
    if next_path != "/":
        st.write("Sign in to see the page you asked for.")
    if not routes_mounted():
        st.error("Signing in needs the app's sign-in routes. Start the app with "
                 "'streamlit run serve.py' (not app.py).")
        return
    if single_sign_on_configured():
        label = str(st.secrets.get("iro_sign_in", {}).get("button", "Sign in with your "
                                                                   "council account"))
        st.html(single_sign_on_form(next_path, label))
        st.write("Or, if you have an account on this service itself:")
    st.html(password_form(next_path))
    accounts = demo_accounts(store.db)
    if accounts:
        st.info(f"This is a demonstration store with invented people. Every account's "
                f"password is {DEMO_PASSWORD}. For example:")
        st.dataframe(
            [{"Role": a["role"], "Name": a["name"], "E-mail": a["email"]} for a in accounts],
            hide_index=True,
        )
