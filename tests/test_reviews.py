"""The post-review monitoring form: validation, RAG routing, drift, and the decisions' clock.

Expected dates are counted by hand from the calendar, not computed by the code under test.
Every child and member of staff is synthetic.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from db.connection import write_transaction
from db.people import insert_child, insert_staff, insert_team
from db.reviews import rag_history, review_by_id
from tests.support import D, new_store, run_in_threads
from usecases.access import AccessRefused, person
from usecases.accounts import SignedInUser
from usecases.errors import UserError
from usecases.reviews import (
    ReviewForm,
    ReviewInvalid,
    record_review,
    reply_to_decisions,
    sweep_reviews,
    validate_review_form,
)
from usecases.store import Store, open_store

#: A synthetic line: social worker -> team manager -> service manager -> head of service;
#: an IRO and a CP chair managed by the principal IRO.
LINE = ("head_of_service", "service_manager", "team_manager", "social_worker")
REVIEWERS = ("principal_iro", "iro", "cp_chair")


def _people(store: Store) -> dict[str, int]:
    found = {r["role"]: r["id"] for r in store.db.query(
        "SELECT id, role FROM staff WHERE email LIKE '%@reviews-test.invalid'")}
    if found:
        return found
    with write_transaction(store.db):
        above = None
        for role in LINE:
            above = found[role] = insert_staff(
                store.db, name=f"Test {role}", email=f"{role}@reviews-test.invalid", role=role,
                line_manager_id=above)
        for role in REVIEWERS:
            found[role] = insert_staff(
                store.db, name=f"Test {role}", email=f"{role}@reviews-test.invalid", role=role,
                line_manager_id=found.get("principal_iro"))
    return found


def _as(store: Store, role: str) -> SignedInUser:
    return person(store, staff_id=_people(store)[role])


def _now(on: dt.date) -> dt.datetime:
    return dt.datetime.combine(on, dt.time(10), tzinfo=dt.UTC)


def _by(store: Store, role: str, on: dt.date) -> dict:
    """Who replies, on which day, at what moment (for the access audit)."""
    return {"user": _as(store, role), "on": on, "now": _now(on)}


def _child(store: Store, ref: str = "C-1", *, cp: bool = False, team_id: int | None = None,
           social_worker_id: int | None = None) -> int:
    people = _people(store)
    with write_transaction(store.db):
        return insert_child(
            store.db, case_ref=ref, name="Test Child", date_of_birth=None,
            legal_status="child_protection" if cp else "looked_after", team_id=team_id,
            social_worker_id=social_worker_id or people["social_worker"],
            reviewer_id=people["cp_chair" if cp else "iro"])


def _answers(store: Store, kind: str, rag: str) -> dict[str, str]:
    """Answers to whatever questions the policy adds to the form (seed 004 adds two)."""
    return {q.id: {"yes_no": "Yes", "choice": q.options[0] if q.options else "",
                   "text": "Synthetic answer.", "date": None}[q.kind]
            for q in store.policy.questions_for(kind) if q.kind != "date"}


def _form(
    store: Store, child_id: int, held_on: dt.date, rag: str = "green", **changes
) -> ReviewForm:
    kind = changes.pop("kind", "lac_review")
    track = store.policy.track("cp" if kind == "cp_conference" else "iro")
    concerning = rag in ("amber", "red")
    form = ReviewForm(
        child_id=child_id,
        kind=kind,
        held_on=held_on,
        rag=rag,
        progress="Placement stable; permanence plan behind.",
        concerns=(track.categories[0].id,) if concerning else (),
        concern_details="Permanence decision not yet made." if concerning else "",
        documents={d.id: {"present": True, "up_to_date": d.id != "pep", "adequate": True}
                   for d in store.policy.key_documents},
        participation="attended",
        child_knows_rights=True,
        iro_actions=(("Speak to the Team Manager about the PEP", held_on + dt.timedelta(7)),),
        actions_required=(("social_worker", "Update the PEP", held_on + dt.timedelta(20)),),
        decisions="The plan continues; PEP to be updated within 20 days.",
        resolution_sought="Permanence decision made at the next panel." if concerning else "",
        answers=_answers(store, kind, rag),
    )
    return dataclasses.replace(form, **changes)


def _record(store: Store, form: ReviewForm, recorded_on: dt.date, role: str = "iro"):
    return record_review(store, form, user=_as(store, role), recorded_on=recorded_on,
                         now=_now(recorded_on))


def _derived(store: Store, review_id: int) -> list[tuple[dt.date, str, str]]:
    rows = store.db.query(
        "SELECT occurred_on, kind, rule FROM events WHERE review_id = ? AND rule IS NOT NULL "
        "ORDER BY occurred_on, id", [review_id])
    return [(dt.date.fromisoformat(r["occurred_on"]), r["kind"], r["rule"]) for r in rows]


def _events(store: Store) -> list[dict]:
    return list(store.db.query("SELECT * FROM events ORDER BY id"))


# -- validation ---------------------------------------------------------------------------------


def test_a_review_in_the_future_is_refused(tmp_path):
    store = new_store(tmp_path, "seed-004")
    form = _form(store, 1, D(2026, 11, 23))
    errors = validate_review_form(store.policy, form, D(2026, 11, 22))
    assert errors == {
        "held_on": "The review date cannot be in the future; today is 22 Nov 2026."}
    assert validate_review_form(store.policy, form, D(2026, 11, 23)) == {}


def test_every_field_error_at_once_and_nothing_saved(tmp_path):
    store = new_store(tmp_path, "seed-004")
    child = _child(store)
    docs = {d.id: {"present": True, "up_to_date": True, "adequate": True}
            for d in store.policy.key_documents if d.id != "pep"}
    form = ReviewForm(
        child_id=child, kind="lac_review", held_on=D(2026, 11, 12), rag="amber",
        concerns=(), documents=docs, participation="asleep",
        iro_actions=(("Chase the PEP", D(2026, 11, 20)), ("", D(2026, 11, 1))),
        actions_required=(("social_worker", "Update the PEP", D(2026, 12, 1)),
                          ("wizard", "Update the plan", D(2026, 11, 13))),
        decisions="  ", resolution_sought="", answers=_answers(store, "lac_review", "amber"))
    errors = validate_review_form(store.policy, form, D(2026, 11, 16))
    assert set(errors) == {"concerns", "documents", "participation", "resolution_sought",
                           "iro_actions[2]", "actions_required[2]", "decisions"}
    assert errors["concerns"] == (
        "A plan judged amber needs at least one concern: choose the categories that apply.")
    assert errors["documents"] == (
        "Say whether each key document is present, up to date and adequate: Personal "
        "education plan (PEP) still needs an answer.")
    assert errors["resolution_sought"] == (
        "Say what resolution is sought: a plan judged amber needs one, and the Service "
        "Manager is told of it.")
    assert errors["iro_actions[2]"] == (
        "Describe the action. The due date 1 Nov 2026 is before the review on 12 Nov 2026; "
        "choose a date on or after it.")
    assert errors["actions_required[2]"].startswith("'wizard' is not a role;")
    assert errors["decisions"] == (
        "Write down the decisions made at the review: they are sent to the Team Manager to "
        "agree.")

    before = len(_events(store))
    with pytest.raises(ReviewInvalid) as refused:
        _record(store, form, D(2026, 11, 16))
    assert refused.value.errors == errors
    assert isinstance(refused.value, UserError)
    assert store.db["reviews"].count == 0
    assert len(_events(store)) == before


def test_missing_date_bad_rag_unknown_category_and_kind_are_refused(tmp_path):
    store = new_store(tmp_path, "seed-004")
    form = _form(store, 1, D(2026, 11, 12), "red")
    errors = validate_review_form(
        store.policy, dataclasses.replace(form, held_on=None, rag="purple",
                                          concerns=("not_a_category",)), D(2026, 11, 16))
    assert errors["held_on"] == "Enter the date the review was held."
    assert errors["rag"] == "Judge the plan's progress: choose red, amber or green."
    assert errors["concerns"].startswith("'not_a_category' is not a concern category")
    # seed-004 has no child protection track, so a conference cannot be recorded under it
    errors = validate_review_form(store.policy, dataclasses.replace(form, kind="cp_conference"),
                                  D(2026, 11, 16))
    assert set(errors) == {"kind"}
    assert "no track for a child protection conference" in errors["kind"]


def test_only_the_reviewer_records_the_form_and_the_child_must_exist(tmp_path):
    store = new_store(tmp_path, "seed-004")
    child = _child(store)
    form = _form(store, child, D(2026, 11, 12))
    with pytest.raises(AccessRefused, match="Only this child's IRO or CP chair"):
        _record(store, form, D(2026, 11, 13), role="team_manager")  # in the child's line
    with pytest.raises(UserError, match="There is no child with id 99"):
        _record(store, dataclasses.replace(form, child_id=99), D(2026, 11, 13))
    assert store.db["reviews"].count == 0


# -- recording and RAG routing --------------------------------------------------------------------


def test_the_whole_form_is_kept_and_the_review_recorded_event_says_what_happened(tmp_path):
    store = new_store(tmp_path, "seed-004")
    child = _child(store)
    form = _form(store, child, D(2026, 11, 12), "green")
    recorded = _record(store, form, D(2026, 11, 13))
    row = review_by_id(store.db, recorded.review_id)
    assert row is not None
    assert ReviewForm.from_data(row.data) == form
    assert row.data["held_on"] == "2026-11-12"
    assert row.data["actions_required"][0] == {
        "who": "social_worker", "text": "Update the PEP", "due": "2026-12-02"}
    assert (row.rag, row.recorded_on, row.decisions_sent_on) == (
        "green", D(2026, 11, 13), D(2026, 11, 13))
    # Fri 13 Nov + 5 working days = Fri 20 Nov; silence would count on Mon 23 Nov
    assert (row.reply_due, row.reply_status, row.next_check_on) == (
        D(2026, 11, 20), "awaiting", D(2026, 11, 23))
    [event] = [e for e in _events(store) if e["review_id"] == recorded.review_id]
    assert (event["kind"], event["child_id"], event["actor_role"], event["rule"]) == (
        "review_recorded", child, "iro", None)
    assert event["reason"] == (
        "Looked-after review of 12 Nov 2026 recorded: plan judged green. Decisions sent to "
        "the Team Manager; reply due by 20 Nov 2026.")
    assert [e.kind for e in recorded.events] == ["review_recorded"]  # green, on time: no more


def test_seed_004_amber_goes_to_the_service_manager(tmp_path):
    store = new_store(tmp_path, "seed-004")
    child = _child(store)
    recorded = _record(store, _form(store, child, D(2026, 11, 12), "amber"), D(2026, 11, 13))
    routed = next(e for e in _events(store) if e["kind"] == "rag_routed")
    assert routed["reason"] == (
        "Plan judged amber at the review of 12 Nov 2026: the Service Manager is told, with "
        "the concern and the resolution sought.")
    data = json.loads(routed["data"])
    assert data == {"rag": "amber", "notify": ["service_manager"],
                    "concerns": [store.policy.track("iro").categories[0].id],
                    "resolution_sought": "Permanence decision made at the next panel."}
    assert (routed["occurred_on"], routed["rule"], routed["policy_id"],
            routed["policy_version"], routed["actor_role"]) == (
        "2026-11-13", "rag_amber_routed", "seed-004", store.policy.version, "system")
    assert routed["dedupe_key"] == (
        f"review:{recorded.review_id}:rag_amber_routed:rag_routed:2026-11-13:")


def test_seed_004_red_goes_to_the_head_of_service(tmp_path):
    store = new_store(tmp_path, "seed-004")
    child = _child(store)
    recorded = _record(store, _form(store, child, D(2026, 11, 12), "red"), D(2026, 11, 13))
    routed = [e for e in recorded.events if e.kind == "rag_routed"]
    assert [(e.data["notify"], e.rule) for e in routed] == [
        (["head_of_service"], "rag_red_routed")]
    assert routed[0].reason.startswith(
        "Plan judged red at the review of 12 Nov 2026: the Head of Service is told")


def test_seed_001_routing_and_a_green_plan_goes_nowhere(tmp_path):
    store = new_store(tmp_path, "seed-001")
    child = _child(store)
    amber = _record(store, _form(store, child, D(2026, 5, 12), "amber"), D(2026, 5, 12))
    red = _record(store, _form(store, child, D(2026, 8, 12), "red"), D(2026, 8, 12))
    green = _record(store, _form(store, child, D(2026, 11, 12), "green"), D(2026, 11, 12))
    assert [e.data["notify"] for e in amber.events if e.kind == "rag_routed"] == [
        ["service_manager"]]
    assert [e.data["notify"] for e in red.events if e.kind == "rag_routed"] == [
        ["head_of_service"]]
    assert [e.kind for e in green.events] == ["review_recorded"]


def test_a_child_protection_conference_on_the_cp_track(tmp_path):
    store = new_store(tmp_path, "seed-002")
    child = _child(store, cp=True)
    form = _form(store, child, D(2026, 11, 12), "red", kind="cp_conference")
    with pytest.raises(AccessRefused, match="do not have access"):  # not the child's reviewer
        _record(store, form, D(2026, 11, 13))
    recorded = _record(store, form, D(2026, 11, 13), role="cp_chair")
    assert recorded.events[0].reason.startswith(
        "Child protection conference of 12 Nov 2026 recorded: plan judged red.")
    assert [e.data["notify"] for e in recorded.events if e.kind == "rag_routed"] == [
        ["head_of_service"]]


# -- drift ----------------------------------------------------------------------------------------


def test_two_amber_or_red_reviews_in_a_row_prompt_an_alert_but_raise_none(tmp_path):
    store = new_store(tmp_path, "seed-004")
    child = _child(store)
    first = _record(store, _form(store, child, D(2026, 8, 12), "amber"), D(2026, 8, 12))
    assert "drift_prompt" not in [e.kind for e in first.events]
    second = _record(store, _form(store, child, D(2026, 11, 12), "red"), D(2026, 11, 13))
    [drift] = [e for e in second.events if e.kind == "drift_prompt"]
    assert drift.reason == (
        "Two reviews in a row judged amber or red (12 Aug 2026, 12 Nov 2026): consider raising "
        "an alert of concern.")
    assert (drift.on, drift.rule, drift.data["rags"]) == (
        D(2026, 11, 13), "two_in_a_row", ["amber", "red"])
    assert store.db["alerts"].count == 0  # it only prompts


def test_no_drift_prompt_after_a_green_or_for_another_kind(tmp_path):
    store = new_store(tmp_path, "seed-002")
    child = _child(store)
    _record(store, _form(store, child, D(2026, 5, 12), "red"), D(2026, 5, 12))
    _record(store, _form(store, child, D(2026, 8, 12), "green"), D(2026, 8, 12))
    after_green = _record(store, _form(store, child, D(2026, 11, 12), "amber"), D(2026, 11, 12))
    assert "drift_prompt" not in [e.kind for e in after_green.events]
    # a conference for the same child is another kind: it does not follow the amber review
    conference = _record(store, _form(store, child, D(2026, 11, 16), "red",
                                      kind="cp_conference"), D(2026, 11, 16),
                         role="principal_iro")  # acts for the reviewer
    assert "drift_prompt" not in [e.kind for e in conference.events]
    assert [r.rag for r in rag_history(store.db, child, "lac_review")] == [
        "red", "green", "amber"]


def test_drift_compares_with_the_review_before_by_date_not_by_entry(tmp_path):
    store = new_store(tmp_path, "seed-004")
    child = _child(store)
    _record(store, _form(store, child, D(2026, 11, 12), "green"), D(2026, 11, 12))
    # entered late: the August review comes before the green one, and after nothing
    late = _record(store, _form(store, child, D(2026, 8, 12), "red"), D(2026, 11, 13))
    assert "drift_prompt" not in [e.kind for e in late.events]
    amber = _record(store, _form(store, child, D(2026, 9, 14), "amber"), D(2026, 11, 13))
    [drift] = [e for e in amber.events if e.kind == "drift_prompt"]
    assert "(12 Aug 2026, 14 Sep 2026)" in drift.reason


# -- decisions sent late --------------------------------------------------------------------------


def test_decisions_sent_late_across_christmas(tmp_path):
    store = new_store(tmp_path, "seed-002")
    child = _child(store)
    # held Tue 22 Dec 2026: Wed 23, Thu 24, (Christmas, weekend, Boxing Day substitute on
    # Mon 28) Tue 29, Wed 30, Thu 31 Dec is the fifth working day
    on_time = _record(store, _form(store, child, D(2026, 12, 22)), D(2026, 12, 31))
    assert "decisions_sent_late" not in [e.kind for e in on_time.events]
    late = _record(store, _form(store, child, D(2026, 12, 22)), D(2027, 1, 4))
    [flag] = [e for e in late.events if e.kind == "decisions_sent_late"]
    assert flag.reason == (
        "Decisions sent on 4 Jan 2027, after the 5 working days the policy allows from the "
        "review (due 31 Dec 2026).")
    assert (flag.on, flag.rule) == (D(2027, 1, 4), "decisions_sent_late")


def test_decisions_sent_late_reason_from_the_brief(tmp_path):
    store = new_store(tmp_path, "seed-004")
    child = _child(store)
    late = _record(store, _form(store, child, D(2026, 11, 12)), D(2026, 11, 25))
    assert [e.reason for e in late.events if e.kind == "decisions_sent_late"] == [
        "Decisions sent on 25 Nov 2026, after the 5 working days the policy allows from the "
        "review (due 19 Nov 2026)."]


# -- the decisions' clock -------------------------------------------------------------------------


def test_seed_002_silence_means_agreed_over_christmas(tmp_path):
    store = new_store(tmp_path, "seed-002")
    child = _child(store)
    # held Thu 17 Dec, recorded Fri 18 Dec: Mon 21, Tue 22, Wed 23, Thu 24, (25 Dec, the
    # weekend, Boxing Day substitute Mon 28) Tue 29 Dec is the fifth working day
    recorded = _record(store, _form(store, child, D(2026, 12, 17)), D(2026, 12, 18))
    row = review_by_id(store.db, recorded.review_id)
    assert row is not None
    assert (row.reply_due, row.next_check_on) == (D(2026, 12, 29), D(2026, 12, 30))

    assert sweep_reviews(store, D(2026, 12, 29)) == []  # never on the due date itself
    before = _events(store)
    written = sweep_reviews(store, D(2027, 1, 15))  # run late: dated the day silence counted
    assert written == [{
        "review": recorded.review_id, "child": "C-1", "date": "2026-12-30",
        "event": "decisions_agreed_by_silence", "level": "", "due": "2026-12-29",
        "rule": "silence_agrees", "policy_id": "seed-002",
        "policy_version": store.policy.version,
        "reason": "No reply from the Team Manager by 29 Dec 2026: the review decisions are "
                  "taken as agreed (seed-002).",
    }]
    assert len(_events(store)) == len(before) + 1
    row = review_by_id(store.db, recorded.review_id)
    assert row is not None
    assert (row.reply_status, row.next_check_on) == ("agreed_by_silence", None)

    after = _events(store)
    assert sweep_reviews(store, D(2027, 1, 15)) == []
    assert sweep_reviews(store, D(2026, 12, 30)) == []
    assert _events(store) == after


def test_a_reply_after_silence_agreed_is_refused(tmp_path):
    store = new_store(tmp_path, "seed-002")
    child = _child(store)
    recorded = _record(store, _form(store, child, D(2026, 12, 17)), D(2026, 12, 18))
    # no sweep has run: the reply brings the clock up to its own date first
    with pytest.raises(UserError) as refused:
        reply_to_decisions(store, recorded.review_id, agree=False, note="Cannot fund it.",
                           **_by(store, "team_manager", D(2026, 12, 30)))
    assert str(refused.value) == (
        "The decisions of the review of 17 Dec 2026 were taken as agreed on 30 Dec 2026, as no "
        "reply came by 29 Dec 2026 (seed-002). To disagree now, speak to the reviewer, who may "
        "raise an alert of concern.")
    # the refusal wrote nothing; the sweep still finds the silence to record
    assert [r["event"] for r in sweep_reviews(store, D(2026, 12, 30))] == [
        "decisions_agreed_by_silence"]


def test_seed_001_silence_prompts_and_a_late_reply_is_still_recorded(tmp_path):
    store = new_store(tmp_path, "seed-001")
    assert store.policy.review_decisions.on_silence == "prompt"
    child = _child(store)
    # recorded Tue 10 Nov 2026: reply due Tue 17 Nov; silence counts on Wed 18 Nov
    recorded = _record(store, _form(store, child, D(2026, 11, 9), "amber"), D(2026, 11, 10))
    assert sweep_reviews(store, D(2026, 11, 17)) == []
    [overdue] = sweep_reviews(store, D(2026, 11, 18))
    assert (overdue["event"], overdue["date"], overdue["rule"]) == (
        "decisions_reply_overdue", "2026-11-18", "silence_prompts")
    assert overdue["reason"] == (
        "No reply from the Team Manager by 17 Nov 2026 to the decisions of the review of "
        "9 Nov 2026: the IRO is prompted to chase (seed-001).")
    row = review_by_id(store.db, recorded.review_id)
    assert row is not None
    assert (row.reply_status, row.next_check_on) == ("overdue", None)
    assert sweep_reviews(store, D(2026, 12, 1)) == []

    reply = reply_to_decisions(store, recorded.review_id, agree=True, note="",
                               **_by(store, "team_manager", D(2026, 11, 20)))
    assert [e.kind for e in reply.events] == ["decisions_agreed"]
    assert reply.events[0].reason == (
        "The Team Manager agreed the decisions of the review of 9 Nov 2026. The reply was due "
        "by 17 Nov 2026.")
    row = review_by_id(store.db, recorded.review_id)
    assert row is not None
    assert row.reply_status == "agreed"


def test_a_reply_on_time_settles_the_decisions_and_stops_the_clock(tmp_path):
    store = new_store(tmp_path, "seed-002")
    child = _child(store)
    recorded = _record(store, _form(store, child, D(2026, 12, 17)), D(2026, 12, 18))
    reply = reply_to_decisions(store, recorded.review_id, agree=True, note="Agreed.",
                               **_by(store, "team_manager", D(2026, 12, 29)))
    assert reply.events[0].reason == (
        "The Team Manager agreed the decisions of the review of 17 Dec 2026: Agreed.")
    row = review_by_id(store.db, recorded.review_id)
    assert row is not None
    assert (row.reply_status, row.next_check_on) == ("agreed", None)
    assert sweep_reviews(store, D(2027, 2, 1)) == []
    with pytest.raises(UserError, match="have already been agreed"):
        reply_to_decisions(store, recorded.review_id, agree=False, note="Changed my mind.",
                           **_by(store, "team_manager", D(2026, 12, 29)))


def test_concurrent_review_sweeps_write_each_silence_once(tmp_path):
    store = new_store(tmp_path, "seed-002")
    for n in range(12):
        child = _child(store, f"C-{n}")
        _record(store, _form(store, child, D(2026, 12, 17)), D(2026, 12, 18))
    results: list[list[dict]] = []
    run_in_threads(4, lambda: results.append(
        sweep_reviews(open_store(store.path), D(2027, 1, 4), batch_size=5)))
    assert sum(len(r) for r in results) == 12
    assert next(store.db.query(
        "SELECT count(*) AS n FROM events WHERE kind = 'decisions_agreed_by_silence'"))["n"] == 12


# -- who may reply --------------------------------------------------------------------------------


def test_reply_rules_wrong_role_and_a_dispute_needs_a_note(tmp_path):
    store = new_store(tmp_path, "seed-004")
    child = _child(store)
    recorded = _record(store, _form(store, child, D(2026, 11, 12), "amber"), D(2026, 11, 13))
    before = _events(store)
    with pytest.raises(AccessRefused, match="Only the managers above this child's social"):
        reply_to_decisions(store, recorded.review_id, agree=True, note="",
                           **_by(store, "iro", D(2026, 11, 16)))
    for role in ("social_worker", "head_of_service"):  # in the child's line, but not the role
        with pytest.raises(UserError, match="can reply to the decisions of a review"):
            reply_to_decisions(store, recorded.review_id, agree=True, note="",
                               **_by(store, role, D(2026, 11, 16)))
    with pytest.raises(UserError, match="Say which decisions cannot be agreed and why"):
        reply_to_decisions(store, recorded.review_id, agree=False, note="  ",
                           **_by(store, "team_manager", D(2026, 11, 16)))
    with pytest.raises(UserError, match="before the decisions were sent on 13 Nov 2026"):
        reply_to_decisions(store, recorded.review_id, agree=True, note="",
                           **_by(store, "team_manager", D(2026, 11, 12)))
    assert _events(store) == before

    reply = reply_to_decisions(store, recorded.review_id, agree=False,
                               note="No placement is available before spring.",
                               **_by(store, "service_manager", D(2026, 11, 16)))
    assert reply.events[0].kind == "decisions_disputed"
    assert reply.events[0].reason == (
        "The Service Manager disputed the decisions of the review of 12 Nov 2026: No placement "
        "is available before spring.")
    row = review_by_id(store.db, recorded.review_id)
    assert row is not None
    assert (row.reply_status, row.next_check_on) == ("disputed", None)


def test_a_manager_of_another_team_cannot_reply(tmp_path):
    store = new_store(tmp_path, "seed-002")
    with write_transaction(store.db):
        north = insert_team(store.db, "Children in Care North")
        south = insert_team(store.db, "Children in Care South")
        tm_north = insert_staff(store.db, name="Pat Ambervale", email="pat@test.invalid",
                                role="team_manager", team_id=north)
        tm_south = insert_staff(store.db, name="Lee Brackenridge", email="lee@test.invalid",
                                role="team_manager", team_id=south)
        worker = insert_staff(store.db, name="Kim Worker", email="kim@test.invalid",
                              role="social_worker", team_id=north, line_manager_id=tm_north)
    child = _child(store, team_id=north, social_worker_id=worker)
    recorded = _record(store, _form(store, child, D(2026, 11, 12)), D(2026, 11, 13))
    on = D(2026, 11, 16)
    with pytest.raises(AccessRefused, match="do not have access to this review"):
        reply_to_decisions(store, recorded.review_id, agree=True, note="",
                           user=person(store, staff_id=tm_south), on=on, now=_now(on))
    reply = reply_to_decisions(store, recorded.review_id, agree=True, note="",
                               user=person(store, staff_id=tm_north), on=on, now=_now(on))
    assert reply.events[0].actor_id == tm_north


def test_reply_to_a_review_that_does_not_exist(tmp_path):
    store = new_store(tmp_path, "seed-002")
    with pytest.raises(UserError, match=r"There is no review 42\."):
        reply_to_decisions(store, 42, agree=True, note="", user=_as(store, "team_manager"),
                           on=D(2026, 11, 16), now=_now(D(2026, 11, 16)))


def test_a_review_keeps_the_version_it_was_recorded_under(tmp_path):
    """seed-001 prompts on silence; a version adopted later that takes silence as agreement
    applies to reviews recorded from its date, not to one already waiting for a reply."""
    from usecases.policy_versions import apply_policy_version, policy_text

    store = new_store(tmp_path, "seed-001")
    child = _child(store)
    recorded = _record(store, _form(store, child, D(2026, 11, 9), "amber"), D(2026, 11, 10))
    text = policy_text(store)
    old = "review_decisions: {send_within_days: 5, reply_within_days: 5, on_silence: prompt}"
    assert text.count(old) == 1
    apply_policy_version(store, text.replace(old, old.replace("prompt", "agreed")),
                         file_name="seed-001.yaml", effective_from=D(2026, 11, 11),
                         reason="Silence is agreement", as_of=D(2026, 11, 11))
    [overdue] = sweep_reviews(open_store(store.path), D(2026, 11, 18))
    assert (overdue["review"], overdue["event"]) == (recorded.review_id,
                                                     "decisions_reply_overdue")
    assert overdue["policy_version"] == 1


def test_the_review_sweep_says_each_batch_as_it_commits(tmp_path):
    store = new_store(tmp_path, "seed-001")
    child = _child(store)
    for day in (D(2026, 11, 2), D(2026, 11, 3), D(2026, 11, 4)):
        _record(store, _form(store, child, day, "amber"), day)
    seen: list[list[dict]] = []

    def committed(batch: list[dict]) -> None:
        # each batch is in the log already when it is said
        for record in batch:
            assert store.db.execute("SELECT count(*) FROM events WHERE review_id = ? AND "
                                    "kind = ?", [record["review"], record["event"]]
                                    ).fetchone()[0] == 1
        seen.append(batch)

    written = sweep_reviews(store, D(2026, 11, 30), batch_size=1, on_committed=committed)
    assert len(seen) == 3 and [r for batch in seen for r in batch] == written
