"""The dashboard's figures on a small store counted by hand (seed-001, two teams)."""

from __future__ import annotations

import pytest

from db.connection import write_transaction
from db.dashboard import (
    Filter,
    by_team,
    drift,
    ladder,
    outstanding,
    rag_by_period,
    raised_by_period,
    responses_on_time,
)
from db.people import insert_child, insert_team
from db.reviews import insert_review_form
from tests.support import D, act, new_store, raise_at
from usecases.alerts import sweep

YEAR = Filter(D(2026, 1, 1), D(2026, 12, 31))


@pytest.fixture
def store(tmp_path):
    """Team North: 4 children, alerts N1 (resolved at level 1), N2 (escalated to level 2 by
    silence, still open), N3 (informal, resolved there). Team South: 2 children, alert S1
    (raised in November at level 1, responded late, open).
    Themes: care_planning -> Care Planning; poor_practice -> Practice.
    """
    s = new_store(tmp_path, "seed-001")
    with write_transaction(s.db):
        north, south = insert_team(s.db, "North"), insert_team(s.db, "South")
        for n in range(4):
            insert_child(s.db, case_ref=f"N-{n}", name="Test", date_of_birth=None,
                         legal_status="looked_after", team_id=north, social_worker_id=None,
                         reviewer_id=None)
        for n in range(2):
            insert_child(s.db, case_ref=f"S-{n}", name="Test", date_of_birth=None,
                         legal_status="looked_after", team_id=south, social_worker_id=None,
                         reviewer_id=None)
    gate = "HoS agreed"
    raise_at(s, D(2026, 10, 5), "service_manager", ref="N1", child="N-0", gate=gate)
    act(s, "responded", D(2026, 10, 9), ref="N1", actor_role="service_manager",
        outcome="agree")  # due 12 Oct: on time
    act(s, "satisfied", D(2026, 10, 12), ref="N1", actor_role="iro")
    raise_at(s, D(2026, 10, 19), "service_manager", ref="N2", child="N-1", gate=gate,
             category="poor_practice")
    raise_at(s, D(2026, 10, 20), ref="N3", child="N-2")
    act(s, "satisfied", D(2026, 10, 21), ref="N3", actor_role="iro")
    raise_at(s, D(2026, 11, 2), "service_manager", ref="S1", child="S-0", gate=gate)
    act(s, "extension_requested", D(2026, 11, 6), ref="S1", actor_role="service_manager",
        until=D(2026, 11, 13))
    act(s, "extension_refused", D(2026, 11, 6), ref="S1", actor_role="iro")
    act(s, "responded", D(2026, 11, 9), ref="S1", actor_role="service_manager",
        outcome="uphold")  # due 9 Nov: on time (the due date itself)
    sweep(s, D(2026, 10, 31))  # N2: due 26 Oct; escalated 27 Oct to head of service
    with write_transaction(s.db):
        for child, rags in (("N-0", ["green", "amber", "red"]), ("S-0", ["red", "green"])):
            child_id = s.db.execute("SELECT id FROM children WHERE case_ref = ?",
                                    [child]).fetchone()[0]
            for month, rag in enumerate(rags, start=7):
                insert_review_form(s.db, child_id=child_id, kind="lac_review",
                                   held_on=D(2026, month, 10), reviewer_id=None, rag=rag,
                                   summary="", data={}, recorded_on=D(2026, month, 10))
    return s


def _themes(store):
    return {c.id: c.theme for t in store.policy.tracks.values() for c in t.categories}


def test_raised_by_month_and_theme(store):
    rows = raised_by_period(store.db, YEAR, _themes(store))
    assert [(r["period"], r["theme"], r["category"], r["alerts"]) for r in rows] == [
        ("2026-10", "Care Planning", "care_planning", 2),
        ("2026-10", "Practice", "poor_practice", 1),
        ("2026-11", "Care Planning", "care_planning", 1),
    ]
    quarters = raised_by_period(store.db, YEAR, _themes(store), "quarter")
    assert {(r["period"], r["theme"], r["alerts"]) for r in quarters} == {
        ("2026 Q4", "Care Planning", 3), ("2026 Q4", "Practice", 1)}
    assert sum(r["alerts"] for r in quarters) == 4


def test_filters_narrow_every_figure(store):
    practice = Filter(YEAR.start, YEAR.end, categories=("poor_practice",))
    assert sum(r["alerts"] for r in raised_by_period(store.db, practice, _themes(store))) == 1
    october = Filter(D(2026, 10, 1), D(2026, 10, 31))
    assert sum(r["alerts"] for r in by_team(store.db, october)) == 3
    south = next(r["team_id"] for r in by_team(store.db, YEAR) if r["team"] == "South")
    only_south = Filter(YEAR.start, YEAR.end, team_id=south)
    assert [r["ref"] for r in outstanding(store.db, only_south, D(2026, 11, 23))] == ["S1"]


def test_by_team_counts_and_rate_per_hundred_children(store):
    assert [(r["team"], r["alerts"], r["children"], r["per_100_children"])
            for r in by_team(store.db, YEAR)] == [("North", 3, 4, 75.0), ("South", 1, 2, 50.0)]


def test_ladder_reached_and_resolved_where(store):
    rows = {r["level"]: (r["reached"], r["resolved_here"]) for r in ladder(store.db, YEAR)}
    assert rows == {
        "informal": (1, 1),          # N3
        "service_manager": (3, 1),   # N1 (resolved there), N2, S1
        "head_of_service": (1, 0),   # N2, by silence
    }


def test_responses_on_time_by_level(store):
    rows = {r["level"]: (r["responses"], r["on_time"]) for r in responses_on_time(store.db,
                                                                                   YEAR)}
    assert rows == {"service_manager": (2, 2)}


def test_outstanding_overdue_first(store):
    rows = outstanding(store.db, YEAR, D(2026, 11, 23))
    # N2 waits for the head of service, due 3 Nov: overdue; S1 waits for the IRO's decision
    assert [(r["ref"], r["awaiting"], r["overdue"]) for r in rows] == [
        ("N2", "head_of_service", 1), ("S1", "iro", 0)]


def test_rag_over_time_and_drift(store):
    rows = rag_by_period(store.db, YEAR)
    assert [(r["period"], r["team"], r["rag"], r["reviews"]) for r in rows] == [
        ("2026-07", "North", "green", 1), ("2026-07", "South", "red", 1),
        ("2026-08", "North", "amber", 1), ("2026-08", "South", "green", 1),
        ("2026-09", "North", "red", 1),
    ]
    assert [(r["child_ref"], r["in_a_row_pairs"]) for r in drift(store.db, YEAR)] == [
        ("N-0", 1)]
