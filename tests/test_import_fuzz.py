"""Fuzzing the imports' CSV reading (hypothesis): whatever the bytes, the answer is an
import or a plain refusal (a UserError), never a traceback; and a refused file never
changes the store."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import new_store
from usecases.errors import UserError
from usecases.import_events import import_events
from usecases.import_people import import_people
from usecases.importing.reader import ImportFile, Spreadsheet
from usecases.store import Store

HEADER = "alert,child,track,date,event,level,outcome,by,until,note,category"
GOOD = (HEADER + "\r\n"
        "F1,SYN-1,iro,2026-12-14,raised,service_manager,,iro,,HoS agreed,care_planning\r\n"
        "F1,SYN-1,iro,2026-12-18,responded,,uphold,,,,\r\n"
        'F2,SYN-2,cp,2026-12-14,raised,informal,,,2026-12-16,"a, b\nc",\r\n').encode()
STAFF = (b"name,email,role,team,line_manager_email,active\r\n"
         b"Ash A,ash@x.invalid,team_manager,,,yes\r\n"
         b"Bay B,bay@x.invalid,social_worker,,ash@x.invalid,\r\n")
AS_OF = dt.date(2027, 2, 1)
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: Characters that break naive CSV handling, and some that are merely unusual.
NASTY = st.sampled_from(["", ",", '"', '""', "\r", "\n", "\r\n", "\x00", "\x07", "\x1b", "\t",
                         "\u2028", "\ufeff", "\udcff"[:0], "é", "漢", "0001-01-01",
                         "9999-12-31", "20261102", "raised", "iro", "cp", "SYN-1", " "])
FIELD = st.one_of(st.text(max_size=12), st.lists(NASTY, max_size=4).map("".join))


@pytest.fixture(scope="module")
def store() -> Store:
    folder = Path(tempfile.mkdtemp(prefix="iro-fuzz-"))
    return new_store(folder, "seed-001")


def snapshot(store: Store) -> tuple:
    tables = ("alerts", "events", "children", "staff", "teams", "notifications", "outbox")
    return (tuple(store.db[t].count for t in tables),
            store.db.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0])


def attempt(store: Store, run) -> None:
    before = snapshot(store)
    try:
        run()
    except UserError:
        assert snapshot(store) == before  # refused: nothing written
    # any other exception fails the test: that is the traceback we are hunting


def mutate(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    for position, cut, insert in edits:
        at = position % (len(data) + 1)
        data = data[:at] + insert + data[at + cut:]
    return data


EDITS = st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 4), st.binary(max_size=4)),
                 max_size=6)


@FUZZ
@given(data=st.binary(max_size=600))
def test_any_bytes_are_read_or_refused_plainly(store, data):
    attempt(store, lambda: import_events(store, ImportFile.from_bytes("f.csv", data),
                                         as_of=AS_OF))


@FUZZ
@given(edits=EDITS)
def test_a_damaged_good_file_is_read_or_refused_plainly(store, edits):
    data = mutate(GOOD, edits)
    attempt(store, lambda: import_events(store, ImportFile.from_bytes("f.csv", data),
                                         as_of=AS_OF, dry_run=True))


@FUZZ
@given(rows=st.lists(st.lists(FIELD, min_size=0, max_size=13), max_size=6),
       end=st.sampled_from(["\n", "\r\n", "\r"]), quote=st.booleans())
def test_rows_of_awkward_values_are_read_or_refused_plainly(store, rows, end, quote):
    def cell(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if quote else value

    text = end.join([HEADER, *(",".join(cell(v) for v in row) for row in rows)]) + end
    attempt(store, lambda: import_events(store, ImportFile.from_bytes(
        "f.csv", text.encode("utf-8", "surrogatepass")), as_of=AS_OF, dry_run=True))


@FUZZ
@given(edits=EDITS, kind=st.sampled_from(["teams", "staff", "children"]))
def test_a_damaged_people_file_is_read_or_refused_plainly(store, edits, kind):
    data = mutate(STAFF, edits)
    attempt(store, lambda: import_people(store, ImportFile.from_bytes("p.csv", data), kind=kind,
                                         as_of=AS_OF, dry_run=True))


@FUZZ
@given(data=st.binary(max_size=400))
def test_the_reader_alone_never_raises_anything_but_a_refusal(data):
    try:
        with Spreadsheet(ImportFile.from_bytes("f.csv", data)) as book:
            sheet = book.sheet()
            for cells in sheet.rows():
                assert len(cells.values) == len(sheet.header)
    except UserError:
        pass


@FUZZ
@given(edits=EDITS)
def test_a_damaged_workbook_is_refused_plainly(store, edits):
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(HEADER.split(","))
    book.active.append(["W1", "SYN-1", "iro", dt.datetime(2026, 12, 14), "raised", "informal"])
    buffer = BytesIO()
    book.save(buffer)
    data = mutate(buffer.getvalue(), edits)
    attempt(store, lambda: import_events(store, ImportFile.from_bytes("w.xlsx", data),
                                         as_of=AS_OF, dry_run=True))
