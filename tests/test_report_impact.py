"""The annual report's impact tables (issue 16) on the hand-counted store of
``tests/test_impact_figures.py``, and in the Excel workbook.

The report's year is the financial year 1 Apr 2026 - 31 Mar 2027, so it counts every alert
of that store resolved in it: A10 (September) as well as A1-A7. Counted as things stood on
31 Mar 2027 (the follow-ups were answered on 20 Feb 2027):

    Care Planning  A10 A1 A2 A6 improved, A5 partly     lasted: A1 A5 yes, A2 no, A10 A6 not yet
    Practice       A3 partly, A4 not improved, A7 not recorded    lasted: A3 not yet
"""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.support import D
from tests.test_impact_figures import build
from usecases.report_files import table_csv, workbook_bytes
from usecases.reports import annual


@pytest.fixture(scope="module")
def counted(tmp_path_factory):
    return build(tmp_path_factory.mktemp("report-impact"))[0]


def _tables(store, **kwargs) -> dict:
    return {t.title: [dict(zip(t.columns, r, strict=True)) for r in t.rows]
            for t in annual(store, 2026, **kwargs)}


def test_the_year_by_the_difference_made(counted):
    tables = _tables(counted)
    # resolved 8: improved A10 A1 A2 A6; partly A3 A5; not improved A4; not recorded A7
    # shares of the 7 recorded: 4/7, 2/7, 1/7
    assert tables["Impact for the child"] == [
        {"Difference for the child": "Improved", "Alerts": 4, "Share of those recorded": 0.571},
        {"Difference for the child": "Partly improved", "Alerts": 2,
         "Share of those recorded": 0.286},
        {"Difference for the child": "Not improved", "Alerts": 1,
         "Share of those recorded": 0.143},
        {"Difference for the child": "Not recorded", "Alerts": 1,
         "Share of those recorded": None},
        {"Difference for the child": "All resolved", "Alerts": 8,
         "Share of those recorded": None},
    ]


def test_the_year_by_whether_it_lasted(counted):
    # changed 6 (improved or partly); sustained A1 A5, not sustained A2, not yet A10 A3 A6
    assert _tables(counted)["Whether it lasted"] == [
        {"Whether the change lasted": "Sustained", "Alerts": 2,
         "Share of those followed up": 0.667},
        {"Whether the change lasted": "Not sustained", "Alerts": 1,
         "Share of those followed up": 0.333},
        {"Whether the change lasted": "Not yet followed up", "Alerts": 3,
         "Share of those followed up": None},
        {"Whether the change lasted": "All improved or partly improved", "Alerts": 6,
         "Share of those followed up": None},
    ]
    # counted as things stood on the day the report is run, if before the year's end:
    # on 19 Feb 2027 no follow-up had been answered
    early = _tables(counted, as_of=D(2027, 2, 19))["Whether it lasted"]
    assert [r["Alerts"] for r in early] == [0, 0, 6, 6]


def test_the_year_by_theme(counted):
    tables = _tables(counted)
    assert tables["Impact by theme"] == [
        {"Theme": "Practice", "Resolved": 3, "Improved": 0, "Partly improved": 1,
         "Not improved": 1, "Not recorded": 1, "Share improved": 0.0,
         "Share partly improved": 0.5, "Share not improved": 0.5, "Share not recorded": 0.333},
        {"Theme": "Care Planning", "Resolved": 5, "Improved": 4, "Partly improved": 1,
         "Not improved": 0, "Not recorded": 0, "Share improved": 0.8,
         "Share partly improved": 0.2, "Share not improved": 0.0, "Share not recorded": 0.0},
    ]
    assert tables["Lasted by theme"] == [
        {"Theme": "Practice", "Improved or partly": 1, "Sustained": 0, "Not sustained": 0,
         "Not yet followed up": 1, "Share sustained": None, "Share not sustained": None,
         "Share not yet followed up": 1.0},
        {"Theme": "Care Planning", "Improved or partly": 5, "Sustained": 2, "Not sustained": 1,
         "Not yet followed up": 2, "Share sustained": 0.667, "Share not sustained": 0.333,
         "Share not yet followed up": 0.4},
    ]


def test_the_workbook_and_the_csv_hold_the_tables(counted):
    tables = annual(counted, 2026)
    book = load_workbook(io.BytesIO(workbook_bytes(tables)))
    assert {"Impact for the child", "Whether it lasted", "Impact by theme",
            "Lasted by theme"} <= set(book.sheetnames)
    sheet = book["Impact by theme"]
    assert [c.value for c in sheet[1]][:3] == ["Theme", "Resolved", "Improved"]
    care = list(sheet[3])
    assert care[0].value == "Care Planning" and care[2].value == 4
    assert care[6].value == 0.8 and care[6].number_format == "0.0%"
    overall = book["Impact for the child"]
    assert [c.value for c in overall[6]] == ["All resolved", 8, None]
    lasted = next(t for t in tables if t.title == "Whether it lasted")
    rows = list(csv.reader(io.StringIO(table_csv(lasted).decode("utf-8-sig"))))
    assert rows[0] == ["Whether the change lasted", "Alerts", "Share of those followed up"]
    assert rows[1] == ["Sustained", "2", "0.667"] and rows[3] == ["Not yet followed up", "3", ""]
