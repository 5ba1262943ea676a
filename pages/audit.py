"""The access audit: who signed in, failed or was locked out, and who opened which record."""

from __future__ import annotations

import streamlit as st

from ui.auth import require_user
from ui.context import current_store, now_utc, or_stop
from ui.date_text import NotADate, read_date
from usecases.audit import audit_csv, audit_for_reader

SHOWN = 500

store = current_store()
user = require_user()
st.title("Access audit")
st.caption("Every sign-in attempt, lock-out and sign-out, and every opening of a child's "
           "record, an alert or a review. Entries can never be changed or removed. Times are "
           "UTC.")

with st.form("audit_filters"):
    cols = st.columns(3)
    child_ref = cols[0].text_input("Child's case reference", value=st.query_params.get(
        "child", ""), key="audit_child")
    email = cols[1].text_input("Person's e-mail address", key="audit_email")
    with cols[2]:
        since_text = st.text_input("From (day/month/year)", key="audit_since",
                                   placeholder="like 21/12/2026")
    st.form_submit_button("Show")
try:
    since = read_date(since_text)
except NotADate as wrong:
    st.error(f"From: {wrong}", icon=":material/error:")
    st.stop()

entries = or_stop(audit_for_reader, store, user, now=now_utc(), child_ref=child_ref,
                  email=email, since=since)
if not entries:
    st.info("Nothing in the audit matches.")
else:
    latest = entries[-SHOWN:][::-1]
    st.write(f"{len(entries)} entries" + (f"; the latest {SHOWN} are shown, newest first, and "
                                          "all are in the CSV." if len(entries) > SHOWN
                                          else ", newest first."))
    st.dataframe(
        [{"When (UTC)": e["at"].replace("T", " ").rstrip("Z"), "What": e["event"],
          "Who": e["staff_name"] or e["email"] or "-", "E-mail": e["email"] or "",
          "Child": e["child"] or "", "Record": f"{e['subject']} {e['subject_ref']}".strip(),
          "Details": e["detail"], "From": e["client"]} for e in latest],
        hide_index=True, width="stretch",
    )
    st.download_button("Download the audit as CSV", audit_csv(entries),
                       file_name="access-audit.csv", mime="text/csv", key="audit_csv")
