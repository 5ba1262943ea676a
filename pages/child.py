"""One child: details, reviews with their judgement, alerts, and the chronology.

Only what the access module lets this person see: the whole record, the child's summary
(with the alerts sent to them), or a refusal that names nothing of the child.
"""

from __future__ import annotations

from collections import Counter
from functools import partial

import streamlit as st

from ui.auth import require_user
from ui.context import current_store, now_utc, or_stop, today
from ui.format import uk_date
from ui.forms import form_round
from ui.text import as_typed, typed
from ui.widgets import (
    RAG_WORDS,
    field_error,
    finish,
    form_errors,
    form_key,
    link_to_alert,
    required_query_param,
    save_once,
    show_result,
)
from usecases.children import REPLY_WORDS, child_record
from usecases.reviews import reply_to_decisions

REPLIED = "review_replies"  # where a reply sent is said (its form is gone)

store = current_store()
user = require_user()
case_ref = required_query_param("child", "a child", "pages/children.py", "Children")

record = or_stop(child_record, store, user, case_ref, now_utc())
case_ref = record.child["case_ref"]
child = record.child
st.title(f"{as_typed(child['name'])} ({child['case_ref']})")
cols = st.columns(4)
cols[0].markdown(f"**Status**  \n{record.status}")
cols[1].markdown(f"**Date of birth**  \n{uk_date(child['date_of_birth'], 'Not recorded')}")
cols[2].markdown(f"**Team**  \n{as_typed(child['team']) or '-'}  \n**Social worker**  \n"
                 f"{as_typed(child['social_worker']) or '-'}")
cols[3].markdown(f"**IRO or CP chair**  \n{as_typed(child['reviewer']) or '-'}")

if "record_placement" in record.may and child["legal_status"] == "looked_after":
    st.page_link("pages/placement.py", label="Record placement and permanence facts",
                 query_params={"child": case_ref}, icon=":material/home:")
if "tell_change" in record.may and user.role in ("social_worker", "business_support"):
    st.page_link("pages/tell_iro.py", label="Tell the IRO of a significant change",
                 query_params={"child": case_ref}, icon=":material/notification_important:")
if {"raise_alert", "record_review"} <= record.may:
    actions = st.columns(2)
    with actions[0]:
        st.page_link("pages/record_review.py", label="Record a review for this child",
                     query_params={"child": case_ref}, icon=":material/edit_note:")
    with actions[1]:
        st.page_link("pages/raise_alert.py", label="Raise an alert for this child",
                     query_params={"child": case_ref}, icon=":material/campaign:")

if record.summary_only:
    st.info("You see this child's summary only: not the child's reviews or chronology.")
    if record.alerts:
        st.subheader("Alerts sent to you")
    for alert in record.alerts:
        cols = st.columns([3, 3, 2])
        with cols[0]:
            link_to_alert(alert["ref"])
        cols[1].write(alert["level_name"])
        cols[2].write({"open": "Open", "resolved": "Resolved", "withdrawn": "Withdrawn"}[
            alert["status"]])
    st.stop()

st.subheader("Reviews")
if record.reviews:
    st.dataframe(
        [{"Date": uk_date(r["held_on"]),
          "Kind": "CP conference" if r["kind"] == "cp_conference" else "Looked-after review",
          "Judgement": RAG_WORDS.get(r["rag"], "-"), "Reviewer": r["reviewer"] or "-",
          "Decisions": REPLY_WORDS.get(r["reply_status"], "-"),
          "Summary": r["summary"]} for r in record.reviews],
        hide_index=True, width="stretch",
    )
else:
    st.write("No review recorded yet.")
# the procedure's own questions, each review's as they were asked; answers exactly as typed
for review in (r for r in record.reviews if r["answers"]):
    meeting = "conference" if review["kind"] == "cp_conference" else "review"
    with st.expander(f"Answers to the procedure's questions: {meeting} of "
                     f"{uk_date(review['held_on'])}", key=f"answers_{review['id']}"):
        for answer in review["answers"]:
            typed(as_typed(answer.label), answer.answer)

show_result(REPLIED)
# each reply's fields are named after its review (numbered when two share a date), so no two
# fields on the page share a label; each reply form saves once (ui.forms)
whens = [f"the review of {uk_date(r['held_on'])}" for r in record.replies]
twice = {w for w, n in Counter(whens).items() if n > 1}
seen: Counter[str] = Counter()
for review, when in zip(record.replies, whens, strict=True):
    seen[when] += 1
    if when in twice:
        when += f" ({seen[when]})"
    reply = form_round(f"review_reply.{review['id']}")
    errors = form_errors(reply)
    with st.container(border=True, key=f"reply_box_{review['id']}"):
        st.markdown(f"**Decisions of {when}** - reply due by {uk_date(review['reply_due'])}")
        st.text(review["decisions"])
        agree = st.radio(f"Your reply to the decisions of {when}", ["agree", "dispute"],
                         horizontal=True, key=form_key(reply, f"reply_{review['id']}"),
                         format_func={"agree": "I agree the decisions",
                                      "dispute": "I cannot agree them"}.get)
        note = st.text_area(f"Note on the decisions of {when} (say why, if you cannot agree)",
                            key=form_key(reply, f"reply_note_{review['id']}"))
        field_error(errors, "")
        if st.button("Send my reply", key=form_key(reply, f"reply_send_{review['id']}")):
            done = save_once(store, reply, partial(
                reply_to_decisions, store, review["id"], agree=agree == "agree", note=note,
                user=user, on=today(), now=now_utc()))
            finish(reply, " ".join(e.reason for e in done.events), place=REPLIED)
            st.rerun()

st.subheader("Alerts")
if not record.alerts:
    st.write("No alert raised for this child.")
for alert in record.alerts:
    cols = st.columns([3, 3, 2])
    with cols[0]:
        link_to_alert(alert["ref"])
    cols[1].write(alert["level_name"])
    cols[2].write({"open": "Open", "resolved": "Resolved", "withdrawn": "Withdrawn"}[
        alert["status"]])

st.subheader("Chronology")
st.dataframe(
    [{"Date": uk_date(e["on"]), "What": e["what"], "Alert": e["alert"], "Who": e["who"],
      "Details": e["details"]} for e in record.chronology],
    hide_index=True, width="stretch",
)
