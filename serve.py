"""Serve the app: ``streamlit run serve.py``.

Streamlit runs ``app.py`` (the screens) on its own server; this file adds the few web
routes a Streamlit script cannot provide itself: the sign-in and sign-out form posts,
which set and clear the session cookie, and the hand-over to single sign-on.
"""

from __future__ import annotations

import os

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

import ui.charts  # noqa: F401  (see below)
from ui.auth_routes import MOUNTED_ENV, ROUTES

os.environ[MOUNTED_ENV] = "yes"  # the sign-in page checks this: the form can be posted

# Every page run starts in app.py, which checks the session and builds the menu. Without
# this, Streamlit sees the pages/ folder and, until some session has run app.py, runs a
# page opened by its address (an e-mail's link) on its own: no menu, no sign-in check
# beyond the page's own, and a list of file names in the sidebar.
PagesManager.uses_pages_directory = False

# ui.charts is imported above, when the server starts, for Altair: importing it takes a
# third of a second, which the first head of service to open the dashboard would otherwise
# wait for (issue 15). A cost of starting the server, paid once, not a page's.

app = st.App("app.py", routes=ROUTES)
