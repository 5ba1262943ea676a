"""The dashboard through AppTest: every chart titled and labelled, its numbers beside it."""

from __future__ import annotations

import json

from db.dashboard import by_team
from tests.page_support import app, demo_store, open_page, user_with_role
from ui.charts import OKABE_ITO
from ui.navigation import screens_for
from usecases.dashboard import make_filter


def _charts(at) -> list[dict]:
    return [json.loads(e.proto.spec) for e in at.get("vega_lite_chart")]


def test_every_chart_has_a_title_axis_titles_and_safe_colours(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    at = open_page(app(monkeypatch, store, user_with_role(store, "head_of_service")),
                   "pages/dashboard.py")
    assert at.title[0].value == "Dashboard"
    charts = _charts(at)
    assert len(charts) == 7
    for spec in charts:
        assert spec.get("title")
        enc = spec["encoding"]
        assert enc["x"].get("title") and enc["y"].get("title")
        assert enc.get("tooltip")
        colour = enc.get("color", {}).get("scale", {}).get("range")
        if colour:
            assert set(colour) <= set(OKABE_ITO)
    assert len(at.get("download_button")) == 8  # seven charts' numbers, and the outstanding


def test_team_table_matches_the_store(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    at = open_page(app(monkeypatch, store, user_with_role(store, "head_of_service")),
                   "pages/dashboard.py")
    start, end = at.date_input(key="dash_from").value, at.date_input(key="dash_to").value
    expected = by_team(store.db, make_filter(store, start, end, None, None, None))
    table = next(d.value for d in at.dataframe if "Per 100 children" in d.value.columns)
    assert list(table["Team"]) == [r["team"] for r in expected]
    assert list(table["Alerts"]) == [r["alerts"] for r in expected]
    assert sum(expected_row["alerts"] for expected_row in expected) > 0


def test_a_backwards_period_is_refused_plainly(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    at = open_page(app(monkeypatch, store, user_with_role(store, "head_of_service")),
                   "pages/dashboard.py")
    at.date_input(key="dash_from").set_value(at.date_input(key="dash_to").value.replace(
        year=2030)).run()
    assert "The 'From' date is after the 'To' date" in at.error[0].value


def test_only_managers_from_service_manager_up_see_it(tmp_path):
    store = demo_store(tmp_path)
    for role, sees in (("head_of_service", True), ("principal_iro", True),
                       ("service_manager", True), ("team_manager", False), ("iro", False)):
        titles = [s.title for s in screens_for(user_with_role(store, role))]
        assert ("Dashboard" in titles) is sees, role
