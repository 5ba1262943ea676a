"""Home: the policy in force, its ladder, and what the store holds that this person may
see (the administrator: no child, no alert)."""

from __future__ import annotations

import streamlit as st

from rules.ladder_text import ladder_rows
from rules.roles import role_name
from ui.auth import is_reviewer, require_user
from ui.context import current_store, today
from ui.format import plural, uk_date
from usecases.alert_lists import waiting_on
from usecases.children import home_counts

store = current_store()
user = require_user()
policy = store.policy
counts = home_counts(store, user)

st.title("IRO alerts and escalation")
st.caption(f"Today is {uk_date(today())}. Signed in as {user.name}, {user.role_name}.")
waiting = waiting_on(store, user, today())
if waiting:
    if is_reviewer(user):
        missed = sum(1 for row in waiting if row["missed"])
        st.warning(f"{plural(len(waiting), 'alert')} waiting for your decision"
                   + (f", {missed} where nobody answered in time." if missed else "."))
        st.page_link("pages/alerts.py", label="See the alerts waiting for you",
                     icon=":material/campaign:")
    else:
        overdue = sum(1 for row in waiting if row.overdue)
        st.warning(f"{plural(len(waiting), 'item')} in your inbox"
                   + (f", {overdue} overdue." if overdue else "."))
        st.page_link("pages/inbox.py", label="Open your inbox", icon=":material/inbox:")

st.subheader(f"Policy in force: {policy.authority}")
st.write(policy.summary)
st.caption(f"Policy {policy.id}, version {policy.version}.")

st.caption("Counting only the children, reviews and alerts you may see.")
cols = st.columns(4)
cols[0].metric(
    "Children",
    counts.children,
    help=f"{counts.children_looked_after} looked after, "
    f"{counts.children_child_protection} on a child protection plan",
)
cols[1].metric(
    "Reviews recorded",
    counts.reviews,
    help=f"{counts.reviews_red} judged red, {counts.reviews_amber} judged amber",
)
cols[2].metric("Open alerts", counts.alerts_open, help=f"{counts.alerts_closed} closed")
cols[3].metric("Events on their records", counts.events,
               help="Entries in the chronologies of the children whose record you may see")

open_by_level = counts.open_by_level
for track in policy.tracks.values():
    st.subheader(f"{track.label}: the escalation ladder")
    raisers = " or ".join(role_name(r) for r in track.raised_by)
    st.write(
        f"Alerts are raised by the {raisers}. The formal stages together must finish within "
        f"{plural(track.formal_cap_days, 'working day')}."
    )
    rows = ladder_rows(track)
    slugs = ["informal", *(level.role for level in track.levels)]
    for row, slug in zip(rows, slugs, strict=True):
        row["Open alerts now"] = str(open_by_level.get((track.id, slug), 0))
    st.dataframe(rows, hide_index=True, width="stretch")

if policy.cafcass_gate is not None:
    told = " or ".join(role_name(r) for r in policy.cafcass_gate.notify)
    st.info(f"Before a referral to CAFCASS, the {told} must be told and the reasons given.")

if policy.assumptions:
    with st.expander("Where the procedure is silent, this policy assumes"):
        for assumption in policy.assumptions:
            st.markdown(f"- {assumption}")
