"""Significant changes (seed 003, Appendix B): the ``change_notified`` rules with dates
counted by hand, and the use cases that tell the IRO, book reviews and record decisions."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from db import schema
from db.connection import write_transaction
from db.people import insert_staff
from rules.change_rules import (
    AWAITING_DECISION,
    CHANGE_STATUSES,
    NO_REVIEW,
    REVIEW_BOOKED,
    REVIEW_NEEDED,
    REVIEW_REQUIRED,
    NotifiedChange,
    decide_notified,
    notice_due,
    review_first_types,
)
from rules.policy import SignificantChanges, load_preset
from rules.working_days import calendar_for
from tests.page_support import demo_store
from usecases.access import AccessRefused
from usecases.accounts import SignedInUser
from usecases.changes import (
    NO_REVIEW_REASONS_NEEDED,
    ChangeInvalid,
    book_review_for_change,
    changes_of_child,
    changes_waiting_for,
    decide_change,
    notify_change,
)
from usecases.children import child_record
from usecases.errors import UserError
from usecases.store import Store

D = dt.date
POLICY = load_preset("seed-003")
CALENDAR = calendar_for(POLICY.closure_days)
ON = D(2026, 11, 23)  # the demo's today: a Monday in term time
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


# -- the rules, dates counted by hand ---------------------------------------------------------


@pytest.mark.parametrize(("happened", "due"), [
    (D(2026, 11, 23), D(2026, 11, 24)),  # Monday -> Tuesday
    (D(2026, 11, 27), D(2026, 11, 30)),  # Friday -> Monday
    (D(2026, 11, 28), D(2026, 11, 30)),  # Saturday: the day itself never counts
    (D(2026, 12, 23), D(2026, 12, 24)),  # Wed -> Thu, before Christmas
    (D(2026, 12, 24), D(2026, 12, 29)),  # Thu -> Tue: Fri 25 Christmas, Mon 28 Boxing Day (sub)
    (D(2027, 3, 25), D(2027, 3, 30)),  # Thu -> Tue: Good Friday 26 and Easter Monday 29 Mar
    (D(2027, 3, 26), D(2027, 3, 30)),  # Good Friday itself -> Tue 30 Mar
])
def test_the_iro_must_be_told_within_one_working_day(happened, due):
    assert POLICY.significant_changes.notify_within_days == 1
    assert notice_due(POLICY, CALENDAR, happened) == due


def _decide(happened: dt.date, told: dt.date, type_id: str = "court_order", track: str = "iro",
            policy=POLICY):
    return decide_notified(policy, CALENDAR, NotifiedChange(
        change_type=type_id, happened_on=happened, told_on=told, track=track))


@pytest.mark.parametrize(("happened", "told", "late"), [
    (D(2026, 12, 23), D(2026, 12, 23), False),  # the same day
    (D(2026, 12, 23), D(2026, 12, 24), False),  # on the due date: never late
    (D(2026, 12, 23), D(2026, 12, 28), True),  # a bank holiday, but after Thu 24 Dec
    (D(2026, 12, 23), D(2026, 12, 29), True),
    (D(2026, 12, 24), D(2026, 12, 29), False),  # Christmas and the Boxing Day substitute
    (D(2026, 12, 24), D(2026, 12, 30), True),
    (D(2027, 3, 25), D(2027, 3, 29), False),  # told on Easter Monday
    (D(2027, 3, 25), D(2027, 3, 30), False),  # due Tue 30 Mar
    (D(2027, 3, 25), D(2027, 3, 31), True),
    (D(2027, 3, 26), D(2027, 3, 30), False),
    (D(2027, 3, 26), D(2027, 3, 31), True),
])
def test_late_notice_counts_working_days_across_bank_holidays(happened, told, late):
    decision = _decide(happened, told)
    assert decision.late is late
    assert [e.kind for e in decision.events] == (["change_notified_late"] if late else [])
    assert decision.status == AWAITING_DECISION


def test_a_late_notice_says_why_in_plain_english():
    (event,) = _decide(D(2026, 12, 23), D(2026, 12, 29)).events
    assert event.reason.startswith("Told on 29 Dec 2026 of a change on 23 Dec 2026: later than "
                                   "the 1 working day the policy asks.")
    assert "due by 24 Dec 2026" in event.reason
    assert event.rule == "change_notified_late"
    assert event.on == D(2026, 12, 29)
    assert event.actor_role == "system"
    assert event.data["notice_due"] == "2026-12-24"
    assert event.data["late_by"] == 1  # Tue 29 Dec is the first working day after the 24th


def test_a_same_day_policy_is_due_on_the_next_working_day_when_it_happened_on_a_holiday():
    same_day = dataclasses.replace(POLICY, significant_changes=SignificantChanges(
        notify_within_days=0, types=POLICY.significant_changes.types))
    assert notice_due(same_day, CALENDAR, D(2027, 3, 26)) == D(2027, 3, 30)
    assert not _decide(D(2027, 3, 26), D(2027, 3, 30), policy=same_day).late
    (late,) = _decide(D(2026, 12, 23), D(2026, 12, 24), policy=same_day).events
    assert "later than the same working day the policy asks" in late.reason


def test_seed_003_lists_six_changes_that_need_a_review_first():
    assert [t.id for t in review_first_types(POLICY)] == [
        "leaving_care_before_18", "move_to_unregulated_placement", "leaving_secure_or_custody",
        "unplanned_move_disrupting_education", "move_from_settled_placement",
        "childrens_home_absence_or_risk"]


@pytest.mark.parametrize("change", review_first_types(POLICY), ids=lambda t: t.id)
def test_each_review_first_change_requires_a_review(change):
    decision = _decide(ON, ON, change.id)
    assert decision.status == REVIEW_REQUIRED
    (event,) = decision.events
    assert event.kind == "review_required_before_change"
    assert event.rule == "review_before_change"
    assert event.reason == (f"A review must be held before this change happens: {change.label}."
                            " The IRO must book a review date (seed-003).")


def test_a_late_review_first_change_makes_both_events_late_first():
    decision = _decide(D(2026, 12, 23), D(2026, 12, 29), "leaving_care_before_18", track="cp")
    assert [e.kind for e in decision.events] == ["change_notified_late",
                                                 "review_required_before_change"]
    assert decision.late and decision.status == REVIEW_REQUIRED
    assert "The CP chair must book a review date" in decision.events[1].reason


@pytest.mark.parametrize("change", [t for t in POLICY.significant_changes.types
                                    if not t.review_before], ids=lambda t: t.id)
def test_other_changes_wait_for_the_reviewers_decision(change):
    decision = _decide(ON, ON, change.id)
    assert decision.status == AWAITING_DECISION
    assert decision.events == []


def test_the_rules_know_the_same_statuses_as_the_schema():
    assert set(CHANGE_STATUSES) == set(schema.CHANGE_STATUSES)


# -- the use cases ------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return demo_store(tmp_path, "seed-003")


def _child(store: Store, legal_status: str = "looked_after") -> dict:
    return next(store.db.query(
        "SELECT c.id, c.case_ref, c.team_id, c.social_worker_id, c.reviewer_id FROM children c "
        "JOIN staff s ON s.id = c.reviewer_id "
        "WHERE c.legal_status = ? AND c.social_worker_id IS NOT NULL ORDER BY c.case_ref LIMIT 1",
        [legal_status]))


def _staff(store: Store, staff_id: int) -> dict:
    return next(store.db.query("SELECT id, role, team_id, name, email FROM staff WHERE id = ?",
                               [staff_id]))


def _someone(store: Store, role: str, *, not_id: int | None = None) -> dict:
    return next(store.db.query(
        "SELECT id, role, team_id, name, email FROM staff WHERE role = ? AND id != ? "
        "ORDER BY id LIMIT 1", [role, not_id or 0]))


def _support_of(store: Store, child: dict) -> dict:
    """Business support for the child's team (the demo's sits in the reviewing service)."""
    with write_transaction(store.db):
        staff_id = insert_staff(store.db, name="Pat Testfield", role="business_support",
                                email=f"pat.testfield.{child['team_id']}@example.invalid",
                                team_id=child["team_id"])
    return _staff(store, staff_id)


def _user(person: dict) -> SignedInUser:
    return SignedInUser(staff_id=person["id"], name=person["name"], email=person["email"],
                        role=person["role"], team_id=person["team_id"], team_name=None)


def _tell(store: Store, child: dict, type_id: str = "court_order", *,
          happened: dt.date = ON, on: dt.date = ON, by: dict | None = None,
          description: str = "Interim care order made at the hearing."):
    worker = by or _staff(store, child["social_worker_id"])
    return notify_change(store, child_ref=child["case_ref"], change_type=type_id,
                         happened_on=happened, description=description, user=_user(worker),
                         on=on, now=NOW)


def _counts(store: Store) -> tuple[int, ...]:
    return tuple(store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                 for table in ("significant_changes", "events", "notifications", "outbox"))


def _told(store: Store, event_id: int) -> list[int]:
    return [r["staff_id"] for r in store.db.query(
        "SELECT staff_id FROM notifications WHERE event_id = ? ORDER BY staff_id", [event_id])]


def test_telling_the_iro_saves_the_change_its_event_and_a_message(store):
    child = _child(store)
    outcome = _tell(store, child, happened=ON - dt.timedelta(days=3))  # Friday 20 Nov
    assert outcome.status == AWAITING_DECISION and not outcome.late
    row = next(store.db.query("SELECT * FROM significant_changes WHERE id = ?",
                              [outcome.change_id]))
    assert row["status"] == AWAITING_DECISION and row["late"] == 0 and row["review_before"] == 0
    assert row["happened_on"] == "2026-11-20" and row["notified_on"] == "2026-11-23"
    assert row["notified_by"] == child["social_worker_id"]

    (event_id,) = outcome.event_ids
    event = next(store.db.query("SELECT * FROM events WHERE id = ?", [event_id]))
    assert event["kind"] == "significant_change_notified"
    assert event["child_id"] == child["id"] and event["policy_id"] == "seed-003"
    assert f'"change_id": {outcome.change_id}' in event["data"]
    assert '"late": false' in event["data"] and '"review_before": false' in event["data"]
    assert "Interim care order made at the hearing." in event["reason"]

    assert _told(store, event_id) == [child["reviewer_id"]]
    mail = next(store.db.query("SELECT * FROM outbox WHERE event_id = ?", [event_id]))
    reviewer = _staff(store, child["reviewer_id"])
    assert mail["to_addrs"] == reviewer["email"]
    assert mail["link"].endswith("/changes")
    assert "decide whether a review is needed" in mail["subject"]
    assert "Interim care order" not in mail["body"]  # the free text stays in the app
    assert reviewer["name"] in outcome.message


def test_a_late_notice_is_flagged_on_the_row_and_in_the_message(store):
    child = _child(store)
    outcome = _tell(store, child, happened=D(2026, 12, 23), on=D(2026, 12, 29))
    assert outcome.late
    assert [e.kind for e in outcome.events] == ["significant_change_notified",
                                                "change_notified_late"]
    row = next(store.db.query("SELECT late FROM significant_changes WHERE id = ?",
                              [outcome.change_id]))
    assert row["late"] == 1
    late = next(store.db.query("SELECT * FROM events WHERE id = ?", [outcome.event_ids[1]]))
    assert late["rule"] == "change_notified_late" and late["policy_version"] == 1
    assert late["dedupe_key"] == f"change:{outcome.change_id}:change_notified_late:" \
                                 "change_notified_late"
    body = next(store.db.query("SELECT body FROM outbox WHERE event_id = ?",
                               [outcome.event_ids[0]]))["body"]
    assert "later than the 1 working day the policy asks" in body


def test_every_review_first_change_opens_a_red_item_at_the_top_of_the_iros_list(store):
    child = _child(store)
    ordinary = _tell(store, child, "court_order", happened=ON - dt.timedelta(days=7),
                     on=ON - dt.timedelta(days=7))
    opened = [_tell(store, child, t.id) for t in review_first_types(store.policy)]
    assert [o.status for o in opened] == [REVIEW_REQUIRED] * 6
    for outcome in opened:
        assert [e.kind for e in outcome.events] == ["significant_change_notified",
                                                    "review_required_before_change"]
    reviewer = _user(_staff(store, child["reviewer_id"]))
    waiting = changes_waiting_for(store, reviewer)
    assert [r.id for r in waiting] == [o.change_id for o in opened] + [ordinary.change_id]
    assert waiting[0].review_before and waiting[0].status == REVIEW_REQUIRED
    subject = next(store.db.query("SELECT subject FROM outbox WHERE event_id = ?",
                                  [opened[0].event_ids[0]]))["subject"]
    assert subject.startswith("Review required before a change")


def test_every_field_is_checked_at_once_and_nothing_is_saved(store):
    child = _child(store)
    before = _counts(store)
    with pytest.raises(ChangeInvalid) as refused:
        _tell(store, child, "moon_landing", happened=ON + dt.timedelta(days=1), description=" ")
    errors = refused.value.errors
    assert set(errors) == {"change_type", "happened_on", "description"}
    assert "'moon_landing' is not a significant change under seed-003" in errors["change_type"]
    assert "cannot have happened in the future; today is 23 Nov 2026" in errors["happened_on"]
    assert errors["description"].startswith("Describe the change")
    assert _counts(store) == before


def test_a_missing_date_type_or_unknown_child_is_named(store):
    worker = _someone(store, "business_support")
    with pytest.raises(ChangeInvalid) as refused:
        notify_change(store, child_ref="DEMO-9999", change_type="", happened_on=None,
                      description="Something", user=_user(worker),
                      on=ON, now=NOW)
    assert refused.value.errors == {
        "child": "There is no child with case reference DEMO-9999.",
        "change_type": "Choose the kind of change from the list.",
        "happened_on": "Enter the date the change happened (or was proposed).",
    }


def test_only_the_social_work_team_or_business_support_tells_the_iro(store):
    child = _child(store)
    before = _counts(store)
    with pytest.raises(AccessRefused, match="Only this child's social worker, the managers"):
        _tell(store, child, by=_staff(store, child["reviewer_id"]))
    other_team = next(store.db.query(
        "SELECT id, role, team_id, name, email FROM staff WHERE role = 'social_worker' "
        "AND team_id != ? ORDER BY id LIMIT 1", [child["team_id"]]))
    with pytest.raises(AccessRefused, match="do not have access to this child's record"):
        _tell(store, child, by=other_team)
    with pytest.raises(AccessRefused):  # the reviewing service's business support
        _tell(store, child, by=_someone(store, "business_support"))
    assert _counts(store) == before
    support = _tell(store, child, by=_support_of(store, child))  # the child's team's
    assert support.status == AWAITING_DECISION


def test_the_iro_books_the_review_a_change_needs_first_and_the_social_worker_is_told(store):
    child = _child(store)
    outcome = _tell(store, child, "move_from_settled_placement")
    reviewer = _staff(store, child["reviewer_id"])
    with pytest.raises(ChangeInvalid) as past:
        book_review_for_change(store, outcome.change_id, review_date=ON - dt.timedelta(days=1),
                               user=_user(reviewer), on=ON, now=NOW)
    assert past.value.errors == {
        "review_date": "The review date cannot be in the past; today is 23 Nov 2026."}

    booked = book_review_for_change(store, outcome.change_id, review_date=D(2026, 12, 2),
                                    user=_user(reviewer), on=ON, now=NOW)
    assert booked.status == REVIEW_BOOKED
    row = next(store.db.query("SELECT * FROM significant_changes WHERE id = ?",
                              [outcome.change_id]))
    assert row["status"] == REVIEW_BOOKED and row["review_date"] == "2026-12-02"
    assert row["decided_by"] == reviewer["id"]
    (event_id,) = booked.event_ids
    event = next(store.db.query("SELECT * FROM events WHERE id = ?", [event_id]))
    assert event["kind"] == "review_booked_for_change" and event["child_id"] == child["id"]
    assert event["reason"].startswith("Review booked for 2 Dec 2026 before the change happens")
    assert _told(store, event_id) == [child["social_worker_id"]]
    assert store.db.execute("SELECT count(*) FROM outbox WHERE event_id = ?",
                            [event_id]).fetchone()[0] == 1
    assert changes_waiting_for(store, _user(reviewer)) == []
    with pytest.raises(UserError, match="No review is waiting to be booked"):
        book_review_for_change(store, outcome.change_id, review_date=D(2026, 12, 3),
                               user=_user(reviewer), on=ON, now=NOW)


def test_a_review_can_be_booked_for_today(store):
    child = _child(store)
    outcome = _tell(store, child, "leaving_care_before_18")
    reviewer = _staff(store, child["reviewer_id"])
    booked = book_review_for_change(store, outcome.change_id, review_date=ON,
                                    user=_user(reviewer), on=ON, now=NOW)
    assert booked.status == REVIEW_BOOKED


def test_only_the_childs_reviewer_or_the_principal_iro_books_or_decides(store):
    child = _child(store)
    required = _tell(store, child, "leaving_secure_or_custody")
    waiting = _tell(store, child, "missing_episode")
    worker = _staff(store, child["social_worker_id"])
    manager = _someone(store, "team_manager")
    other_iro = _someone(store, "iro", not_id=child["reviewer_id"])
    before = _counts(store)
    for person in (worker, manager):
        with pytest.raises(AccessRefused, match="Only this child's IRO or CP chair"):
            book_review_for_change(store, required.change_id, review_date=ON,
                                   user=_user(person), on=ON, now=NOW)
        with pytest.raises(AccessRefused, match="Only this child's IRO or CP chair"):
            decide_change(store, waiting.change_id, review_needed=False, reasons="Fine.",
                          user=_user(person), on=ON, now=NOW)
    with pytest.raises(AccessRefused, match="do not have access to this child's record"):
        decide_change(store, waiting.change_id, review_needed=True, reasons="",
                      user=_user(other_iro), on=ON, now=NOW)
    assert _counts(store) == before
    principal = _someone(store, "principal_iro")
    assert {r.id for r in changes_waiting_for(store, _user(principal))} >= {
        required.change_id, waiting.change_id}
    assert all(r.reviewer_id == other_iro["id"]
               for r in changes_waiting_for(store, _user(other_iro)))
    assert changes_waiting_for(store, _user(worker)) == []
    done = decide_change(store, waiting.change_id, review_needed=True, reasons="",
                         user=_user(principal), on=ON, now=NOW)
    assert done.status == REVIEW_NEEDED


def test_no_review_needs_reasons_which_go_on_the_childs_chronology(store):
    child = _child(store)
    outcome = _tell(store, child, "school_exclusion", description="Excluded for two days.")
    reviewer = _staff(store, child["reviewer_id"])
    before = _counts(store)
    with pytest.raises(ChangeInvalid) as refused:
        decide_change(store, outcome.change_id, review_needed=False, reasons="  ",
                      user=_user(reviewer), on=ON, now=NOW)
    assert refused.value.errors == {"reasons": NO_REVIEW_REASONS_NEEDED}
    assert NO_REVIEW_REASONS_NEEDED == ("Record why no review is needed: it goes on the "
                                        "child's file.")
    assert _counts(store) == before

    reasons = "The placement is stable and the school has a return plan; the plan still fits."
    done = decide_change(store, outcome.change_id, review_needed=False, reasons=reasons,
                         user=_user(reviewer), on=ON, now=NOW)
    assert done.status == NO_REVIEW
    row = next(store.db.query("SELECT * FROM significant_changes WHERE id = ?",
                              [outcome.change_id]))
    assert row["status"] == NO_REVIEW and row["decision_reasons"] == reasons
    assert row["decided_by"] == reviewer["id"] and row["decided_on"] == "2026-11-23"
    (event_id,) = done.event_ids
    event = next(store.db.query("SELECT * FROM events WHERE id = ?", [event_id]))
    assert event["kind"] == "change_no_review" and reasons in event["reason"]
    chronology = child_record(store, _user(reviewer), child["case_ref"], NOW).chronology
    assert any(reasons in entry["details"] for entry in chronology)
    assert _told(store, event_id) == [child["social_worker_id"]]
    mail = next(store.db.query("SELECT * FROM outbox WHERE event_id = ?", [event_id]))
    assert mail["to_addrs"] == _staff(store, child["social_worker_id"])["email"]
    assert mail["subject"] == f"No review needed after a change: {child['case_ref']}"
    assert "advise the child" in mail["body"]
    with pytest.raises(UserError, match="is not waiting for a decision"):
        decide_change(store, outcome.change_id, review_needed=True, reasons="",
                      user=_user(reviewer), on=ON, now=NOW)


def test_a_review_needed_decision_then_waits_for_a_date(store):
    child = _child(store)
    support = _support_of(store, child)
    outcome = _tell(store, child, "serious_accident", by=support)
    reviewer = _staff(store, child["reviewer_id"])
    done = decide_change(store, outcome.change_id, review_needed=True, reasons="",
                         user=_user(reviewer), on=ON, now=NOW)
    assert done.status == REVIEW_NEEDED
    # both who told (business support) and the child's social worker hear of it
    assert _told(store, done.event_ids[0]) == sorted([support["id"],
                                                      child["social_worker_id"]])
    (waiting,) = [r for r in changes_waiting_for(store, _user(reviewer))
                  if r.id == outcome.change_id]
    assert waiting.status == REVIEW_NEEDED
    with pytest.raises(UserError, match="not waiting for a decision"):
        decide_change(store, outcome.change_id, review_needed=False, reasons="Changed my mind",
                      user=_user(reviewer), on=ON, now=NOW)
    booked = book_review_for_change(store, outcome.change_id, review_date=D(2026, 11, 30),
                                    user=_user(reviewer), on=ON, now=NOW)
    assert booked.status == REVIEW_BOOKED
    assert "before the change" not in booked.events[0].reason
    kinds = [r.status for r in changes_of_child(store, _user(reviewer), child["case_ref"], NOW)]
    assert kinds == [REVIEW_BOOKED]


def test_a_change_waiting_for_a_decision_cannot_be_booked_before_it_is_decided(store):
    child = _child(store)
    outcome = _tell(store, child, "complaint")
    reviewer = _staff(store, child["reviewer_id"])
    with pytest.raises(UserError, match="No review is waiting to be booked"):
        book_review_for_change(store, outcome.change_id, review_date=D(2026, 12, 1),
                               user=_user(reviewer), on=ON, now=NOW)


def test_a_cp_chair_is_told_of_a_change_for_a_child_on_a_plan(store):
    child = _child(store, "child_protection")
    outcome = _tell(store, child, "childrens_home_absence_or_risk")
    assert outcome.status == REVIEW_REQUIRED
    assert "The CP chair must book a review date" in outcome.events[1].reason
    assert _staff(store, child["reviewer_id"])["role"] == "cp_chair"
    assert _told(store, outcome.event_ids[0]) == [child["reviewer_id"]]


def test_with_no_reviewer_allocated_the_principal_iro_is_told(store):
    child = _child(store)
    store.db.execute("UPDATE children SET reviewer_id = NULL WHERE id = ?", [child["id"]])
    outcome = _tell(store, child, "arrest_bail_conviction")
    principal = _someone(store, "principal_iro")
    assert _told(store, outcome.event_ids[0]) == [principal["id"]]
    assert principal["name"] in outcome.message
