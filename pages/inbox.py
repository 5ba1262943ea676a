"""A manager's inbox as a work list: each row says whose child, what is asked, by when and
what happens if the day is missed; respond, ask for more time or acknowledge from it.

A click on Send or Acknowledge only notes the request (a button callback); the next run
carries it out at the top, after the sign-in is checked again and before the list is
drawn, so one run shows the result and nothing on the page moves under the pointer. Each
form's submission token (``ui.forms``) makes a double or triple click save once.
"""

from __future__ import annotations

import streamlit as st

from ui.auth import require_user
from ui.context import current_store, now_utc, today
from ui.date_text import NotADate, read_date
from ui.format import plural
from ui.forms import FormRound, form_round, show_saved
from ui.paging import paged
from ui.text import as_typed
from ui.widgets import date_field, link_to_alert, link_to_child
from usecases.alert_forms import OUTCOME_LABELS, FormInvalid, act_from_form, saved_summary
from usecases.errors import UserError
from usecases.inbox import InboxRow, acknowledge, inbox, sees_every_inbox
from usecases.submissions import AlreadySaved, once

SAVED = "inbox_saved"  # the round whose save message this run shows
REQUEST = "inbox_request"  # a click waiting to be carried out: (what, ref, round)
ERRORS = "inbox_errors"  # {round name: [messages]} from the last failed save
ACK = "inbox_ack"
KINDS = {"responded": "Respond", "extension_requested": "Ask for more time"}

store = current_store()
user = require_user()
as_of = today()


def _request(what: str, ref: str, rnd: FormRound) -> None:
    """A button's callback: remember the click for the run it starts."""
    st.session_state[REQUEST] = (what, ref, rnd)


def _saved(rnd: FormRound, message: str) -> None:
    """The form was saved: say what happened (as plain text: a note may be quoted in it)
    and start its next round, empty."""
    rnd.finish(as_typed(message))
    st.session_state[SAVED] = rnd.name


def _answer(ref: str, rnd: FormRound) -> None:
    """Send a row's response or request for more time, once."""
    value = st.session_state.get
    kind = value(rnd.key("kind")) or "responded"
    try:
        until = read_date(value(rnd.key("until"))) if kind == "extension_requested" else None
        with once(rnd.token):
            recorded = act_from_form(
                store, ref, kind, user=user, on=as_of, now=now_utc(),
                outcome=(value(rnd.key("outcome")) or "") if kind == "responded" else "",
                until=until,
                note=value(rnd.key("note")) or "")
    except AlreadySaved as saved:
        # a quicker click's run saved it, and may have been stopped before saying what
        _saved(rnd, saved_summary(store, rnd.token) or str(saved))
    except NotADate as wrong:
        st.session_state[ERRORS] = {rnd.name: [f"More time until: {wrong}"]}
    except FormInvalid as invalid:
        st.session_state[ERRORS] = {rnd.name: list(invalid.errors.values())}
    except UserError as refused:
        st.session_state[ERRORS] = {rnd.name: [str(refused)]}
    else:
        _saved(rnd, "\n".join(e.reason for e in recorded.events))


def _acknowledge(rows: list[InboxRow], rnd: FormRound) -> None:
    """Acknowledge the ticked rows, once."""
    chosen = [r for r in rows if r.can_acknowledge
              and st.session_state.get(rnd.key(f"{r.kind}_{r.key}"))]
    if not chosen:
        return
    try:
        with once(rnd.token):
            done = acknowledge(store, user, chosen, as_of, now_utc())
    except AlreadySaved as saved:
        done = [str(saved)]
    _saved(rnd, "\n".join(done))


def respond_form(row: InboxRow) -> None:
    """Answer an alert without leaving the inbox: a response, or a request for more time.
    Saved once however often Send is clicked; empty again after saving."""
    ref = row.key
    rnd = form_round(f"inbox_{ref}")
    choice = st.radio(f"What do you want to do about alert {ref}?", list(KINDS),
                      key=rnd.key("kind"), horizontal=True, format_func=KINDS.get)
    if choice == "responded":
        st.radio(f"Your response to alert {ref}", list(OUTCOME_LABELS), key=rnd.key("outcome"),
                 format_func=OUTCOME_LABELS.get, index=None)  # chosen, never assumed
        words, button = f"Your response in writing ({ref})", f"Send the response ({ref})"
    else:
        date_field(f"More time for alert {ref}, until", key=rnd.key("until"))
        words = f"Why more time is needed ({ref})"
        button = f"Send the request for more time ({ref})"
    st.text_area(words, key=rnd.key("note"))
    for message in errors.get(rnd.name, []):
        st.error(message, icon=":material/error:")
    st.button(button, key=rnd.key("send"), type="primary", on_click=_request,
              args=("answer", ref, rnd))


def show_row(row: InboxRow, ack: FormRound) -> None:
    """One thing waiting: whose child, what is asked, by whom, by when and what happens if
    the day is missed, any request for more time; then the answer, from the row."""
    with st.container(border=True):
        name, side = st.columns([3, 2])
        name.markdown(f"#### {as_typed(row.child_name)} · {as_typed(row.child_ref)}")
        if row.can_acknowledge:
            side.checkbox(f"Select {row.subject} to acknowledge",
                          key=ack.key(f"{row.kind}_{row.key}"))
        elif row.kind == "alert" and row.respondable:
            side.markdown(":green[Acknowledged]")
        if row.kind == "alert":
            link_to_alert(row.key, row.asked)
        else:
            link_to_child(row.child_ref, row.asked)
        what, when = st.columns([3, 2])
        details = []
        if row.concern:
            details.append(f"**Concern:** {as_typed(row.concern)}")
        if row.outcome_sought:
            details.append(f"**Outcome sought:** {as_typed(row.outcome_sought)}")
        details.append(f"**By whom:** {as_typed(row.by_whom)}")
        what.markdown("  \n".join(details))
        text = as_typed(row.when)
        lines = ["**By when:** " + (f":red[**{text}**]" if row.overdue else text)]
        if row.acknowledge_late:
            lines.append(":orange[**Not acknowledged in time**]")
        when.markdown("  \n".join(lines))
        with st.container():  # one slot, whatever it holds: nothing below it moves
            if row.pending_request:
                st.info(row.pending_request, icon=":material/schedule:")
            if row.note:
                st.warning(row.note, icon=":material/warning:")
            if row.respondable and saved == f"inbox_{row.key}":
                show_saved(saved)  # where the person clicked
        if row.respondable and st.toggle(f"Respond to {row.key} or ask for more time",
                                         key=f"inbox_open_{row.key}"):
            # the form is drawn only for the rows opened: a page of 25 forms, each with
            # its choices and text box, took most of the inbox's time (issue 15)
            respond_form(row)


#: Cards a page: each is a few lines, with its choices, so ten fill a screen or two.
PER_PAGE = 10
EVERY_TEAM = "every-team"


def _show_every_team() -> None:
    """The toggle's address: ``?view=every-team`` can be bookmarked and shared."""
    if st.session_state.get("inbox_everyone"):
        st.query_params["view"] = EVERY_TEAM
    else:
        st.query_params.pop("view", None)


st.title("Inbox")
everyone = False
if sees_every_inbox(store, user):
    if "inbox_everyone" not in st.session_state:
        st.session_state["inbox_everyone"] = st.query_params.get("view") == EVERY_TEAM
    everyone = st.toggle("Show every team's inbox", key="inbox_everyone",
                         on_change=_show_every_team)

errors: dict[str, list[str]] = {}
request = st.session_state.pop(REQUEST, None)
st.session_state.pop(ERRORS, None)
if request is not None and request[0] == "answer":
    _answer(request[1], request[2])
rows = inbox(store, user, as_of, everyone=everyone)
if request is not None and request[0] == "acknowledge":
    _acknowledge(rows, request[2])
    rows = inbox(store, user, as_of, everyone=everyone)
errors = st.session_state.pop(ERRORS, {})
saved = st.session_state.pop(SAVED, None)

shown = {f"inbox_{r.key}" for r in rows if r.respondable}
with st.container():  # one slot, so the rows below keep their places after a save
    if saved and saved not in shown:
        show_saved(saved)  # acknowledgements, and answers whose row has gone
    for name, messages in errors.items():
        if name not in shown:  # the row has gone meanwhile (someone else answered it)
            for message in messages:
                st.error(message, icon=":material/error:")

overdue = sum(1 for r in rows if r.overdue)
late_acks = sum(1 for r in rows if r.acknowledge_late)
summary = plural(len(rows), "item")
if overdue:
    summary += f", {overdue} overdue"
if late_acks:
    summary += f", {late_acks} not acknowledged in time"
st.caption(summary + ". Overdue first, then by the day each is due. Working days count "
           "Monday to Friday, not bank holidays.")
if not rows:
    st.write("Nothing is waiting for you.")

ack = form_round(ACK)
if rows:
    ticked = sum(1 for r in rows if r.can_acknowledge
                 and st.session_state.get(ack.key(f"{r.kind}_{r.key}")))
    st.button(f"Acknowledge the {ticked} selected", key=ack.key("send"), disabled=not ticked,
              help="Tick the rows you have read, then acknowledge them all at once.",
              on_click=_request, args=("acknowledge", "", ack))

for row in paged(rows, "inbox_page_everyone" if everyone else "inbox_page", "items",
                 per_page=PER_PAGE):
    show_row(row, ack)
