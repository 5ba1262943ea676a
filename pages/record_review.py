"""The post-review monitoring form: the judgement of the plan, concerns, documents, actions."""

from __future__ import annotations

import streamlit as st

from rules.roles import ROLES, role_name
from ui.auth import require_reviewer
from ui.context import current_store, or_stop, today
from ui.widgets import field_error, link_to_child, uk_date_input
from usecases.alert_forms import track_for_child
from usecases.children import children_for
from usecases.reviews import (
    DOCUMENT_CHECKS,
    PARTICIPATION,
    ReviewForm,
    ReviewInvalid,
    record_review,
)

ERRORS = "review_errors"
ACTION_ROWS = 3
RAG_HELP = {"green": "Green: the plan is progressing",
            "amber": "Amber: concerns; the Service Manager is told",
            "red": "Red: serious concerns; the Head of Service is told"}
CHECK_WORDS = {"present": "On file", "up_to_date": "Up to date", "adequate": "Adequate quality"}

store = current_store()
user = require_reviewer()
as_of = today()
errors: dict[str, str] = st.session_state.get(ERRORS, {})

st.title("Record a review")
if saved := st.session_state.pop("review_saved", None):
    st.success(saved["message"])
    for prompt in saved["prompts"]:
        st.warning(prompt)
        st.page_link("pages/raise_alert.py", label="Raise an alert for this child",
                     query_params={"child": saved["child"]}, icon=":material/campaign:")
    link_to_child(saved["child"], "Back to the child's record")

_, children = children_for(store, user)
labels = {c["case_ref"]: f"{c['name']} ({c['case_ref']})" for c in children}
by_ref = {c["case_ref"]: c for c in children}
wanted = st.query_params.get("child")
if not labels:
    st.info("You have no children to record a review for.")
    st.stop()
refs = list(labels)
child_ref = st.selectbox("Child", refs, format_func=labels.get, key="review_child",
                         index=refs.index(wanted) if wanted in refs else 0)
child = by_ref[child_ref]
track = or_stop(track_for_child, store, child_ref)
kind = track.review_kind
st.caption("Child protection conference" if kind == "cp_conference"
           else "Looked-after child's review")

held_on = uk_date_input("Date of the review", None, key="review_held_on")
field_error(errors, "held_on")
rag = st.radio("How is the plan progressing?", list(RAG_HELP), format_func=RAG_HELP.get,
               key="review_rag", index=None, horizontal=True)
field_error(errors, "rag")
progress = st.text_area("Your judgement of the plan's progress", key="review_progress")
field_error(errors, "progress")

st.subheader("Concerns")
categories = {c.id: f"{c.label} ({c.theme})" for c in track.categories}
concerns = st.multiselect("Categories of concern", list(categories),
                          format_func=categories.get, key="review_concerns")
field_error(errors, "concerns")
concern_details = st.text_area("Details of the concerns", key="review_concern_details")
field_error(errors, "concern_details")
resolution = st.text_area("The resolution sought (needed for amber or red)",
                          key="review_resolution")
field_error(errors, "resolution_sought")

st.subheader("Key documents")
documents: dict[str, dict[str, bool]] = {}
for document in store.policy.key_documents:
    cols = st.columns([3, 2, 2, 2])
    cols[0].write(document.label)
    documents[document.id] = {
        check: cols[i + 1].checkbox(CHECK_WORDS[check], key=f"doc_{document.id}_{check}")
        for i, check in enumerate(DOCUMENT_CHECKS)
    }
field_error(errors, "documents")

st.subheader("The child")
participation = st.selectbox("How the child took part", list(PARTICIPATION),
                             format_func=PARTICIPATION.get, key="review_participation",
                             index=None, placeholder="Choose one")
field_error(errors, "participation")
knows_rights = st.checkbox("The child knows of the right to complain and to an advocate",
                           key="review_rights")

st.subheader("Actions")
st.caption("Fill in as many rows as you need; empty rows are ignored.")
iro_actions = []
for n in range(1, ACTION_ROWS + 1):
    cols = st.columns([5, 2])
    text = cols[0].text_input(f"Action for you ({n})", key=f"iro_action_{n}")
    due = uk_date_input(f"By ({n})", None, key=f"iro_action_due_{n}") if text else None
    if text:
        iro_actions.append((text, due))
        field_error(errors, f"iro_actions[{len(iro_actions)}]")
roles = [r for r in ROLES if r not in ("admin", "business_support")]
required = []
for n in range(1, ACTION_ROWS + 1):
    cols = st.columns([2, 4, 2])
    who = cols[0].selectbox(f"Who ({n})", roles, format_func=role_name, key=f"req_who_{n}",
                            index=roles.index("social_worker"))
    text = cols[1].text_input(f"Action required of others ({n})", key=f"req_action_{n}")
    with cols[2]:
        due = uk_date_input(f"By ({n}) ", None, key=f"req_due_{n}") if text else None
    if text:
        required.append((who, text, due))
        field_error(errors, f"actions_required[{len(required)}]")

st.subheader("Decisions of the review")
decisions = st.text_area("Decisions (sent to the team manager when you save)",
                         key="review_decisions")
field_error(errors, "decisions")
field_error(errors, "")

if st.button("Save the review", type="primary", key="review_submit"):
    form = ReviewForm(
        child_id=child["id"], kind=kind, held_on=held_on, rag=rag or "", progress=progress,
        concerns=tuple(concerns), concern_details=concern_details, documents=documents,
        participation=participation or "", child_knows_rights=knows_rights,
        iro_actions=tuple(iro_actions), actions_required=tuple(required), decisions=decisions,
        resolution_sought=resolution,
    )
    try:
        recorded = record_review(store, form, actor_id=user.staff_id, actor_role=user.role,
                                 recorded_on=as_of)
    except ReviewInvalid as invalid:
        st.session_state[ERRORS] = invalid.errors
    else:
        st.session_state.pop(ERRORS, None)
        derived = [e for e in recorded.events if e.rule is not None]
        st.session_state["review_saved"] = {
            "message": " ".join(e.reason for e in recorded.events if e.rule is None
                                or e.kind != "drift_prompt"),
            "prompts": [e.reason for e in derived if e.kind == "drift_prompt"],
            "child": child_ref,
        }
        for key in [k for k in st.session_state if str(k).startswith(("review_", "doc_",
                                                                       "iro_action", "req_"))]:
            if key != "review_saved":
                del st.session_state[key]
    st.rerun()
