"""The authority's own questions on the monitoring form: the policy section, the answers'
checks, the record they leave (the event log and the review), the child's record and the
reports. Every child, member of staff and answer is synthetic."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import load_workbook

from db.connection import write_transaction
from db.people import insert_child, insert_staff
from rules.policy import check_policy_file, load_preset, preset_path
from rules.policy_check import _Loader
from rules.policy_model import ReviewQuestion
from rules.review_questions import answer_problems, recorded_answers
from tests.support import D
from usecases.access import person
from usecases.accounts import SignedInUser
from usecases.children import child_record
from usecases.policy_versions import policy_text
from usecases.report_files import table_csv, workbook_bytes
from usecases.reports import annual, monthly, quarterly
from usecases.reviews import ReviewForm, ReviewInvalid, record_review, validate_review_form
from usecases.store import Store, create_store, open_store

VIEWS = "Were the child's views heard before the review?"
RAISED = "Who has the IRO raised the concern with so far?"
VISITED = "When did the IRO last see the child alone?"
NOTE = "Anything else the procedure asks you to record"
#: Seed 004's shape of questions (yes/no always, a choice for amber or red), with a date and
#: a text question beside them.
QUESTIONS: list[dict[str, Any]] = [
    {"id": "child_views_heard", "label": VIEWS, "kind": "yes_no", "required": "always"},
    {"id": "concern_raised_informally_with", "label": RAISED, "kind": "choice",
     "required": "amber_red",
     "options": ["The social worker", "The team manager", "The operations manager",
                 "No one yet"]},
    {"id": "last_seen_alone", "label": VISITED, "kind": "date",
     "help": "The day, month and year."},
    {"id": "other_notes", "label": NOTE, "kind": "text"},
]
TYPED = "=SUM(A1)\n**bold** <b>html</b>"


def seed_data(policy_id: str = "seed-004") -> dict[str, Any]:
    return yaml.load(preset_path(policy_id).read_text(encoding="utf-8"), Loader=_Loader)


def write_policy(folder: Path, questions: Any, policy_id: str = "seed-004",
                 name: str = "anytown") -> Path:
    """A preset with ``questions`` as its review_questions, as the file ``<name>.yaml``."""
    data = seed_data(policy_id)
    data["id"] = name
    data.pop("review_questions", None)
    if questions is not None:
        data["review_questions"] = questions
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def problems(folder: Path, questions: Any, policy_id: str = "seed-004") -> list[str]:
    return [str(p) for p in check_policy_file(write_policy(folder, questions, policy_id))]


def question(**changes: Any) -> dict[str, Any]:
    return {"id": "child_views_heard", "label": VIEWS, "kind": "yes_no", **changes}


# --------------------------------------------------------------------------- the policy file


def test_the_section_reads_into_questions_with_every_review_kind_by_default(tmp_path):
    assert problems(tmp_path, QUESTIONS) == []
    from rules.policy import load_policy

    policy = load_policy(write_policy(tmp_path, QUESTIONS))
    assert policy.review_questions[1] == ReviewQuestion(
        "concern_raised_informally_with", RAISED, "choice", "amber_red",
        ("The social worker", "The team manager", "The operations manager", "No one yet"),
        ("lac_review",), "")
    assert policy.review_questions[0].required == "always"
    assert policy.review_questions[2].required == "never"  # the default
    assert policy.review_questions[2].help == "The day, month and year."
    assert [q.id for q in policy.questions_for("lac_review")] == [q["id"] for q in QUESTIONS]
    assert policy.questions_for("cp_conference") == ()
    # seed 002 has both tracks: a question names neither kind, so it is asked at both
    both = load_policy(write_policy(tmp_path, [question()], "seed-002", "both"))
    assert both.review_questions[0].applies_to == ("lac_review", "cp_conference")
    only_cp = load_policy(write_policy(tmp_path, [question(applies_to=["cp_conference"])],
                                       "seed-002", "only_cp"))
    assert [q.id for q in only_cp.questions_for("cp_conference")] == ["child_views_heard"]
    assert only_cp.questions_for("lac_review") == ()


def test_a_policy_without_the_section_has_no_questions(tmp_path):
    assert load_preset("seed-001").review_questions == ()
    assert problems(tmp_path, None) == []
    assert problems(tmp_path, []) == []


def test_an_unknown_kind_says_which_kinds_there_are(tmp_path):
    assert problems(tmp_path, [question(), question(id="second", label="Two", kind="multiple")]) \
        == ["anytown.yaml: review_questions[2].kind: 'multiple' is not allowed here. Use 'text'"
            " (a written answer) or 'yes_no' (Yes or No) or 'choice' (one of the question's"
            " options) or 'date' (a date, typed as day/month/year)."]
    assert problems(tmp_path, [question(kind="yesno")]) == [
        "anytown.yaml: review_questions[1].kind: 'yesno' is not allowed here. Did you mean"
        " 'yes_no'? Use 'text' (a written answer) or 'yes_no' (Yes or No) or 'choice' (one of"
        " the question's options) or 'date' (a date, typed as day/month/year)."]


def test_a_duplicate_id_and_a_duplicate_label(tmp_path):
    assert problems(tmp_path, [question(), question(label="Something else")]) == [
        "anytown.yaml: review_questions[2].id: 'child_views_heard' is already the id of"
        " review_questions[1]. Give each question its own id."]
    assert problems(tmp_path, [question(), question(id="again", label=VIEWS.upper())]) == [
        "anytown.yaml: review_questions[2].label: review_questions[1] already asks this. Word"
        " each question differently: the form and the reports tell them apart by it."]


def test_a_bad_slug_an_empty_label_and_missing_fields(tmp_path):
    assert problems(tmp_path, [question(id="Child-Views")]) == [
        "anytown.yaml: review_questions[1].id: 'Child-Views' is not a valid id: use lower-case"
        " letters, digits and underscores, starting with a letter, e.g. 'child_views_heard'."]
    assert problems(tmp_path, [question(label="   ")]) == [
        "anytown.yaml: review_questions[1].label: This cannot be empty: write the text it needs."]
    assert problems(tmp_path, [{"label": VIEWS}]) == [
        "anytown.yaml: review_questions[1].id: This required field is missing. Add a short"
        " name for the answer, e.g. 'id: child_views_heard'.",
        "anytown.yaml: review_questions[1].kind: This required field is missing. Add how it is"
        " answered: 'text', 'yes_no', 'choice' or 'date'."]
    assert problems(tmp_path, [question(hint="x")]) == [
        "anytown.yaml: review_questions[1].hint: 'hint' is not a field of a review question."
        " The fields a review question can have are: applies_to, help, id, kind, label,"
        " options, required."]
    assert problems(tmp_path, {"child_views_heard": VIEWS}) == [
        "anytown.yaml: review_questions: Expected a list (written [a, b] or as lines starting"
        " with '- '), but found a block of 'key: value' lines."]


def test_options_missing_given_to_another_kind_too_few_or_repeated(tmp_path):
    choice = {"id": "raised", "label": RAISED, "kind": "choice"}
    assert problems(tmp_path, [choice]) == [
        "anytown.yaml: review_questions[1].options: A 'choice' question needs the options to"
        " choose from. Add at least two, e.g. 'options: [\"In person\", \"Through an"
        " advocate\", \"In writing\"]'."]
    assert problems(tmp_path, [question(options=["Yes", "No"])]) == [
        "anytown.yaml: review_questions[1].options: Only a 'choice' question has options; a"
        " 'yes_no' question is answered with Yes or No. Remove 'options', or write 'kind:"
        " choice'."]
    assert problems(tmp_path, [{**choice, "options": ["Only one"]}]) == [
        "anytown.yaml: review_questions[1].options: A 'choice' question needs at least two"
        " options to choose between. Add another, or write 'kind: yes_no' or 'kind: text'"
        " instead."]
    assert problems(tmp_path, [{**choice, "options": ["The team manager", "No one",
                                                      "the team manager"]}]) == [
        "anytown.yaml: review_questions[1].options[3]: 'the team manager' is already option"
        " 1. Remove the repeat: each option must read differently."]
    assert problems(tmp_path, [{**choice, "options": ["A", ""]}]) == [
        "anytown.yaml: review_questions[1].options[2]: This cannot be empty: write the text"
        " it needs."]


def test_an_unknown_required_word(tmp_path):
    assert problems(tmp_path, [question(required="when_red")]) == [
        "anytown.yaml: review_questions[1].required: 'when_red' is not allowed here. Use"
        " 'never' (the reviewer may leave it unanswered) or 'always' (it must be answered on"
        " every form) or 'amber_red' (it must be answered when the plan is judged amber or"
        " red)."]
    assert problems(tmp_path, [question(required=True)]) == [
        "anytown.yaml: review_questions[1].required: true (a yes/no value) is not allowed"
        " here. Use 'never' (the reviewer may leave it unanswered) or 'always' (it must be"
        " answered on every form) or 'amber_red' (it must be answered when the plan is judged"
        " amber or red)."]


def test_an_unknown_review_kind_or_one_the_policy_has_no_track_for(tmp_path):
    assert problems(tmp_path, [question(applies_to=["lac-review"])]) == [
        "anytown.yaml: review_questions[1].applies_to[1]: 'lac-review' is not allowed here."
        " Did you mean 'lac_review'? Use 'lac_review' (a looked-after child's review) or"
        " 'cp_conference' (a child protection conference)."]
    # seed 004 is for looked-after children only
    assert problems(tmp_path, [question(applies_to=["lac_review", "cp_conference"])]) == [
        "anytown.yaml: review_questions[1].applies_to[2]: This policy has no track for a"
        " child protection conference ('cp_conference'), so the question would never be"
        " asked. Use 'lac_review', or add the track."]
    assert problems(tmp_path, [question(applies_to=[])]) == [
        "anytown.yaml: review_questions[1].applies_to: List at least one review kind here,"
        " e.g. [lac_review], or leave 'applies_to' out to ask the question at every review."]


def test_every_problem_in_the_section_at_once(tmp_path):
    found = problems(tmp_path, [
        question(kind="multiple"),
        question(id="Bad Id", label="", required="sometimes"),
        {"id": "raised", "label": RAISED, "kind": "text", "options": ["A", "B"]},
    ])
    assert [p.split(": ")[1] for p in found] == [
        "review_questions[1].kind", "review_questions[2].id", "review_questions[2].label",
        "review_questions[2].required", "review_questions[3].options"]


def test_every_preset_passes_the_command_line_check(capsys):
    import manage

    for policy_id in ("seed-000", "seed-001", "seed-002", "seed-003", "seed-004"):
        assert manage.main(["policy", "check", str(preset_path(policy_id))]) == 0
    assert capsys.readouterr().out.count("no problems found") == 5


# --------------------------------------------------------------------------- the use case

AS_OF = D(2026, 11, 23)


def questions_store(tmp_path: Path, questions: Any = QUESTIONS) -> Store:
    return create_store(tmp_path / "store.db", demo=False, as_of=D(2026, 1, 5),
                        policy_file=write_policy(tmp_path, questions))


def _people(store: Store) -> dict[str, int]:
    found = {r["email"].split("@")[0]: r["id"] for r in store.db.query(
        "SELECT id, email FROM staff WHERE email LIKE '%@questions-test.invalid'")}
    if found:
        return found
    with write_transaction(store.db):
        above = None
        for role in ("head_of_service", "service_manager", "team_manager", "social_worker"):
            above = found[role] = insert_staff(
                store.db, name=f"Test {role}", email=f"{role}@questions-test.invalid",
                role=role, line_manager_id=above)
        found["iro"] = insert_staff(store.db, name="Test IRO", role="iro",
                                    email="iro@questions-test.invalid")
        found["other_iro"] = insert_staff(store.db, name="Test other IRO", role="iro",
                                          email="other_iro@questions-test.invalid")
    return found


def _as(store: Store, role: str) -> SignedInUser:
    return person(store, staff_id=_people(store)[role])


def _now(on: dt.date) -> dt.datetime:
    return dt.datetime.combine(on, dt.time(10), tzinfo=dt.UTC)


def _child(store: Store, ref: str = "C-1") -> int:
    people = _people(store)
    with write_transaction(store.db):
        return insert_child(store.db, case_ref=ref, name="Test Child", date_of_birth=None,
                            legal_status="looked_after", team_id=None,
                            social_worker_id=people["social_worker"], reviewer_id=people["iro"])


def _form(store: Store, child_id: int, rag: str = "green", held_on: dt.date | None = None,
          **answers: Any) -> ReviewForm:
    held_on = held_on or D(2026, 11, 12)
    concerning = rag in ("amber", "red")
    return ReviewForm(
        child_id=child_id, kind="lac_review", held_on=held_on, rag=rag,
        progress="Placement stable.",
        concerns=(store.policy.track("iro").categories[0].id,) if concerning else (),
        documents={d.id: {"present": True, "up_to_date": True, "adequate": True}
                   for d in store.policy.key_documents},
        participation="attended", child_knows_rights=True,
        decisions="The plan continues.",
        resolution_sought="A permanence decision at the next panel." if concerning else "",
        answers=answers)


def _record(store: Store, form: ReviewForm, on: dt.date | None = None):
    on = on or D(2026, 11, 13)
    return record_review(store, form, user=_as(store, "iro"), recorded_on=on, now=_now(on))


def _counts(store: Store) -> tuple[int, int]:
    return store.db["events"].count, store.db["reviews"].count


def test_a_required_question_left_empty_is_refused_and_nothing_is_written(tmp_path):
    store = questions_store(tmp_path)
    child = _child(store)
    before = _counts(store)
    for blank in ({}, {"child_views_heard": None}, {"child_views_heard": "  "}):
        with pytest.raises(ReviewInvalid) as refused:
            _record(store, _form(store, child, **blank))
        assert refused.value.errors == {
            "question.child_views_heard": "Answer \u201cWere the child's views heard before the"
            " review?\u201d: your procedure asks it at every review."}
        assert _counts(store) == before


def test_the_amber_red_question_is_needed_only_for_amber_or_red(tmp_path):
    store = questions_store(tmp_path)
    child = _child(store)
    assert validate_review_form(store.policy, _form(store, child, "green",
                                                    child_views_heard="Yes"), AS_OF) == {}
    for rag in ("amber", "red"):
        errors = validate_review_form(store.policy, _form(store, child, rag,
                                                          child_views_heard="No"), AS_OF)
        assert errors == {"question.concern_raised_informally_with": (
            "Answer \u201cWho has the IRO raised the concern with so far?\u201d: your procedure"
            f" asks it when the plan is judged {rag}.")}
        assert validate_review_form(store.policy, _form(
            store, child, rag, child_views_heard="No",
            concern_raised_informally_with="The team manager"), AS_OF) == {}
    recorded = _record(store, _form(store, child, "amber", child_views_heard="Yes",
                                    concern_raised_informally_with="No one yet"))
    assert recorded.review_id


def test_answers_must_fit_their_kind(tmp_path):
    store = questions_store(tmp_path)
    child = _child(store)
    errors = validate_review_form(store.policy, _form(
        store, child, "green", child_views_heard="Maybe",
        concern_raised_informally_with="The Director", last_seen_alone="2026-02-30",
        other_notes=3, not_asked="Something"), AS_OF)
    assert errors == {
        "question.child_views_heard": "Answer \u201cWere the child's views heard before the"
        " review?\u201d with Yes or No.",
        "question.concern_raised_informally_with": "\u201cThe Director\u201d is not one of the"
        " answers to \u201cWho has the IRO raised the concern with so far?\u201d: choose"
        " \u201cThe social worker\u201d, \u201cThe team manager\u201d, \u201cThe operations"
        " manager\u201d or \u201cNo one yet\u201d.",
        "question.last_seen_alone": "The answer to \u201cWhen did the IRO last see the child"
        " alone?\u201d is not a real date: give the day, month and year, like 21/12/2026.",
        "question.other_notes": "Write the answer to \u201cAnything else the procedure asks you"
        " to record\u201d as text.",
        "question.not_asked": "'not_asked' is not one of your procedure's questions for this"
        " review; leave it out.",
    }


def test_a_date_answer_cannot_be_in_the_future(tmp_path):
    store = questions_store(tmp_path)
    child = _child(store)
    before = _counts(store)
    with pytest.raises(ReviewInvalid) as refused:
        _record(store, _form(store, child, child_views_heard="Yes",
                             last_seen_alone=D(2026, 11, 14)), on=D(2026, 11, 13))
    assert refused.value.errors == {
        "question.last_seen_alone": "The date for \u201cWhen did the IRO last see the child"
        " alone?\u201d cannot be in the future; today is 13 Nov 2026."}
    assert _counts(store) == before
    assert answer_problems(store.policy.review_questions, {"last_seen_alone": D(2026, 11, 13)},
                           rag="green", as_of=D(2026, 11, 13)) == {
        "question.child_views_heard": "Answer \u201cWere the child's views heard before the"
        " review?\u201d: your procedure asks it at every review."}


def test_the_answers_and_the_questions_as_asked_go_in_the_event_and_the_review(tmp_path):
    store = questions_store(tmp_path)
    child = _child(store)
    form = _form(store, child, "red", child_views_heard="No",
                 concern_raised_informally_with="The operations manager",
                 last_seen_alone=D(2026, 11, 2), other_notes=TYPED)
    recorded = _record(store, form)
    [event] = list(store.db.query(
        "SELECT data FROM events WHERE kind = 'review_recorded' AND review_id = ?",
        [recorded.review_id]))
    data = json.loads(event["data"])
    answers = {"child_views_heard": "No",
               "concern_raised_informally_with": "The operations manager",
               "last_seen_alone": "2026-11-02", "other_notes": TYPED}
    asked = [{"id": "child_views_heard", "label": VIEWS, "kind": "yes_no"},
             {"id": "concern_raised_informally_with", "label": RAISED, "kind": "choice"},
             {"id": "last_seen_alone", "label": VISITED, "kind": "date"},
             {"id": "other_notes", "label": NOTE, "kind": "text"}]
    assert data["answers"] == answers
    assert data["questions"] == asked
    review = json.loads(store.db["reviews"].get(recorded.review_id)["data"])
    assert (review["answers"], review["questions"]) == (answers, asked)
    assert ReviewForm.from_data(review) == form  # the form back, the date a date again


def test_a_question_left_blank_is_kept_as_asked_and_unanswered(tmp_path):
    store = questions_store(tmp_path)
    child = _child(store)
    recorded = _record(store, _form(store, child, child_views_heard="Yes", other_notes="  "))
    [event] = [e for e in recorded.events if e.kind == "review_recorded"]
    assert event.data["answers"] == {"child_views_heard": "Yes",
                                     "concern_raised_informally_with": None,
                                     "last_seen_alone": None, "other_notes": None}
    assert [(a.label, a.answer, a.answered) for a in recorded_answers(event.data)][1:] == [
        (RAISED, "Not answered", False), (VISITED, "Not answered", False),
        (NOTE, "Not answered", False)]


def test_the_childs_record_shows_the_answers_as_typed_with_the_words_asked(tmp_path):
    store = questions_store(tmp_path)
    child = _child(store)
    _record(store, _form(store, child, child_views_heard="Yes", last_seen_alone=D(2026, 11, 2),
                         other_notes=TYPED))
    # a later version rewords the question: the review keeps the words it was asked with
    reworded = dataclasses.replace(store.policy, review_questions=(dataclasses.replace(
        store.policy.review_questions[0], label="Did the child take part?"),))
    later = dataclasses.replace(store, policy=reworded)
    record = child_record(later, _as(store, "iro"), "C-1", _now(AS_OF))
    [review] = record.reviews
    assert [(a.label, a.answer) for a in review["answers"]] == [
        (VIEWS, "Yes"), (RAISED, "Not answered"), (VISITED, "2 Nov 2026"), (NOTE, TYPED)]


def test_a_policy_without_questions_keeps_no_answers_and_refuses_any(tmp_path):
    store = questions_store(tmp_path, None)  # seed 004 without the section
    assert store.policy.review_questions == ()
    child = _child(store)
    recorded = _record(store, _form(store, child))
    [event] = [e for e in recorded.events if e.kind == "review_recorded"]
    assert "answers" not in event.data and "questions" not in event.data
    assert "answers" not in json.loads(store.db["reviews"].get(recorded.review_id)["data"])
    assert child_record(store, _as(store, "iro"), "C-1", _now(AS_OF)).reviews[0]["answers"] \
        == []
    assert validate_review_form(store.policy, _form(store, child, child_views_heard="Yes"),
                                AS_OF) == {
        "question.child_views_heard": "'child_views_heard' is not one of your procedure's"
        " questions for this review; leave it out."}


def test_the_stored_policy_keeps_the_section(tmp_path):
    store = questions_store(tmp_path)
    text = policy_text(store)
    assert "review_questions:" in text and "concern_raised_informally_with" in text
    again = open_store(store.path)
    assert again.policy.review_questions == store.policy.review_questions
    assert len(again.policy.review_questions) == 4


# --------------------------------------------------------------------------- the reports


def _answered_reviews(store: Store) -> None:
    first, second = _child(store, "C-1"), _child(store, "C-2")
    _record(store, _form(store, first, "amber", D(2026, 11, 12), child_views_heard="Yes",
                         concern_raised_informally_with="The team manager",
                         last_seen_alone=D(2026, 11, 2), other_notes=TYPED))
    _record(store, _form(store, second, "green", D(2026, 11, 16), child_views_heard="No"),
            on=D(2026, 11, 17))
    _record(store, _form(store, first, "green", D(2026, 10, 5), child_views_heard="Yes"),
            on=D(2026, 10, 6))  # October: not in November's report


def _rows(table) -> list[dict]:
    return [dict(zip(table.columns, row, strict=True)) for row in table.rows]


def test_the_monthly_report_lists_the_reviews_with_one_column_per_question(tmp_path):
    store = questions_store(tmp_path)
    _answered_reviews(store)
    tables = {t.title: t for t in monthly(store, 2026, 11, AS_OF, user=_as(store, "iro"))}
    table = tables["Review answers Nov 2026"]
    assert table.columns == ("Held", "Child", "Team", "Reviewer", "Review", "Judgement",
                             VIEWS, RAISED, VISITED, NOTE)
    assert _rows(table) == [
        {"Held": D(2026, 11, 12), "Child": "C-1", "Team": "No team", "Reviewer": "Test IRO",
         "Review": "Looked-after review", "Judgement": "Amber", VIEWS: "Yes",
         RAISED: "The team manager", VISITED: D(2026, 11, 2), NOTE: TYPED},
        {"Held": D(2026, 11, 16), "Child": "C-2", "Team": "No team", "Reviewer": "Test IRO",
         "Review": "Looked-after review", "Judgement": "Green", VIEWS: "No",
         RAISED: "Not answered", VISITED: "Not answered", NOTE: "Not answered"},
    ]
    # someone who may not see these children's records gets the table without them
    other = {t.title: t for t in monthly(store, 2026, 11, AS_OF, user=_as(store, "other_iro"))}
    assert other["Review answers Nov 2026"].rows == ()
    # the quarter and the financial year hold all three reviews
    [quarter] = [t for t in quarterly(store, 2026, 4, AS_OF) if t.title.startswith("Review")]
    assert (quarter.title, len(quarter.rows)) == ("Review answers Oct-Dec 2026", 3)
    [year] = [t for t in annual(store, 2026, AS_OF) if t.title == "Review answers"]
    assert [r["Held"] for r in _rows(year)] == [D(2026, 10, 5), D(2026, 11, 12),
                                                D(2026, 11, 16)]


def test_the_answers_csv_and_workbook_run_no_formula(tmp_path):
    store = questions_store(tmp_path)
    _answered_reviews(store)
    table = next(t for t in monthly(store, 2026, 11, AS_OF) if t.title.startswith("Review"))
    text = table_csv(table).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][6:] == [VIEWS, RAISED, VISITED, NOTE]
    assert rows[1][:2] == ["12 Nov 2026", "C-1"]
    assert rows[1][8] == "2 Nov 2026"
    assert rows[1][9] == "'" + TYPED  # shown as typed, never run
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    sheet = load_workbook(io.BytesIO(workbook_bytes([table])))["Review answers Nov 2026"]
    assert sheet.cell(row=2, column=10).value == "'" + TYPED
    assert sheet.cell(row=2, column=10).data_type == "s"
    assert sheet.cell(row=2, column=9).value.date() == D(2026, 11, 2)


def test_a_report_under_a_policy_without_questions_has_no_answers_table(tmp_path):
    store = questions_store(tmp_path, None)
    _record(store, _form(store, _child(store)))
    assert [t.title for t in monthly(store, 2026, 11, AS_OF)] == ["Outstanding Nov 2026",
                                                                   "By stage"]
    assert not any(t.title.startswith("Review answers")
                   for t in [*quarterly(store, 2026, 4, AS_OF), *annual(store, 2026, AS_OF)])
