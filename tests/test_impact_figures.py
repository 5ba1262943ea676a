"""Impact for the child in figures (issue 16): a small store counted by hand, the dashboard's
part on it, and the part on the demo store through AppTest.

The store (seed-001, looked-after children only, two teams, one IRO):

    alert  team   theme          highest level     raised   resolved  difference    lasted
    A10    North  Care Planning  informal          7 Sep    9 Sep     improved      asked, no answer
    A1     North  Care Planning  informal          28 Sep   1 Oct     improved      sustained
    A2     North  Care Planning  informal          5 Oct    7 Oct     improved      not sustained
    A3     North  Practice       informal          12 Oct   16 Oct    partly        asked, no answer
    A4     North  Practice       service manager   5 Oct    14 Oct    not improved  -
    A5     South  Care Planning  service manager   19 Oct   26 Oct    partly        sustained
    A6     South  Care Planning  head of service   19 Oct   4 Nov     improved      asked, no answer
    A7     South  Practice       informal          2 Nov    5 Nov     not recorded  -
    A8     North  Care Planning  informal          9 Nov    (open)

All in 2026; the follow-ups were asked for by 19 Feb 2027 and answered on 20 Feb 2027.
Every resolution but A4's (not improved) and A7's (not recorded) agreed an action.
"""

from __future__ import annotations

import datetime as dt

import pytest

from db.connection import write_transaction
from db.dashboard import Filter
from db.people import insert_child, insert_staff, insert_team
from tests.page_support import AS_OF, app, demo_store, open_page, user_with_role
from tests.support import D, act, new_store, raise_at
from usecases.accounts import SignedInUser
from usecases.alert_forms import RaiseAlertForm, act_from_form, raise_from_form
from usecases.alerts import sweep
from usecases.dashboard import figures, make_filter
from usecases.impact import record_follow_up, sweep_follow_ups
from usecases.impact_figures import impact_bars, impact_figures, lasted_bars

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
QUARTER = Filter(D(2026, 10, 1), D(2026, 12, 31))
ANSWERED = D(2027, 2, 20)
LATER = D(2027, 3, 1)
GATE = "HoS agreed"
LAC = "Looked-after children"


def _resolve(store, iro, ref, on, impact, *, action=True):
    act_from_form(store, ref, "satisfied", user=iro, on=on, now=NOW, confirmed=True,
                  impact=impact, impact_note="What changed for the child.",
                  actions=[("The social worker visits weekly", on + dt.timedelta(days=7))]
                  if action else [])


def build(tmp_path, name: str = "impact.db"):
    """The store of the module's docstring; returns (store, the IRO)."""
    s = new_store(tmp_path, "seed-001", name)
    with write_transaction(s.db):
        north, south = insert_team(s.db, "North"), insert_team(s.db, "South")
        iro_id = insert_staff(s.db, name="Test Reviewer", email="iro@example.invalid",
                              role="iro", team_id=north)
        for team, refs in ((north, ("N-0", "N-1", "N-2", "N-3")),
                           (south, ("S-0", "S-1", "S-2"))):
            for ref in refs:
                insert_child(s.db, case_ref=ref, name="Test Child", date_of_birth=None,
                             legal_status="looked_after", team_id=team,
                             social_worker_id=None, reviewer_id=iro_id)
    iro = SignedInUser(staff_id=iro_id, name="Test Reviewer", email="iro@example.invalid",
                       role="iro", team_id=north, team_name="North")

    raise_at(s, D(2026, 9, 7), ref="A10", child="N-1")
    _resolve(s, iro, "A10", D(2026, 9, 9), "improved")
    raise_at(s, D(2026, 9, 28), ref="A1", child="N-0")
    _resolve(s, iro, "A1", D(2026, 10, 1), "improved")
    raise_at(s, D(2026, 10, 5), ref="A2", child="N-1")
    _resolve(s, iro, "A2", D(2026, 10, 7), "improved")
    raise_at(s, D(2026, 10, 12), ref="A3", child="N-2", category="poor_practice")
    _resolve(s, iro, "A3", D(2026, 10, 16), "partly")
    raise_at(s, D(2026, 10, 5), "service_manager", ref="A4", child="N-3", gate=GATE,
             category="poor_practice")
    act(s, "responded", D(2026, 10, 9), ref="A4", actor_role="service_manager",
        outcome="uphold")
    _resolve(s, iro, "A4", D(2026, 10, 14), "not_improved", action=False)
    raise_at(s, D(2026, 10, 19), "service_manager", ref="A5", child="S-0", gate=GATE)
    act(s, "responded", D(2026, 10, 23), ref="A5", actor_role="service_manager",
        outcome="agree")
    _resolve(s, iro, "A5", D(2026, 10, 26), "partly")
    raise_at(s, D(2026, 10, 19), "service_manager", ref="A6", child="S-1", gate=GATE)
    sweep(s, D(2026, 10, 31))  # A6: no answer by 26 Oct; up to Head of Service on 27 Oct
    act(s, "responded", D(2026, 11, 2), ref="A6", actor_role="head_of_service",
        outcome="agree")
    _resolve(s, iro, "A6", D(2026, 11, 4), "improved")
    raise_at(s, D(2026, 11, 2), ref="A7", child="S-2", category="poor_practice")
    act(s, "satisfied", D(2026, 11, 5), ref="A7", actor_role="iro")  # as history imported
    raise_at(s, D(2026, 11, 9), ref="A8", child="N-0")

    asked = {w["alert"] for w in sweep_follow_ups(s, D(2027, 2, 19))}
    assert asked == {"A10", "A1", "A2", "A3", "A5", "A6"}
    for ref, lasted in (("A1", "sustained"), ("A2", "not_sustained"), ("A5", "sustained")):
        record_follow_up(s, iro, ref, lasted, "How things are now.", on=ANSWERED, now=NOW)
    return s, iro


@pytest.fixture(scope="module")
def counted(tmp_path_factory):
    return build(tmp_path_factory.mktemp("impact-figures"))[0]


def _pick(row: dict, *keys: str) -> tuple:
    return tuple(row[k] for k in keys)


IMPACT = ("resolved", "improved", "partly", "not_improved", "not_recorded")
LASTED = ("changed", "sustained", "not_sustained", "not_followed_up")


def test_the_difference_made_and_whether_it_lasted_in_all(counted):
    fig = impact_figures(counted, QUARTER, LATER)
    o = fig.overall
    # resolved in Oct-Dec: A1-A7 (A10 was resolved in September; A8 is open)
    # improved A1 A2 A6; partly A3 A5; not improved A4; not recorded A7
    assert _pick(o, *IMPACT) == (7, 3, 2, 1, 1)
    assert o["recorded"] == 6
    # shares of the 6 recorded; not recorded of the 7 resolved
    assert _pick(o, "share_improved", "share_partly", "share_not_improved",
                 "share_not_recorded") == (0.5, 0.333, 0.167, 0.143)
    # changed (improved or partly): 5; sustained A1 A5; not sustained A2; A3 A6 not yet
    assert _pick(o, *LASTED) == (5, 2, 1, 2)
    assert o["answered"] == 3
    assert _pick(o, "share_sustained", "share_not_sustained",
                 "share_not_followed_up") == (0.667, 0.333, 0.4)


def test_broken_down_by_theme_highest_level_and_team(counted):
    fig = impact_figures(counted, QUARTER, LATER)
    # Care Planning: A1 A2 A6 improved, A5 partly; lasted: A1 A5 yes, A2 no, A6 not yet
    # Practice: A3 partly, A4 not improved, A7 not recorded; lasted: A3 not yet
    assert [(r["theme"], *_pick(r, *IMPACT), *_pick(r, *LASTED)) for r in fig.by_theme] == [
        ("Practice", 3, 0, 1, 1, 1, 1, 0, 0, 1),
        ("Care Planning", 4, 3, 1, 0, 0, 4, 2, 1, 1),
    ]  # in the policy's order of themes
    # highest level: informal A1 A2 A3 A7; Service Manager A4 A5; Head of Service A6
    # (A6 reached Level 1 too, but is counted at the highest only)
    assert [(r["track_label"], r["stage"], *_pick(r, *IMPACT), *_pick(r, *LASTED))
            for r in fig.by_level] == [
        (LAC, "Informal stage", 4, 2, 1, 0, 1, 3, 1, 1, 1),
        (LAC, "Level 1: Service Manager", 2, 0, 1, 1, 0, 1, 1, 0, 0),
        (LAC, "Level 2: Head of Service", 1, 1, 0, 0, 0, 1, 0, 0, 1),
    ]
    # North: A1 A2 improved, A3 partly, A4 not improved; South: A6 improved, A5 partly, A7
    assert [(r["team"], *_pick(r, *IMPACT), *_pick(r, *LASTED)) for r in fig.by_team] == [
        ("North", 4, 2, 1, 1, 0, 3, 1, 1, 1),
        ("South", 3, 1, 1, 0, 1, 2, 1, 0, 1),
    ]
    assert fig.by_team[0]["share_improved"] == 0.5  # 2 of North's 4 recorded
    assert fig.by_team[1]["share_improved"] == 0.5  # 1 of South's 2 recorded (A7 not)
    assert fig.by_team[1]["share_not_recorded"] == 0.333  # 1 of South's 3


def test_working_days_from_raising_to_the_agreed_actions(counted):
    fig = impact_figures(counted, QUARTER, LATER)
    # with actions, resolved in the quarter (the day raised does not count, the day resolved
    # does): A1 28 Sep -> 1 Oct: 3; A2 5 -> 7 Oct: 2; A3 12 -> 16 Oct: 4;
    # A5 19 -> 26 Oct: 5; A6 19 Oct -> 4 Nov: 12. Not A4 or A7 (no actions agreed).
    # sorted 2 3 4 5 12: median 4, mean 26 / 5 = 5.2
    assert fig.to_actions == [{"track": "iro", "track_label": LAC, "alerts": 5,
                               "median_working_days": 4.0, "mean_working_days": 5.2}]


def test_the_filters_and_the_date_narrow_every_figure(counted):
    south = next(r[0] for r in counted.db.execute("SELECT id FROM teams WHERE name = 'South'"))
    fig = impact_figures(counted, Filter(QUARTER.start, QUARTER.end, team_id=south), LATER)
    assert _pick(fig.overall, *IMPACT) == (3, 1, 1, 0, 1)
    assert [r["team"] for r in fig.by_team] == ["South"]
    practice = make_filter(counted, QUARTER.start, QUARTER.end, None, None, "Practice")
    assert _pick(impact_figures(counted, practice, LATER).overall, *IMPACT) == (3, 0, 1, 1, 1)
    # resolved in the period, not raised: A1 (raised 28 Sep) is October's, A10 September's
    september = impact_figures(counted, Filter(D(2026, 9, 1), D(2026, 9, 30)), LATER)
    assert _pick(september.overall, *IMPACT) == (1, 1, 0, 0, 0)
    # before the follow-ups were answered, none is known yet
    before = impact_figures(counted, QUARTER, D(2027, 2, 19))
    assert _pick(before.overall, *LASTED) == (5, 0, 0, 5)
    assert before.overall["share_sustained"] is None  # nothing answered: no made-up 0%
    # the other track: nothing, and shares of nothing are None
    nothing = impact_figures(counted, Filter(QUARTER.start, QUARTER.end, track="cp"), LATER)
    assert nothing.overall["resolved"] == 0 and nothing.overall["share_improved"] is None
    assert nothing.by_theme == nothing.by_level == nothing.to_actions == []


def test_the_dashboard_counts_the_part_only_when_it_is_shown(counted):
    assert figures(counted, QUARTER, LATER, sections=("raised",)).impact is None
    shown = figures(counted, QUARTER, LATER, sections=("impact",)).impact
    assert shown == impact_figures(counted, QUARTER, LATER)


def test_the_charts_bars_add_up_to_each_group(counted):
    fig = impact_figures(counted, QUARTER, LATER)
    bars = impact_bars(fig.by_team, "team")
    north = {b["difference"]: (b["alerts"], b["percent"]) for b in bars if b["team"] == "North"}
    assert north == {"Improved": (2, 50.0), "Partly improved": (1, 25.0),
                     "Not improved": (1, 25.0), "Not recorded": (0, 0.0)}
    lasted = lasted_bars(fig.by_theme, "theme")
    care = {b["lasted"]: b["percent"] for b in lasted if b["theme"] == "Care Planning"}
    assert care == {"Sustained": 50.0, "Not sustained": 25.0, "Not yet followed up": 25.0}


# -- the page --------------------------------------------------------------------------------


def test_the_impact_part_shows_its_charts_and_tables(monkeypatch, tmp_path):
    store = demo_store(tmp_path)  # its history has no alert resolved with an impact
    iro = user_with_role(store, "iro")
    child = next(store.db.query(
        "SELECT case_ref FROM children WHERE reviewer_id = ? AND legal_status = "
        "'looked_after' ORDER BY case_ref LIMIT 1", [iro.staff_id]))["case_ref"]
    for impact in ("improved", "partly", "not_improved"):
        form = RaiseAlertForm(child_ref=child, category="care_planning",
                              concern="No visits since July.", outcome_sought="Weekly visits.",
                              level="informal")
        ref = raise_from_form(store, form, user=iro, on=AS_OF, now=NOW).ref
        _resolve(store, iro, ref, AS_OF, impact, action=impact != "not_improved")
    at = open_page(app(monkeypatch, store, user_with_role(store, "head_of_service")),
                   "pages/dashboard.py")
    at.radio(key="dash_section").set_value("impact").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [h.value for h in at.subheader] == ["Impact for the child"]
    assert any("Alerts resolved from" in c.value for c in at.caption)
    assert len(at.get("vega_lite_chart")) == 6
    assert len(at.get("download_button")) == 6
    f = make_filter(store, at.date_input(key="dash_from").value,
                    at.date_input(key="dash_to").value, None, None, None)
    expected = impact_figures(store, f, AS_OF).overall
    assert expected["improved"] >= 1 and expected["partly"] >= 1  # at least the three above
    tables = [d.value for d in at.dataframe]
    by_theme = next(t for t in tables if "Theme" in t.columns and "Improved" in t.columns)
    assert by_theme["Resolved"].sum() == expected["resolved"]
    assert by_theme["Improved"].sum() == expected["improved"]
    assert by_theme["Share improved"].iloc[0].endswith("%")
    lasted = next(t for t in tables if "Team" in t.columns and "Sustained" in t.columns)
    assert lasted["Improved or partly"].sum() == expected["changed"]
    assert lasted["Not yet followed up"].sum() == expected["not_followed_up"]
    actions = next(t for t in tables if "Median working days" in t.columns)
    assert actions["Resolutions with actions"].sum() >= 2
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Alerts resolved"] == str(expected["resolved"])
    assert metrics["Improved things for the child"] == f"{expected['share_improved']:.0%}"
