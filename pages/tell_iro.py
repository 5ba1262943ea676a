"""Tell the IRO of a significant change in a child's circumstances (seed 003, Appendix B).

For the child's social worker (and business support on their behalf): the kind of change,
when it happened, what it is. Saving tells the child's IRO or CP chair at once; a change
that needs a review before it happens is flagged to them in red. One click tells them once
(``ui.forms``); the date is typed as day/month/year and an impossible one is refused.
"""

from __future__ import annotations

import streamlit as st

from rules.dates import working_days_phrase
from ui.auth import require_user
from ui.context import current_store, now_utc, today
from ui.forms import form_round
from ui.widgets import (
    date_field,
    error_summary,
    field_anchor,
    field_error,
    finish,
    form_errors,
    form_key,
    link_to_child,
    refuse,
    save_failed,
    save_once,
    show_result,
)
from usecases.changes import (
    NOTIFIER_ROLES,
    change_type_labels,
    children_to_tell_of,
    notify_change,
    review_first_labels,
    validate_notice,
)

ORDER = ("child", "change_type", "happened_on", "description", "")

store = current_store()
user = require_user()
as_of = today()
if user.role not in NOTIFIER_ROLES:
    st.warning(f"This screen is for social workers and business support; you are signed in "
               f"as {user.role_name}.")
    st.stop()
form = form_round("tell_iro")
errors = form_errors(form)


def key(field: str) -> str:
    return form_key(form, field)


st.title("Tell the IRO of a change")
days = store.policy.significant_changes.notify_within_days
st.caption("The IRO must be told of a significant change "
           + (f"within {working_days_phrase(days)} of it." if days
              else "on the day it happens (or the next working day)."))
if done := show_result(form):
    if done["late"]:
        st.warning(done["late"])
    link_to_child(done["child"], "Go to the child's record")
summary = st.container()  # "There is a problem", filled in once the fields are read

children = children_to_tell_of(store, user)
labels = {c["case_ref"]: f"{c['name']} ({c['case_ref']})" for c in children}
if not labels:
    st.info("There are no children for you to tell the IRO about.")
    st.stop()
refs = list(labels)
wanted = st.query_params.get("child")
field_anchor(form, "child")
child_ref = st.selectbox("Child", refs, format_func=labels.get, key="change_child",
                         index=refs.index(wanted) if wanted in refs else 0)
field_error(errors, "child")

types = change_type_labels(store)
field_anchor(form, "change_type")
change_type = st.selectbox("What kind of change", list(types), format_func=types.get,
                           key=key("change_type"), index=None,
                           placeholder="Choose the kind of change")
review_first = review_first_labels(store)
if review_first:
    st.caption("A review must be held **before** these changes happen: "
               + "; ".join(review_first) + ".")
field_error(errors, "change_type")

field_anchor(form, "happened_on")
happened = date_field("When it happened (or was proposed)", key("change_happened_on"),
                      form=form, field="happened_on")
field_anchor(form, "description")
description = st.text_area("What the change is", key=key("change_description"),
                           help="What happened or is proposed, and what it means for the child.")
field_error(errors, "description")
field_error(errors, "")

wrong_dates = {"happened_on": happened.problem} if happened.problem else {}
if save_failed(form):
    with summary:
        error_summary(form, {**errors, **wrong_dates}, ORDER)

if st.button("Tell the IRO", type="primary", key=key("change_submit")):
    if wrong_dates:  # not a real date: say so, with every other problem, and save nothing
        problems, _ = validate_notice(store, child_ref=child_ref, change_type_id=change_type or "",
                                      happened_on=None, description=description, on=as_of)
        refuse(form, {f: m for f, m in problems.items() if f not in wrong_dates})
    outcome = save_once(store, form, lambda: notify_change(
        store, child_ref=child_ref, change_type=change_type or "", happened_on=happened.value,
        description=description, user=user, on=as_of, now=now_utc()))
    finish(form, outcome.message, extras={
        "late": next((e.reason for e in outcome.events if e.kind == "change_notified_late"), ""),
        "child": child_ref,
    })
    st.rerun()
