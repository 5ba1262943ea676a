"""Alerts: what is waiting for my decision, the follow-ups of resolved alerts' impact, and
(for reviewers) the alerts on my children."""

from __future__ import annotations

import streamlit as st

from rules.impact import IMPACT_WORDS
from ui.auth import require_reviewer
from ui.context import current_store, today
from ui.format import plural, uk_date
from ui.text import as_typed
from ui.widgets import link_to_alert
from usecases.alert_lists import all_open, decisions_waiting, open_on_reviewer_children
from usecases.impact import follow_ups_waiting

store = current_store()
user = require_reviewer()
as_of = today()


def _child(row: dict) -> str:
    return f"**{as_typed(row['child_name'])}**  \n{as_typed(row['child_ref'])}"


def _due(row: dict) -> str:
    text = as_typed(row["due_words"])
    return f":red[**{text}**]" if row["overdue"] else text


def show_waiting(rows: list[dict]) -> None:
    """The alerts waiting for this reviewer's decision: one card each, what is asked first."""
    if not rows:
        st.write("No alert on your children is waiting for your decision.")
        return
    for row in rows:
        with st.container(border=True):
            name, link = st.columns([3, 2])
            name.markdown(f"#### {as_typed(row['child_name'])} · {as_typed(row['child_ref'])}")
            with link:
                link_to_alert(row["ref"], f"{row['ref']}: open the alert to decide")
            st.markdown(f"**{as_typed(row['asked'])}.**")
            stage, when = st.columns(2)
            stage.markdown(f"**Stage**  \n{as_typed(row['level_name'])}")
            text = as_typed(row["when"])
            when.markdown("**When**  \n" + (f":red[**{text}**]" if row["overdue"] else text))


def show_open(rows: list[dict], empty: str) -> None:
    """Open alerts as a list: the child, the alert and its stage, who must move, the due."""
    if not rows:
        st.write(empty)
        return
    widths = [3, 3, 3, 4]
    header = st.columns(widths)
    for col, title in zip(header, ("Child", "Alert", "Waiting for", "Due"), strict=True):
        col.markdown(f"**{title}**")
    for row in rows:
        cols = st.columns(widths)
        cols[0].markdown(_child(row))
        with cols[1]:
            link_to_alert(row["ref"], row["ref"])
            st.caption(as_typed(row["level_name"]))
        cols[2].markdown(as_typed(row["waiting_for"]))
        cols[3].markdown(_due(row))


st.title("Alerts")
waiting = decisions_waiting(store, user, as_of)
st.subheader("Waiting for your decision")
if waiting:
    missed = sum(1 for r in waiting if r["missed"])
    st.caption(f"{plural(len(waiting), 'alert')} on the children you review"
               + (f", {missed} where nobody answered in time" if missed else "")
               + ". In order: nobody answered in time, more time asked for, responses to "
                 "decide on.")
show_waiting(waiting)
follow_ups = follow_ups_waiting(store, user)
if follow_ups:
    st.subheader("Follow-ups due: did the change last?")
    st.caption(f"{plural(len(follow_ups), 'resolved alert')} whose change for the child is due "
               "to be checked. Open each, say whether the change has held, and raise a linked "
               "alert if it has not.")
    for item in follow_ups:
        with st.container(border=True):
            name, link = st.columns([3, 2])
            name.markdown(f"#### {as_typed(item.child_name)} · {as_typed(item.child_ref)}")
            with link:
                link_to_alert(item.ref, f"{item.ref}: record the follow-up")
            st.markdown(f"Resolved {uk_date(item.resolved_on)} as "
                        f"**{IMPACT_WORDS[item.impact].lower()}**; follow-up asked for on "
                        f"{uk_date(item.asked_on)}.")
st.subheader("Open alerts on the children you review")
show_open(open_on_reviewer_children(store, user, as_of),
          "None of your children has an open alert.")
if user.role == "principal_iro":
    st.subheader("Every open alert")
    show_open(all_open(store, user, as_of), "There is no open alert.")
