"""Raise an alert of concern for a child: informally, or straight at a formal level.

One click, one alert: the form has a round (``ui.forms``) and is saved once for it; a
second click says "already saved". The informal stage's agreed date is typed as
day/month/year, an impossible date is refused, and so is one later than the policy allows.
"""

from __future__ import annotations

import streamlit as st

from ui.auth import require_reviewer
from ui.context import current_store, now_utc, or_stop, today
from ui.format import uk_date
from ui.forms import form_round
from ui.text import as_typed
from ui.widgets import (
    date_field,
    error_summary,
    field_anchor,
    field_error,
    finish,
    form_errors,
    form_key,
    link_to_alert,
    refuse,
    save_failed,
    save_once,
    show_result,
)
from usecases.alert_forms import (
    RaiseAlertForm,
    children_to_raise_for,
    level_choices,
    raise_form_problems,
    raise_from_form,
    track_for_child,
)

ORDER = ("child", "follows", "category", "concern", "outcome_sought", "agreed_date", "gate", "")

store = current_store()
user = require_reviewer()
as_of = today()
form = form_round("raise_alert")
errors = form_errors(form)


def key(field: str) -> str:
    return form_key(form, field)


st.title("Raise an alert of concern")
if raised := show_result(form):  # back here after raising (a later click of the same save)
    link_to_alert(raised["ref"], f"Open alert {raised['ref']}")
summary = st.container()  # "There is a problem", filled in once the fields are read
children = children_to_raise_for(store, user)
labels = {c["case_ref"]: f"{c['name']} ({c['case_ref']})" for c in children}
wanted = st.query_params.get("child")
if wanted and wanted not in labels:
    labels = {wanted: wanted, **labels}
refs = list(labels)
if not refs:
    st.info("You have no children to raise an alert for.")
    st.stop()
field_anchor(form, "child")
child_ref = st.selectbox("Child", refs, format_func=labels.get, key="raise_child",
                         index=refs.index(wanted) if wanted in refs else 0)
field_error(errors, "child")
track = or_stop(track_for_child, store, user, child_ref, now_utc())
st.caption(f"{track.label}: the ladder of {store.policy.authority}.")
follows = (st.query_params.get("follows") or "").strip()
if follows:
    # a follow-up found the change for the child did not last: the new alert is linked
    st.info(f"This alert follows alert {follows}, whose change for the child did not last: "
            "it is linked to it on both alerts' pages and in the figures.",
            icon=":material/link:")
    field_anchor(form, "follows")
    field_error(errors, "follows")

categories = {c.id: f"{c.label} ({c.theme})" for c in track.categories}
field_anchor(form, "category")
category = st.selectbox("Category of concern", list(categories), format_func=categories.get,
                        key=key("raise_category"), index=None,
                        placeholder="Choose a category")
field_error(errors, "category")
field_anchor(form, "concern")
concern = st.text_area("The issue of concern", key=key("raise_concern"),
                       help="What is wrong, and how it affects the child.")
field_error(errors, "concern")
field_anchor(form, "outcome_sought")
outcome = st.text_area("The outcome you are seeking", key=key("raise_outcome"),
                       help="What must happen, and by when.")
field_error(errors, "outcome_sought")

choices = {c.slug: c for c in level_choices(store, track, as_of)}
level = st.radio(
    "Where does the alert start?", list(choices), key=key("raise_level"),
    format_func=lambda s: f"{choices[s].label} (responds: {choices[s].responder})",
)
choice = choices[level]
agreed = None
gate = ""
emergency = False
if level == "informal":
    field_anchor(form, "agreed_date")
    agreed = date_field("Response date agreed", key("raise_agreed_date"), value=choice.due,
                        form=form, field="agreed_date")
    limit = (f" The latest date the policy allows is {uk_date(choice.latest)}."
             if choice.latest else "")
    st.caption(f"Defaulted to the policy's timescale: {uk_date(choice.due)}.{limit}")
else:
    st.write(f"The {choice.responder} must respond by **{uk_date(choice.due)}**.")
    if choice.gate:
        st.warning(f"Before starting here, the policy asks: {choice.gate}.")
        field_anchor(form, "gate")
        gate = st.text_input("Who did you consult, and when?", key=key("raise_gate"))
        if choice.emergency_allowed:
            emergency = st.checkbox("This is an emergency: there was no time to consult",
                                    key=key("raise_emergency"))
        field_error(errors, "gate")
knows_rights = st.checkbox("The child knows of the right to complain and to have an advocate",
                           key=key("raise_rights"))
field_error(errors, "")

wrong_dates = {"agreed_date": agreed.problem} if agreed and agreed.problem else {}
if save_failed(form):
    with summary:
        error_summary(form, {**errors, **wrong_dates}, ORDER)

if st.button("Raise the alert", type="primary", key=key("raise_submit")):
    raising = RaiseAlertForm(child_ref=child_ref, category=category or "", concern=concern,
                             outcome_sought=outcome, level=level,
                             agreed_date=agreed.value if agreed else None, gate=gate,
                             emergency=emergency, child_knows_rights=knows_rights,
                             follows=follows)
    if wrong_dates:  # not a real date: say so, with every other problem, and save nothing
        problems = raise_form_problems(store, raising, as_of)
        refuse(form, {f: m for f, m in problems.items() if f not in wrong_dates})
    recorded = save_once(store, form, lambda: raise_from_form(
        store, raising, user=user, on=as_of, now=now_utc()))
    said = f"Alert {recorded.ref} raised. {recorded.events[0].reason}"
    # a new, empty form for the next alert, saying what happened should this page be shown
    # again (a later click of a triple click can bring it back), and on to the alert, whose
    # page shows what its action form was last told (pages/alert.py, ui.forms)
    finish(form, said, extras={"ref": recorded.ref})
    form_round(f"alert_action.{recorded.ref}").finish(as_typed(said))
    st.switch_page("pages/alert.py", query_params={"ref": recorded.ref})
