"""The reports' tables on the hand-counted stores, and the report screen."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook

from tests.page_support import app, demo_store, open_page, user_with_role
from tests.support import D
from tests.test_dashboard_figures import store, two_tracks  # noqa: F401 - hand-counted fixtures
from usecases.report_files import display_rows, table_csv, workbook_bytes
from usecases.reports import annual, monthly, quarterly


def _rows(table):
    return [dict(zip(table.columns, r, strict=True)) for r in table.rows]


def test_monthly_outstanding_at_month_end(store):  # noqa: F811
    outstanding, by_stage = monthly(store, 2026, 11)
    assert [(r["Alert"], r["Waiting for"], r["Overdue"]) for r in _rows(outstanding)] == [
        ("N2", "Head of Service", "Yes"), ("S1", "the IRO", "No")]
    looked_after = "Looked-after children"  # per level, so per track
    assert _rows(by_stage) == [
        {"Track": looked_after, "Stage": "Level 1: Service Manager", "Waiting for": "the IRO",
         "Alerts": 1},
        {"Track": looked_after, "Stage": "Level 2: Head of Service",
         "Waiting for": "Head of Service", "Alerts": 1}]


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
    assert tables["Timeliness"] == [{"Track": "Looked-after children",
                                     "Stage": "Level 1: Service Manager", "Responses": 2,
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


# -- both tracks, periods in words, UK dates -----------------------------------------------------

LAC, CP = "Looked-after children", "Child protection"


def test_monthly_report_per_track_with_dates(two_tracks):  # noqa: F811
    outstanding, by_stage = monthly(two_tracks, 2026, 12)
    assert outstanding.title == "Outstanding Dec 2026"
    assert _rows(outstanding) == [
        {"Alert": "C3", "Child": "CN-2", "Team": "Children in Care North", "Track": CP,
         "Stage": "Level 4: Director of Children's Services",
         "Waiting for": "Director of Children's Services", "Due": D(2026, 12, 3),
         "Overdue": "Yes"}]
    assert _rows(by_stage) == [{"Track": CP, "Stage": "Level 4: Director of Children's Services",
                                "Waiting for": "Director of Children's Services", "Alerts": 1}]
    # a file or a screen shows the date the UK way
    csv_rows = list(csv.reader(io.StringIO(table_csv(outstanding).decode("utf-8-sig"))))
    assert csv_rows[1][6] == "3 Dec 2026"
    assert display_rows(outstanding)[0]["Due"] == "3 Dec 2026"
    sheet = load_workbook(io.BytesIO(workbook_bytes([outstanding])))["Outstanding Dec 2026"]
    assert sheet["G2"].number_format == "d mmm yyyy"
    # run on 2 Dec, the month's report says what was so on 2 Dec: due tomorrow, not overdue
    early, _ = monthly(two_tracks, 2026, 12, as_of=D(2026, 12, 2))
    assert [(r["Alert"], r["Overdue"]) for r in _rows(early)] == [("C3", "No")]


def test_quarterly_report_names_the_quarter(two_tracks):  # noqa: F811
    tables = quarterly(two_tracks, 2026, 4)
    assert [t.title for t in tables] == ["Themes by team Oct-Dec 2026", "Themes Oct-Dec 2026",
                                         "Teams Oct-Dec 2026"]
    assert _rows(tables[1]) == [
        {"Theme": "Care Planning", "This quarter": 6, "Quarter before": 0},
        {"Theme": "Practice", "This quarter": 1, "Quarter before": 0}]


def test_annual_report_per_track_periods_in_words(two_tracks):  # noqa: F811
    tables = {t.title: _rows(t) for t in annual(two_tracks, 2026)}
    assert tables["Timeliness"] == [
        {"Track": LAC, "Stage": "Informal stage", "Responses": 1, "On time": 0,
         "Share on time": 0.0},
        {"Track": LAC, "Stage": "Level 1: Service Manager", "Responses": 2, "On time": 2,
         "Share on time": 1.0},
        {"Track": CP, "Stage": "Level 1: Service Manager", "Responses": 2, "On time": 1,
         "Share on time": 0.5},
        {"Track": CP, "Stage": "Level 2: Head of Service", "Responses": 1, "On time": 1,
         "Share on time": 1.0},
    ]
    assert [(r["Track"], r["Stage"]) for r in tables["Stage reached"]][:3] == [
        (LAC, "Informal stage"), (LAC, "Level 1: Service Manager"),
        (CP, "Level 1: Service Manager")]
    assert tables["Resolved"] == [{"Resolved": "Informally", "Alerts": 1},
                                  {"Resolved": "Formally", "Alerts": 4}]
    assert tables["Over the formal limit"] == [
        {"Month the limit passed": "October 2026", "Track": LAC, "Alerts": 1,
         "Closed after the limit": 1},
        {"Month the limit passed": "December 2026", "Track": CP, "Alerts": 1,
         "Closed after the limit": 0}]
    assert [(r["Track"], r["Within the formal limit"], r["Over the formal limit"])
            for r in tables["Working days to resolution"]] == [(LAC, 2, 1), (CP, 2, 0)]
    assert {r["Quarter"] for r in tables["RAG by quarter"]} == {"Jul-Sep 2026", "Oct-Dec 2026"}
    # run in November, the year's report does not foresee C3 going over its limit
    run_early = {t.title: _rows(t) for t in annual(two_tracks, 2026, as_of=D(2026, 11, 30))}
    assert [r["Track"] for r in run_early["Over the formal limit"]] == [LAC]


def test_no_iso_dates_or_month_numbers_in_the_annual_files(two_tracks):  # noqa: F811
    tables = annual(two_tracks, 2026)
    iso = re.compile(r"\b\d{4}-\d{2}(-\d{2})?\b|\b\d{4} Q\d\b")
    for table in tables:
        text = table_csv(table).decode("utf-8-sig")
        assert not iso.search(text), (table.title, text)
    book = load_workbook(io.BytesIO(workbook_bytes(tables)))
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                assert not (isinstance(value, str) and iso.search(value)), (sheet.title, value)


def test_report_screen_names_months_and_quarters(monkeypatch, tmp_path):
    demo = demo_store(tmp_path)
    at = open_page(app(monkeypatch, demo, user_with_role(demo, "divisional_director")),
                   "pages/reports.py")
    month = at.selectbox(key="report_month")
    assert list(month.options)[:2] == ["January", "February"] and month.value == 11
    at.radio(key="report_kind").set_value("quarterly").run()
    assert list(at.selectbox(key="report_quarter").options) == [
        "Jan-Mar", "Apr-Jun", "Jul-Sep", "Oct-Dec"]
    assert "Themes by team Oct-Dec 2026" in [s.value for s in at.subheader]
