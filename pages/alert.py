"""One alert: who must act by when, the whole exchange, and what to do next.

Everything people typed is shown exactly as typed (``ui.text``). The action form saves
once per filling-in (``ui.forms``: a submission token; a repeat says "already saved"),
asks "are you sure?" before a step that cannot be undone, and clears after saving.
``?view=print`` shows the same alert as a page ready to print.
"""

from __future__ import annotations

import streamlit as st

from rules.alert_state import REVIEWER
from rules.alert_transitions import COMPLAINANTS
from rules.roles import role_name
from ui.auth import is_reviewer, require_user
from ui.context import current_store, now_utc, or_stop, today
from ui.format import uk_date
from ui.forms import FormRound, form_round, show_saved
from ui.impact_forms import ACTION_ROWS, follow_up_form, impact_fields, impact_summary
from ui.text import as_typed, typed
from ui.widgets import date_field, field_error, link_to_child, required_query_param
from usecases.alert_forms import (
    ACTION_LABELS,
    ADDRESSEE_ACTIONS,
    NEEDS_CONFIRMING,
    OUTCOME_LABELS,
    FormInvalid,
    act_from_form,
    available_actions,
    confirm_label,
    higher_levels,
    note_label,
    saved_summary,
)
from usecases.alert_view import AlertView, TimelineEntry, alert_view
from usecases.errors import UserError
from usecases.impact import alert_it_follows, impact_for_alert, may_follow_up
from usecases.import_events import gates_not_recorded
from usecases.submissions import AlreadySaved

ERRORS = "alert_action_errors"
SAVED = "alert_action_saved"
#: What the Save button says, where saving does more than record a note.
SAVE_LABELS = {"responded": "Save and send the response",
               "extension_requested": "Save and send the request",
               "satisfied": "Save: the alert is resolved",
               "not_satisfied": "Save: not satisfied",
               "escalated": "Save and escalate",
               "withdrawn": "Save: withdraw the alert"}

store = current_store()
user = require_user()
as_of = today()
ref = (required_query_param("ref", "an alert", "pages/alerts.py", "Alerts") if is_reviewer(user)
       else required_query_param("ref", "an alert", "pages/inbox.py", "Inbox"))

view = or_stop(alert_view, store, user, ref, as_of, now_utc())
ref = view.ref
track = store.policy.track(view.track)


#: Shown at the top of the page already: the raised entry does not repeat them.
AT_THE_TOP = ("Issue of concern", "Outcome sought")


def show_entry(entry: TimelineEntry, *, shown_below: bool = False) -> None:
    """One step of the exchange: when, what, where on the ladder, who; then what they said
    (as typed), and what the rules did and why. ``shown_below``: the latest response, which
    the page shows in full just above the form, is only named here."""
    with st.container(border=True):
        head = f"**{uk_date(entry.on)} · {entry.what}**"
        if entry.where:
            head += f" {as_typed(entry.where)}"
        if entry.who:
            head += f" · {as_typed(entry.who)}"
        st.markdown(head)
        if shown_below:
            st.caption("In full below, under Latest response.")
            return
        if entry.outcome:
            st.markdown(f"Outcome: **{entry.outcome}**")
        for item in entry.said:
            if entry.kind != "raised" or item.label not in AT_THE_TOP:
                typed(item.label, item.text)
        if entry.reason:
            st.text(entry.reason)
        if entry.rule_words:
            st.caption(entry.rule_words)


#: The print view's one button: the browser's own print dialogue (the app's script, no
#: user text in it).
PRINT_BUTTON = (
    "<button type='button' id='iro-print-button' style='font:inherit;padding:.4em 1em;"
    "border:1px solid #31333f;border-radius:.5em;background:#fff;color:#31333f;"
    "cursor:pointer'>Print this page</button>"
    "<script>document.getElementById('iro-print-button')"
    ".addEventListener('click', () => window.print());</script>"
)


def print_view(alert: AlertView) -> None:
    """The alert as a page to print: the facts and the whole exchange, nothing else."""
    with st.container(key="print_controls"):
        st.page_link("pages/alert.py", label=f"Back to alert {alert.ref}",
                     query_params={"ref": alert.ref}, icon=":material/arrow_back:")
        st.html(PRINT_BUTTON, unsafe_allow_javascript=True)
        st.caption("Or press Ctrl+P. The menu and these buttons are left off the paper.")
    st.html(alert.printable_html())


if st.query_params.get("view") == "print":
    print_view(view)
    st.stop()

actions = available_actions(store, user, view, track, as_of)
may_respond = "responded" in actions
may_decide = view.awaiting == REVIEWER and "not_satisfied" in actions

st.title(f"Alert {view.ref}")
link_to_child(view.child_ref, f"{view.child_name} ({view.child_ref})")
show_saved(f"alert_action.{view.ref}")  # "Alert X raised. ...", once, after raising it

# -- who must act, by when ---------------------------------------------------------------------
status = [f"**{view.what_next()}**"]
if words := view.deadline_words():
    status.append(words)
if may_respond:
    status.append("**Your turn:** read the concern and the exchange below, then "
                  "[write your response](#your-response) (or ask for more time).")
elif may_decide:
    status.append("**Your decision:** [read the latest response](#latest-response), then "
                  "record below it whether it resolves the concern.")
impact_found = None if view.is_open else impact_for_alert(store, user, ref)
may_follow = impact_found is not None and may_follow_up(store, user, ref)
if may_follow and impact_found is not None and impact_found.waiting:
    status.append("**Your follow-up:** did the change for the child last? "
                  "[Record it below](#follow-up).")
box = (st.error if view.overdue else
       st.warning if (may_respond or may_decide or (may_follow and impact_found.waiting))
       else st.info)
box("  \n".join(status))
if followed := alert_it_follows(store, user, ref):
    st.page_link("pages/alert.py", label=f"Follows alert {followed}, whose change for the "
                                         "child did not last",
                 query_params={"ref": followed}, icon=":material/link:")
if view.formal_breached:
    st.error(f"The formal process passed its limit on {uk_date(view.formal_due)}.")
elif view.formal_at_risk:
    st.warning(f"The formal process must finish by {uk_date(view.formal_due)}.")
if view.extension_until:
    st.info(f"More time has been asked for, until {uk_date(view.extension_until)}: "
            f"{view.reviewer} to agree or refuse.")

for gap in gates_not_recorded(store, ref):  # history imported from an old spreadsheet
    st.warning(f"Imported from earlier records: the consultation the procedure asks for "
               f"before {gap.level_name or 'the formal stage'} ({uk_date(gap.on)}) was not "
               "recorded" + (f" (line {gap.import_line} of the import)." if gap.import_line
                             else "."), icon=":material/history:")

# -- the concern ---------------------------------------------------------------------------------
left, right = st.columns([3, 2])
with left:
    typed("Issue of concern", view.concern)
    typed("Outcome sought", view.outcome_sought)
with right:
    st.markdown(f"**Category:** {view.category} ({view.theme})")
    st.markdown(f"**Raised:** {uk_date(view.raised_on)} by {as_typed(view.raised_by)}")
    st.markdown(f"**Now at:** {view.level_label}")
    if view.formal_started:
        st.markdown(f"**Formal process:** started {uk_date(view.formal_started)}, must finish "
                    f"by {uk_date(view.formal_due)}")
with st.expander(f"The ladder ({view.track_label})"):
    marks = {"passed": "✓", "here": "▶", "ahead": "·"}
    st.dataframe(
        [{"": marks[r.position], "Stage": r.label, "Who responds": r.who,
          "Time to respond": r.days} for r in view.ladder],
        hide_index=True, width="stretch",
    )

# -- the exchange ----------------------------------------------------------------------------------
st.subheader("The exchange so far")
st.caption("Oldest first: who said what and when, at which level, and what the rules did "
           "and why.")
latest_below = view.is_open and view.latest_response is not None
for step in view.timeline:
    show_entry(step, shown_below=latest_below and step is view.latest_response)

if latest_below and view.latest_response is not None:
    with st.container(key="latest_response"):
        st.subheader("Latest response")
        if not view.response_is_current:
            st.caption("Given before the alert reached where it is now.")
        show_entry(view.latest_response)

# -- what happens next ----------------------------------------------------------------------------


def saved_message(done: FormRound, message: str) -> None:
    """Keep what the save did on show (not just for one run: the second and third of three
    quick clicks each rerun the page, and the message must survive them), then start the
    form's next round. In that order: a quick click can stop this run at any use of the
    session's state, and the next run, finding the round unchanged and the submission
    saved, comes back here."""
    st.session_state.setdefault(SAVED, {})[done.name] = (done.version + 1, message)
    st.session_state.pop(ERRORS, None)
    done.finish("")


def show_last_save(current: FormRound) -> None:
    version, message = st.session_state.get(SAVED, {}).get(current.name, (None, ""))
    if version == current.version and message and not errors:
        st.success(message, icon=":material/check_circle:")


def action_form() -> None:
    first = 0 if actions[0] in ADDRESSEE_ACTIONS else None  # a reviewer chooses deliberately
    kind = st.selectbox("Action", actions, index=first, format_func=ACTION_LABELS.get,
                        key=form.key("kind"),
                        placeholder=("Choose: satisfied, not satisfied, escalate, or another "
                                     "step" if may_decide else "Choose what to record"))
    if kind is None:
        field_error(errors, "")
        return
    outcome = until = None
    level = gate = wrong_date = ""
    emergency = False
    if kind == "responded":
        outcome = st.radio("Your response", list(OUTCOME_LABELS), key=form.key("outcome"),
                           format_func=OUTCOME_LABELS.get, index=None)
        field_error(errors, "outcome")
    if kind == "extension_requested":
        typed = date_field("More time until", key=form.key("until"))
        until, wrong_date = typed.value, typed.problem
        if not wrong_date:  # the field already says what is wrong with what is typed
            field_error(errors, "until")
    if kind == "escalated":
        options = dict(higher_levels(track, view))
        level = st.selectbox("Escalate to", list(options), format_func=options.get,
                             key=form.key("level"))
        field_error(errors, "level")
        gate = st.text_input("Who did you consult, and when? (if the policy asks)",
                             key=form.key("gate"))
        emergency = st.checkbox("This is an emergency", key=form.key("emergency"))
        field_error(errors, "gate")
    details: dict = {}
    if kind == "complaint":
        details["complaint_by"] = st.selectbox("Who complained", list(COMPLAINANTS),
                                               format_func=COMPLAINANTS.get,
                                               key=form.key("complaint_by"))
        details["told_by_complaints_manager"] = st.checkbox(
            "The complaints manager told me of it", key=form.key("complaint_notice"))
        st.caption("A complaint does not stop the dispute: the ladder carries on.")
    impact, impact_note, impact_actions, wrong_actions = "", "", [], {}
    if kind == "satisfied":
        impact, impact_note, impact_actions, wrong_actions = impact_fields(form, errors)
    note = st.text_area(note_label(kind), key=form.key(f"note.{kind}"))
    field_error(errors, "note")
    sure = None
    if kind in NEEDS_CONFIRMING:
        sure = st.checkbox(confirm_label(kind, track, level),
                           key=form.key(f"sure.{kind}.{level}"))
        field_error(errors, "confirm")
    shown = {"outcome", "until", "level", "gate", "note", "confirm", "impact", "impact_note",
             *(f"action.{n}" for n in range(1, ACTION_ROWS + 1))}
    for key in errors.keys() - shown:
        field_error(errors, key)
    if st.button(SAVE_LABELS.get(kind, "Save"), type="primary", key=form.key("save")):
        if wrong_date or wrong_actions:  # said under the field for as long as it is
            # wrong; nothing is saved until every date is a real one
            st.session_state.pop(ERRORS, None)
            st.rerun()
        try:
            recorded = act_from_form(
                store, ref, kind, user=user, on=as_of, now=now_utc(),
                outcome=outcome or "", until=until, note=note, level=level, gate=gate,
                emergency=emergency, details=details, confirmed=sure,
                submission=form.token, impact=impact, impact_note=impact_note,
                actions=impact_actions)
        except AlreadySaved as repeat:
            # a quicker click's run saved it, and may have been stopped before saying so
            saved_message(form, saved_summary(store, form.token) or str(repeat))
        except FormInvalid as invalid:
            st.session_state[ERRORS] = {"form": (form.name, form.version),
                                        "errors": invalid.errors}
        except UserError as refused:
            st.session_state[ERRORS] = {"form": (form.name, form.version),
                                        "errors": {"": str(refused)}}
        else:
            saved_message(form, saved_summary(store, form.token)
                          or f"Saved: {len(recorded.events)} event(s).")
        st.rerun()


form: FormRound = form_round(f"alert_action.{ref}")
if summary := saved_summary(store, form.token):
    # a quick click's run saved this filling-in and was stopped (by the next click) before
    # it could say so and clear the form: say it now, whether or not the form still shows
    saved_message(form, summary)
    form = form_round(form.name)
failed = st.session_state.get(ERRORS, {})
errors: dict[str, str] = (failed.get("errors", {})
                          if failed.get("form") == (form.name, form.version) else {})

if actions:
    heading, anchor = (("Your decision: record what happens next", "your-decision")
                       if may_decide else
                       ("Your response: record what happens next", "your-response")
                       if may_respond else
                       ("Record what happens next", "record-what-happens-next"))
    st.subheader(heading, anchor=anchor)
    show_last_save(form)
    action_form()
else:
    show_last_save(form)
    role = role_name(user.role)
    if view.is_open:
        st.caption(f"Nothing for {'an' if role[:1] in 'AEIOU' else 'a'} {role} to record on "
                   "this alert now.")
    elif impact_found is not None:
        impact_summary(impact_found)
        if may_follow:
            follow_up_form(store, user, impact_found, on=as_of, now=now_utc())
    else:
        st.caption("The alert is closed: there is nothing more to record on it.")

# -- for the child's record ---------------------------------------------------------------------
st.subheader("For the child's record")
st.caption("Case note, ready to paste into the case management system (copy button at the "
           "top right of the box). Its dates are written out, so it reads the same later.")
st.code(view.case_note(), language=None, wrap_lines=True)
st.page_link("pages/alert.py", label="Printable page (opens ready to print)",
             query_params={"ref": ref, "view": "print"}, icon=":material/print:")
