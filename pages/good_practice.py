"""Note good practice: better-than-good work by a named worker or a team.

One click sends one note (``ui.forms``): a second click says "already saved".
"""

from __future__ import annotations

import streamlit as st

from rules.roles import role_name
from ui.auth import require_reviewer
from ui.context import current_store, now_utc, today
from ui.forms import form_round
from ui.widgets import (
    error_summary,
    field_anchor,
    field_error,
    finish,
    form_errors,
    form_key,
    save_failed,
    save_once,
    show_result,
)
from usecases.good_practice import (
    GoodPracticeNote,
    children_to_name,
    note_good_practice,
    workers_and_teams,
)

ORDER = ("about", "child", "what", "")

store = current_store()
user = require_reviewer()
form = form_round("good_practice")
errors = form_errors(form)


def key(field: str) -> str:
    return form_key(form, field)


st.title("Note good practice")
st.write("When you meet better-than-good practice, say so: the worker's team manager and "
         "service manager are told, and the notes are counted by team.")
show_result(form)
if save_failed(form):
    error_summary(form, errors, ORDER)

workers, teams = workers_and_teams(store)
field_anchor(form, "about")
about = st.radio("Whose practice?", ["worker", "team"], horizontal=True, key=key("gp_about"),
                 format_func={"worker": "A named worker", "team": "A team"}.get)
worker_id = team_id = None
if about == "worker":
    labels = {w["id"]: f"{w['name']} ({role_name(w['role'])}, {w['team'] or 'no team'})"
              for w in workers}
    worker_id = st.selectbox("Worker", list(labels), format_func=labels.get,
                             key=key("gp_worker"), index=None, placeholder="Choose the worker")
else:
    names = {t["id"]: t["name"] for t in teams}
    team_id = st.selectbox("Team", list(names), format_func=names.get, key=key("gp_team"),
                           index=None, placeholder="Choose the team")
field_error(errors, "about")
children = children_to_name(store, user)
child_labels = {c["case_ref"]: f"{c['name']} ({c['case_ref']})" for c in children}
field_anchor(form, "child")
child_ref = st.selectbox("For which child (optional)", list(child_labels),
                         format_func=child_labels.get, key=key("gp_child"), index=None,
                         placeholder="No particular child")
field_error(errors, "child")
field_anchor(form, "what")
what = st.text_area("What was better than good?", key=key("gp_what"))
field_error(errors, "what")
field_error(errors, "")

if st.button("Send the note", type="primary", key=key("gp_submit")):
    note = GoodPracticeNote(what=what, worker_id=worker_id, team_id=team_id, child_ref=child_ref)
    save_once(store, form, lambda: note_good_practice(store, note, user=user, on=today(),
                                                      now=now_utc()))
    finish(form, "Thank you: the note is recorded and the managers have been told.")
    st.rerun()
