"""The reports' tables on the hand-counted store, and the report screen."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.page_support import app, demo_store, open_page, user_with_role
from tests.test_dashboard_figures import store  # noqa: F401 - the hand-counted fixture
from usecases.report_files import workbook_bytes
from usecases.reports import annual, monthly, quarterly


def _rows(table):
    return [dict(zip(table.columns, r, strict=True)) for r in table.rows]


def test_monthly_outstanding_at_month_end(store):  # noqa: F811
    outstanding, by_stage = monthly(store, 2026, 11)
    assert [(r["Alert"], r["Waiting for"], r["Overdue"]) for r in _rows(outstanding)] == [
        ("N2", "Head of Service", "Yes"), ("S1", "the IRO", "No")]
    assert _rows(by_stage) == [
        {"Stage": "Level 1: Service Manager", "Waiting for": "the IRO", "Alerts": 1},
        {"Stage": "Level 2: Head of Service", "Waiting for": "Head of Service", "Alerts": 1}]


def test_quarterly_themes_by_team_with_change(store):  # noqa: F811
    by_team_theme, by_theme, by_team = quarterly(store, 2026, 4)
    assert _rows(by_theme)[0] == {"Theme": "Care Planning", "This quarter": 3,
                                  "Quarter before": 0}
    assert _rows(by_team_theme) == [
        {"Team": "North", "Theme": "Care Planning", "This quarter": 2, "Quarter before": 0,
         "Change": 2},
        {"Team": "North", "Theme": "Practice", "This quarter": 1, "Quarter before": 0,
         "Change": 1},
        {"Team": "South", "Theme": "Care Planning", "This quarter": 1, "Quarter before": 0,
         "Change": 1},
    ]
    assert _rows(by_team) == [{"Team": "North", "This quarter": 3, "Quarter before": 0},
                              {"Team": "South", "This quarter": 1, "Quarter before": 0}]


def test_annual_tables(store):  # noqa: F811
    tables = {t.title: _rows(t) for t in annual(store, 2026)}
    assert tables["Resolved"] == [{"Resolved": "Informally", "Alerts": 1},
                                  {"Resolved": "Formally", "Alerts": 1}]
    assert tables["Themes"] == [{"Theme": "Care Planning", "Alerts": 3},
                                {"Theme": "Practice", "Alerts": 1}]
    assert tables["Timeliness"] == [{"Stage": "Level 1: Service Manager", "Responses": 2,
                                     "On time": 2, "Share on time": 1.0}]
    book = load_workbook(io.BytesIO(workbook_bytes(annual(store, 2026))))
    assert book.sheetnames[:3] == ["Stage reached", "Resolved", "Timeliness"]


def test_report_screen_offers_excel_and_csv(monkeypatch, tmp_path):
    demo = demo_store(tmp_path)
    at = open_page(app(monkeypatch, demo, user_with_role(demo, "divisional_director")),
                   "pages/reports.py")
    assert at.title[0].value == "Reports"
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels[0] == "Download as Excel (a sheet per table)"
    assert labels[1:] == ["Download 'Outstanding Nov 2026' as CSV",
                          "Download 'By stage' as CSV"]
    at.radio(key="report_kind").set_value("annual").run()
    assert "Stage reached" in [s.value for s in at.subheader]
