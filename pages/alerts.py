"""Alerts: what is waiting for me, and (for reviewers) the alerts on my children."""

from __future__ import annotations

import streamlit as st

from ui.auth import is_reviewer, require_user
from ui.context import current_store, today
from ui.format import uk_date
from ui.widgets import due_text, link_to_alert, link_to_child
from usecases.alert_lists import open_on_reviewer_children, waiting_for_role, waiting_on
from usecases.children import decisions_waiting_for

store = current_store()
user = require_user()
as_of = today()

st.title("Alerts")


def show(rows: list[dict], empty: str) -> None:
    if not rows:
        st.write(empty)
        return
    header = st.columns([3, 3, 3, 3])
    for col, title in zip(header, ("Alert", "Stage", "Waiting for", "Due"), strict=True):
        col.markdown(f"**{title}**")
    for row in rows:
        cols = st.columns([3, 3, 3, 3])
        with cols[0]:
            link_to_alert(row["ref"], f"{row['ref']}: {row['child_name']}")
        cols[1].write(row["level_name"])
        cols[2].write(row["waiting_for"])
        cols[3].write(due_text(row["due"], row["days_left"]))


if is_reviewer(user):
    st.subheader("Waiting for your decision")
    show(waiting_on(store, user, as_of), "No alert on your children is waiting for your decision.")
    st.subheader("Open alerts on the children you review")
    show(open_on_reviewer_children(store, user.staff_id, as_of),
         "None of your children has an open alert.")
else:
    st.subheader(f"Waiting for you ({user.role_name})")
    show(waiting_for_role(store, user.role, as_of), "Nothing is waiting for you at the moment.")
    decisions = decisions_waiting_for(store, user)
    if decisions:
        st.subheader("Review decisions waiting for your reply")
        for review in decisions:
            cols = st.columns([4, 3, 3])
            with cols[0]:
                link_to_child(review["case_ref"], f"{review['child_name']} "
                                                  f"({review['case_ref']})")
            cols[1].write(f"Review of {uk_date(review['held_on'])}")
            cols[2].write(f"Reply due by {uk_date(review['reply_due'])}")
