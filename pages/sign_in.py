"""Sign in: the password form (and single sign-on, where the council has set it up)."""

from __future__ import annotations

import streamlit as st

from ui.auth import current_session
from ui.context import current_store
from ui.sign_in_form import show_sign_in

check, method = current_session()
if check.user is not None:  # only when Streamlit runs this file outside app.py's navigation
    st.switch_page("pages/home.py")
show_sign_in(current_store(), notice=check.notice, sso_refused=method == "sso-refused")
