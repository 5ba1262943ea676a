"""Reports as files: Excel (one sheet per table) and CSV, safe to open in a spreadsheet.

A cell that begins with ``=``, ``+``, ``-`` or ``@`` would be run as a formula by Excel
or LibreOffice; anything from the store (a child's name, a note) could begin that way,
so such text is prefixed with an apostrophe, which spreadsheets show as plain text.
Numbers stay numbers. Dates are written the UK way everywhere people read them: Excel
keeps them as dates shown ``21 Dec 2026``; CSV and the screens write ``21 Dec 2026``.
Periods arrive already in words (``November 2026``, ``Jul-Sep 2026``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from rules.dates import uk_date

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "d mmm yyyy"
PERCENT_COLUMNS = re.compile(r"(share|%|percent)", re.IGNORECASE)


@dataclass(frozen=True)
class Table:
    """One table of a report: a title, its columns, and rows of values in that order."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    @classmethod
    def from_dicts(cls, title: str, records: Sequence[dict[str, Any]],
                   columns: Sequence[str] | None = None) -> Table:
        cols = tuple(columns or (records[0].keys() if records else ()))
        return cls(title, cols, tuple(tuple(r.get(c) for c in cols) for r in records))


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula, made inert; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_cell(value: Any) -> Any:
    if isinstance(value, dt.date):
        return uk_date(value)
    if value is None:
        return ""
    return neutralise(value)


def _screen_cell(column: str, value: Any) -> Any:
    if isinstance(value, dt.date):
        return uk_date(value)
    if value is None:
        return ""
    if isinstance(value, float) and PERCENT_COLUMNS.search(column):
        return f"{value:.1%}"
    return value


def display_rows(table: Table) -> list[dict[str, Any]]:
    """A table's rows for a screen: one dict per row, dates as ``21 Dec 2026``, shares as
    percentages, nothing shown for a missing value."""
    return [{c: _screen_cell(c, v) for c, v in zip(table.columns, row, strict=True)}
            for row in table.rows]


def table_csv(table: Table) -> bytes:
    """One table as CSV (UTF-8 with a byte-order mark, which Excel needs to read accents)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sheet_name(title: str, taken: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31] or "Table"
    base, n = name, 2
    while name in taken:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(name)
    return name


def workbook_bytes(tables: Sequence[Table]) -> bytes:
    """An .xlsx file with one sheet per table: bold frozen headers, dates and percentages
    formatted, columns wide enough to read."""
    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    header_fill = PatternFill("solid", fgColor="DDDDDD")
    for table in tables:
        sheet = book.create_sheet(_sheet_name(table.title, taken))
        sheet.append([neutralise(c) for c in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in table.rows:
            sheet.append([neutralise(v) for v in row])
        sheet.freeze_panes = "A2"
        for index, column in enumerate(table.columns, start=1):
            letter = get_column_letter(index)
            values = [column, *(r[index - 1] for r in table.rows)]
            width = max(len(str(v)) if v is not None else 0 for v in values)
            sheet.column_dimensions[letter].width = min(max(10, width + 2), 60)
            for cell in sheet[letter][1:]:
                if isinstance(cell.value, dt.date):
                    cell.number_format = DATE_FORMAT
                elif PERCENT_COLUMNS.search(column) and isinstance(cell.value, float):
                    cell.number_format = "0.0%"
    if not tables:
        book.create_sheet("Report").append(["Nothing to report."])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
