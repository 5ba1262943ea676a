"""Significant changes waiting for the IRO or CP chair: book a review, or decide whether one
is needed (seed 003, Appendix B).

A change that needs a review before it happens is at the top, marked red, until a review
date is booked. For any other change the reviewer decides: a review is needed (then books
it), or it is not, and the reasons go on the child's file. Each change's forms save once
(``ui.forms``): a second click says "already saved". The review date is typed as
day/month/year and an impossible one is refused.
"""

from __future__ import annotations

from collections import Counter

import streamlit as st

from db.changes import ChangeRow
from rules.change_rules import BOOKABLE_STATUSES, REVIEW_NEEDED, REVIEW_REQUIRED
from rules.dates import uk_date
from ui.auth import require_reviewer
from ui.context import current_store, now_utc, today
from ui.forms import FormRound, form_round
from ui.text import as_typed
from ui.widgets import (
    date_field,
    field_error,
    finish,
    form_errors,
    form_key,
    link_to_child,
    refuse,
    save_once,
    show_result,
)
from usecases.changes import (
    book_review_for_change,
    change_label,
    changes_waiting_for,
    decide_change,
)
from usecases.store import Store

PLACE = "changes"  # where a decision saved is said (its change may have left the list)
DECISIONS = {"needed": "A review is needed", "not_needed": "No review is needed"}

store = current_store()
user = require_reviewer()
as_of = today()

st.title("Significant changes")
whose = "every child" if user.role == "principal_iro" else "the children you review"
st.caption(f"Changes in the circumstances of {whose} that wait for you: book the review a "
           "change needs, or decide whether one is needed.")
show_result(PLACE)


def _saved(form: FormRound, message: str) -> None:
    """A decision saved: a fresh form for the change, the message at the top, the list again."""
    finish(form, message, place=PLACE)
    st.rerun()


def _book(store: Store, row: ChangeRow, about: str) -> None:
    form = form_round(f"change_book.{row.id}")
    errors = form_errors(form)
    field_error(errors, "")
    with st.columns([2, 3])[0]:
        review_date = date_field(f"Review date for {about}", form_key(form, f"book_date_{row.id}"),
                                 form=form, field="review_date")
    clicked = st.button("Book the review", key=form_key(form, f"book_{row.id}"), type="primary")
    if clicked:
        if review_date.problem:
            refuse(form, {})
        outcome = save_once(store, form, lambda: book_review_for_change(
            store, row.id, review_date=review_date.value, user=user, on=as_of, now=now_utc()))
        _saved(form, outcome.message)


def _decide(store: Store, row: ChangeRow, about: str) -> None:
    form = form_round(f"change_decide.{row.id}")
    errors = form_errors(form)
    field_error(errors, "")
    decision = st.radio(f"Is a review needed after {about}?", list(DECISIONS),
                        format_func=DECISIONS.get, key=form_key(form, f"decide_{row.id}"),
                        index=None, horizontal=True)
    field_error(errors, "decision")
    reasons = st.text_area(f"Reasons about {about} (needed when no review is: they go on the "
                           "child's file)", key=form_key(form, f"reasons_{row.id}"))
    field_error(errors, "reasons")
    if st.button("Record the decision", key=form_key(form, f"decide_submit_{row.id}"),
                 type="primary"):
        if decision is None:
            refuse(form, {"decision": "Choose whether a review is needed."})
        outcome = save_once(store, form, lambda: decide_change(
            store, row.id, review_needed=decision == "needed", reasons=reasons, user=user,
            on=as_of, now=now_utc()))
        _saved(form, outcome.message)


rows = changes_waiting_for(store, user)
if not rows:
    st.info("No significant change is waiting for you.")
# each change's fields are named after it: the child and the day of the change (numbered
# when one child has two changes on one day), so no two fields on the page share a label
abouts = [f"{row.child_ref}'s change of {uk_date(row.happened_on)}" for row in rows]
seen: Counter[str] = Counter()
twice = {a for a, n in Counter(abouts).items() if n > 1}
for row, about in zip(rows, abouts, strict=True):
    seen[about] += 1
    if about in twice:
        about += f" ({seen[about]})"
    with st.container(border=True, key=f"change_box_{row.id}"):
        if row.status == REVIEW_REQUIRED:
            st.markdown(":red-badge[:material/error: Review required before this change] "
                        "**Book a review date before the change happens.**")
        elif row.status == REVIEW_NEEDED:
            st.markdown(":orange-badge[Review needed] Book a review date.")
        else:
            st.markdown(":blue-badge[Your decision] Is a review needed?")
        link_to_child(row.child_ref, f"{as_typed(row.child_name)} ({row.child_ref})")
        st.markdown(f"**{as_typed(change_label(store, row))}**")
        told = f"Happened {uk_date(row.happened_on)}; told {uk_date(row.notified_on)}"
        if row.notified_by_name:
            told += f" by {as_typed(row.notified_by_name)}"
        st.caption(told + (" (told late)" if row.late else "") + ".")
        st.text(row.description)
        if row.status in BOOKABLE_STATUSES:
            _book(store, row, about)
        else:
            _decide(store, row, about)
