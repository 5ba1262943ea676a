"""Report files: Excel with one sheet per table, CSV, and no formula can run."""

from __future__ import annotations

import csv
import datetime as dt
import io

from openpyxl import load_workbook

from usecases.report_files import Table, neutralise, table_csv, workbook_bytes

DANGEROUS = ["=HYPERLINK(\"http://example.invalid\")", "+1+1", "-2+3", "@SUM(A1)"]


def test_neutralise_only_text_that_starts_a_formula():
    assert [neutralise(v) for v in DANGEROUS] == ["'" + v for v in DANGEROUS]
    assert neutralise("Care planning") == "Care planning"
    assert neutralise(-3) == -3 and neutralise(0.5) == 0.5


def test_workbook_has_a_sheet_per_table_with_headers_formats_and_no_formulas():
    tables = [
        Table("Alerts by team", ("Team", "Alerts", "Share on time", "Since"),
              (("North", 3, 0.5, dt.date(2026, 4, 1)), (DANGEROUS[0], 1, 1.0, None))),
        Table("Alerts by team", ("Theme", "Count"), (("Practice", 2),)),
    ]
    book = load_workbook(io.BytesIO(workbook_bytes(tables)))
    assert book.sheetnames == ["Alerts by team", "Alerts by team (2)"]
    sheet = book["Alerts by team"]
    assert [c.value for c in sheet[1]] == ["Team", "Alerts", "Share on time", "Since"]
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
    assert sheet["C2"].number_format == "0.0%"
    assert sheet["D2"].number_format == "d mmm yyyy"
    assert sheet["A3"].value == "'" + DANGEROUS[0]
    assert sheet["A3"].data_type == "s"
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f"


def test_csv_is_excel_friendly_and_inert():
    table = Table("t", ("Name", "Date", "N"), (("@cmd", dt.date(2026, 11, 23), 4),
                                                ("Plain", None, 0)))
    data = table_csv(table)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["Name", "Date", "N"], ["'@cmd", "23 Nov 2026", "4"], ["Plain", "", "0"]]
