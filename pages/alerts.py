"""Alerts: what is waiting for me, and (for reviewers) the alerts on my children."""

from __future__ import annotations

import streamlit as st

from ui.auth import require_reviewer
from ui.context import current_store, today
from ui.widgets import due_text, link_to_alert
from usecases.alert_lists import all_open, open_on_reviewer_children, waiting_on

store = current_store()
user = require_reviewer()
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


st.subheader("Waiting for your decision")
show(waiting_on(store, user, as_of), "No alert on your children is waiting for your decision.")
st.subheader("Open alerts on the children you review")
show(open_on_reviewer_children(store, user.staff_id, as_of),
     "None of your children has an open alert.")
if user.role == "principal_iro":
    st.subheader("Every open alert")
    show(all_open(store, as_of), "There is no open alert.")
