"""The dashboard through AppTest: every chart titled and labelled, its numbers beside it."""

from __future__ import annotations

import datetime as dt
import json
import re

import pyarrow as pa

from db.dashboard import by_team
from tests.page_support import AS_OF, app, demo_store, open_page, user_with_role
from ui.charts import OKABE_ITO
from ui.navigation import screens_for
from usecases.dashboard import alerts, choices, make_filter


def _charts(at) -> list[dict]:
    """Each chart's Vega-Lite spec, with its rows (Streamlit sends them apart, as Arrow)."""
    specs = []
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        if element.proto.data.data:
            table = pa.ipc.open_stream(element.proto.data.data).read_all()
            spec["rows"] = table.to_pylist()
        specs.append(spec)
    return specs


def _show(at, part: str):
    """Choose one part of the dashboard (it shows one at a time)."""
    at.radio(key="dash_section").set_value(part).run()
    assert not at.exception
    return at


def test_the_dashboard_shows_one_part_at_a_time_and_opens_on_what_is_outstanding(monkeypatch,
                                                                          tmp_path):
    store = demo_store(tmp_path)
    at = open_page(app(monkeypatch, store, user_with_role(store, "head_of_service")),
                   "pages/dashboard.py")
    show = at.radio(key="dash_section")
    assert show.label == "Show" and show.value == "outstanding"
    assert list(show.options) == [
        "Outstanding now", "Alerts raised", "By category and team",
        "The ladder and timeliness", "Reviews",
        "Good practice, CAFCASS, changes", "Impact for the child"]
    assert [h.value for h in at.subheader] == ["Outstanding now"] and not _charts(at)
    _show(at, "raised")
    assert [h.value for h in at.subheader] == ["Alerts raised"]
    assert len(_charts(at)) == 1


def test_every_chart_has_a_title_axis_titles_and_safe_colours(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    at = open_page(app(monkeypatch, store, user_with_role(store, "head_of_service")),
                   "pages/dashboard.py")
    assert at.title[0].value == "Dashboard"
    charts, downloads = [], 0
    for part in ("raised", "where", "ladder", "outstanding", "reviews", "other", "impact"):
        charts += _charts(_show(at, part))
        downloads += len(at.get("download_button"))
    assert len(charts) == 13
    for spec in charts:
        assert spec.get("title")
        enc = spec["encoding"]
        assert enc["x"].get("title") and enc["y"].get("title")
        assert enc.get("tooltip")
        colour = enc.get("color", {}).get("scale", {}).get("range")
        if colour:
            assert set(colour) <= set(OKABE_ITO)
    assert downloads == 14  # thirteen charts' numbers, and the outstanding


def test_team_table_matches_the_store(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    at = open_page(app(monkeypatch, store, user_with_role(store, "head_of_service")),
                   "pages/dashboard.py")
    start, end = at.date_input(key="dash_from").value, at.date_input(key="dash_to").value
    expected = by_team(store.db, make_filter(store, start, end, None, None, None))
    _show(at, "where")
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


def _chart(at, title: str) -> dict:
    for spec in _charts(at):
        text = spec["title"]["text"] if isinstance(spec["title"], dict) else spec["title"]
        if text == title:
            return spec
    raise AssertionError(f"no chart titled {title!r}")


def _axis_words(spec: dict, channel: str) -> list[str]:
    """What a chart writes along a name axis: each bar's label, its lines joined."""
    field = spec["encoding"][channel]["field"]
    return [row[field].replace("\n", " ") for row in spec["rows"]]


def _click(at, key: str, *points: dict):
    """Click bars of a chart shown with on_select, as the browser reports it. AppTest has
    no chart widget to set, so this sends the chart's selection state as the front end
    does (through AppTest's private run with widget states)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetStates  # noqa: F401 - the type

    chart = next(e for e in at.get("vega_lite_chart") if e.proto.id.endswith(key))
    states = at._tree.get_widget_states()
    state = states.widgets.add()
    state.id = chart.proto.id
    state.string_value = json.dumps({"selection": {"pick": list(points)}})
    at._run(states)
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_every_team_is_named_in_full_and_told_apart(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    at = open_page(app(monkeypatch, store, user_with_role(store, "head_of_service")),
                   "pages/dashboard.py")
    _show(at, "where")
    teams = _chart(at, "Alerts per 100 children, by team")
    words = _axis_words(teams, "y")  # names up the side, never rotated or cut short
    assert teams["encoding"]["y"]["axis"]["labelLimit"] == 0
    assert "Children in Care North" in words and "Children in Care South" in words
    assert len(set(words)) == len(words)
    categories = _chart(at, "Alerts raised, by category")
    assert categories["encoding"]["y"]["axis"]["labelLimit"] == 0
    assert all("..." not in w and "…" not in w for w in _axis_words(categories, "y"))


def test_figures_per_level_are_per_track(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    at = open_page(app(monkeypatch, store, user_with_role(store, "head_of_service")),
                   "pages/dashboard.py")
    _show(at, "ladder")
    on_time = _chart(at, "Responses on time, by stage and track")
    assert on_time["encoding"]["yOffset"]["field"] == "track_label"
    assert on_time["encoding"]["color"]["field"] == "track_label"
    assert on_time["encoding"]["x"]["scale"]["domain"] == [0, 100]
    rows = on_time["rows"]
    assert {r["track_label"] for r in rows} == {"Looked-after children", "Child protection"}
    assert all(0 <= r["percent_on_time"] <= 100 for r in rows)
    assert len({(r["track_label"], r["stage"]) for r in rows}) == len(rows)
    table = next(d.value for d in at.dataframe if "Share on time" in d.value.columns)
    assert list(table.columns) == ["Track", "Stage", "Responses", "On time", "Share on time"]


def test_periods_are_months_in_words(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    at = open_page(app(monkeypatch, store, user_with_role(store, "head_of_service")),
                   "pages/dashboard.py")
    start = at.date_input(key="dash_from").value
    months = [dt.date.fromisoformat(m) for (m,) in store.db.execute(
        "SELECT DISTINCT substr(raised_on, 1, 7) || '-01' FROM alerts WHERE raised_on "
        "BETWEEN ? AND ? ORDER BY 1", [start.isoformat(), AS_OF.isoformat()])]
    _show(at, "raised")
    table = next(d.value for d in at.dataframe if "Theme" in d.value.columns)
    assert set(table["Month"]) <= {m.strftime("%B %Y") for m in months}
    assert _axis_words(_chart(at, "Alerts raised per month, by theme"), "x")[0] == \
        months[0].strftime("%b %Y")
    _show(at, "reviews")
    reviews = next(d.value for d in at.dataframe if "Judgement" in d.value.columns)
    assert all(re.fullmatch(r"[A-Z][a-z]+ \d{4}", m) for m in reviews["Month"])


def test_a_filtered_chart_keeps_a_readable_scale(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    at = open_page(app(monkeypatch, store, user_with_role(store, "head_of_service")),
                   "pages/dashboard.py")
    south = next(k for k, v in choices(store).teams.items() if v == "Children in Care South")
    at.selectbox(key="dash_team").set_value(south).run()
    at.pills(key="dash_theme").set_value("Human Rights").run()
    assert not at.exception
    specs = [spec for part in ("raised", "where", "ladder", "reviews", "other")
             for spec in _charts(_show(at, part))]
    assert len(specs) == 7
    for spec in specs:
        enc = spec["encoding"]
        numbers = enc["x"] if enc["x"]["type"] == "quantitative" else enc["y"]
        scale = numbers["scale"]
        # the number axis starts at nought (or is fixed) whatever is left after filtering
        assert scale.get("domainMin") == 0 or scale.get("domain", [None])[0] == 0, spec["title"]
        assert numbers["axis"]["format"] in ("d", ",.1~f")
        assert spec["height"] >= 150, spec["title"]


def test_clicking_a_months_bar_lists_only_that_months_alerts(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    at = open_page(app(monkeypatch, store, user_with_role(store, "head_of_service")),
                   "pages/dashboard.py")
    _show(at, "raised")
    by_theme = _chart(at, "Alerts raised per month, by theme")
    assert by_theme["params"][0]["select"]["fields"] == ["period", "theme"]
    bar = next(r for r in by_theme["rows"] if r["period"] == "2026-10")
    _click(at, "chart_raised_by_theme", {"period": "2026-10", "theme": bar["theme"]})
    heading = next(m.value for m in at.markdown if "alerts behind your selection" in m.value)
    assert heading.endswith(f"(October 2026, {bar['theme']}): {bar['alerts']}")
    listed = [link.proto.label for link in at.get("page_link")
              if "ref=" in link.proto.query_string]
    f = make_filter(store, at.date_input(key="dash_from").value,
                    at.date_input(key="dash_to").value, None, None, None)
    expected = [a for a in alerts(store, f, AS_OF) if a["period"] == "2026-10"
                and a["theme"] == bar["theme"]]
    assert len(listed) == bar["alerts"] == len(expected)
    assert {label.split(" ")[0] for label in listed} == {a["ref"] for a in expected}
    # November's alerts of that theme are not among them
    assert all(a["raised_on"].startswith("2026-10") for a in expected)
