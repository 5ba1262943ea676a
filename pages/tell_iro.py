"""Tell the IRO of a significant change in a child's circumstances (seed 003, Appendix B).

For the child's social worker (and business support on their behalf): the kind of change,
when it happened, what it is. Saving tells the child's IRO or CP chair at once; a change
that needs a review before it happens is flagged to them in red.
"""

from __future__ import annotations

import streamlit as st

from rules.dates import working_days_phrase
from ui.auth import require_user
from ui.context import current_store, today
from ui.widgets import field_error, link_to_child, uk_date_input
from usecases.changes import (
    NOTIFIER_ROLES,
    ChangeInvalid,
    change_type_labels,
    notify_change,
    review_first_labels,
)
from usecases.children import children_for
from usecases.errors import UserError

ERRORS = "change_errors"
DONE = "change_told"
FIELD_KEYS = ("change_type", "change_happened_on", "change_description")

store = current_store()
user = require_user()
as_of = today()
if user.role not in NOTIFIER_ROLES:
    st.warning(f"This screen is for social workers and business support; you are signed in "
               f"as {user.role_name}.")
    st.stop()
errors: dict[str, str] = st.session_state.get(ERRORS, {})

st.title("Tell the IRO of a change")
days = store.policy.significant_changes.notify_within_days
st.caption("The IRO must be told of a significant change "
           + (f"within {working_days_phrase(days)} of it." if days
              else "on the day it happens (or the next working day)."))
if done := st.session_state.pop(DONE, None):
    st.success(done["message"])
    if done["late"]:
        st.warning(done["late"])
    link_to_child(done["child"], "Go to the child's record")

_, children = children_for(store, user)
labels = {c["case_ref"]: f"{c['name']} ({c['case_ref']})" for c in children}
if not labels:
    st.info("There are no children for you to tell the IRO about.")
    st.stop()
refs = list(labels)
wanted = st.query_params.get("child")
child_ref = st.selectbox("Child", refs, format_func=labels.get, key="change_child",
                         index=refs.index(wanted) if wanted in refs else 0)
field_error(errors, "child")

types = change_type_labels(store)
change_type = st.selectbox("What kind of change", list(types), format_func=types.get,
                           key="change_type", index=None, placeholder="Choose the kind of change")
review_first = review_first_labels(store)
if review_first:
    st.caption("A review must be held **before** these changes happen: "
               + "; ".join(review_first) + ".")
field_error(errors, "change_type")

happened_on = uk_date_input("When it happened (or was proposed)", None,
                            key="change_happened_on")
field_error(errors, "happened_on")
description = st.text_area("What the change is", key="change_description",
                           help="What happened or is proposed, and what it means for the child.")
field_error(errors, "description")

if st.button("Tell the IRO", type="primary", key="change_submit"):
    try:
        outcome = notify_change(store, child_ref=child_ref, change_type=change_type or "",
                                happened_on=happened_on, description=description,
                                actor_id=user.staff_id, actor_role=user.role, on=as_of)
    except ChangeInvalid as invalid:
        st.session_state[ERRORS] = invalid.errors
    except UserError as refused:
        st.error(str(refused))
        st.stop()
    else:
        st.session_state.pop(ERRORS, None)
        st.session_state[DONE] = {
            "message": outcome.message,
            "late": next((e.reason for e in outcome.events if e.kind == "change_notified_late"),
                         ""),
            "child": child_ref,
        }
        for key in FIELD_KEYS:
            st.session_state.pop(key, None)
    st.rerun()
