"""Placement facts and permanence referrals (seed 004, 2.4).

Expected dates are counted by hand from the calendar, not computed by the code under test.
Every child and member of staff is synthetic.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from db.connection import write_transaction
from db.events import events_for_child
from db.people import insert_child, insert_staff, insert_team
from rules.permanence_rules import add_months
from tests.support import D, new_store
from usecases.access import AccessRefused, person
from usecases.errors import UserError
from usecases.permanence import (
    PlacementInvalid,
    record_placement,
    sweep_permanence,
    validate_placement,
)
from usecases.store import Store


def _people(store: Store) -> dict[str, int]:
    """A small synthetic line: social worker -> team manager -> service manager; an IRO."""
    with write_transaction(store.db):
        team = insert_team(store.db, "Test Team A")
        other = insert_team(store.db, "Test Team B")
        sm = insert_staff(store.db, name="Sam Manager", email="sm@example.invalid",
                          role="service_manager")
        tm = insert_staff(store.db, name="Tia Manager", email="tm@example.invalid",
                          role="team_manager", team_id=team, line_manager_id=sm)
        sw = insert_staff(store.db, name="Sol Worker", email="sw@example.invalid",
                          role="social_worker", team_id=team, line_manager_id=tm)
        sw2 = insert_staff(store.db, name="Sia Worker", email="sw2@example.invalid",
                           role="social_worker", team_id=other, line_manager_id=tm)
        iro = insert_staff(store.db, name="Ida Reviewer", email="iro@example.invalid",
                           role="iro")
    return {"team": team, "sm": sm, "tm": tm, "sw": sw, "sw2": sw2, "iro": iro}


def _child(store: Store, people: dict[str, int], ref: str = "C-1", *, cp: bool = False) -> int:
    with write_transaction(store.db):
        return insert_child(
            store.db, case_ref=ref, name="Test Child", date_of_birth=None,
            legal_status="child_protection" if cp else "looked_after", team_id=people["team"],
            social_worker_id=people["sw"], reviewer_id=people["iro"])


def _record(store: Store, people: dict[str, int], on: dt.date, ref: str = "C-1", *,
            since: dt.date | None = None, plan: str | None = None,
            decision: dt.date | None = None, placed: dt.date | None = None,
            role: str = "social_worker", actor: str = "sw"):
    return record_placement(
        store, child_ref=ref, placed_with_parents_since=since, permanence_plan=plan,
        permanence_decision_on=decision, permanence_placed_on=placed,
        user=_as(store, people[actor], role), on=on,
        now=dt.datetime.combine(on, dt.time(10), tzinfo=dt.UTC))


def _as(store: Store, staff_id: int, role: str):
    user = person(store, staff_id=staff_id)
    assert user.role == role
    return user


def _referrals(store: Store, child_id: int) -> list[tuple[dt.date, str, str]]:
    return [(e.occurred_on, e.data["reason"], e.reason)
            for e in events_for_child(store.db, child_id) if e.kind == "permanence_referral"]


def _told(store: Store, staff_id: int) -> list[dict]:
    return list(store.db.query("SELECT * FROM notifications WHERE staff_id = ? ORDER BY id",
                               [staff_id]))


# -- calendar months ---------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "months", "expected"), [
    (D(2026, 3, 15), 12, D(2027, 3, 15)),  # a year
    (D(2026, 5, 31), 9, D(2027, 2, 28)),   # "31 Feb 2027" clamps to the month's last day
    (D(2027, 5, 31), 9, D(2028, 2, 29)),   # a leap year's February
    (D(2026, 1, 31), 1, D(2026, 2, 28)),
    (D(2026, 8, 31), 1, D(2026, 9, 30)),
    (D(2026, 2, 28), 12, D(2027, 2, 28)),
    (D(2028, 2, 29), 12, D(2029, 2, 28)),  # a leap day, a year on
    (D(2026, 11, 30), 3, D(2027, 2, 28)),
    (D(2026, 4, 10), 0, D(2026, 4, 10)),
])
def test_calendar_months_clamp_to_the_end_of_a_short_month(start, months, expected):
    assert add_months(start, months) == expected


# -- recording the facts -----------------------------------------------------------------------


def test_every_problem_at_once_and_nothing_saved(tmp_path):
    store = new_store(tmp_path, "seed-004")
    people = _people(store)
    child = _child(store, people)
    today = D(2026, 11, 23)
    with pytest.raises(PlacementInvalid) as refused:
        _record(store, people, today, since=D(2026, 11, 24), plan="adoption", decision=None,
                placed=D(2026, 11, 25))
    assert refused.value.errors == {
        "placed_with_parents_since": "The date the child was placed with parents cannot be "
                                     "in the future; today is 23 Nov 2026.",
        "permanence_decision_on": "Enter the date of the permanence decision: a plan for "
                                  "adoption needs it, as the check that the child is placed "
                                  "counts from it.",
        "permanence_placed_on": "The date the child was placed for permanence cannot be in "
                                "the future; today is 23 Nov 2026.",
    }
    row = next(store.db.query("SELECT * FROM children WHERE id = ?", [child]))
    assert [row[k] for k in ("placed_with_parents_since", "permanence_plan",
                             "permanence_decision_on", "permanence_placed_on")] == [None] * 4
    assert [e.kind for e in events_for_child(store.db, child)] == []


def test_a_placement_before_the_decision_and_a_decision_without_a_plan():
    errors = validate_placement(
        placed_with_parents_since=None, permanence_plan="long_term_fostering",
        permanence_decision_on=D(2026, 5, 31), permanence_placed_on=D(2026, 5, 12),
        as_of=D(2026, 11, 23))
    assert errors == {"permanence_placed_on": (
        "The child cannot be placed for permanence (12 May 2026) before the permanence "
        "decision (31 May 2026); check both dates.")}
    errors = validate_placement(
        placed_with_parents_since=None, permanence_plan=None,
        permanence_decision_on=D(2026, 5, 31), permanence_placed_on=None, as_of=D(2026, 11, 23))
    assert set(errors) == {"permanence_plan"}
    errors = validate_placement(
        placed_with_parents_since=None, permanence_plan="kinship",
        permanence_decision_on=D(2026, 5, 31), permanence_placed_on=None, as_of=D(2026, 11, 23))
    assert set(errors) == {"permanence_plan"}
    errors = validate_placement(
        placed_with_parents_since=None, permanence_plan=None, permanence_decision_on=None,
        permanence_placed_on=D(2026, 6, 1), as_of=D(2026, 11, 23))
    assert set(errors) == {"permanence_placed_on"}
    # the same day as the decision, and today, are both fine
    assert validate_placement(
        placed_with_parents_since=D(2026, 11, 23), permanence_plan="adoption",
        permanence_decision_on=D(2026, 5, 31), permanence_placed_on=D(2026, 5, 31),
        as_of=D(2026, 11, 23)) == {}


def test_recording_updates_the_child_and_logs_a_plain_reason(tmp_path):
    store = new_store(tmp_path, "seed-004")
    people = _people(store)
    child = _child(store, people)
    done = _record(store, people, D(2026, 4, 1), since=D(2026, 3, 15))
    row = next(store.db.query("SELECT * FROM children WHERE id = ?", [child]))
    assert row["placed_with_parents_since"] == "2026-03-15"
    assert row["permanence_plan"] is None
    [event] = [e for e in events_for_child(store.db, child) if e.kind == "placement_recorded"]
    assert event.id == done.event_ids[0]
    assert event.child_id == child and event.actor_id == people["sw"]
    assert event.rule is None
    assert event.reason == (
        "Placement and permanence recorded: placed with parents since 15 Mar 2026; no "
        "permanence plan. The case is referred to the Service Manager on 15 Mar 2027 if the "
        "child is still placed with parents (placed with parents a year).")
    assert event.data["before"]["placed_with_parents_since"] is None
    assert event.data["after"]["placed_with_parents_since"] == "2026-03-15"
    with pytest.raises(UserError, match="Nothing has changed"):
        _record(store, people, D(2026, 4, 2), since=D(2026, 3, 15))


def test_who_may_record_and_for_which_children(tmp_path):
    store = new_store(tmp_path, "seed-004")
    people = _people(store)
    _child(store, people)
    _child(store, people, "C-2", cp=True)
    with pytest.raises(AccessRefused, match="Only this child's social worker and the managers"):
        _record(store, people, D(2026, 4, 1), since=D(2026, 3, 15), role="iro", actor="iro")
    with pytest.raises(AccessRefused, match="do not have access to this child's record"):
        _record(store, people, D(2026, 4, 1), since=D(2026, 3, 15), actor="sw2")
    with pytest.raises(UserError, match="child protection plan, not looked after"):
        _record(store, people, D(2026, 4, 1), "C-2", since=D(2026, 3, 15))
    with pytest.raises(UserError, match="no child with case reference C-9"):
        _record(store, people, D(2026, 4, 1), "C-9", since=D(2026, 3, 15))
    assert store.db.execute("SELECT count(*) FROM events WHERE kind = 'placement_recorded'"
                            ).fetchone()[0] == 0
    # the team manager and the service manager (above teams) may
    _record(store, people, D(2026, 4, 1), since=D(2026, 3, 15), role="team_manager",
            actor="tm")
    _record(store, people, D(2026, 4, 2), since=D(2026, 3, 16), role="service_manager",
            actor="sm")


# -- the referrals -----------------------------------------------------------------------------


def test_a_year_placed_with_parents_is_referred_once_on_the_day(tmp_path):
    store = new_store(tmp_path, "seed-004")
    people = _people(store)
    child = _child(store, people)
    _record(store, people, D(2026, 4, 1), since=D(2026, 3, 15))
    assert sweep_permanence(store, D(2027, 3, 14)) == []
    [record] = sweep_permanence(store, D(2027, 3, 15))  # a Monday: a year on, to the day
    assert record["date"] == "2027-03-15" and record["event"] == "permanence_referral"
    reason = ("Placed with parents since 15 Mar 2026: a year on 15 Mar 2027. Policy seed-004 "
              "asks that the case is referred to the Service Manager.")
    assert record["reason"] == reason
    for day in (D(2027, 3, 15), D(2027, 3, 16), D(2027, 6, 1), D(2028, 3, 15)):
        assert sweep_permanence(store, day) == []
    assert _referrals(store, child) == [(D(2027, 3, 15), "placed_with_parents", reason)]
    event = next(store.db.query("SELECT * FROM events WHERE kind = 'permanence_referral'"))
    assert event["rule"] == "permanence_placed_with_parents"
    assert (event["policy_id"], event["policy_version"]) == ("seed-004",
                                                             store.policy.version)
    assert event["dedupe_key"] == f"permanence:{child}:placed_with_parents:2026-03-15"
    assert event["actor_role"] == "system"
    [to_sm] = _told(store, people["sm"])
    assert to_sm["copy"] == 0 and to_sm["created_on"] == "2027-03-15"
    assert reason in to_sm["body"]
    [to_iro] = _told(store, people["iro"])
    assert to_iro["copy"] == 1
    assert _told(store, people["tm"]) == []
    mail = list(store.db.query("SELECT * FROM outbox WHERE event_id = ?", [event["id"]]))
    assert [(m["to_addrs"], m["cc_addrs"]) for m in mail] == [
        ("sm@example.invalid", "iro@example.invalid")]


def test_a_late_sweep_dates_the_referral_on_the_day_it_was_due(tmp_path):
    store = new_store(tmp_path, "seed-004")
    people = _people(store)
    child = _child(store, people)
    _record(store, people, D(2026, 6, 1), plan="adoption", decision=D(2026, 5, 31))
    assert sweep_permanence(store, D(2027, 2, 27)) == []
    # first run months late: 31 May 2026 + 9 months is "31 Feb", clamped to 28 Feb 2027
    [record] = sweep_permanence(store, D(2027, 6, 30))
    assert record["date"] == "2027-02-28"
    assert record["reason"] == (
        "Permanence plan for adoption decided on 31 May 2026 and the child not placed 9 months "
        "later, on 28 Feb 2027. Policy seed-004 asks that the case is referred to the Service "
        "Manager.")
    assert sweep_permanence(store, D(2027, 7, 1)) == []
    assert [r[:2] for r in _referrals(store, child)] == [(D(2027, 2, 28), "not_placed")]
    assert len(_told(store, people["sm"])) == 1


def test_placed_by_the_day_is_not_referred_but_placed_after_it_still_is(tmp_path):
    store = new_store(tmp_path, "seed-004")
    people = _people(store)
    on_time = _child(store, people, "C-1")
    late = _child(store, people, "C-2")
    _record(store, people, D(2027, 3, 1), "C-1", plan="long_term_fostering",
            decision=D(2026, 5, 31), placed=D(2027, 2, 28))
    # placed on 1 Mar 2027, the day after the nine months ran out, and recorded before any
    # sweep: the case had still not been placed when the period was reached
    _record(store, people, D(2027, 3, 1), "C-2", plan="long_term_fostering",
            decision=D(2026, 5, 31), placed=D(2027, 3, 1))
    assert _referrals(store, on_time) == []
    assert [r[:2] for r in _referrals(store, late)] == [(D(2027, 2, 28), "not_placed")]
    assert sweep_permanence(store, D(2027, 3, 2)) == []


def test_recording_an_old_placement_refers_at_once_dated_when_due(tmp_path):
    store = new_store(tmp_path, "seed-004")
    people = _people(store)
    child = _child(store, people)
    done = _record(store, people, D(2026, 11, 23), since=D(2025, 9, 1), plan="adoption",
                   decision=D(2025, 10, 31))
    assert [(e.kind, e.on) for e in done.events] == [
        ("placement_recorded", D(2026, 11, 23)),
        ("permanence_referral", D(2026, 7, 31)),  # 31 Oct 2025 + 9 months
        ("permanence_referral", D(2026, 9, 1)),   # 1 Sep 2025 + a year
    ]
    assert sweep_permanence(store, D(2026, 11, 24)) == []
    assert len(_referrals(store, child)) == 2
    assert len(_told(store, people["sm"])) == 2


def test_a_new_placement_with_parents_is_a_new_period(tmp_path):
    store = new_store(tmp_path, "seed-004")
    people = _people(store)
    child = _child(store, people)
    _record(store, people, D(2024, 4, 1), since=D(2024, 3, 15))
    sweep_permanence(store, D(2025, 3, 15))
    _record(store, people, D(2025, 6, 1), since=None)  # went home to care, then back
    _record(store, people, D(2026, 1, 5), since=D(2026, 1, 5))
    assert sweep_permanence(store, D(2026, 11, 23)) == []
    # a Saturday: the period is counted in calendar months, so it is reached on a weekend too
    assert [r[0] for r in _referrals(store, child)] == [D(2025, 3, 15)]
    [record] = sweep_permanence(store, D(2027, 1, 5))
    assert record["date"] == "2027-01-05"


def test_children_on_a_protection_plan_are_not_checked(tmp_path):
    store = new_store(tmp_path, "seed-004")
    people = _people(store)
    child = _child(store, people, cp=True)
    with write_transaction(store.db):  # facts left from when the child was looked after
        store.db.execute("UPDATE children SET placed_with_parents_since = '2024-01-01' "
                         "WHERE id = ?", [child])
    assert sweep_permanence(store, D(2026, 11, 23)) == []


def test_no_referrals_under_a_policy_without_the_permanence_section(tmp_path):
    store = new_store(tmp_path, "seed-001")
    assert store.policy.permanence is None
    people = _people(store)
    child = _child(store, people)
    done = _record(store, people, D(2026, 11, 23), since=D(2024, 3, 15), plan="adoption",
                   decision=D(2024, 5, 31))
    assert [e.kind for e in done.events] == ["placement_recorded"]
    assert "referred" not in done.events[0].reason
    assert sweep_permanence(store, D(2027, 11, 23)) == []
    assert [e.kind for e in events_for_child(store.db, child)] == ["placement_recorded"]
    assert store.db["notifications"].count == 0


def test_the_referral_data_names_the_period(tmp_path):
    store = new_store(tmp_path, "seed-004")
    people = _people(store)
    _child(store, people)
    _record(store, people, D(2026, 4, 1), since=D(2026, 3, 15))
    sweep_permanence(store, D(2027, 3, 15))
    row = next(store.db.query("SELECT data FROM events WHERE kind = 'permanence_referral'"))
    assert json.loads(row["data"]) == {"reason": "placed_with_parents", "from": "2026-03-15",
                                       "due": "2027-03-15", "refer_to": "service_manager",
                                       "plan": ""}
