"""The procedure's own questions on the review form and the child's record (AppTest): shown
after the standard fields for a policy that has them and not otherwise; a question left
unanswered, or an impossible date, is refused beside its field and listed at the top with
nothing saved; the answers come back on the child's record exactly as typed."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.form_support import errors, events_count, typed
from tests.page_support import AS_OF, app, demo_store, open_page, texts, user_with_role
from tests.test_review_questions import NOTE, QUESTIONS, RAISED, TYPED, VIEWS, VISITED, write_policy
from ui.text import as_typed
from usecases.store import Store, create_store

SECTION = "Questions from your procedure"
IMPOSSIBLE = "There is no 31 February 2026: February 2026 has 28 days. Check the day and the month."
WIDGETS = ("text_input", "text_area", "selectbox", "multiselect", "radio", "checkbox")


def questions_demo(tmp_path: Path) -> Store:
    """A synthetic demo store under seed 004 with the four test questions."""
    return create_store(tmp_path / "app.db", demo=True, as_of=AS_OF,
                        policy_file=write_policy(tmp_path, QUESTIONS))


def summary(at: AppTest) -> str:
    """The "There is a problem" box's list, or "" when there is none."""
    if "There is a problem" not in [h.value for h in at.header]:
        return ""
    return next(m.value for m in at.markdown if m.value.startswith("- "))


def _form(monkeypatch, store: Store) -> tuple[AppTest, dict]:
    iro = user_with_role(store, "iro")
    child = next(store.db.query(
        "SELECT id, case_ref FROM children WHERE reviewer_id = ? AND legal_status = "
        "'looked_after' ORDER BY case_ref LIMIT 1", [iro.staff_id]))
    at = open_page(app(monkeypatch, store, iro), "pages/record_review.py",
                   child=child["case_ref"])
    return at, child


def _standard_fields(at: AppTest, rag: str) -> None:
    at.text_input(key="review_held_on").input(typed(AS_OF - dt.timedelta(days=3)))
    at.radio(key="review_rag").set_value(rag)
    at.text_area(key="review_progress").input("Placement stable.")
    if rag != "green":
        at.multiselect(key="review_concerns").set_value(["drift_in_care_planning"])
        at.text_area(key="review_resolution").input("Permanence decision at the next panel.")
    at.selectbox(key="review_participation").set_value("attended")
    at.text_area(key="review_decisions").input("The plan continues.")


def _counts(store: Store) -> tuple[int, int]:
    return events_count(store), store.db["reviews"].count


def test_the_questions_follow_the_standard_fields_each_with_its_own_label(monkeypatch,
                                                                          tmp_path):
    store = questions_demo(tmp_path)
    at, _ = _form(monkeypatch, store)
    assert SECTION in [s.value for s in at.subheader]
    assert [s.value for s in at.subheader][-1] == SECTION  # after the standard fields
    assert at.radio(key="question_child_views_heard").label == VIEWS
    assert at.radio(key="question_child_views_heard").options == ["Yes", "No"]
    assert at.radio(key="question_child_views_heard").value is None
    choice = at.selectbox(key="question_concern_raised_informally_with")
    assert choice.label == f"{RAISED} (needed for amber or red)"
    assert choice.value is None
    assert at.text_input(key="question_last_seen_alone").label == f"{VISITED} (optional)"
    assert at.text_area(key="question_other_notes").label == f"{NOTE} (optional)"
    assert "The day, month and year." in [c.value for c in at.caption]
    labels = [str(w.label) for kind in WIDGETS for w in getattr(at, kind)]
    assert not [label for label, n in Counter(labels).items() if n > 1]


def test_a_required_question_left_empty_is_refused_beside_it_and_nothing_is_saved(
        monkeypatch, tmp_path):
    store = questions_demo(tmp_path)
    at, _ = _form(monkeypatch, store)
    before = _counts(store)
    _standard_fields(at, "green")
    at.text_area(key="question_other_notes").input("Kept while the form is put right.")
    at.button(key="review_submit").click().run()
    assert not at.exception
    said = ("Answer \u201cWere the child's views heard before the review?\u201d: your "
            "procedure asks it at every review.")
    assert errors(at) == [said]
    assert as_typed(said) in summary(at)
    assert "(#field-review-question-child-views-heard)" in summary(at)
    assert _counts(store) == before
    assert at.text_area(key="question_other_notes").value == "Kept while the form is put right."


def test_amber_needs_the_choice_then_the_answers_are_saved_and_shown_as_typed(
        monkeypatch, tmp_path):
    store = questions_demo(tmp_path)
    at, child = _form(monkeypatch, store)
    before = _counts(store)
    _standard_fields(at, "amber")
    at.radio(key="question_child_views_heard").set_value("No")
    at.text_input(key="question_last_seen_alone").input("2/11/2026")
    at.text_area(key="question_other_notes").input(TYPED)
    at.button(key="review_submit").click().run()
    assert errors(at) == [
        "Answer \u201cWho has the IRO raised the concern with so far?\u201d: your procedure "
        "asks it when the plan is judged amber."]
    assert "(#field-review-question-concern-raised-informally-with)" in summary(at)
    assert _counts(store) == before

    at.selectbox(key="question_concern_raised_informally_with").set_value("The team manager")
    at.button(key="review_submit").click().run()
    assert not at.exception
    assert errors(at) == []
    assert store.db["reviews"].count == before[1] + 1
    event = next(store.db.query(
        "SELECT data FROM events WHERE kind = 'review_recorded' AND child_id = ? "
        "ORDER BY id DESC LIMIT 1", [child["id"]]))
    assert json.loads(event["data"])["answers"] == {
        "child_views_heard": "No", "concern_raised_informally_with": "The team manager",
        "last_seen_alone": "2026-11-02", "other_notes": TYPED}

    record = open_page(at, "pages/child.py", child=child["case_ref"])
    assert "Answers to the procedure's questions: review of 20 Nov 2026" in [
        e.label for e in record.expander]
    shown = [t.value for t in record.text]
    assert TYPED in shown  # the asterisks, the tags and the formula, as typed
    assert "No" in shown and "The team manager" in shown and "2 Nov 2026" in shown
    for label in (VIEWS, RAISED, VISITED, NOTE):
        assert f"**{as_typed(label)}**" in [m.value for m in record.markdown]
    assert "<b>" not in " ".join(m.value for m in record.markdown)


def test_an_impossible_date_is_refused_beside_it_and_nothing_is_saved(monkeypatch, tmp_path):
    store = questions_demo(tmp_path)
    at, _ = _form(monkeypatch, store)
    before = _counts(store)
    _standard_fields(at, "green")
    at.radio(key="question_child_views_heard").set_value("Yes")
    at.text_input(key="question_last_seen_alone").input("31/02/2026").run()
    assert errors(at) == [IMPOSSIBLE]  # beside the field at once, before any save
    at.button(key="review_submit").click().run()
    assert errors(at) == [IMPOSSIBLE]
    assert "(#field-review-question-last-seen-alone)" in summary(at)
    assert _counts(store) == before


def test_a_policy_without_questions_shows_no_section(monkeypatch, tmp_path):
    store = demo_store(tmp_path, "seed-001")
    at, child = _form(monkeypatch, store)
    assert SECTION not in texts(at)
    assert not [w for w in at.text_area if str(w.key).startswith("question_")]
    record = open_page(at, "pages/child.py", child=child["case_ref"])
    assert not [e for e in record.expander if e.label.startswith("Answers to")]
