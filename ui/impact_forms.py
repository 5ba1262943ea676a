"""The alert page's impact parts (issue 16): what resolving records about the child, the
resolved alert's impact and follow-up, and the follow-up form.

Kept out of ``pages/alert.py`` so the page stays readable; the checks and the writing are
in ``usecases.impact``. Everything people typed is shown as typed (``ui.text``).
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from rules.impact import IMPACT_WORDS, IMPACTS, SUSTAINED, SUSTAINED_WORDS
from ui.format import uk_date
from ui.forms import FormRound, form_round
from ui.text import typed
from ui.widgets import date_field, field_error
from usecases.accounts import SignedInUser
from usecases.errors import UserError
from usecases.impact import FollowUp, ImpactInvalid, record_follow_up
from usecases.store import Store
from usecases.submissions import AlreadySaved, was_saved

#: Rows of agreed actions the form offers (blank rows are ignored).
ACTION_ROWS = 3
FOLLOW_UP_ERRORS = "impact_follow_up_errors"
FOLLOW_UP_SAVED = "impact_follow_up_saved"


def impact_fields(form: FormRound, errors: dict[str, str]
                  ) -> tuple[str, str, list[tuple[str, dt.date | None]], dict[str, str]]:
    """The resolving reviewer's account of the difference made: the impact, a sentence,
    and up to ``ACTION_ROWS`` actions with their dates. Returns them and any date typed
    wrongly (by field, said under the field already)."""
    st.markdown("**What difference did this alert make for the child?**")
    impact = st.radio("Difference for the child", list(IMPACTS), format_func=IMPACTS.get,
                      index=None, key=form.key("impact"))
    field_error(errors, "impact")
    note = st.text_area("What changed for the child (or why nothing did)",
                        key=form.key("impact_note"),
                        help="One or two sentences for the child's record and the service's "
                             "evidence of impact.")
    field_error(errors, "impact_note")
    st.markdown("**Actions agreed, and the date each is to be done by**")
    actions: list[tuple[str, dt.date | None]] = []
    wrong: dict[str, str] = {}
    for n in range(1, ACTION_ROWS + 1):
        words_col, date_col = st.columns([3, 1])
        with words_col:
            words = st.text_input(f"Action {n}", key=form.key(f"action.{n}"))
        with date_col:
            when = date_field(f"Action {n}: by", key=form.key(f"action_by.{n}"))
        if when.problem:
            wrong[f"action.{n}"] = when.problem
        actions.append((words, when.value))
        if not when.problem:
            field_error(errors, f"action.{n}")
    return impact or "", note, actions, wrong


def impact_summary(found: FollowUp) -> None:
    """A resolved alert's impact, its actions, and the follow-up (asked, answered, linked)."""
    st.subheader("Impact for the child")
    if not found.impact:
        st.caption(f"Resolved on {uk_date(found.resolved_on)}. The difference it made for the "
                   "child was not recorded (resolved before impact was kept, or imported "
                   "without it).")
    else:
        st.markdown(f"**{IMPACT_WORDS[found.impact]}** (resolved {uk_date(found.resolved_on)})")
        typed("What changed for the child", found.impact_note)
    if found.actions:
        st.dataframe([{"Action agreed": a.action, "By": uk_date(a.by)} for a in found.actions],
                     hide_index=True, width="stretch")
    if found.sustained:
        st.markdown(f"**Follow-up ({uk_date(found.followed_up_on)}):** "
                    f"{SUSTAINED_WORDS[found.sustained]}")
        typed("How things are for the child now", found.follow_up_note)
    elif found.follow_up_on:
        when = (f"asked for on {uk_date(found.asked_on)}" if found.asked_on else
                f"due on {uk_date(found.follow_up_on)}, or at the child's next review if "
                "that is sooner")
        st.markdown(f"**Follow-up:** whether the change lasted is {when}.")
    if found.linked_ref:
        st.page_link("pages/alert.py", label=f"New alert raised because the change did not "
                                             f"last: {found.linked_ref}",
                     query_params={"ref": found.linked_ref}, icon=":material/link:")


def follow_up_form(store: Store, user: SignedInUser, found: FollowUp, *, on: dt.date,
                   now: dt.datetime) -> None:
    """The reviewer's answer to "did the change last?", once asked for. Not sustained
    offers a new alert linked to this one."""
    form = form_round(f"impact_follow_up.{found.ref}")
    saved = st.session_state.get(FOLLOW_UP_SAVED, {}).get(found.ref)
    if saved:
        st.success(saved, icon=":material/check_circle:")
    if found.sustained == "not_sustained" and not found.linked_ref:
        st.warning("The change for the child did not last. If the plan needs challenging "
                   "again, raise a new alert: it is linked to this one.")
        st.page_link("pages/raise_alert.py", label=f"Raise a new alert linked to {found.ref}",
                     query_params={"child": found.child_ref, "follows": found.ref},
                     icon=":material/add_alert:")
    if not found.waiting:
        return
    failed = st.session_state.get(FOLLOW_UP_ERRORS, {})
    errors: dict[str, str] = (failed.get("errors", {})
                              if failed.get("form") == (form.name, form.version) else {})
    st.subheader("Follow-up: did the change last?", anchor="follow-up")
    sustained = st.radio("Has the change for the child lasted?", list(SUSTAINED),
                         format_func=SUSTAINED.get, index=None, key=form.key("sustained"))
    field_error(errors, "sustained")
    note = st.text_area("How things are for the child now", key=form.key("note"))
    field_error(errors, "note")
    field_error(errors, "")
    if st.button("Save the follow-up", type="primary", key=form.key("save")):
        try:
            record_follow_up(store, user, found.ref, sustained or "", note, on=on, now=now,
                             submission=form.token)
        except AlreadySaved:
            pass
        except ImpactInvalid as invalid:
            st.session_state[FOLLOW_UP_ERRORS] = {"form": (form.name, form.version),
                                                  "errors": invalid.errors}
            st.rerun()
        except UserError as refused:
            st.session_state[FOLLOW_UP_ERRORS] = {"form": (form.name, form.version),
                                                  "errors": {"": str(refused)}}
            st.rerun()
        if was_saved(store, form.token):
            st.session_state.setdefault(FOLLOW_UP_SAVED, {})[found.ref] = (
                "Saved: the follow-up is on the alert and the child's chronology.")
            st.session_state.pop(FOLLOW_UP_ERRORS, None)
            form.finish("")
        st.rerun()
