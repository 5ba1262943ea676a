"""One alert: where it is on the ladder, who must act by when, its history, and what to do."""

from __future__ import annotations

import streamlit as st

from rules.alert_transitions import COMPLAINANTS
from rules.roles import role_name
from ui.auth import is_reviewer, require_user
from ui.context import current_store, or_stop, today
from ui.format import uk_date
from ui.widgets import field_error, link_to_child, required_query_param, uk_date_input
from usecases.alert_forms import (
    ACTION_LABELS,
    OUTCOME_LABELS,
    FormInvalid,
    act_from_form,
    available_actions,
    higher_levels,
)
from usecases.alert_view import alert_view

ERRORS = "alert_action_errors"

store = current_store()
user = require_user()
as_of = today()
ref = (required_query_param("ref", "an alert", "pages/alerts.py", "Alerts") if is_reviewer(user)
       else required_query_param("ref", "an alert", "pages/inbox.py", "Inbox"))

view = or_stop(alert_view, store, ref, as_of)
track = store.policy.track(view.track)
errors: dict[str, str] = st.session_state.get(ERRORS, {}) if st.session_state.get(
    "alert_errors_for") == ref else {}

if flash := st.session_state.pop("flash", None):
    st.success(flash)

st.title(f"Alert {view.ref}")
link_to_child(view.child_ref, f"{view.child_name} ({view.child_ref})")
st.markdown(f"**{view.what_next()}**")
if view.overdue:
    st.error(f"Overdue: the response was due by {uk_date(view.due)}.")
if view.formal_breached:
    st.error(f"The formal process passed its limit on {uk_date(view.formal_due)}.")
elif view.formal_at_risk:
    st.warning(f"The formal process must finish by {uk_date(view.formal_due)}.")
if view.extension_until:
    st.info(f"More time has been asked for, until {uk_date(view.extension_until)}: "
            f"{view.reviewer} to agree or refuse.")

left, right = st.columns([3, 2])
with left:
    st.markdown(f"**Category:** {view.category} ({view.theme})")
    st.markdown(f"**Issue of concern:** {view.concern or '-'}")
    st.markdown(f"**Outcome sought:** {view.outcome_sought or '-'}")
    st.markdown(f"**Raised:** {uk_date(view.raised_on)} by {view.raised_by}")
    if view.formal_started:
        st.markdown(f"**Formal process:** started {uk_date(view.formal_started)}, must finish "
                    f"by {uk_date(view.formal_due)}")
with right:
    st.markdown(f"**The ladder** ({view.track_label})")
    marks = {"passed": "✓", "here": "▶", "ahead": "·"}
    st.dataframe(
        [{"": marks[r.position], "Stage": r.label, "Who responds": r.who,
          "Time to respond": r.days} for r in view.ladder],
        hide_index=True, width="stretch",
    )

st.subheader("What happened")
st.dataframe(
    [{"Date": uk_date(t.on), "What": t.what, "Who": t.who, "Details": t.reason}
     for t in view.timeline],
    hide_index=True, width="stretch",
)

actions = available_actions(view, user.role, track)
if actions:
    st.subheader("Record what happens next")
    kind = st.selectbox("Action", actions, format_func=ACTION_LABELS.get, key="action_kind")
    outcome = until = None
    level = gate = ""
    emergency = False
    if kind == "responded":
        outcome = st.radio("Your response", list(OUTCOME_LABELS), key="action_outcome",
                           format_func=OUTCOME_LABELS.get)
        field_error(errors, "outcome")
    if kind == "extension_requested":
        until = uk_date_input("More time until", None, key="action_until", min_value=as_of)
        field_error(errors, "until")
    if kind == "escalated":
        options = dict(higher_levels(track, view))
        level = st.selectbox("Escalate to", list(options), format_func=options.get,
                             key="action_level")
        field_error(errors, "level")
        gate = st.text_input("Who did you consult, and when? (if the policy asks)",
                             key="action_gate")
        emergency = st.checkbox("This is an emergency", key="action_emergency")
        field_error(errors, "gate")
    details: dict = {}
    if kind == "complaint":
        details["complaint_by"] = st.selectbox("Who complained", list(COMPLAINANTS),
                                               format_func=COMPLAINANTS.get,
                                               key="action_complaint_by")
        details["told_by_complaints_manager"] = st.checkbox(
            "The complaints manager told me of it", key="action_complaint_notice")
        st.caption("A complaint does not stop the dispute: the ladder carries on.")
    note_label = {"responded": "Your response in writing", "withdrawn": "Why it is withdrawn",
                  "extension_requested": "Why more time is needed"}.get(kind, "Note (optional)")
    note = st.text_area(note_label, key="action_note")
    field_error(errors, "note")
    field_error(errors, "")
    if st.button("Save", type="primary", key="action_submit"):
        try:
            recorded = act_from_form(
                store, ref, kind, actor_id=user.staff_id, actor_role=user.role, on=as_of,
                outcome=outcome or "", until=until, note=note, level=level, gate=gate,
                emergency=emergency, details=details)
        except FormInvalid as invalid:
            st.session_state[ERRORS] = invalid.errors
            st.session_state["alert_errors_for"] = ref
        else:
            st.session_state.pop(ERRORS, None)
            st.session_state["flash"] = " ".join(e.reason for e in recorded.events)
        st.rerun()
else:
    st.caption(f"Nothing for a {role_name(user.role)} to record on this alert now.")

st.subheader("For the child's record")
st.caption("Case note, ready to paste into the case management system (copy button at the "
           "top right of the box):")
st.code(view.case_note(), language=None, wrap_lines=True)
st.download_button("Download a printable page", view.printable_html(),
                   file_name=f"alert-{view.ref}.html", mime="text/html", key="printable")
