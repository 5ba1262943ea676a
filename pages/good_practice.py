"""Note good practice: better-than-good work by a named worker or a team."""

from __future__ import annotations

import streamlit as st

from rules.roles import role_name
from ui.auth import require_reviewer
from ui.context import current_store, today
from ui.widgets import field_error
from usecases.children import children_for
from usecases.good_practice import (
    GoodPracticeInvalid,
    GoodPracticeNote,
    note_good_practice,
    workers_and_teams,
)

ERRORS = "good_practice_errors"

store = current_store()
user = require_reviewer()
errors: dict[str, str] = st.session_state.get(ERRORS, {})

st.title("Note good practice")
st.write("When you meet better-than-good practice, say so: the worker's team manager and "
         "service manager are told, and the notes are counted by team.")
if done := st.session_state.pop("good_practice_done", None):
    st.success(done)

workers, teams = workers_and_teams(store)
about = st.radio("Whose practice?", ["worker", "team"], horizontal=True, key="gp_about",
                 format_func={"worker": "A named worker", "team": "A team"}.get)
worker_id = team_id = None
if about == "worker":
    labels = {w["id"]: f"{w['name']} ({role_name(w['role'])}, {w['team'] or 'no team'})"
              for w in workers}
    worker_id = st.selectbox("Worker", list(labels), format_func=labels.get, key="gp_worker",
                             index=None, placeholder="Choose the worker")
else:
    names = {t["id"]: t["name"] for t in teams}
    team_id = st.selectbox("Team", list(names), format_func=names.get, key="gp_team",
                           index=None, placeholder="Choose the team")
field_error(errors, "about")
_, children = children_for(store, user)
child_labels = {c["case_ref"]: f"{c['name']} ({c['case_ref']})" for c in children}
child_ref = st.selectbox("For which child (optional)", list(child_labels),
                         format_func=child_labels.get, key="gp_child", index=None,
                         placeholder="No particular child")
field_error(errors, "child")
what = st.text_area("What was better than good?", key="gp_what")
field_error(errors, "what")
field_error(errors, "")

if st.button("Send the note", type="primary", key="gp_submit"):
    note = GoodPracticeNote(what=what, worker_id=worker_id, team_id=team_id, child_ref=child_ref)
    try:
        note_good_practice(store, note, user=user, on=today())
    except GoodPracticeInvalid as invalid:
        st.session_state[ERRORS] = invalid.errors
    else:
        st.session_state.pop(ERRORS, None)
        st.session_state["good_practice_done"] = ("Thank you: the note is recorded and the "
                                                  "managers have been told.")
        for key in ("gp_what", "gp_worker", "gp_team", "gp_child"):
            st.session_state.pop(key, None)
    st.rerun()
