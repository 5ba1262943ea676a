"""Children: the caseload, with each child's last judgement and open alerts; only the
children the access module lets this person see (a summary-only row shows no more)."""

from __future__ import annotations

import streamlit as st

from ui.auth import require_user
from ui.context import current_store, or_stop
from ui.format import uk_date
from ui.paging import paged
from ui.widgets import RAG_WORDS, link_to_child
from usecases.children import STATUS_WORDS, children_for

store = current_store()
user = require_user()

title, children = or_stop(children_for, store, user)
st.title("Children")
st.subheader(title)
search = st.text_input("Find a child by name or case reference", key="child_search")
if search:
    needle = search.strip().lower()
    children = [c for c in children if needle in c["name"].lower()
                or needle in c["case_ref"].lower()]
if not children:
    st.write("No children to show." if not search else f"No child matches '{search}'.")
if search != st.session_state.get("children_search_was"):  # a new search: its first page
    st.session_state["children_search_was"] = search
    st.session_state["children_page"] = 1
header = st.columns([3, 2, 2, 2, 1])
for col, text in zip(header, ("Child", "Status", "Last review", "Judgement", "Open alerts"),
                     strict=True):
    col.markdown(f"**{text}**")
for child in paged(children, "children_page", "children"):
    cols = st.columns([3, 2, 2, 2, 1])
    with cols[0]:
        link_to_child(child["case_ref"], f"{child['name']} ({child['case_ref']})")
    cols[1].write(STATUS_WORDS[child["legal_status"]])
    cols[2].write(uk_date(child["last_review"], "-"))
    cols[3].write(RAG_WORDS.get(child["last_rag"], "-"))
    cols[4].write("-" if child["open_alerts"] is None else str(child["open_alerts"]))
