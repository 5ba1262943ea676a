"""Concerns about an IRO's or CP chair's own practice (seed 002, 1.6).

Anyone may refer one; only the Deputy Head of Service and more senior managers see the
concerns referred and answer them (the use cases enforce this too). Under a policy without
the procedure the screen says so and offers nothing.
"""

from __future__ import annotations

import streamlit as st

from rules.roles import role_name
from ui.auth import require_user
from ui.context import current_store, today
from ui.format import uk_date
from ui.widgets import field_error
from usecases.children import children_for
from usecases.errors import UserError
from usecases.practice_concerns import (
    ConcernInvalid,
    answer_concern,
    concerns_visible_to,
    may_read,
    people_to_refer_about,
    procedure_off_text,
    procedure_text,
    refer_concern,
)

ERRORS = "concern_errors"
ANSWER_ERRORS = "concern_answer_errors"
DONE = "concern_done"
STATUS_WORDS = {"open": "Waiting for an answer", "answered": "Answered",
                "escalated": "Escalated", "resolved": "Resolved"}

store = current_store()
user = require_user()
as_of = today()

st.title("Concerns about an IRO's practice")
if store.policy.practice_concerns is None:
    st.info(procedure_off_text(store.policy))
    st.stop()
st.caption(procedure_text(store.policy))
if done := st.session_state.pop(DONE, None):
    st.success(done)

# -- refer ---------------------------------------------------------------------------------------

errors: dict[str, str] = st.session_state.get(ERRORS, {})
st.subheader("Refer a concern")
people = people_to_refer_about(store, user)
about_labels = {p["id"]: f"{p['name']} ({role_name(p['role'])})" for p in people}
about = st.selectbox("Whose practice is the concern about?", list(about_labels),
                     format_func=about_labels.get, index=None,
                     placeholder="Choose an IRO or CP chair", key="concern_about")
field_error(errors, "about")
_, children = children_for(store, user)
child_labels = {c["case_ref"]: f"{c['name']} ({c['case_ref']})" for c in children}
child_ref = st.selectbox("The child whose review or conference it was (optional)",
                         list(child_labels), format_func=child_labels.get, index=None,
                         placeholder="No particular child", key="concern_child")
field_error(errors, "child")
text = st.text_area("The concern: what happened, at which review or conference, and when",
                    key="concern_text")
field_error(errors, "concern")
field_error(errors, "")
if st.button("Refer the concern", type="primary", key="concern_submit"):
    try:
        referred = refer_concern(store, about_staff_id=about, child_ref=child_ref,
                                 concern=text, actor_id=user.staff_id, actor_role=user.role,
                                 on=as_of)
    except ConcernInvalid as invalid:
        st.session_state[ERRORS] = invalid.errors
    except UserError as refused:
        st.session_state[ERRORS] = {"": str(refused)}
    else:
        st.session_state.pop(ERRORS, None)
        st.session_state[DONE] = " ".join(e.reason for e in referred.events)
        for key in ("concern_about", "concern_child", "concern_text"):
            st.session_state.pop(key, None)
    st.rerun()

# -- see and answer ------------------------------------------------------------------------------

if not may_read(user.role):
    st.caption("The concerns referred are seen and answered only by the Deputy Head of Service "
               "and more senior managers.")
    st.stop()

st.subheader("Concerns referred")
answer_errors: dict[int, str] = st.session_state.get(ANSWER_ERRORS, {})
concerns = concerns_visible_to(store, user)
if not concerns:
    st.write("No concern has been referred.")
for concern in concerns:
    cid = concern["id"]
    with st.container(border=True):
        status = STATUS_WORDS.get(concern["status"], concern["status"])
        if concern["status"] == "escalated" and concern["escalated_to"]:
            status += f" to the {role_name(concern['escalated_to'])}"
        overdue = (concern["status"] in ("open", "escalated") and concern["due"]
                   and as_of.isoformat() > concern["due"])
        st.markdown(f"**{concern['about_name']}** ({role_name(concern['about_role'])}): "
                    f"{status}")
        by = concern["raised_by_name"] or "someone no longer on the staff list"
        st.markdown(f"Referred on {uk_date(concern['raised_on'])} by {by}; answer due by "
                    f"{uk_date(concern['due'])}" + (" (overdue)" if overdue else "") + ".")
        if concern["child_ref"]:
            st.markdown(f"Child: {concern['child_name']} ({concern['child_ref']})")
        st.text(concern["concern"])
        if concern["answer"]:
            st.markdown(f"**Answer of {uk_date(concern['answered_on'])}:** {concern['answer']}")
        if concern["status"] == "resolved":
            continue
        answer = st.text_area("Your answer", key=f"answer_{cid}")
        if cid in answer_errors:
            st.error(answer_errors[cid], icon=":material/error:")
        resolved = st.checkbox("The concern is resolved", key=f"answer_resolved_{cid}")
        if st.button("Send the answer", key=f"answer_submit_{cid}"):
            try:
                answered = answer_concern(store, cid, answer=answer, resolved=resolved,
                                          actor=user, on=as_of)
            except UserError as refused:
                st.session_state[ANSWER_ERRORS] = {cid: str(refused)}
            else:
                st.session_state.pop(ANSWER_ERRORS, None)
                st.session_state[DONE] = " ".join(e.reason for e in answered.events)
                for key in (f"answer_{cid}", f"answer_resolved_{cid}"):
                    st.session_state.pop(key, None)
            st.rerun()
