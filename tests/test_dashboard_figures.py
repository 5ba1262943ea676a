"""The dashboard's figures on small stores counted by hand (seed-001, two teams): one of
looked-after children only, one with both tracks; and the export and the dashboard
agreeing alert by alert on what is on time, breached and resolved."""

from __future__ import annotations

import pytest

from db.connection import write_transaction
from db.dashboard import (
    Filter,
    by_team,
    drift,
    ladder,
    outstanding,
    over_the_cap,
    rag_by_period,
    raised_by_period,
    responses_on_time,
)
from db.people import insert_child, insert_team
from db.reviews import insert_review_form
from tests.support import D, act, log, new_store, raise_at
from usecases.accounts import SignedInUser
from usecases.alerts import sweep
from usecases.dashboard import alerts as dashboard_alerts
from usecases.dashboard import alerts_behind, figures
from usecases.export_alerts import export_alerts

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
    # N-0: green, amber, red: two amber-or-red reviews in a row (it used to say 1, the
    # number of consecutive pairs)
    assert [(r["child_ref"], r["in_a_row"]) for r in drift(store.db, YEAR)] == [
        ("N-0", 2)]


# -- both tracks, counted by hand ---------------------------------------------------------------
#
# seed-001: informal stage 3 working days (team manager); levels Service Manager, Head of
# Service, Divisional Director, Director, 5 working days each, silence escalates; formal
# limit 20 working days. Both tracks have the same ladder, so their levels share names:
# "Level 1: Service Manager" on each. AS_OF is a Monday.

AS_OF = D(2026, 12, 7)
NORTH, SOUTH = "Children in Care North", "Children in Care South"
LAC, CP = "Looked-after children", "Child protection"


@pytest.fixture
def two_tracks(tmp_path):
    """Children in Care North: LN-1, LN-2, LN-3 (looked after), CN-1, CN-2 (child
    protection); Children in Care South: LS-1, LS-2 (looked after), CS-1, CS-2 (child
    protection). Seven alerts, all in 2026:

    - L1 (iro, LN-1): raised Fri 2 Oct at level 1 (due Fri 9 Oct; formal limit Fri 30 Oct);
      responded Thu 8 Oct (on time); the IRO satisfied on **Sat 31 Oct, the day after the
      limit**: resolved and breached, though the sweep's breach prompt (due Mon 2 Nov)
      never fired.
    - L2 (iro, LN-2): the same, responded Fri 9 Oct (on the due date: on time), satisfied
      Fri 30 Oct (on the limit: not breached).
    - I1 (iro, LS-1): raised informally Mon 5 Oct (due Thu 8 Oct), the team manager
      responded Fri 9 Oct (late), satisfied Mon 12 Oct: resolved informally.
    - L3 (iro, LS-2): raised informally Mon 12 Oct, withdrawn Tue 13 Oct: closed, not resolved.
    - C1 (cp, CN-1): raised Mon 5 Oct at level 1 (due Mon 12 Oct), responded Mon 12 Oct (on
      time), satisfied Tue 13 Oct.
    - C2 (cp, CS-1, poor practice): raised Fri 16 Oct at level 1 (due Fri 23 Oct; limit
      Fri 13 Nov); responded **Sat 24 Oct (late)**; not satisfied Mon 26 Oct, so to level 2
      the same day (due Mon 2 Nov); responded Mon 2 Nov (on time); satisfied Tue 3 Nov.
    - C3 (cp, CN-2): raised Mon 2 Nov at level 1 (limit Mon 30 Nov); nobody answers:
      level 2 on 10 Nov, level 3 on 18 Nov, level 4 on 26 Nov (due Thu 3 Dec); open and
      overdue on AS_OF; over the limit from Tue 1 Dec.

    The sweep has run to AS_OF, as it does every day.
    """
    s = new_store(tmp_path, "seed-001")
    children = {}
    with write_transaction(s.db):
        north, south = insert_team(s.db, NORTH), insert_team(s.db, SOUTH)
        for ref, team in (("LN-1", north), ("LN-2", north), ("LN-3", north), ("CN-1", north),
                          ("CN-2", north), ("LS-1", south), ("LS-2", south), ("CS-1", south),
                          ("CS-2", south)):
            children[ref] = insert_child(
                s.db, case_ref=ref, name="Test", date_of_birth=None,
                legal_status="child_protection" if ref.startswith("C") else "looked_after",
                team_id=team, social_worker_id=None, reviewer_id=None)
    gate = "HoS agreed"
    raise_at(s, D(2026, 10, 2), "service_manager", ref="L1", child="LN-1", gate=gate)
    act(s, "responded", D(2026, 10, 8), ref="L1", actor_role="service_manager", outcome="agree")
    raise_at(s, D(2026, 10, 2), "service_manager", ref="L2", child="LN-2", gate=gate)
    act(s, "responded", D(2026, 10, 9), ref="L2", actor_role="service_manager", outcome="agree")
    raise_at(s, D(2026, 10, 5), ref="I1", child="LS-1")
    act(s, "responded", D(2026, 10, 9), ref="I1", actor_role="team_manager", outcome="agree")
    act(s, "satisfied", D(2026, 10, 12), ref="I1", actor_role="iro")
    raise_at(s, D(2026, 10, 5), "service_manager", track="cp", ref="C1", child="CN-1",
             gate=gate)
    act(s, "responded", D(2026, 10, 12), ref="C1", actor_role="service_manager",
        outcome="agree")
    act(s, "satisfied", D(2026, 10, 13), ref="C1", actor_role="cp_chair")
    raise_at(s, D(2026, 10, 12), ref="L3", child="LS-2")
    act(s, "withdrawn", D(2026, 10, 13), ref="L3", actor_role="iro", note="Moved away")
    raise_at(s, D(2026, 10, 16), "service_manager", track="cp", ref="C2", child="CS-1",
             gate=gate, category="poor_practice")
    act(s, "responded", D(2026, 10, 24), ref="C2", actor_role="service_manager",
        outcome="uphold")
    act(s, "not_satisfied", D(2026, 10, 26), ref="C2", actor_role="cp_chair")
    act(s, "responded", D(2026, 11, 2), ref="C2", actor_role="head_of_service",
        outcome="agree")
    act(s, "satisfied", D(2026, 11, 3), ref="C2", actor_role="cp_chair")
    act(s, "satisfied", D(2026, 10, 30), ref="L2", actor_role="iro")
    act(s, "satisfied", D(2026, 10, 31), ref="L1", actor_role="iro")
    raise_at(s, D(2026, 11, 2), "service_manager", track="cp", ref="C3", child="CN-2",
             gate=gate)
    sweep(s, AS_OF)
    reviews = {  # month by month from July
        ("LN-1", "lac_review"): ["amber", "red", "amber", "green", "red"],
        ("LS-1", "lac_review"): ["amber", "green", "amber"],
        ("CN-1", "cp_conference"): ["red", "red", "green", "amber", "amber"],
    }
    with write_transaction(s.db):
        for (child, kind), rags in reviews.items():
            for month, rag in enumerate(rags, start=7):
                insert_review_form(s.db, child_id=children[child], kind=kind,
                                   held_on=D(2026, month, 10), reviewer_id=None, rag=rag,
                                   summary="", data={}, recorded_on=D(2026, month, 10))
    return s


def test_two_tracks_raised_by_month_and_quarter_in_words(two_tracks):
    fig = figures(two_tracks, YEAR, AS_OF)
    assert [(r["period_label"], r["theme"], r["alerts"]) for r in fig.by_theme] == [
        ("October 2026", "Care Planning", 5),   # L1, L2, I1, C1, L3
        ("October 2026", "Practice", 1),        # C2
        ("November 2026", "Care Planning", 1),  # C3
    ]
    quarters = figures(two_tracks, YEAR, AS_OF, period="quarter")
    assert [(r["period_label"], r["theme"], r["alerts"]) for r in quarters.by_theme] == [
        ("Oct-Dec 2026", "Care Planning", 6), ("Oct-Dec 2026", "Practice", 1)]


def test_two_tracks_by_team(two_tracks):
    assert [(r["team"], r["alerts"], r["children"], r["per_100_children"])
            for r in by_team(two_tracks.db, YEAR)] == [
        (NORTH, 4, 5, 80.0),   # L1, L2, C1, C3
        (SOUTH, 3, 4, 75.0),   # I1, L3, C2
    ]


def test_two_tracks_ladder_is_per_track(two_tracks):
    rows = [(r["track_label"], r["stage"], r["reached"], r["resolved_here"])
            for r in figures(two_tracks, YEAR, AS_OF).ladder]
    assert rows == [
        (LAC, "Informal stage", 2, 1),                    # I1 (resolved), L3 (withdrawn)
        (LAC, "Level 1: Service Manager", 2, 2),          # L1, L2
        (CP, "Level 1: Service Manager", 3, 1),           # C1 (resolved), C2, C3
        (CP, "Level 2: Head of Service", 2, 1),           # C2 (resolved), C3
        (CP, "Level 3: Divisional Director", 1, 0),       # C3
        (CP, "Level 4: Director of Children's Services", 1, 0),  # C3
    ]


def test_two_tracks_responses_on_time_per_track_never_over_100_percent(two_tracks):
    rows = [(r["track_label"], r["stage"], r["responses"], r["on_time"], r["share_on_time"])
            for r in figures(two_tracks, YEAR, AS_OF).on_time]
    assert rows == [
        (LAC, "Informal stage", 1, 0, 0.0),             # I1: Fri 9 Oct, due Thu 8 Oct
        (LAC, "Level 1: Service Manager", 2, 2, 1.0),   # L1 before, L2 on the due date
        (CP, "Level 1: Service Manager", 2, 1, 0.5),    # C1 on the due date; C2 on the
                                                        # Saturday after a Friday due date
        (CP, "Level 2: Head of Service", 1, 1, 1.0),    # C2 on the due date
    ]
    # one row per track and level: the two "Level 1: Service Manager" rows never merge
    assert len({(r[0], r[1]) for r in rows}) == len(rows)
    raw = {(r["track"], r["level"]): (r["responses"], r["on_time"])
           for r in responses_on_time(two_tracks.db, YEAR)}
    assert raw[("iro", "service_manager")] == (2, 2) and raw[("cp", "service_manager")] == (2, 1)


def test_the_saturday_after_the_limit_is_over_it(two_tracks):
    # no prompt was ever made for L1 (the sweep's would have been Mon 2 Nov) ...
    assert "formal_breached" not in [e.kind for e in log(two_tracks, "L1")]
    # ... and it is counted over the limit all the same, in the month the limit passed
    assert [(r["period"], r["track"], r["alerts"], r["closed"])
            for r in over_the_cap(two_tracks.db, YEAR, AS_OF)] == [
        ("2026-10", "iro", 1, 1),   # L1: limit Fri 30 Oct, closed Sat 31 Oct
        ("2026-12", "cp", 1, 0),    # C3: limit Mon 30 Nov, still open
    ]
    # nothing is over its limit on the limit's day; it is from the next
    assert [r["track"] for r in over_the_cap(two_tracks.db, YEAR, D(2026, 11, 30))] == ["iro"]
    assert [r["track"] for r in over_the_cap(two_tracks.db, YEAR, D(2026, 12, 1))] == [
        "iro", "cp"]
    fig = figures(two_tracks, YEAR, AS_OF)
    assert [(r["period_label"], r["track_label"], r["alerts"]) for r in fig.over_cap] == [
        ("October 2026", LAC, 1), ("December 2026", CP, 1)]


def test_two_tracks_working_days_to_resolution_and_the_limit(two_tracks):
    assert figures(two_tracks, YEAR, AS_OF).resolution == [
        # L1 and L2: 20 working days each (the Saturday adds none), I1: 5; L1 is over
        # the limit, though within 20 working days of being raised
        {"track": LAC, "resolved": 3, "median_working_days": 20.0, "mean_working_days": 15.0,
         "within_limit": 2, "over_limit": 1},
        # C1: 6, C2: 12
        {"track": CP, "resolved": 2, "median_working_days": 9.0, "mean_working_days": 9.0,
         "within_limit": 2, "over_limit": 0},
    ]


def test_two_tracks_outstanding(two_tracks):
    rows = figures(two_tracks, YEAR, AS_OF).outstanding
    assert [(r["alert"], r["track"], r["stage"], r["waiting_for"], r["due"], r["overdue"])
            for r in rows] == [
        ("C3", CP, "Level 4: Director of Children's Services",
         "Director of Children's Services", D(2026, 12, 3), True)]
    # due Thu 3 Dec: not overdue on the day, overdue from the next
    assert [r["overdue"] for r in outstanding(two_tracks.db, YEAR, D(2026, 12, 3))] == [0]
    assert [r["overdue"] for r in outstanding(two_tracks.db, YEAR, D(2026, 12, 4))] == [1]


def test_two_tracks_reviews_in_a_row(two_tracks):
    rows = [(r["child_ref"], r["track_label"], r["in_a_row"], r["runs"], r["latest"])
            for r in figures(two_tracks, YEAR, AS_OF).drift]
    assert rows == [
        # CN-1: red, red, green, amber, amber: two runs of two, the latest ending in Nov
        ("CN-1", CP, 2, 2, D(2026, 11, 10)),
        # LN-1: amber, red, amber, green, red: three in a row (Jul to Sep)
        ("LN-1", LAC, 3, 1, D(2026, 9, 10)),
    ]   # LS-1: amber, green, amber: never two in a row
    only_cp = Filter(YEAR.start, YEAR.end, track="cp")
    assert [r["child_ref"] for r in drift(two_tracks.db, only_cp)] == ["CN-1"]
    summer = Filter(D(2026, 8, 1), D(2026, 8, 31))
    assert drift(two_tracks.db, summer) == []  # one review each: nothing in a row


def test_rag_per_month_in_words(two_tracks):
    fig = figures(two_tracks, YEAR, AS_OF)
    assert [(r["period_label"], r["judgement"], r["reviews"]) for r in fig.rag_totals] == [
        ("July 2026", "Amber", 2), ("July 2026", "Red", 1),
        ("August 2026", "Green", 1), ("August 2026", "Red", 2),
        ("September 2026", "Green", 1), ("September 2026", "Amber", 2),
        ("October 2026", "Green", 1), ("October 2026", "Amber", 1),
        ("November 2026", "Amber", 1), ("November 2026", "Red", 1),
    ]   # green, amber, red in that order within a month, as the chart stacks them


def _outcomes_from_the_export(store, as_of):
    return {r["alert"]: (r["status"] == "resolved", r["formal_breached"],
                         sum(1 for e in r["events"] if e["event"] == "responded"),
                         sum(1 for e in r["events"] if e["on_time"]))
            for r in export_alerts(store, as_of)}


def _outcomes_on_the_dashboard(store, as_of):
    everything = Filter(D(2000, 1, 1), as_of)
    return {r["ref"]: (r["resolved"], r["breached"], r["responses"], r["responses_on_time"])
            for r in dashboard_alerts(store, everything, as_of)}


@pytest.mark.parametrize("fixture", ["two_tracks", "store"])
@pytest.mark.parametrize("as_of", [D(2026, 10, 30), D(2026, 10, 31), D(2026, 11, 30),
                                   D(2026, 12, 1), AS_OF])
def test_the_export_and_the_dashboard_agree_alert_by_alert(request, fixture, as_of):
    """Resolved, breached, responses and responses on time: the export's replay in Python
    and the dashboard's SQL give the same answer for every alert, on every date."""
    store = request.getfixturevalue(fixture)
    exported = _outcomes_from_the_export(store, as_of)
    assert exported and _outcomes_on_the_dashboard(store, as_of) == exported
    # and the dashboard's totals are those alerts counted
    everything = Filter(D(2000, 1, 1), as_of)
    assert sum(r["alerts"] for r in over_the_cap(store.db, everything, as_of)) == sum(
        breached for _, breached, _, _ in exported.values())
    assert sum(r["on_time"] for r in responses_on_time(store.db, everything)) == sum(
        on_time for _, _, _, on_time in exported.values())


def test_the_outcomes_by_hand(two_tracks):
    assert _outcomes_from_the_export(two_tracks, AS_OF) == {
        # alert: (resolved, breached, responses, on time)
        "L1": (True, True, 1, 1),
        "L2": (True, False, 1, 1),
        "I1": (True, False, 1, 0),
        "C1": (True, False, 1, 1),
        "L3": (False, False, 0, 0),
        "C2": (True, False, 2, 1),
        "C3": (False, True, 0, 0),
    }
    # on the limit's own day nothing is over it
    before = _outcomes_from_the_export(two_tracks, D(2026, 11, 30))
    assert before["C3"][1] is False and before["L1"][1] is True


HEAD = SignedInUser(staff_id=0, name="A Head", email="head@x.invalid", role="head_of_service",
                    team_id=None, team_name=None)  # authority-wide: may see every alert


def test_a_click_lists_exactly_the_alerts_behind_the_bar(two_tracks):
    def refs(*clicked):
        return sorted(a["ref"] for a in alerts_behind(two_tracks, HEAD, YEAR, AS_OF, "month",
                                                      *clicked))

    october_care = [{"period": "2026-10", "theme": "Care Planning"}]
    assert refs(october_care) == ["C1", "I1", "L1", "L2", "L3"]   # not November's C3
    assert refs([{"period": "2026-11", "theme": "Care Planning"}]) == ["C3"]
    assert refs([{"team": SOUTH}]) == ["C2", "I1", "L3"]
    assert refs(october_care, [{"team": SOUTH}]) == ["I1", "L3"]  # both charts clicked
    assert refs([{"period": "2026-10", "theme": "Practice"},
                 {"period": "2026-11", "theme": "Care Planning"}]) == ["C2", "C3"]
    assert refs() == [] and refs([]) == []
    # the bar's height and the list's length are the same number
    fig = figures(two_tracks, YEAR, AS_OF)
    for bar in fig.by_theme:
        clicked = [{"period": bar["period"], "theme": bar["theme"]}]
        assert len(refs(clicked)) == bar["alerts"]
    quarters = figures(two_tracks, YEAR, AS_OF, period="quarter")
    assert len(alerts_behind(two_tracks, HEAD, YEAR, AS_OF, "quarter",
                             [{"period": "2026 Q4", "theme": "Care Planning"}])) == 6
    assert quarters.by_theme[0]["alerts"] == 6
