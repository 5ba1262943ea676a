"""A manager's inbox: alerts at their level, review decisions to agree, reviews to note."""

from __future__ import annotations

import streamlit as st

from ui.auth import require_user
from ui.context import current_store, now_text, today
from ui.widgets import link_to_alert, link_to_child, uk_date_input
from usecases.alert_forms import OUTCOME_LABELS, FormInvalid, act_from_form
from usecases.inbox import SEES_EVERY_INBOX, acknowledge, inbox

store = current_store()
user = require_user()
as_of = today()


def respond_form(ref: str) -> None:
    """Answer an alert without leaving the inbox: a response, or a request for more time."""
    choice = st.radio("What do you want to do?", ["responded", "extension_requested"],
                      key=f"inbox_kind_{ref}", horizontal=True,
                      format_func={"responded": "Respond",
                                   "extension_requested": "Ask for more time"}.get)
    outcome, until = "", None
    if choice == "responded":
        outcome = st.radio("Your response", list(OUTCOME_LABELS), key=f"inbox_outcome_{ref}",
                           format_func=OUTCOME_LABELS.get)
        words = "Your response in writing"
    else:
        until = uk_date_input("More time until", None, key=f"inbox_until_{ref}",
                              min_value=as_of)
        words = "Why more time is needed"
    note = st.text_area(words, key=f"inbox_note_{ref}")
    if st.button("Send", key=f"inbox_send_{ref}"):
        try:
            recorded = act_from_form(store, ref, choice, actor_id=user.staff_id,
                                     actor_role=user.role, on=as_of, outcome=outcome or "",
                                     until=until, note=note)
        except FormInvalid as invalid:
            for message in invalid.errors.values():
                st.error(message)
        else:
            st.session_state["inbox_done"] = [e.reason for e in recorded.events]
            st.rerun()


st.title("Inbox")
everyone = False
if user.role in SEES_EVERY_INBOX:
    everyone = st.toggle("Show every team's inbox", key="inbox_everyone")
rows = inbox(store, user, as_of, everyone=everyone)
if done := st.session_state.pop("inbox_done", None):
    for line in done:
        st.success(line)

overdue = sum(1 for r in rows if r.overdue)
late_acks = sum(1 for r in rows if r.acknowledge_late)
summary = f"{len(rows)} item{'s' if len(rows) != 1 else ''}"
if overdue:
    summary += f", {overdue} overdue"
if late_acks:
    summary += f", {late_acks} not acknowledged in time"
st.caption(summary + ". Overdue first, then due today, then by date.")
if not rows:
    st.write("Nothing is waiting for you.")

header = st.columns([1, 5, 3, 3, 2])
for col, text in zip(header, ("", "What is asked", "By whom", "By when", ""), strict=True):
    col.markdown(f"**{text}**")
selected = []
for row in rows:
    cols = st.columns([1, 5, 3, 3, 2])
    can_ack = row.kind in ("alert", "review") and not row.acknowledged
    if can_ack and cols[0].checkbox("Select", key=f"ack_{row.kind}_{row.key}",
                                    label_visibility="collapsed"):
        selected.append(row)
    with cols[1]:
        if row.kind == "alert":
            link_to_alert(row.key, f"{row.asked}: {row.child_name}")
        else:
            link_to_child(row.child_ref, f"{row.asked}: {row.child_name}")
    cols[2].write(row.by_whom)
    when = row.when
    if row.overdue:
        cols[3].markdown(f":red[**{when}**]")
    else:
        cols[3].write(when)
    status = "Acknowledged" if row.acknowledged else (
        ":orange[Not acknowledged in time]" if row.acknowledge_late else "")
    cols[4].markdown(status)
    if row.respondable:
        with st.expander(f"Respond to {row.key} or ask for more time"):
            respond_form(row.key)

if rows:
    if st.button(f"Acknowledge the {len(selected)} selected", key="ack_selected",
                 disabled=not selected):
        st.session_state["inbox_done"] = acknowledge(store, user, selected, as_of, now_text())
        for key in [k for k in st.session_state if str(k).startswith("ack_")]:
            del st.session_state[key]
        st.rerun()
    st.caption("To respond or ask for more time, open the alert.")
