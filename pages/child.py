"""One child: details, reviews with their judgement, alerts, and the chronology."""

from __future__ import annotations

import streamlit as st

from ui.auth import is_reviewer, require_user
from ui.context import current_store, or_stop, today
from ui.format import uk_date
from ui.widgets import RAG_WORDS, link_to_alert, required_query_param
from usecases.children import REPLY_WORDS, child_record, review_decisions_text
from usecases.errors import UserError
from usecases.permanence import PLACEMENT_ROLES
from usecases.reviews import REPLY_ROLES, reply_to_decisions

store = current_store()
user = require_user()
case_ref = required_query_param("child", "a child", "pages/children.py", "Children")

record = or_stop(child_record, store, case_ref)
child = record.child
st.title(f"{child['name']} ({child['case_ref']})")
cols = st.columns(4)
cols[0].markdown(f"**Status**  \n{record.status}")
cols[1].markdown(f"**Date of birth**  \n{uk_date(child['date_of_birth'], 'Not recorded')}")
cols[2].markdown(f"**Team**  \n{child['team'] or '-'}  \n**Social worker**  \n"
                 f"{child['social_worker'] or '-'}")
cols[3].markdown(f"**IRO or CP chair**  \n{child['reviewer'] or '-'}")

if user.role in PLACEMENT_ROLES:
    st.page_link("pages/placement.py", label="Record placement and permanence facts",
                 query_params={"child": case_ref}, icon=":material/home:")
if user.role in ("social_worker", "business_support"):
    st.page_link("pages/tell_iro.py", label="Tell the IRO of a significant change",
                 query_params={"child": case_ref}, icon=":material/notification_important:")
if is_reviewer(user):
    actions = st.columns(2)
    with actions[0]:
        st.page_link("pages/record_review.py", label="Record a review for this child",
                     query_params={"child": case_ref}, icon=":material/edit_note:")
    with actions[1]:
        st.page_link("pages/raise_alert.py", label="Raise an alert for this child",
                     query_params={"child": case_ref}, icon=":material/campaign:")

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

if user.role in REPLY_ROLES:
    for review in record.awaiting_reply():
        with st.container(border=True):
            st.markdown(f"**Decisions of the review of {uk_date(review['held_on'])}** - reply "
                        f"due by {uk_date(review['reply_due'])}")
            st.write(review_decisions_text(review))
            agree = st.radio("Your reply", ["agree", "dispute"], horizontal=True,
                             key=f"reply_{review['id']}",
                             format_func={"agree": "I agree the decisions",
                                          "dispute": "I cannot agree them"}.get)
            note = st.text_area("Note (say why, if you cannot agree)",
                                key=f"reply_note_{review['id']}")
            if st.button("Send my reply", key=f"reply_send_{review['id']}"):
                try:
                    done = reply_to_decisions(store, review["id"], agree=agree == "agree",
                                              note=note, actor_id=user.staff_id,
                                              actor_role=user.role, on=today())
                except UserError as refused:
                    st.error(str(refused))
                else:
                    st.success(" ".join(e.reason for e in done.events))

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
