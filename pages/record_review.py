"""The post-review monitoring form: the judgement of the plan, concerns, documents, actions.

One click, one action: the form has a round (``ui.forms``); saving runs the use case once
for it, and a second click on Save says "already saved" instead of recording the review
(and sending its decisions) again. A refused save keeps what was typed, puts each problem
beside its field and lists them all at the top ("There is a problem"), each a link to its
field. Dates are typed as day/month/year and an impossible one is refused.

After the standard fields come the authority's own questions ("Questions from your
procedure", ``review_questions`` in the policy), those that apply to this kind of review;
the use case checks their answers with the rest of the form.
"""

from __future__ import annotations

import streamlit as st

from rules.policy_model import ReviewQuestion
from rules.review_questions import YES_NO, field_name
from rules.roles import ROLES, role_name
from ui.auth import require_reviewer
from ui.context import current_store, now_utc, or_stop, today
from ui.forms import form_round
from ui.widgets import (
    DateEntry,
    date_field,
    date_problems,
    error_summary,
    field_anchor,
    field_error,
    finish,
    form_errors,
    form_key,
    link_to_child,
    refuse,
    save_failed,
    save_once,
    show_result,
)
from usecases.alert_forms import track_for_child
from usecases.reviews import (
    DOCUMENT_CHECKS,
    PARTICIPATION,
    ReviewForm,
    children_to_review,
    record_review,
    validate_review_form,
)

ACTION_ROWS = 3
RAG_HELP = {"green": "Green: the plan is progressing",
            "amber": "Amber: concerns; the Service Manager is told",
            "red": "Red: serious concerns; the Head of Service is told"}
CHECK_WORDS = {"present": "On file", "up_to_date": "Up to date", "adequate": "Adequate quality"}
#: The fields in the order the form shows them, for the list of problems at the top.
ORDER = ("child_id", "kind", "held_on", "rag", "progress", "concerns", "concern_details",
         "resolution_sought", "documents", "participation", "child_knows_rights",
         "iro_actions", "actions_required", "decisions", "")
#: What a question's label says about when it must be answered (nothing when always).
NEEDED = {"never": " (optional)", "always": "", "amber_red": " (needed for amber or red)"}

store = current_store()
user = require_reviewer()
as_of = today()
form = form_round("review")
errors = form_errors(form)


def key(field: str) -> str:
    return form_key(form, field)


def ask(question: ReviewQuestion, dates: dict[str, DateEntry]) -> object:
    """One of the procedure's own questions, with the widget its kind needs; its answer
    (None when unanswered; a date field's entry goes in ``dates`` to be checked)."""
    name = field_name(question.id)
    label = question.label + NEEDED.get(question.required, "")
    field_anchor(form, name)
    widget = key(f"question_{question.id}")
    if question.kind == "date":
        entry = dates[name] = date_field(label, widget, form=form, field=name)
        answer: object = entry.value
    elif question.kind == "yes_no":
        answer = st.radio(label, list(YES_NO), key=widget, index=None, horizontal=True)
    elif question.kind == "choice":
        answer = st.selectbox(label, list(question.options), key=widget, index=None,
                              placeholder="Choose one")
    else:
        answer = st.text_area(label, key=widget)
    if question.help:
        st.caption(question.help)
    if question.kind != "date":  # a date field says its own problem under it
        field_error(errors, name)
    return answer


st.title("Record a review")
if saved := show_result(form):
    for prompt in saved["prompts"]:
        st.warning(prompt)
        st.page_link("pages/raise_alert.py", label="Raise an alert for this child",
                     query_params={"child": saved["child"]}, icon=":material/campaign:")
    link_to_child(saved["child"], "Back to the child's record")
summary = st.container()  # "There is a problem", filled in once the fields are read

children = children_to_review(store, user)
labels = {c["case_ref"]: f"{c['name']} ({c['case_ref']})" for c in children}
by_ref = {c["case_ref"]: c for c in children}
wanted = st.query_params.get("child")
if not labels:
    st.info("You have no children to record a review for.")
    st.stop()
refs = list(labels)
field_anchor(form, "child_id")
child_ref = st.selectbox("Child", refs, format_func=labels.get, key="review_child",
                         index=refs.index(wanted) if wanted in refs else 0)
child = by_ref[child_ref]
track = or_stop(track_for_child, store, user, child_ref, now_utc(), "record_review")
kind = track.review_kind
st.caption("Child protection conference" if kind == "cp_conference"
           else "Looked-after child's review")
field_error(errors, "child_id")
field_error(errors, "kind")

dates: dict[str, DateEntry] = {}
field_anchor(form, "held_on")
held = dates["held_on"] = date_field("Date of the review", key("review_held_on"),
                                     form=form, field="held_on")
field_anchor(form, "rag")
rag = st.radio("How is the plan progressing?", list(RAG_HELP), format_func=RAG_HELP.get,
               key=key("review_rag"), index=None, horizontal=True)
field_error(errors, "rag")
field_anchor(form, "progress")
progress = st.text_area("Your judgement of the plan's progress", key=key("review_progress"))
field_error(errors, "progress")

st.subheader("Concerns")
categories = {c.id: f"{c.label} ({c.theme})" for c in track.categories}
field_anchor(form, "concerns")
concerns = st.multiselect("Categories of concern", list(categories),
                          format_func=categories.get, key=key("review_concerns"))
field_error(errors, "concerns")
field_anchor(form, "concern_details")
concern_details = st.text_area("Details of the concerns", key=key("review_concern_details"))
field_error(errors, "concern_details")
field_anchor(form, "resolution_sought")
resolution = st.text_area("The resolution sought (needed for amber or red)",
                          key=key("review_resolution"))
field_error(errors, "resolution_sought")

st.subheader("Key documents")
st.caption("Tick what is true of each document.")
field_anchor(form, "documents")
widths = [3, 2, 2, 2]
head = st.columns(widths)
head[0].markdown("**Document**")
for i, check in enumerate(DOCUMENT_CHECKS):
    head[i + 1].markdown(f"**{CHECK_WORDS[check]}**")
documents: dict[str, dict[str, bool]] = {}
for document in store.policy.key_documents:
    cols = st.columns(widths)
    cols[0].write(document.label)
    documents[document.id] = {
        check: cols[i + 1].checkbox(f"{document.label}: {CHECK_WORDS[check].lower()}",
                                    key=key(f"doc_{document.id}_{check}"),
                                    label_visibility="collapsed")
        for i, check in enumerate(DOCUMENT_CHECKS)
    }
field_error(errors, "documents")

st.subheader("The child")
field_anchor(form, "participation")
participation = st.selectbox("How the child took part", list(PARTICIPATION),
                             format_func=PARTICIPATION.get, key=key("review_participation"),
                             index=None, placeholder="Choose one")
field_error(errors, "participation")
knows_rights = st.checkbox("The child knows of the right to complain and to an advocate",
                           key=key("review_rights"))
field_error(errors, "child_knows_rights")

st.subheader("Actions")
st.caption("Fill in as many rows as you need; empty rows are ignored. Give each action the "
           "date it is due by.")
iro_actions = []
rows: dict[str, str] = {}  # "iro_actions[2]" (the 2nd action filled in) -> its row's anchor
for n in range(1, ACTION_ROWS + 1):
    field_anchor(form, f"iro_action_row_{n}")
    cols = st.columns([5, 2])
    text = cols[0].text_input(f"Action for you ({n})", key=key(f"iro_action_{n}"))
    if text:
        name = f"iro_actions[{len(iro_actions) + 1}]"
        rows[name] = f"iro_action_row_{n}"
        with cols[1]:
            due = dates[name] = date_field(f"Action for you ({n}): due by",
                                           key(f"iro_action_due_{n}"), form=form,
                                           field=name)
        iro_actions.append((text, due.value))
roles = [r for r in ROLES if r not in ("admin", "business_support")]
required = []
for n in range(1, ACTION_ROWS + 1):
    field_anchor(form, f"required_row_{n}")
    cols = st.columns([2, 4, 2])
    who = cols[0].selectbox(f"Who must act ({n})", roles,
                            format_func=role_name, key=key(f"req_who_{n}"),
                            index=roles.index("social_worker"))
    text = cols[1].text_input(f"Action required of others ({n})", key=key(f"req_action_{n}"))
    if text:
        name = f"actions_required[{len(required) + 1}]"
        rows[name] = f"required_row_{n}"
        with cols[2]:
            due = dates[name] = date_field(f"Action required of others ({n}): due by",
                                           key(f"req_due_{n}"), form=form, field=name)
        required.append((who, text, due.value))

st.subheader("Decisions of the review")
field_anchor(form, "decisions")
decisions = st.text_area("Decisions (sent to the team manager when you save)",
                         key=key("review_decisions"))
field_error(errors, "decisions")

questions = store.policy.questions_for(kind)
answers: dict[str, object] = {}
if questions:
    st.subheader("Questions from your procedure")
    for question in questions:
        answers[question.id] = ask(question, dates)
field_error(errors, "answers")
field_error(errors, "")

wrong_dates = date_problems(dates)
if save_failed(form):
    order = (*ORDER[:-1], *(field_name(q.id) for q in questions), "answers", ORDER[-1])
    with summary:
        error_summary(form, {**errors, **wrong_dates}, order, rows)

if st.button("Save the review", type="primary", key=key("review_submit")):
    review = ReviewForm(
        child_id=child["id"], kind=kind, held_on=held.value, rag=rag or "", progress=progress,
        concerns=tuple(concerns), concern_details=concern_details, documents=documents,
        participation=participation or "", child_knows_rights=knows_rights,
        iro_actions=tuple(iro_actions), actions_required=tuple(required), decisions=decisions,
        resolution_sought=resolution, answers=answers,
    )
    if wrong_dates:  # not a real date: say so, with every other problem, and save nothing
        problems = validate_review_form(store.policy, review, as_of)
        refuse(form, {f: m for f, m in problems.items() if f not in wrong_dates})
    recorded = save_once(store, form, lambda: record_review(
        store, review, user=user, recorded_on=as_of, now=now_utc()))
    derived = [e for e in recorded.events if e.rule is not None]
    finish(form, " ".join(e.reason for e in recorded.events
                          if e.rule is None or e.kind != "drift_prompt"),
           extras={"prompts": [e.reason for e in derived if e.kind == "drift_prompt"],
                   "child": child_ref})
    st.rerun()
