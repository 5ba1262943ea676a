"""A looked-after child's placement and permanence facts (seed 004, 2.4).

The social worker or a manager records whether the child is placed with parents under the
regulations, the permanence plan, the date of the permanence decision and of the placement;
the screen says when the case will be referred under the policy, or that the policy makes
no referrals at all.
"""

from __future__ import annotations

import streamlit as st

from rules.permanence_rules import PLANS, period_words
from rules.roles import role_name
from ui.auth import require_user
from ui.context import current_store, now_utc, or_stop, today
from ui.forms import form_round
from ui.widgets import (
    date_field,
    date_problems,
    error_summary,
    field_anchor,
    field_error,
    finish,
    forget_errors,
    form_errors,
    form_key,
    link_to_child,
    refuse,
    save_failed,
    save_once,
    show_result,
)
from usecases.permanence import (
    PLACEMENT_ROLES,
    facts_text,
    placement_children,
    placement_of,
    record_placement,
    validate_placement,
)

LOADED = "placement_loaded"
ORDER = ("placed_with_parents_since", "permanence_plan", "permanence_decision_on",
         "permanence_placed_on", "")
PLAN_WORDS = {"": "No permanence plan",
              **{slug: words[0].upper() + words[1:] for slug, words in PLANS.items()}}

store = current_store()
user = require_user()
as_of = today()

st.title("Placement and permanence")
if user.role not in PLACEMENT_ROLES:
    st.warning("This screen is for social workers and their managers (Practice, Team, "
               f"Operations and Service Managers); you are signed in as {user.role_name}.")
    st.stop()

rule = store.policy.permanence
if rule is None:
    st.info(f"The policy this store follows ({store.policy.id}, {store.policy.authority}) has no "
            "permanence referrals: the facts recorded here go on the child's record, but no "
            "case is referred because of them.")
else:
    st.caption(
        f"Under {store.policy.id} a looked-after child's case is referred to the "
        f"{role_name(rule.refer_to)} when the child has been placed with parents under the "
        f"regulations for {period_words(rule.placed_with_parents_months)}, or has a permanence "
        "plan (adoption or long-term fostering) and has not been placed "
        f"{period_words(rule.not_placed_after_decision_months)} after the permanence decision.")

form = form_round("placement")
if done := show_result(form):
    link_to_child(done["child"], "The child's record")
summary = st.container()  # "There is a problem", filled in once the fields are read

children = placement_children(store, user)
if not children:
    st.info("There are no looked-after children for you to record placement facts for.")
    st.stop()
labels = {c["case_ref"]: f"{c['name']} ({c['case_ref']})" for c in children}
refs = list(labels)
wanted = st.query_params.get("child")
child_ref = st.selectbox("Child", refs, format_func=labels.get, key="placement_child",
                         index=refs.index(wanted) if wanted in refs else 0)
view = or_stop(placement_of, store, user, child_ref, as_of, now_utc())

facts = view.facts  # what the form starts from: the child's facts as recorded
if st.session_state.get(LOADED) != child_ref:
    forget_errors(form)  # another child's problems are not this one's
    st.session_state[LOADED] = child_ref


def key(field: str) -> str:
    """The field's key for this child in this round: another child, or a save, gives
    fresh fields showing the facts as recorded."""
    return form_key(form, f"{field}.{child_ref}")


errors = form_errors(form)

recorded_now = facts_text(view.facts)
st.markdown(f"**Recorded now:** {recorded_now[0].upper()}{recorded_now[1:]}.")
for line in view.outlook:
    st.info(line)

st.subheader("Placement with parents")
field_anchor(form, "placed_with_parents_since")
dates = {"placed_with_parents_since": date_field(
    "Placed with parents under the regulations since (leave empty if not)",
    key("placement_since"), form=form, field="placed_with_parents_since",
    value=facts.placed_with_parents_since)}

st.subheader("Permanence")
field_anchor(form, "permanence_plan")
plans = list(PLAN_WORDS)
plan = st.selectbox("Permanence plan", plans, format_func=PLAN_WORDS.get,
                    key=key("placement_plan"),
                    index=plans.index(facts.permanence_plan)
                    if facts.permanence_plan in PLAN_WORDS else 0)
field_error(errors, "permanence_plan")
field_anchor(form, "permanence_decision_on")
dates["permanence_decision_on"] = date_field(
    "Date of the permanence decision", key("placement_decision_on"), form=form,
    field="permanence_decision_on", value=facts.permanence_decision_on)
field_anchor(form, "permanence_placed_on")
dates["permanence_placed_on"] = date_field(
    "Date the child was placed for permanence (leave empty if not yet)",
    key("placement_placed_on"), form=form, field="permanence_placed_on",
    value=facts.permanence_placed_on)
field_error(errors, "")

wrong_dates = date_problems(dates)
if save_failed(form):
    with summary:
        error_summary(form, {**errors, **wrong_dates}, ORDER)

if st.button("Save the placement facts", type="primary", key=form_key(form, "placement_submit")):
    facts_typed = {field: entry.value for field, entry in dates.items()}
    if wrong_dates:  # not a real date: say so, with every other problem, and save nothing
        problems = validate_placement(permanence_plan=plan or None, as_of=as_of, **facts_typed)
        refuse(form, {f: m for f, m in problems.items() if f not in wrong_dates})
    recorded = save_once(store, form, lambda: record_placement(
        store, child_ref=child_ref, permanence_plan=plan or None, user=user, on=as_of,
        now=now_utc(), **facts_typed))
    finish(form, " ".join(e.reason for e in recorded.events), extras={"child": child_ref})
    st.rerun()
