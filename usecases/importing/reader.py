"""Reading a spreadsheet one row at a time: CSV (UTF-8) or Excel ``.xlsx``.

Every file that cannot be read gets a plain sentence saying where and why, never a stack
trace: the wrong encoding, a quote never closed, a value too long for a spreadsheet cell, a
broken or oversized workbook. Rows come one at a time (CSV through an incremental decoder,
Excel through openpyxl's read-only mode), so memory does not grow with the file.

Limits, checked before anything is read:

- :data:`MAX_FILE_BYTES` (8 MiB) for the file itself. An import of alert histories is one
  transaction that holds the store's write lock from its first write to its last (the
  event log is append-only, so a half-done import could not be taken back out), and the
  app's own writes wait for it; at the measured pace of 600 to 1,000 rows a second, 8 MiB
  of tracker rows (about 110,000 rows as CSV) keeps that to two or three minutes. Five
  years of a large authority's tracker is about 1.5 MiB (20,000 rows). Split a bigger file
  by year and import the parts in turn.
- :data:`MAX_UNPACKED_BYTES` (256 MiB) for what an ``.xlsx`` unzips to, so a small
  workbook cannot inflate without bound;
- :data:`MAX_ROWS` (120,000) rows, checked while reading (an ``.xlsx`` compresses well, so
  8 MiB of workbook can hold more rows than 8 MiB of CSV);
- :data:`MAX_CELL_CHARS` (32,767) characters in one value: the most an Excel cell holds.

Each row also reports what is wrong with its own cells (a NUL or other control character,
a value too long, more or fewer values than the header has columns), so an import can list
every problem at once.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import hashlib
import io
import os
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from usecases.errors import UserError

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_ROWS = 120_000
MAX_CELL_CHARS = 32_767
#: The file kinds the imports read, by the end of the file's name.
KINDS = {".csv": "csv", ".xlsx": "xlsx"}

#: Characters no spreadsheet value should hold: C0 controls (tab, line feed and carriage
#: return excepted), DEL, and the C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

#: progress(done, total): done and total in the same unit (bytes or rows); total may be None.
Progress = Callable[[int, int | None], None]


class FileRefused(UserError):
    """The file cannot be read at all; nothing was imported."""


def megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):,.0f} MB"


@dataclass(frozen=True)
class ImportFile:
    """A file to import: a name (its kind comes from the ending), a size, and its bytes."""

    name: str
    size: int
    opener: Callable[[], IO[bytes]] = field(repr=False)

    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> ImportFile:
        path = Path(path)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise FileRefused(f"Cannot read {path}: {exc.strerror or exc}.") from None
        if path.is_dir():
            raise FileRefused(f"{path} is a folder, not a file.")
        return cls(name=path.name, size=size, opener=lambda: open(path, "rb"))

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> ImportFile:
        return cls(name=name, size=len(data), opener=lambda: io.BytesIO(data))

    @classmethod
    def from_text(cls, text: str, name: str = "import.csv") -> ImportFile:
        return cls.from_bytes(name, text.encode("utf-8"))

    def sha256(self) -> str:
        """The file's SHA-256, read in chunks: what identifies an import of it."""
        digest = hashlib.sha256()
        try:
            with self.opener() as raw:
                for chunk in iter(lambda: raw.read(1024 * 1024), b""):
                    digest.update(chunk)
        except OSError as exc:
            raise FileRefused(f"Cannot read {self.name}: {exc.strerror or exc}.") from None
        return digest.hexdigest()

    @property
    def kind(self) -> str:
        suffix = Path(self.name).suffix.lower()
        if suffix not in KINDS:
            raise FileRefused(
                f"{self.name}: the imports read CSV (.csv, UTF-8) or Excel workbooks (.xlsx). "
                + ("Save an .xls workbook as .xlsx first." if suffix == ".xls" else
                   "Save the file as one of those."))
        return KINDS[suffix]

    def check_size(self) -> None:
        if self.size > MAX_FILE_BYTES:
            raise FileRefused(
                f"{self.name} is {megabytes(self.size)}; the largest file an import reads is "
                f"{megabytes(MAX_FILE_BYTES)}. Split it (for example by year) and import the "
                "parts one after another.")
        if self.size == 0:
            raise FileRefused(f"{self.name} is empty.")


@dataclass
class Cells:
    """One row: its line (or spreadsheet row) number, its values, and what is wrong with
    its own cells as (column position or None, message)."""

    line: int
    values: list[str]
    problems: list[tuple[int | None, str]] = field(default_factory=list)


def _check_cells(values: list[str], width: int) -> tuple[list[str], list[tuple[int | None, str]]]:
    problems: list[tuple[int | None, str]] = []
    for i, value in enumerate(values):
        if len(value) > MAX_CELL_CHARS:
            problems.append((i, f"this value is {len(value):,} characters long; the most a "
                                f"spreadsheet cell holds is {MAX_CELL_CHARS:,}."))
        bad = _CONTROL.search(value)
        if bad:
            problems.append((i, f"this value contains a control character (U+{ord(bad.group()):04X}"
                                "), which no spreadsheet value should hold. Remove it."))
    cleaned = [v.strip() for v in values]
    if len(cleaned) > width:
        extra = [v for v in cleaned[width:] if v]
        if extra:
            problems.append((None, f"this row has {len(cleaned)} values but the header has "
                                   f"{width} columns. A value with a comma or a line break in "
                                   "it must be in double quotes."))
        cleaned = cleaned[:width]
    return cleaned, problems


class Sheet:
    """One table: its header and an iterator over its rows (read once)."""

    def __init__(self, file_name: str, name: str, header_line: int, header: list[str],
                 rows: Iterator[Cells]) -> None:
        self.file_name = file_name
        self.name = name
        self.header_line = header_line
        self.header = header
        self._rows = rows

    def rows(self) -> Iterator[Cells]:
        return self._rows


class _CountingReader(io.RawIOBase):
    """Passes bytes through, counting them, for a progress bar."""

    def __init__(self, inner: IO[bytes], progress: Progress | None, total: int) -> None:
        self._inner = inner
        self._progress = progress
        self._total = total
        self.done = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.done += n
        if self._progress is not None and n:
            self._progress(self.done, self._total)
        return n


def _csv_error(name: str, line: int, exc: csv.Error) -> FileRefused:
    text = str(exc)
    if "field larger than field limit" in text:
        why = (f"a value is longer than {csv.field_size_limit():,} characters (a spreadsheet "
               f"cell holds at most {MAX_CELL_CHARS:,}); probably a quote (\") that is never "
               "closed")
    elif "expected after" in text:
        why = ("a value in double quotes is followed by more text before the next comma; "
               "write a quote inside a quoted value as two quotes (\"\")")
    elif "unexpected end of data" in text or "EOF" in text:
        why = "a value opened with a double quote (\") is never closed"
    elif "new-line character" in text:
        why = "a line break inside a value that is not in double quotes"
    else:
        why = f"it cannot be read as CSV ({text})"
    return FileRefused(f"Nothing was imported: {name}, line {line}: {why}.")


def _sniff_csv(name: str, head: bytes) -> None:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileRefused(f"{name} is saved as UTF-16 (Excel's \"Unicode Text\"). Save it as "
                          "\"CSV UTF-8 (Comma delimited)\" and import that.")
    if head.startswith(b"PK\x03\x04"):
        raise FileRefused(f"{name} is an Excel workbook, not CSV: give it the ending .xlsx.")


_SURROGATE = re.compile(r"[\udc80-\udcff]")


def _csv_rows(file: ImportFile, progress: Progress | None) -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, its raw values) for each record of a CSV file."""
    try:
        raw = file.opener()
    except OSError as exc:
        raise FileRefused(f"Cannot read {file.name}: {exc.strerror or exc}.") from None
    with raw:
        stream = io.BufferedReader(_CountingReader(raw, progress, file.size),
                                   buffer_size=64 * 1024)
        _sniff_csv(file.name, stream.peek(4)[:4])
        # Undecodable bytes become lone surrogates, found below with their line number.
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape",
                                newline="")
        reader = csv.reader(text, strict=True)
        line = 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise _csv_error(file.name, reader.line_num or line, exc) from None
            except OSError as exc:
                raise FileRefused(f"Cannot read {file.name}: {exc.strerror or exc}.") from None
            if any(_SURROGATE.search(v) for v in values):
                raise FileRefused(
                    f"Nothing was imported: {file.name}, line {line}: this is not UTF-8 text "
                    "(perhaps it was saved as \"CSV (Comma delimited)\" in an older "
                    "encoding). Save the file as \"CSV UTF-8 (Comma delimited)\" and import "
                    "that.")
            yield line, values
            line = reader.line_num + 1


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _header(name: str, cells: list[str]) -> list[str]:
    header = [c.strip() for c in cells]
    while header and not header[-1]:
        header.pop()
    return header


class Spreadsheet:
    """An import file opened for reading: ``sheet_names`` and :meth:`sheet`.

    Use as a context manager. Every failure to read is a :class:`FileRefused`.
    """

    def __init__(self, file: ImportFile, progress: Progress | None = None,
                 header_row: int | None = None) -> None:
        self.file = file
        self.kind = file.kind
        file.check_size()
        self.progress = progress
        self.header_row = header_row
        self._book: Any = None
        self.sheet_names: list[str] = [Path(file.name).stem] if self.kind == "csv" else []
        if self.kind == "xlsx":
            self._open_book()

    def __enter__(self) -> Spreadsheet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._book is not None:
            with contextlib.suppress(Exception):  # a broken workbook's close may fail too
                self._book.close()
            self._book = None

    # -- Excel ------------------------------------------------------------------------------

    def _refuse_book(self, why: str) -> FileRefused:
        return FileRefused(f"Nothing was imported: {self.file.name} {why}")

    def _open_book(self) -> None:
        from openpyxl import load_workbook

        try:
            with self.file.opener() as raw:
                data = raw.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise FileRefused(f"Cannot read {self.file.name}: {exc.strerror or exc}.") from None
        if not data.startswith(b"PK"):
            raise self._refuse_book("is not an Excel workbook (.xlsx); if it is CSV, give "
                                    "it the ending .csv.")
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                unpacked = sum(info.file_size for info in archive.infolist())
        except Exception:  # BadZipFile, NotImplementedError (odd versions), OSError ...
            raise self._refuse_book("is damaged: it cannot be opened as a workbook. Open it "
                                    "in Excel and save it again.") from None
        if unpacked > MAX_UNPACKED_BYTES:
            raise self._refuse_book(
                f"unpacks to {megabytes(unpacked)}; the most an import reads is "
                f"{megabytes(MAX_UNPACKED_BYTES)}. Split it and import the parts in turn.")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            self.sheet_names = list(self._book.sheetnames)
        except Exception:  # any failure inside openpyxl means a damaged file
            raise self._refuse_book("cannot be read as an Excel workbook (.xlsx). Open it in "
                                    "Excel and save it again as an Excel Workbook.") from None

    def find_sheet(self, name: str) -> str | None:
        wanted = name.strip().casefold()
        return next((s for s in self.sheet_names if s.strip().casefold() == wanted), None)

    def _xlsx_rows(self, sheet: str) -> Iterator[tuple[int, list[str]]]:
        number = 0
        try:
            ws = self._book[sheet]
            total = getattr(ws, "max_row", None)
            # Blank rows (formatting that runs on) are skipped by _rows, which counts only
            # rows with values against MAX_ROWS; MAX_UNPACKED_BYTES bounds the rest.
            for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
                if self.progress is not None and number % 500 == 0:
                    self.progress(number, total)
                yield number, [_cell_text(v) for v in values]
        except Exception:  # a damaged sheet, or a cell openpyxl cannot convert
            raise FileRefused(
                f"Nothing was imported: {self.file.name}, sheet {sheet}: a row after row "
                f"{number} cannot be read (a damaged cell, or a "
                "date Excel cannot show). Open it in Excel and check it.") from None

    # -- both -------------------------------------------------------------------------------

    def sheet(self, name: str | None = None) -> Sheet:
        """The named sheet (an Excel workbook's first when None; a CSV file has one)."""
        if self.kind == "csv":
            raw = _csv_rows(self.file, self.progress)
            sheet_name = self.sheet_names[0]
        else:
            if name is None:
                sheet_name = self.sheet_names[0] if self.sheet_names else ""
            else:
                found = self.find_sheet(name)
                if found is None:
                    raise FileRefused(
                        f"Nothing was imported: {self.file.name} has no sheet called '{name}'. "
                        f"Its sheets are: {', '.join(self.sheet_names) or 'none'}.")
                sheet_name = found
            if not sheet_name:
                raise FileRefused(f"Nothing was imported: {self.file.name} has no sheets.")
            raw = self._xlsx_rows(sheet_name)
        header_line, header = self._find_header(raw, sheet_name)
        return Sheet(self.file.name, sheet_name, header_line, header,
                     self._rows(raw, len(header)))

    def _find_header(self, raw: Iterator[tuple[int, list[str]]],
                     sheet: str) -> tuple[int, list[str]]:
        for line, values in raw:
            if self.header_row is not None:
                if line < self.header_row:
                    continue
                if line > self.header_row:
                    break
            header = _header(sheet, values)
            if header:
                return line, header
        where = (f"row {self.header_row} is empty" if self.header_row is not None
                 else "there is no header row")
        sheet_words = f", sheet {sheet}" if self.kind == "xlsx" else ""
        raise FileRefused(f"Nothing was imported: {self.file.name}{sheet_words}: {where}; "
                          "the first row must name the columns.")

    def _rows(self, raw: Iterator[tuple[int, list[str]]], width: int) -> Iterator[Cells]:
        count = 0
        for line, values in raw:
            if not any(v.strip() for v in values):
                continue
            count += 1
            if count > MAX_ROWS:
                raise FileRefused(f"Nothing was imported: {self.file.name} has more than "
                                  f"{MAX_ROWS:,} rows; split it and import the parts in turn.")
            cleaned, problems = _check_cells(values, width)
            if self.kind == "csv" and len(values) < width:
                problems.append((None, f"this row has {len(values)} values but the header has "
                                       f"{width} columns. A value with a line break in it must "
                                       "be in double quotes."))
            cleaned += [""] * (width - len(cleaned))
            yield Cells(line, cleaned, problems)
