"""Messages: what the app has told this person, newest first."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import streamlit as st

from ui.auth import require_user
from ui.context import current_store, now_text
from ui.format import uk_date
from ui.widgets import link_to_alert, link_to_child
from usecases.messages import mark_messages_read, messages_for, unread

store = current_store()
user = require_user()
now = now_text()

st.title("Messages")
count = unread(store, user)
st.caption(f"{count} unread." if count else "Nothing unread.")
if count and st.button("Mark all as read", key="read_all"):
    mark_messages_read(store, user, None, now)
    st.rerun()

messages = messages_for(store, user)
if not messages:
    st.write("No messages yet. You will be told here (and by e-mail) when an alert reaches "
             "you, when you are copied in, and when something you are waiting for happens.")
for message in messages:
    new = message["read_at"] is None
    title = f"{'● ' if new else ''}{uk_date(message['created_on'])} - {message['subject']}"
    if message["copy"]:
        title += " (copy)"
    with st.expander(title):
        st.text(message["body"])
        target = urlparse(message["link"] or "")
        query = {k: v[0] for k, v in parse_qs(target.query).items()}
        if target.path.endswith("/alert") and "ref" in query:
            link_to_alert(query["ref"], "Open the alert")
        elif target.path.endswith("/child") and "child" in query:
            link_to_child(query["child"], "Open the child's record")
        if new and st.button("Mark as read", key=f"read_{message['id']}"):
            mark_messages_read(store, user, [message["id"]], now)
            st.rerun()
