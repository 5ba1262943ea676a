"""A looked-after child's placement and permanence facts (seed 004, 2.4).

The social worker or a manager records whether the child is placed with parents under the
regulations, the permanence plan, the date of the permanence decision and of the placement;
the screen says when the case will be referred under the policy, or that the policy makes
no referrals at all.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from rules.permanence_rules import PLANS, period_words
from rules.roles import role_name
from ui.auth import require_user
from ui.context import current_store, or_stop, today
from ui.widgets import field_error, link_to_child, uk_date_input
from usecases.errors import UserError
from usecases.permanence import (
    PLACEMENT_ROLES,
    PlacementInvalid,
    facts_text,
    placement_children,
    placement_of,
    record_placement,
)

ERRORS = "placement_errors"
DONE = "placement_done"
LOADED = "placement_loaded"
EARLIEST = dt.date(1990, 1, 1)
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

if done := st.session_state.pop(DONE, None):
    st.success(done["message"])
    link_to_child(done["child"], "The child's record")

children = placement_children(store, user)
if not children:
    st.info("There are no looked-after children for you to record placement facts for.")
    st.stop()
labels = {c["case_ref"]: f"{c['name']} ({c['case_ref']})" for c in children}
refs = list(labels)
wanted = st.query_params.get("child")
child_ref = st.selectbox("Child", refs, format_func=labels.get, key="placement_child",
                         index=refs.index(wanted) if wanted in refs else 0)
view = or_stop(placement_of, store, child_ref, as_of)

if st.session_state.get(LOADED) != child_ref:  # a child chosen: show its facts in the form
    facts = view.facts
    st.session_state["placement_since"] = facts.placed_with_parents_since
    st.session_state["placement_plan"] = (facts.permanence_plan
                                          if facts.permanence_plan in PLAN_WORDS else "")
    st.session_state["placement_decision_on"] = facts.permanence_decision_on
    st.session_state["placement_placed_on"] = facts.permanence_placed_on
    st.session_state[LOADED] = child_ref
    st.session_state.pop(ERRORS, None)
errors: dict[str, str] = st.session_state.get(ERRORS, {})

recorded_now = facts_text(view.facts)
st.markdown(f"**Recorded now:** {recorded_now[0].upper()}{recorded_now[1:]}.")
for line in view.outlook:
    st.info(line)

st.subheader("Placement with parents")
since = uk_date_input("Placed with parents under the regulations since (leave empty if not)",
                      None, key="placement_since", min_value=EARLIEST)
field_error(errors, "placed_with_parents_since")

st.subheader("Permanence")
plan = st.selectbox("Permanence plan", list(PLAN_WORDS), format_func=PLAN_WORDS.get,
                    key="placement_plan")
field_error(errors, "permanence_plan")
decision_on = uk_date_input("Date of the permanence decision", None,
                            key="placement_decision_on", min_value=EARLIEST)
field_error(errors, "permanence_decision_on")
placed_on = uk_date_input("Date the child was placed for permanence (leave empty if not yet)",
                          None, key="placement_placed_on", min_value=EARLIEST)
field_error(errors, "permanence_placed_on")
field_error(errors, "")

if st.button("Save", type="primary", key="placement_submit"):
    try:
        recorded = record_placement(
            store, child_ref=child_ref, placed_with_parents_since=since,
            permanence_plan=plan or None, permanence_decision_on=decision_on,
            permanence_placed_on=placed_on, actor_id=user.staff_id, actor_role=user.role,
            on=as_of)
    except PlacementInvalid as invalid:
        st.session_state[ERRORS] = invalid.errors
    except UserError as refused:
        st.session_state[ERRORS] = {"": str(refused)}
    else:
        st.session_state.pop(ERRORS, None)
        st.session_state[DONE] = {"message": " ".join(e.reason for e in recorded.events),
                                  "child": child_ref}
        st.session_state.pop(LOADED, None)  # show the facts as saved
    st.rerun()
