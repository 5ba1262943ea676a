"""Raise an alert of concern for a child: informally, or straight at a formal level."""

from __future__ import annotations

import streamlit as st

from ui.auth import require_reviewer
from ui.context import current_store, or_stop, today
from ui.format import uk_date
from ui.widgets import field_error, uk_date_input
from usecases.alert_forms import (
    FormInvalid,
    RaiseAlertForm,
    level_choices,
    raise_from_form,
    track_for_child,
)
from usecases.children import children_for

ERRORS = "raise_alert_errors"

store = current_store()
user = require_reviewer()
as_of = today()
errors: dict[str, str] = st.session_state.get(ERRORS, {})

st.title("Raise an alert of concern")
_, children = children_for(store, user)
labels = {c["case_ref"]: f"{c['name']} ({c['case_ref']})" for c in children}
wanted = st.query_params.get("child")
if wanted and wanted not in labels:
    labels = {wanted: wanted, **labels}
refs = list(labels)
if not refs:
    st.info("You have no children to raise an alert for.")
    st.stop()
child_ref = st.selectbox("Child", refs, format_func=labels.get, key="raise_child",
                         index=refs.index(wanted) if wanted in refs else 0)
field_error(errors, "child")
track = or_stop(track_for_child, store, child_ref)
st.caption(f"{track.label}: the ladder of {store.policy.authority}.")

categories = {c.id: f"{c.label} ({c.theme})" for c in track.categories}
category = st.selectbox("Category of concern", list(categories), format_func=categories.get,
                        key="raise_category", index=None, placeholder="Choose a category")
field_error(errors, "category")
concern = st.text_area("The issue of concern", key="raise_concern",
                       help="What is wrong, and how it affects the child.")
field_error(errors, "concern")
outcome = st.text_area("The outcome you are seeking", key="raise_outcome",
                       help="What must happen, and by when.")
field_error(errors, "outcome_sought")

choices = {c.slug: c for c in level_choices(store, track, as_of)}
level = st.radio(
    "Where does the alert start?", list(choices), key="raise_level",
    format_func=lambda s: f"{choices[s].label} (responds: {choices[s].responder})",
)
choice = choices[level]
agreed_date = None
gate = ""
emergency = False
if level == "informal":
    agreed_date = uk_date_input("Response date agreed", choice.due, key="raise_agreed_date",
                                min_value=as_of)
    st.caption(f"Defaulted to the policy's timescale: {uk_date(choice.due)}.")
    field_error(errors, "agreed_date")
else:
    st.write(f"The {choice.responder} must respond by **{uk_date(choice.due)}**.")
    if choice.gate:
        st.warning(f"Before starting here, the policy asks: {choice.gate}.")
        gate = st.text_input("Who did you consult, and when?", key="raise_gate")
        if choice.emergency_allowed:
            emergency = st.checkbox("This is an emergency: there was no time to consult",
                                    key="raise_emergency")
        field_error(errors, "gate")
knows_rights = st.checkbox("The child knows of the right to complain and to have an advocate",
                           key="raise_rights")
field_error(errors, "")

if st.button("Raise the alert", type="primary", key="raise_submit"):
    form = RaiseAlertForm(child_ref=child_ref, category=category or "", concern=concern,
                          outcome_sought=outcome, level=level, agreed_date=agreed_date,
                          gate=gate, emergency=emergency, child_knows_rights=knows_rights)
    try:
        recorded = raise_from_form(store, form, actor_id=user.staff_id, actor_role=user.role,
                                   on=as_of)
    except FormInvalid as invalid:
        st.session_state[ERRORS] = invalid.errors
        st.rerun()
    else:
        st.session_state.pop(ERRORS, None)
        st.session_state["flash"] = f"Alert {recorded.ref} raised. {recorded.events[0].reason}"
        st.switch_page("pages/alert.py", query_params={"ref": recorded.ref})
