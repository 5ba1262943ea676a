"""Significant changes waiting for the IRO or CP chair: book a review, or decide whether one
is needed (seed 003, Appendix B).

A change that needs a review before it happens is at the top, marked red, until a review
date is booked. For any other change the reviewer decides: a review is needed (then books
it), or it is not, and the reasons go on the child's file.
"""

from __future__ import annotations

from typing import NoReturn

import streamlit as st

from db.changes import ChangeRow
from rules.change_rules import BOOKABLE_STATUSES, REVIEW_NEEDED, REVIEW_REQUIRED
from rules.dates import uk_date
from ui.auth import require_reviewer
from ui.context import current_store, today
from ui.widgets import field_error, link_to_child, uk_date_input
from usecases.changes import (
    ChangeInvalid,
    book_review_for_change,
    change_label,
    changes_waiting_for,
    decide_change,
)
from usecases.errors import UserError
from usecases.store import Store

ERRORS = "changes_errors"  # change id -> {field: message}
DONE = "changes_done"
DECISIONS = {"needed": "A review is needed", "not_needed": "No review is needed"}

store = current_store()
user = require_reviewer()
as_of = today()
row_errors: dict[int, dict[str, str]] = st.session_state.get(ERRORS, {})

st.title("Significant changes")
whose = "every child" if user.role == "principal_iro" else "the children you review"
st.caption(f"Changes in the circumstances of {whose} that wait for you: book the review a "
           "change needs, or decide whether one is needed.")
if done := st.session_state.pop(DONE, None):
    st.success(done)


def _finish(change_id: int, message: str) -> NoReturn:
    """A decision saved: say so at the top, forget the row's errors, show the list again."""
    row_errors.pop(change_id, None)
    st.session_state[ERRORS] = row_errors
    st.session_state[DONE] = message
    st.rerun()


def _refused(change_id: int, errors: dict[str, str]) -> NoReturn:
    row_errors[change_id] = errors
    st.session_state[ERRORS] = row_errors
    st.rerun()


def _book(store: Store, row: ChangeRow, errors: dict[str, str]) -> None:
    cols = st.columns([2, 2], vertical_alignment="bottom")
    with cols[0]:
        review_date = uk_date_input("Review date", None, key=f"book_date_{row.id}")
    with cols[1]:
        clicked = st.button("Book the review", key=f"book_{row.id}", type="primary")
    field_error(errors, "review_date")
    if clicked:
        try:
            outcome = book_review_for_change(store, row.id, review_date=review_date,
                                             actor_id=user.staff_id, actor_role=user.role,
                                             on=as_of)
        except ChangeInvalid as invalid:
            _refused(row.id, invalid.errors)
        except UserError as refused:
            _refused(row.id, {"": str(refused)})
        else:
            _finish(row.id, outcome.message)


def _decide(store: Store, row: ChangeRow, errors: dict[str, str]) -> None:
    decision = st.radio("Is a review needed?", list(DECISIONS), format_func=DECISIONS.get,
                        key=f"decide_{row.id}", index=None, horizontal=True)
    field_error(errors, "decision")
    reasons = st.text_area("Reasons (needed when no review is: they go on the child's file)",
                           key=f"reasons_{row.id}")
    field_error(errors, "reasons")
    if st.button("Record the decision", key=f"decide_submit_{row.id}", type="primary"):
        if decision is None:
            _refused(row.id, {"decision": "Choose whether a review is needed."})
        try:
            outcome = decide_change(store, row.id, review_needed=decision == "needed",
                                    reasons=reasons, actor_id=user.staff_id,
                                    actor_role=user.role, on=as_of)
        except ChangeInvalid as invalid:
            _refused(row.id, invalid.errors)
        except UserError as refused:
            _refused(row.id, {"": str(refused)})
        else:
            _finish(row.id, outcome.message)


rows = changes_waiting_for(store, user)
if not rows:
    st.info("No significant change is waiting for you.")
for row in rows:
    errors = row_errors.get(row.id, {})
    with st.container(border=True):
        if row.status == REVIEW_REQUIRED:
            st.markdown(":red-badge[:material/error: Review required before this change] "
                        "**Book a review date before the change happens.**")
        elif row.status == REVIEW_NEEDED:
            st.markdown(":orange-badge[Review needed] Book a review date.")
        else:
            st.markdown(":blue-badge[Your decision] Is a review needed?")
        link_to_child(row.child_ref, f"{row.child_name} ({row.child_ref})")
        st.markdown(f"**{change_label(store, row)}**")
        told = f"Happened {uk_date(row.happened_on)}; told {uk_date(row.notified_on)}"
        if row.notified_by_name:
            told += f" by {row.notified_by_name}"
        st.caption(told + (" (told late)" if row.late else "") + ".")
        st.text(row.description)
        field_error(errors, "")
        if row.status in BOOKABLE_STATUSES:
            _book(store, row, errors)
        else:
            _decide(store, row, errors)
