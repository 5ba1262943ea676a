"""Concerns about an IRO's or CP chair's own practice (seed 002, 1.6).

Expected dates are counted by hand from the calendar, not computed by the code under test.
Every child and member of staff is synthetic.
"""

from __future__ import annotations

import datetime as dt

import pytest

from db.connection import write_transaction
from db.events import events_for_child, events_where
from db.people import insert_child, insert_staff, insert_team
from tests.support import D, new_store
from usecases.accounts import SignedInUser
from usecases.errors import UserError
from usecases.practice_concerns import (
    ConcernInvalid,
    ConcernRecorded,
    answer_concern,
    concerns_visible_to,
    people_to_refer_about,
    refer_concern,
    sweep_concerns,
)
from usecases.store import Store

ROLES = ("deputy_head_of_service", "qa_head_of_service", "divisional_director", "iro",
         "cp_chair", "social_worker", "team_manager", "head_of_service")

#: 15 working days from Monday 14 Dec 2026, counted by hand (Christmas Day Fri 25 Dec, the
#: Boxing Day substitute Mon 28 Dec and New Year's Day Fri 1 Jan are bank holidays):
#: Tue 15 (1), Wed 16 (2), Thu 17 (3), Fri 18 (4), Mon 21 (5), Tue 22 (6), Wed 23 (7),
#: Thu 24 (8), Tue 29 (9), Wed 30 (10), Thu 31 (11), Mon 4 Jan (12), Tue 5 (13), Wed 6 (14),
#: Thu 7 Jan 2027 (15). Not Wed 6 Jan: the three bank holidays push it a day past a naive
#: count that forgets one of them.
REFERRED = D(2026, 12, 14)
DUE = D(2027, 1, 7)
#: The first working day after the due date, when an unanswered concern escalates.
ESCALATES = D(2027, 1, 8)


def _staff(store: Store) -> dict[str, SignedInUser]:
    with write_transaction(store.db):
        team = insert_team(store.db, "Test Team")
        people = {}
        for n, role in enumerate(ROLES):
            staff_id = insert_staff(store.db, name=f"Test {role.title()}",
                                    email=f"{role}{n}@example.invalid", role=role,
                                    team_id=team)
            people[role] = SignedInUser(staff_id=staff_id, name=f"Test {role.title()}",
                                        email=f"{role}{n}@example.invalid", role=role,
                                        team_id=team, team_name="Test Team")
        insert_child(store.db, case_ref="C-1", name="Test Child", date_of_birth=None,
                     legal_status="looked_after", team_id=team,
                     social_worker_id=people["social_worker"].staff_id,
                     reviewer_id=people["iro"].staff_id)
    return people


def _refer(store: Store, people: dict[str, SignedInUser], on=REFERRED, *, about="iro",
           by="social_worker", child_ref: str | None = "C-1",
           concern="The review was held without the child's mother being invited."
           ) -> ConcernRecorded:
    actor = people[by]
    return refer_concern(store, about_staff_id=people[about].staff_id, child_ref=child_ref,
                         concern=concern, user=actor, on=on, now=_moment(on))


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)


def _concern(store: Store, concern_id: int) -> dict:
    return next(store.db.query("SELECT * FROM practice_concerns WHERE id = ?", [concern_id]))


def _told(store: Store, person: SignedInUser) -> list[dict]:
    return list(store.db.query("SELECT * FROM notifications WHERE staff_id = ? ORDER BY id",
                               [person.staff_id]))


def _concern_events(store: Store) -> list:
    return events_where(store.db, "kind LIKE 'practice_concern_%'")


# -- referring ---------------------------------------------------------------------------------


def test_the_answer_is_due_fifteen_working_days_on_across_christmas(tmp_path):
    store = new_store(tmp_path, "seed-002")
    people = _staff(store)
    done = _refer(store, people)
    row = _concern(store, done.concern_id)
    assert (row["status"], row["due"], row["raised_on"]) == ("open", "2027-01-07", "2026-12-14")
    assert row["next_check_on"] == ESCALATES.isoformat()
    assert row["about_id"] == people["iro"].staff_id
    assert row["raised_by"] == people["social_worker"].staff_id
    [event] = done.events
    assert event.reason == (
        "Concern about the practice of Test Iro (Independent Reviewing Officer) referred to "
        "the Deputy Head of Service; an answer is due by 7 Jan 2027 (15 working days, "
        "seed-002).")


def test_the_deputy_head_of_service_is_told_and_no_child_chronology_shows_it(tmp_path):
    store = new_store(tmp_path, "seed-002")
    people = _staff(store)
    done = _refer(store, people)
    [told] = _told(store, people["deputy_head_of_service"])
    assert told["event_id"] == done.event_ids[0] and told["copy"] == 0
    assert "7 Jan 2027" in told["subject"]
    assert "mother" not in told["body"]  # the concern itself is read in the app, not by mail
    for role in ("iro", "social_worker", "qa_head_of_service", "team_manager"):
        assert _told(store, people[role]) == []
    [event] = _concern_events(store)
    assert event.child_id is None and event.alert_id is None and event.review_id is None
    assert event.data["concern_id"] == done.concern_id
    assert events_for_child(store.db, 1) == []
    assert _concern(store, done.concern_id)["child_id"] == 1  # the concern still names it


def test_every_problem_at_once_and_nothing_saved(tmp_path):
    store = new_store(tmp_path, "seed-002")
    people = _staff(store)
    with pytest.raises(ConcernInvalid) as refused:
        _refer(store, people, about="social_worker", by="team_manager", child_ref="C-404",
               concern="   ")
    assert refused.value.errors == {
        "about": "Test Social_Worker is a Social Worker: this procedure is for concerns about "
                 "an IRO's or CP chair's practice. Choose an IRO or CP chair.",
        "child": "There is no child with case reference C-404; choose one from the list, "
                 "or none.",
        "concern": "Describe the concern: what happened, at which review or conference, and "
                   "when.",
    }
    with pytest.raises(ConcernInvalid) as refused:
        _refer(store, people, about="cp_chair", by="cp_chair", child_ref=None)
    assert set(refused.value.errors) == {"about"}
    with pytest.raises(ConcernInvalid, match="Choose the IRO or CP chair"):
        refer_concern(store, about_staff_id=None, concern="Late minutes.",
                      user=people["social_worker"], on=REFERRED, now=_moment(REFERRED))
    assert store.db["practice_concerns"].count == 0
    assert _concern_events(store) == []
    assert store.db["notifications"].count == 0


def test_without_a_child_and_about_a_cp_chair(tmp_path):
    store = new_store(tmp_path, "seed-002")
    people = _staff(store)
    done = _refer(store, people, about="cp_chair", by="iro", child_ref=None)
    assert _concern(store, done.concern_id)["child_id"] is None
    assert [p["role"] for p in people_to_refer_about(store, people["iro"])] == ["cp_chair"]


# -- the clock ---------------------------------------------------------------------------------


def test_an_unanswered_concern_escalates_once_on_the_next_working_day(tmp_path):
    store = new_store(tmp_path, "seed-002")
    people = _staff(store)
    done = _refer(store, people)
    assert sweep_concerns(store, DUE) == []  # nothing is overdue on its due date
    [record] = sweep_concerns(store, ESCALATES)
    assert record["date"] == "2027-01-08" and record["event"] == "practice_concern_escalated"
    assert record["reason"] == (
        "No answer from the Deputy Head of Service by 7 Jan 2027 to the concern about the "
        "practice of Test Iro (Independent Reviewing Officer) referred on 14 Dec 2026: "
        "escalated to the Head of Service, Quality Assurance under seed-002.")
    for day in (ESCALATES, D(2027, 1, 11), D(2027, 2, 1)):
        assert sweep_concerns(store, day) == []
    row = _concern(store, done.concern_id)
    assert (row["status"], row["escalated_to"], row["next_check_on"]) == (
        "escalated", "qa_head_of_service", None)
    escalated = [e for e in _concern_events(store) if e.kind == "practice_concern_escalated"]
    assert len(escalated) == 1
    assert escalated[0].rule == "practice_concern_unanswered"
    assert (escalated[0].policy_id, escalated[0].child_id) == ("seed-002", None)
    [to_qa] = _told(store, people["qa_head_of_service"])
    assert to_qa["copy"] == 0 and to_qa["created_on"] == "2027-01-08"
    assert [n["copy"] for n in _told(store, people["divisional_director"])] == [1]
    assert [n["copy"] for n in _told(store, people["social_worker"])] == [1]
    assert len(_told(store, people["deputy_head_of_service"])) == 2  # referred, then copied
    assert _told(store, people["iro"]) == []


def test_a_late_first_sweep_dates_the_escalation_when_it_was_due(tmp_path):
    store = new_store(tmp_path, "seed-002")
    people = _staff(store)
    _refer(store, people)
    [record] = sweep_concerns(store, D(2027, 3, 1))
    assert record["date"] == "2027-01-08"
    assert sweep_concerns(store, D(2027, 3, 2)) == []


def test_an_answer_in_time_stops_the_clock(tmp_path):
    store = new_store(tmp_path, "seed-002")
    people = _staff(store)
    done = _refer(store, people)
    answer_concern(store, done.concern_id, answer="Spoke to the IRO; invitations checked.",
                   resolved=False, actor=people["deputy_head_of_service"], on=DUE)
    assert sweep_concerns(store, D(2027, 2, 1)) == []
    assert _concern(store, done.concern_id)["status"] == "answered"


# -- answering ---------------------------------------------------------------------------------


def test_only_the_deputy_head_of_service_and_above_answer(tmp_path):
    store = new_store(tmp_path, "seed-002")
    people = _staff(store)
    done = _refer(store, people)
    for role in ("social_worker", "team_manager", "iro", "cp_chair"):
        with pytest.raises(UserError, match="Only the Deputy Head of Service"):
            answer_concern(store, done.concern_id, answer="Looked into it.", resolved=True,
                           actor=people[role], on=D(2026, 12, 15))
    with pytest.raises(ConcernInvalid) as refused:
        answer_concern(store, done.concern_id, answer="  ", resolved=True,
                       actor=people["deputy_head_of_service"], on=D(2026, 12, 15))
    assert set(refused.value.errors) == {"answer"}
    assert _concern(store, done.concern_id)["status"] == "open"
    assert [e.kind for e in _concern_events(store)] == ["practice_concern_referred"]


def test_answered_then_resolved_and_the_referrer_is_told_each_time(tmp_path):
    store = new_store(tmp_path, "seed-002")
    people = _staff(store)
    done = _refer(store, people)
    first = answer_concern(store, done.concern_id, answer="Investigation under way.",
                           resolved=False, actor=people["deputy_head_of_service"],
                           on=D(2026, 12, 18))
    assert first.events[0].reason == (
        "The Deputy Head of Service answered the concern about the practice of Test Iro "
        "(Independent Reviewing Officer): Investigation under way.")
    assert _concern(store, done.concern_id)["status"] == "answered"
    answer_concern(store, done.concern_id, answer="Feedback given to the IRO.", resolved=True,
                   actor=people["head_of_service"], on=D(2027, 1, 6))
    row = _concern(store, done.concern_id)
    assert (row["status"], row["answer"], row["answered_on"]) == (
        "resolved", "Feedback given to the IRO.", "2027-01-06")
    told = _told(store, people["social_worker"])
    assert [n["subject"].rsplit(": ", 1)[1] for n in told] == ["answered", "resolved"]
    with pytest.raises(UserError, match="resolved on 6 Jan 2027"):
        answer_concern(store, done.concern_id, answer="Again.", resolved=True,
                       actor=people["deputy_head_of_service"], on=D(2027, 1, 7))


def test_a_late_answer_meets_the_escalation_it_missed(tmp_path):
    store = new_store(tmp_path, "seed-002")
    people = _staff(store)
    done = _refer(store, people)
    answered = answer_concern(store, done.concern_id, answer="Sorry for the delay; resolved.",
                              resolved=True, actor=people["qa_head_of_service"],
                              on=D(2027, 1, 12))
    assert [(e.kind, e.on) for e in answered.events] == [
        ("practice_concern_escalated", ESCALATES), ("practice_concern_answered", D(2027, 1, 12))]
    assert answered.events[1].reason.endswith("The answer was due by 7 Jan 2027.")
    assert _concern(store, done.concern_id)["status"] == "resolved"
    assert sweep_concerns(store, D(2027, 2, 1)) == []


# -- who sees them, and policies without the procedure -----------------------------------------


def test_nobody_below_the_deputy_head_of_service_can_list_them(tmp_path):
    store = new_store(tmp_path, "seed-002")
    people = _staff(store)
    done = _refer(store, people)
    for role in ("social_worker", "team_manager", "iro", "cp_chair"):
        assert concerns_visible_to(store, people[role]) == []
    for role in ("deputy_head_of_service", "qa_head_of_service", "head_of_service",
                 "divisional_director"):
        [row] = concerns_visible_to(store, people[role])
        assert row["id"] == done.concern_id and row["child_ref"] == "C-1"


def test_the_procedure_is_off_under_a_policy_without_it(tmp_path):
    store = new_store(tmp_path, "seed-004")
    assert store.policy.practice_concerns is None
    people = _staff(store)
    with pytest.raises(UserError, match="has no procedure for concerns about an IRO's"):
        _refer(store, people)
    assert store.db["practice_concerns"].count == 0
    assert sweep_concerns(store, D(2027, 3, 1)) == []
    assert concerns_visible_to(store, people["deputy_head_of_service"]) == []
