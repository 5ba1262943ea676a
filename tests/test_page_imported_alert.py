"""An alert imported from an old spreadsheet, as people see it: the category it never had is
"Not recorded" in words (on the alert page and the dashboard), and the consultation nobody
recorded is said plainly on the alert page, with the import's line."""

from __future__ import annotations

import datetime as dt

from tests.page_support import AS_OF, app, demo_store, open_page, texts, user_with_role
from usecases.dashboard import figures, make_filter, themes_of
from usecases.import_events import import_events

HEADER = "alert,child,track,date,event,level,outcome,by,until,note,category\n"


def _imported(tmp_path):
    store = demo_store(tmp_path)
    import_events(store, HEADER + "OLD-1,DEMO-0001,iro,2026-11-02,raised,service_manager,"
                                  ",,,,\n", as_of=AS_OF)
    return store


def test_the_alert_page_says_what_the_old_records_did_not_hold(monkeypatch, tmp_path):
    store = _imported(tmp_path)
    at = open_page(app(monkeypatch, store, user_with_role(store, "head_of_service")),
                   "pages/alert.py", ref="OLD-1")
    shown = texts(at)
    assert "**Category:** Not recorded (Not recorded)" in shown
    assert "not_recorded" not in shown
    assert ("Imported from earlier records: the consultation the procedure asks for before "
            "Level 1: Service Manager (2 Nov 2026) was not recorded (line 2 of the import)."
            ) in [w.value for w in at.warning]


def test_the_dashboard_counts_it_under_not_recorded(tmp_path):
    store = _imported(tmp_path)
    assert themes_of(store)["not_recorded"] == "Not recorded"
    fig = figures(store, make_filter(store, dt.date(2026, 11, 1), AS_OF, None, None, None),
                  AS_OF)
    assert {"category_label": "Not recorded", "alerts": 1} in fig.by_category
    assert any(r["theme"] == "Not recorded" for r in fig.by_theme)


def test_the_dashboard_offers_not_recorded_as_a_theme_only_once_there_is_such_history(
        tmp_path):
    from usecases.dashboard import choices

    store = _imported(tmp_path)
    assert choices(store).themes[-1] == "Not recorded"
    assert "Not recorded" not in choices(demo_store(tmp_path / "plain")).themes
