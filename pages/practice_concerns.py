"""Concerns about an IRO's or CP chair's own practice (seed 002, 1.6).

Anyone may refer one; only the Deputy Head of Service and more senior managers see the
concerns referred and answer them (the use cases enforce this too). Under a policy without
the procedure the screen says so and offers nothing. Each form saves once (``ui.forms``): a
second click says "already saved".
"""

from __future__ import annotations

from collections import Counter
from functools import partial

import streamlit as st

from rules.roles import role_name
from ui.auth import require_user
from ui.context import current_store, now_utc, today
from ui.format import uk_date
from ui.forms import form_round
from ui.text import as_typed, typed
from ui.widgets import (
    error_summary,
    field_anchor,
    field_error,
    finish,
    form_errors,
    form_key,
    save_failed,
    save_once,
    show_result,
)
from usecases.practice_concerns import (
    answer_concern,
    children_to_name,
    concerns_visible_to,
    may_read,
    people_to_refer_about,
    procedure_off_text,
    procedure_text,
    refer_concern,
)

ANSWERS = "concern_answers"  # where an answer saved is said (its form is gone)
ORDER = ("about", "child", "concern", "")
STATUS_WORDS = {"open": "Waiting for an answer", "answered": "Answered",
                "escalated": "Escalated", "resolved": "Resolved"}

store = current_store()
user = require_user()
as_of = today()

st.title("Concerns about an IRO's practice")
if store.policy.practice_concerns is None:
    st.info(procedure_off_text(store.policy))
    st.stop()
st.caption(procedure_text(store.policy))
show_result(ANSWERS)

# -- refer ---------------------------------------------------------------------------------------

form = form_round("practice_concern")
errors = form_errors(form)
st.subheader("Refer a concern")
show_result(form)
if save_failed(form):
    error_summary(form, errors, ORDER)
people = people_to_refer_about(store, user)
about_labels = {p["id"]: f"{p['name']} ({role_name(p['role'])})" for p in people}
field_anchor(form, "about")
about = st.selectbox("Whose practice is the concern about?", list(about_labels),
                     format_func=about_labels.get, index=None,
                     placeholder="Choose an IRO or CP chair", key=form_key(form, "concern_about"))
field_error(errors, "about")
children = children_to_name(store, user)
child_labels = {c["case_ref"]: f"{c['name']} ({c['case_ref']})" for c in children}
field_anchor(form, "child")
child_ref = st.selectbox("The child whose review or conference it was (optional)",
                         list(child_labels), format_func=child_labels.get, index=None,
                         placeholder="No particular child", key=form_key(form, "concern_child"))
field_error(errors, "child")
field_anchor(form, "concern")
text = st.text_area("The concern: what happened, at which review or conference, and when",
                    key=form_key(form, "concern_text"))
field_error(errors, "concern")
field_error(errors, "")
if st.button("Refer the concern", type="primary", key=form_key(form, "concern_submit")):
    referred = save_once(store, form, lambda: refer_concern(
        store, about_staff_id=about, child_ref=child_ref, concern=text, user=user, on=as_of,
        now=now_utc()))
    finish(form, " ".join(e.reason for e in referred.events))
    st.rerun()

# -- see and answer ------------------------------------------------------------------------------

if not may_read(user.role):
    st.caption("The concerns referred are seen and answered only by the Deputy Head of Service "
               "and more senior managers.")
    st.stop()

st.subheader("Concerns referred")
concerns = concerns_visible_to(store, user)
if not concerns:
    st.write("No concern has been referred.")
# each answer's fields are named after the concern (whose practice, when referred; numbered
# when two were referred about one person on one day), so no two fields share a label
abouts = [f"{c['about_name']} referred on {uk_date(c['raised_on'])}" for c in concerns]
twice = {a for a, n in Counter(abouts).items() if n > 1}
seen: Counter[str] = Counter()
for concern, about_words in zip(concerns, abouts, strict=True):
    seen[about_words] += 1
    if about_words in twice:
        about_words += f" ({seen[about_words]})"
    cid = concern["id"]
    with st.container(border=True, key=f"concern_box_{cid}"):
        status = STATUS_WORDS.get(concern["status"], concern["status"])
        if concern["status"] == "escalated" and concern["escalated_to"]:
            status += f" to the {role_name(concern['escalated_to'])}"
        overdue = (concern["status"] in ("open", "escalated") and concern["due"]
                   and as_of.isoformat() > concern["due"])
        st.markdown(f"**{as_typed(concern['about_name'])}** "
                    f"({role_name(concern['about_role'])}): {status}")
        by = (as_typed(concern["raised_by_name"]) if concern["raised_by_name"]
              else "someone no longer on the staff list")
        st.markdown(f"Referred on {uk_date(concern['raised_on'])} by {by}; answer due by "
                    f"{uk_date(concern['due'])}" + (" (overdue)" if overdue else "") + ".")
        if concern["child_ref"]:
            st.markdown(f"Child: {as_typed(concern['child_name'])} "
                        f"({as_typed(concern['child_ref'])})")
        typed("The concern", concern["concern"])
        if concern["answer"]:
            typed(f"Answer of {uk_date(concern['answered_on'])}", concern["answer"])
        if concern["status"] == "resolved":
            continue
        answer_form = form_round(f"concern_answer.{cid}")
        answer_errors = form_errors(answer_form)
        field_error(answer_errors, "")
        answer = st.text_area(f"Your answer about {as_typed(about_words)}",
                              key=form_key(answer_form, f"answer_{cid}"))
        field_error(answer_errors, "answer")
        resolved = st.checkbox(f"The concern about {as_typed(about_words)} is resolved",
                               key=form_key(answer_form, f"answer_resolved_{cid}"))
        if st.button("Send the answer", key=form_key(answer_form, f"answer_submit_{cid}")):
            answered = save_once(store, answer_form, partial(
                answer_concern, store, cid, answer=answer, resolved=resolved, actor=user,
                on=as_of))
            finish(answer_form, " ".join(e.reason for e in answered.events), place=ANSWERS)
            st.rerun()
