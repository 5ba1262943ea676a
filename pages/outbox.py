"""Mail outbox (administrator): messages waiting, sent and failed, with the last error."""

from __future__ import annotations

import streamlit as st

from ui.auth import require_user
from ui.context import current_store, or_stop
from usecases.outbox_view import STATUS_WORDS, outbox_for_admin

store = current_store()
user = require_user()

st.title("Mail outbox")
st.caption("E-mail is written here with the event it tells of and delivered by "
           "'python manage.py send-mail' (or by the app every few minutes when IRO_SMTP_HOST "
           "is set). Failed messages need the settings or the address checked.")
status = st.radio("Show", [None, *STATUS_WORDS], horizontal=True, key="outbox_status",
                  format_func=lambda s: "All" if s is None else STATUS_WORDS[s])
summary = or_stop(outbox_for_admin, store, user, status)
cols = st.columns(len(STATUS_WORDS))
for col, (key, words) in zip(cols, STATUS_WORDS.items(), strict=True):
    col.metric(words, summary.counts[key])
st.dataframe(
    [{"Subject": r.subject, "To": r.to, "Status": STATUS_WORDS.get(r.status, r.status),
      "Tries": r.attempts, "Next try": r.next_attempt_at or "-", "Sent": r.sent_at or "-",
      "Last error": r.last_error or ""} for r in summary.rows],
    hide_index=True, width="stretch")
st.caption(f"The newest {len(summary.rows)} shown.")
