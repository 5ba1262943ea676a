"""Whose move is it: one answer for the reviewer's "Waiting for your decision", the Home
count and the managers' inbox (seed-001 demo store, synthetic children)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from db.queries import open_alerts
from tests.page_support import AS_OF, demo_store, user_with_role
from tests.waiting_support import child_in_line, raise_for
from usecases.alert_forms import act_from_form
from usecases.alert_lists import decisions_waiting, open_on_reviewer_children, waiting_on
from usecases.inbox import inbox
from usecases.submissions import AlreadySaved, once
from usecases.whose_move import (
    DECIDE,
    MORE_TIME,
    NO_REPLY,
    alert_on,
    waiting_for_reviewer,
    whose_move,
)

D = dt.date
NOW = dt.datetime.combine(AS_OF, dt.time(10), tzinfo=dt.UTC)


@pytest.fixture
def store(tmp_path):
    return demo_store(tmp_path)  # seed-001, 23 Nov 2026


@pytest.fixture
def line(store):
    return child_in_line(store, "WL-0001", "Alexandra-Josephine Featherstonehaugh-Worthington")


def _move(store, ref, as_of):
    row = next(r for r in open_alerts(store.db) if r["ref"] == ref)
    return whose_move(store.policy, alert_on(store, row, as_of))


def _row(store, user, ref, as_of=AS_OF):
    return next((r for r in inbox(store, user, as_of) if r.key == ref), None)


def _events(store, ref, kind):
    return store.db.execute(
        "SELECT count(*) FROM events e JOIN alerts a ON a.id = e.alert_id WHERE a.ref = ? "
        "AND e.kind = ?", [ref, kind]).fetchone()[0]


def test_an_informal_alert_nobody_answered_waits_for_the_iro(store, line):
    raise_for(store, line, "WL-I", D(2026, 11, 16))  # due Thu 19 Nov; silence prompts Fri 20
    move = _move(store, "WL-I", AS_OF)  # no sweep has run: the clock is run to the day
    assert move.reviewer_asked == NO_REPLY
    assert set(move.answer_roles) == {"social_worker", "team_manager"}  # may still answer

    assert "WL-I" in {a.row["ref"] for a in waiting_for_reviewer(store, line.reviewer, AS_OF)}
    waiting = decisions_waiting(store, line.reviewer, AS_OF)
    row = next(r for r in waiting if r["ref"] == "WL-I")
    assert row["asked"] == "No agreement at the informal stage in time: decide the next step"
    assert row["when"] == "Overdue: was due Thu 19 Nov 2026 (2 working days late)"
    assert row["missed"] and waiting[0]["missed"]  # missed deadlines first
    assert len(waiting_on(store, line.reviewer, AS_OF)) == len(waiting)  # the Home count
    listed = next(r for r in open_on_reviewer_children(store, line.reviewer, AS_OF)
                  if r["ref"] == "WL-I")
    assert listed["waiting_for"] == "Social Worker or Team Manager; the IRO: decide the next step"

    for role_holder in (line.holder(store, "team_manager"), line.social_worker):
        mine = _row(store, role_holder, "WL-I")
        assert mine is not None and mine.respondable
        assert mine.note.startswith("No reply came in time, so the IRO has been asked to "
                                    "decide the next step.")


def test_the_iros_list_holds_every_kind_of_decision(store, line):
    raise_for(store, line, "WL-I", D(2026, 11, 16))  # silence at the informal stage
    raise_for(store, line, "WL-R", D(2026, 11, 18), "service_manager")
    raise_for(store, line, "WL-X", D(2026, 11, 18), "service_manager")
    manager = line.holder(store, "service_manager")
    act_from_form(store, "WL-R", "responded", user=manager, on=D(2026, 11, 20), now=NOW,
                  outcome="agree", note="Education plan by Friday.")
    act_from_form(store, "WL-X", "extension_requested", user=manager, on=D(2026, 11, 20),
                  now=NOW, until=D(2026, 12, 11), note="Waiting for the school.")
    assert _move(store, "WL-R", AS_OF).reviewer_asked == DECIDE
    assert _move(store, "WL-X", AS_OF).reviewer_asked == MORE_TIME
    rows = {r["ref"]: r for r in decisions_waiting(store, line.reviewer, AS_OF)}
    assert {"WL-I", "WL-R", "WL-X"} <= set(rows)
    assert rows["WL-R"]["asked"] == ("The Service Manager agreed with the concern: decide "
                                     "whether this resolves the concern, or escalate")
    assert rows["WL-R"]["when"] == "Replied Fri 20 Nov 2026, 1 working day ago"
    assert rows["WL-X"]["asked"] == ("The Service Manager asked for more time, until Fri 11 "
                                     "Dec 2026: agree or refuse")
    order = [ref for ref in rows if ref.startswith("WL-")]
    assert order == ["WL-I", "WL-X", "WL-R"]  # missed, more time, then responses
    # a response leaves the manager's inbox; a request for more time stays in it
    assert _row(store, manager, "WL-R") is None
    assert _row(store, manager, "WL-X").pending_request == (
        "More time asked for until Fri 11 Dec 2026: waiting for the IRO")


def test_an_alert_escalated_by_silence_is_the_next_levels_before_any_sweep(store, line):
    raise_for(store, line, "WL-E", D(2026, 11, 20), "service_manager")  # due Fri 27 Nov
    manager, head = line.holder(store, "service_manager"), line.holder(store, "head_of_service")
    assert _row(store, manager, "WL-E", D(2026, 11, 25)).when == (
        "Due Fri 27 Nov 2026 (2 working days left); escalates Mon 30 Nov 2026 if there is no "
        "reply")
    assert _row(store, manager, "WL-E", D(2026, 11, 27)).when == (
        "Due today, Fri 27 Nov 2026; escalates Mon 30 Nov 2026 if there is no reply")
    weekend = _row(store, manager, "WL-E", D(2026, 11, 28))
    assert weekend.overdue and weekend.when == (
        "Overdue: was due Fri 27 Nov 2026; escalates Mon 30 Nov 2026 if there is no reply")

    monday = D(2026, 11, 30)
    move = _move(store, "WL-E", monday)
    assert move.answer_roles == ("head_of_service",) and not move.reviewers_move
    assert _row(store, manager, "WL-E", monday) is None
    row = _row(store, head, "WL-E", monday)
    assert row is not None and row.respondable
    assert row.asked == "Respond to alert WL-E at Level 2: Head of Service"
    assert row.when == ("Due Mon 7 Dec 2026 (5 working days left); escalates Tue 8 Dec 2026 "
                        "if there is no reply")
    assert "WL-E" not in {r["ref"] for r in decisions_waiting(store, line.reviewer, monday)}


def test_more_time_asked_three_times_with_one_token_is_asked_once(store, line):
    raise_for(store, line, "WL-T", D(2026, 11, 18), "service_manager")
    manager = line.holder(store, "service_manager")
    token = uuid.uuid4().hex
    outcomes = []
    for _ in range(3):
        try:
            with once(token):
                act_from_form(store, "WL-T", "extension_requested", user=manager, on=AS_OF,
                              now=NOW, until=D(2026, 12, 4), note="The panel meets on 1 Dec.")
            outcomes.append("saved")
        except AlreadySaved:
            outcomes.append("already")
    assert outcomes == ["saved", "already", "already"]
    assert _events(store, "WL-T", "extension_requested") == 1
    assert _move(store, "WL-T", AS_OF).reviewer_asked == MORE_TIME


def test_lists_hold_only_what_the_person_may_see(store, line):
    raise_for(store, line, "WL-I", D(2026, 11, 16))
    other_iro = next(r for r in store.db.query(
        "SELECT id FROM staff WHERE role = 'iro' AND id != ?", [line.reviewer.staff_id]))
    from usecases.access import person

    stranger = person(store, staff_id=other_iro["id"])
    assert "WL-I" not in {r["ref"] for r in decisions_waiting(store, stranger, AS_OF)}
    mine = line.holder(store, "team_manager")
    other_tm = next(r for r in store.db.query(
        "SELECT id FROM staff WHERE role = 'team_manager' AND id != ?", [mine.staff_id]))
    assert _row(store, person(store, staff_id=other_tm["id"]), "WL-I") is None
    admin = user_with_role(store, "admin")
    assert decisions_waiting(store, admin, AS_OF) == [] and inbox(store, admin, AS_OF) == []
