"""Answers to the authority's own questions on the monitoring form: checked, stored, shown.

A policy may add questions to the post-review monitoring form (``review_questions`` in the
policy file, ``rules.policy_model.ReviewQuestion``). This module says whether a form's
answers will do, turns them into what the event log keeps, and reads them back for the
child's record and the reports. Pure: no Streamlit, no database, no clock (``as_of`` is
today, passed in).

What is kept with each review, in the ``review_recorded`` event and in the review's form:

- ``answers``: question id -> the answer (text as typed, ``"Yes"``/``"No"``, the chosen
  option, or a date as ``YYYY-MM-DD``), None for a question left unanswered;
- ``questions``: the questions as they were asked, in the form's order, each
  ``{"id", "label", "kind"}``. A later policy version may reword or drop a question; the
  record still says what was asked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rules.dates import uk_date
from rules.policy_model import ReviewQuestion

#: A question's field name starts with this (``question.child_views_heard``), so its
#: problem sits beside it on the form and in the form's list of problems.
FIELD_PREFIX = "question."
#: What a yes/no question may be answered with, as the form offers it.
YES_NO: tuple[str, str] = ("Yes", "No")
#: What the record and the reports show for a question left unanswered.
NOT_ANSWERED = "Not answered"


def field_name(question_id: str) -> str:
    """The form field (and error key) of a question: ``question.<id>``."""
    return f"{FIELD_PREFIX}{question_id}"


def is_blank(value: object) -> bool:
    """True for an answer that says nothing: none given, or only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def _quoted(label: str) -> str:
    return f"\u201c{label}\u201d"


def _one_of(options: Sequence[str]) -> str:
    quoted = [f"\u201c{o}\u201d" for o in options]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _as_date(value: object) -> dt.date | None:
    """A date answer: a date, or a date written ``YYYY-MM-DD`` (as an import would give it);
    None when it is neither or is no real day (``2026-02-30``)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _answer_problem(question: ReviewQuestion, value: object, as_of: dt.date) -> str:
    """What is wrong with a given (not blank) answer, or ''."""
    label = _quoted(question.label)
    if question.kind == "text":
        return "" if isinstance(value, str) else f"Write the answer to {label} as text."
    if question.kind == "yes_no":
        return "" if value in YES_NO else f"Answer {label} with Yes or No."
    if question.kind == "choice":
        if value in question.options:
            return ""
        shown = f"\u201c{value}\u201d" if isinstance(value, str) else "That"
        return (f"{shown} is not one of the answers to {label}: choose "
                f"{_one_of(question.options)}.")
    if question.kind == "date":
        day = _as_date(value)
        if day is None:
            return (f"The answer to {label} is not a real date: give the day, month and year, "
                    "like 21/12/2026.")
        if day > as_of:
            return (f"The date for {label} cannot be in the future; today is "
                    f"{uk_date(as_of)}.")
        return ""
    return f"{label} cannot be answered: the policy gives it no kind this form knows."


def answer_problems(
    questions: Sequence[ReviewQuestion],
    answers: Mapping[str, Any],
    *,
    rag: str,
    as_of: dt.date,
    meeting: str = "review",
) -> dict[str, str]:
    """Every problem with the answers at once: ``question.<id>`` -> what to do.

    ``questions`` are those the form asked (``Policy.questions_for(kind)``). A question
    ``required: always`` must be answered; ``amber_red`` only when ``rag`` is amber or red;
    a choice must be one of its options; a date must be a real day, not after ``as_of``.
    An answer to a question the form did not ask is refused too: it would be kept with no
    question to say what it meant.
    """
    asked = {q.id: q for q in questions}
    errors: dict[str, str] = {}
    for question_id, value in answers.items():
        if question_id not in asked and not is_blank(value):
            errors[field_name(str(question_id))] = (
                f"'{question_id}' is not one of your procedure's questions for this {meeting}; "
                "leave it out.")
    for question in questions:
        value = answers.get(question.id)
        if is_blank(value):
            if question.required_for(rag):
                why = (f"your procedure asks it at every {meeting}"
                       if question.required == "always"
                       else f"your procedure asks it when the plan is judged {rag}")
                errors[field_name(question.id)] = f"Answer {_quoted(question.label)}: {why}."
            continue
        if problem := _answer_problem(question, value, as_of):
            errors[field_name(question.id)] = problem
    return errors


def stored_answers(
    questions: Sequence[ReviewQuestion], answers: Mapping[str, Any]
) -> dict[str, str | None]:
    """What the record keeps: every question asked, by id, with its answer as text (a date
    as ``YYYY-MM-DD``, text exactly as typed) or None when left unanswered. Call it on
    answers :func:`answer_problems` accepted."""
    kept: dict[str, str | None] = {}
    for question in questions:
        value = answers.get(question.id)
        if is_blank(value):
            kept[question.id] = None
        elif question.kind == "date":
            day = _as_date(value)
            kept[question.id] = day.isoformat() if day else None
        else:
            kept[question.id] = str(value)
    return kept


def asked_questions(questions: Iterable[ReviewQuestion]) -> list[dict[str, str]]:
    """The questions as asked, for the record: a later policy version cannot change them."""
    return [{"id": q.id, "label": q.label, "kind": q.kind} for q in questions]


@dataclass(frozen=True)
class Answer:
    """One question and its answer as a person reads them (a date as ``21 Dec 2026``)."""

    question_id: str
    label: str
    answer: str
    answered: bool


def shown_answer(kind: str, value: object) -> str:
    """An answer as people read it: text exactly as typed, a date as ``21 Dec 2026``."""
    if is_blank(value):
        return NOT_ANSWERED
    if kind == "date" and isinstance(value, str):
        try:
            return uk_date(dt.date.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def recorded_answers(data: Mapping[str, Any]) -> list[Answer]:
    """The answers kept with a review (its form's data or its event's), in the order the
    questions were asked; [] for a review recorded with none."""
    questions = data.get("questions") or []
    answers = data.get("answers") or {}
    found = []
    for question in questions:
        if not isinstance(question, Mapping) or "id" not in question:
            continue
        value = answers.get(question["id"])
        found.append(Answer(question["id"], str(question.get("label") or question["id"]),
                            shown_answer(str(question.get("kind") or ""), value),
                            not is_blank(value)))
    return found


def date_answer_ids(data: Mapping[str, Any]) -> set[str]:
    """The ids of the date questions a review asked (their answers are kept as text)."""
    return {q["id"] for q in data.get("questions") or []
            if isinstance(q, Mapping) and q.get("kind") == "date" and "id" in q}


def answers_by_label(data: Mapping[str, Any]) -> dict[str, str | dt.date]:
    """A review's answers keyed by the question as it was asked, for a report's columns: a
    date answer as a date (a spreadsheet keeps it as one), text as typed, ``Not answered``
    for a question asked and left blank."""
    cells: dict[str, str | dt.date] = {}
    answers = data.get("answers") or {}
    for question in data.get("questions") or []:
        if not isinstance(question, Mapping) or "id" not in question:
            continue
        value = answers.get(question["id"])
        label = str(question.get("label") or question["id"])
        if is_blank(value):
            cells[label] = NOT_ANSWERED
        elif question.get("kind") == "date" and (day := _as_date(value)) is not None:
            cells[label] = day
        else:
            cells[label] = str(value)
    return cells
