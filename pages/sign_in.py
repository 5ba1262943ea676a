"""Sign in with an e-mail address and password."""

from __future__ import annotations

import streamlit as st

from ui.auth import current_user, sign_in
from ui.context import current_store
from usecases.accounts import authenticate
from usecases.demo import DEMO_PASSWORD, demo_accounts

if current_user() is not None:  # only when Streamlit runs this file outside app.py's navigation
    st.switch_page("pages/home.py")

store = current_store()
st.title("Sign in")
st.caption(f"IRO alerts for {store.policy.authority}.")

with st.form("sign_in"):
    email = st.text_input("E-mail address", key="email")
    password = st.text_input("Password", type="password", key="password")
    submitted = st.form_submit_button("Sign in")

if submitted:
    user = authenticate(store, email, password)
    if user is None:
        st.error("That e-mail address and password were not recognised. Check them and try "
                 "again; your administrator can set a new password.")
    else:
        sign_in(user)
        st.rerun()

accounts = demo_accounts(store.db)
if accounts:
    st.info(f"This is a demonstration store with invented people. Every account's password "
            f"is **{DEMO_PASSWORD}**. For example:")
    st.dataframe(
        [{"Role": a["role"], "Name": a["name"], "E-mail": a["email"]} for a in accounts],
        hide_index=True,
    )
