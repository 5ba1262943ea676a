"""Importing an authority's old escalation spreadsheet: what it lacks is recorded, not
invented; the actor of an empty ``by`` is found after the clock; what is wrong is refused
with a plain message and nothing written."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import manage
from db.connection import write_transaction
from db.events import events_for_alert
from db.people import insert_child, insert_staff
from rules.alert_transitions import Command
from rules.legacy import GATE_NOT_RECORDED, NOT_RECORDED
from tests.import_support import (
    LEGACY_HEADER,
    LEGACY_MAP,
    authority,
    legacy_history,
    legacy_rows,
    legacy_xlsx,
    own_format_csv,
    rows_csv,
)
from tests.support import D, log, new_store, state
from usecases.alerts import AlertRefused, raise_alert
from usecases.export_alerts import export_events_csv
from usecases.import_events import (
    ImportRefused,
    gates_not_recorded,
    import_events,
    map_from_text,
)
from usecases.importing import reader
from usecases.importing.reader import FileRefused, ImportFile

HEADER = "alert,child,track,date,event,level,outcome,by,until,note,category\n"
AS_OF = D(2027, 2, 1)


def counts(store) -> dict[str, int]:
    return {t: store.db[t].count for t in ("alerts", "events", "children", "staff",
                                           "notifications", "outbox")}


def refused(store, text: str | ImportFile, **kwargs) -> list[str]:
    before = counts(store)
    with pytest.raises(ImportRefused) as caught:
        import_events(store, text, **kwargs)
    assert counts(store) == before
    return [str(p) for p in caught.value.problems]


# -- what older records lack ---------------------------------------------------------------


def test_a_raise_with_no_category_is_imported_as_not_recorded_with_a_warning(tmp_path):
    store = new_store(tmp_path, "seed-001")
    seen = []
    result = import_events(store, HEADER + "L1,SYN-1,iro,2026-12-14,raised,informal,,,,,\n"
                           "L2,SYN-2,iro,2026-12-14,raised,informal,,,,,Not recorded\n",
                           as_of=AS_OF, on_warning=seen.append)
    assert state(store, "L1").category == NOT_RECORDED == state(store, "L2").category
    assert [str(w) for w in result.warnings] == [str(w) for w in seen] == [
        "line 2, category: no concern category recorded; alert L1 is imported under "
        "'Not recorded'.",
        "line 3, category: no concern category recorded; alert L2 is imported under "
        "'Not recorded'."]
    assert result.warning_counts == {"category_not_recorded": 2}
    assert "2 warnings: 2 alerts with no concern category" in " ".join(result.summary())


def test_a_category_may_be_given_by_its_label(tmp_path):
    store = new_store(tmp_path, "seed-001")
    label = store.policy.track("iro").categories[1].label
    import_events(store, HEADER + f'L1,SYN-1,iro,2026-12-14,raised,informal,,,,,"{label}"\n',
                  as_of=AS_OF)
    assert state(store, "L1").category == store.policy.track("iro").categories[1].id


def test_a_formal_raise_without_a_gate_record_is_imported_and_flagged(tmp_path):
    store = new_store(tmp_path, "seed-001")
    result = import_events(store, HEADER + "G1,SYN-1,iro,2026-12-14,raised,service_manager,,,,,"
                                           "care_planning\n", as_of=AS_OF)
    assert state(store, "G1").level == "service_manager"
    raised = log(store, "G1")[0]
    assert raised.data["gate_not_recorded"] is True
    assert raised.data["gate"] == GATE_NOT_RECORDED
    assert raised.data["import_line"] == 2
    assert gates_not_recorded(store, "G1")[0].level_name == "Level 1: Service Manager"
    assert gates_not_recorded(store, "G1")[0].on == D(2026, 12, 14)
    assert [str(w) for w in result.warnings] == [
        "line 2, note: no record that Head of Service was consulted before Level 1: Service "
        "Manager, as seed-001 asks; alert G1 is imported with this step flagged 'gate not "
        "recorded'."]


def test_an_escalation_without_its_gate_record_is_flagged_and_a_recorded_one_is_not(tmp_path):
    store = new_store(tmp_path, "seed-001")
    import_events(store, HEADER + (
        "G2,SYN-2,iro,2026-12-14,raised,informal,,,2026-12-16,,care_planning\n"
        "G2,SYN-2,iro,2026-12-17,escalated,service_manager,,,,,\n"
        "G3,SYN-3,iro,2026-12-14,raised,informal,,,2026-12-16,,care_planning\n"
        "G3,SYN-3,iro,2026-12-17,escalated,service_manager,,,,HoS agreed on 17 Dec,\n"),
        as_of=AS_OF)
    assert [g.kind for g in gates_not_recorded(store, "G2")] == ["escalated"]
    assert gates_not_recorded(store, "G3") == []


def test_informal_raises_need_no_gate(tmp_path):
    store = new_store(tmp_path, "seed-001")
    result = import_events(store, HEADER + "G4,SYN-4,iro,2026-12-14,raised,informal,,,,,"
                                           "care_planning\n", as_of=AS_OF)
    assert not result.warnings and gates_not_recorded(store, "G4") == []


def test_the_live_forms_still_require_a_category_and_a_gate(tmp_path):
    store = new_store(tmp_path, "seed-001")
    with write_transaction(store.db):
        child_id = insert_child(store.db, case_ref="SYN-9", name="Synthetic", date_of_birth=None,
                                legal_status="looked_after", team_id=None,
                                social_worker_id=None, reviewer_id=None)
    for category, level in ((NOT_RECORDED, "informal"), ("", "informal"),
                            ("care_planning", "service_manager")):
        with pytest.raises(AlertRefused):
            raise_alert(store, child_id=child_id, child_ref="SYN-9", track="iro",
                        command=Command(kind="raised", on=D(2026, 12, 14), actor_role="iro",
                                        level=level, category=category))


def test_what_was_not_recorded_survives_an_export_and_a_re_import(tmp_path):
    first = new_store(tmp_path, "seed-001", "first.db")
    import_events(first, HEADER + "R1,SYN-1,iro,2026-12-14,raised,service_manager,,,,,\n",
                  as_of=AS_OF)
    second = new_store(tmp_path, "seed-001", "second.db")
    result = import_events(second, export_events_csv(first), as_of=AS_OF)
    assert state(second, "R1").category == NOT_RECORDED
    assert len(gates_not_recorded(second, "R1")) == 1
    assert result.warning_counts == {"category_not_recorded": 1, "gate_not_recorded": 1}


def test_an_import_tells_nobody(tmp_path):
    store = new_store(tmp_path, "seed-001")
    with write_transaction(store.db):
        manager = insert_staff(store.db, name="Moss Northcote", email="moss@x.invalid",
                               role="team_manager")
        worker = insert_staff(store.db, name="Fern Dunwater", email="fern@x.invalid",
                              role="social_worker", line_manager_id=manager)
        insert_child(store.db, case_ref="SYN-1", name="Synthetic", date_of_birth=None,
                     legal_status="looked_after", team_id=None, social_worker_id=worker,
                     reviewer_id=None)
    import_events(store, HEADER + "N1,SYN-1,iro,2026-12-14,raised,informal,,,,,care_planning\n"
                                  "N1,SYN-1,iro,2026-12-15,responded,,agree,,,,\n", as_of=AS_OF)
    assert (store.db["notifications"].count, store.db["outbox"].count) == (0, 0)
    assert [e.kind for e in log(store, "N1")] == ["raised", "responded"]


# -- the actor of an empty `by`, after the clock ---------------------------------------------


def test_an_empty_by_after_silence_escalated_is_whoever_the_alert_now_waits_for(tmp_path):
    store = new_store(tmp_path, "seed-001")
    import_events(store, HEADER + (
        "S1,SYN-1,iro,2026-12-14,raised,service_manager,,,,HoS agreed,care_planning\n"
        "S1,SYN-1,iro,2026-12-23,acknowledged,,,,,,\n"
        "S1,SYN-1,iro,2026-12-23,extension_requested,,,,2027-01-15,Panel date,\n"
        "S1,SYN-1,iro,2026-12-24,extension_agreed,,,,,,\n"
        "S1,SYN-1,iro,2027-01-14,responded,,agree,,,,\n"), as_of=AS_OF)
    events = log(store, "S1")
    assert [(e.kind, e.actor_role) for e in events if e.rule is None] == [
        ("raised", "iro"), ("acknowledged", "head_of_service"),
        ("extension_requested", "head_of_service"), ("extension_agreed", "iro"),
        ("responded", "head_of_service")]
    assert [e.kind for e in events][:2] == ["raised", "escalated"]


# -- refusals ------------------------------------------------------------------------------


def test_a_row_for_another_child_than_the_existing_alerts_is_refused(tmp_path):
    store = new_store(tmp_path, "seed-001")
    import_events(store, HEADER + "C1,SYN-1,iro,2026-12-14,raised,informal,,,,,care_planning\n",
                  as_of=AS_OF)
    assert refused(store, HEADER + "C1,SYN-2,iro,2026-12-15,responded,,agree,,,,\n",
                   as_of=AS_OF) == [
        "line 2, child: alert C1 is already in the store, for child SYN-1, not SYN-2."]


def test_a_track_that_does_not_match_the_childs_legal_status_is_refused(tmp_path):
    store = new_store(tmp_path, "seed-001")
    with write_transaction(store.db):
        insert_child(store.db, case_ref="SYN-CP", name="Synthetic", date_of_birth=None,
                     legal_status="child_protection", team_id=None, social_worker_id=None,
                     reviewer_id=None)
    assert refused(store, HEADER + "T1,SYN-CP,iro,2026-12-14,raised,informal,,,,,"
                                   "care_planning\n", as_of=AS_OF) == [
        "line 2, track: child SYN-CP is on a child protection plan, so alert T1 belongs on "
        "the cp track, not iro."]
    # alerts of one new child in one file must agree too
    assert refused(store, HEADER + "T2,SYN-N,iro,2026-12-14,raised,informal,,,,,care_planning\n"
                                   "T3,SYN-N,cp,2026-12-14,raised,informal,,,,,care_planning\n",
                   as_of=AS_OF) == [
        "line 3, track: child SYN-N is looked after, so alert T3 belongs on the iro track, "
        "not cp."]


def test_a_map_may_leave_the_track_to_the_childs_legal_status(tmp_path):
    store = new_store(tmp_path, "seed-001")
    with write_transaction(store.db):
        insert_child(store.db, case_ref="SYN-CP", name="Synthetic", date_of_birth=None,
                     legal_status="child_protection", team_id=None, social_worker_id=None,
                     reviewer_id=None)
    column_map = map_from_text("columns: {alert: Ref, child: Case, date: Date, event: What, "
                               "level: Level}\n")
    import_events(store, "Ref,Case,Date,What,Level\nT4,SYN-CP,2026-12-14,raised,informal\n",
                  as_of=AS_OF, column_map=column_map)
    assert state(store, "T4").track == "cp"
    assert refused(store, "Ref,Case,Date,What,Level\nT5,SYN-NEW,2026-12-14,raised,informal\n",
                   as_of=AS_OF, column_map=column_map) == [
        "line 2, track: say which track alert T5 is on: child SYN-NEW is not in the store, so "
        "its legal status cannot tell."]


@pytest.mark.parametrize(("date", "message"), [
    ("2027-02-02", "2 Feb 2027 is after 1 Feb 2027, the date of this import: a history "
                   "cannot hold events yet to happen."),
    ("20261102", "'20261102' is not a date: write it as YYYY-MM-DD, for example 2026-12-21."),
    ("2026-W49-1", "'2026-W49-1' is not a date: write it as YYYY-MM-DD, for example "
                   "2026-12-21."),
    ("14/12/2026", "'14/12/2026' is not a date: write it as YYYY-MM-DD, for example "
                   "2026-12-21."),
    ("2026-02-30", "'2026-02-30' is not a date: write it as YYYY-MM-DD, for example "
                   "2026-12-21."),
    ("0001-01-01", "'0001-01-01' is before 1 Jan 1990, earlier than any record this import "
                   "takes; check the year."),
    ("9999-12-31", "'9999-12-31' is after 31 Dec 2099, later than the working-day calendar "
                   "reaches; check the year."),
])
def test_dates_out_of_range_or_form_are_refused(tmp_path, date, message):
    store = new_store(tmp_path, "seed-001")
    assert refused(store, HEADER + f"D1,SYN-1,iro,{date},raised,informal,,,,,care_planning\n",
                   as_of=AS_OF) == [f"line 2, date: {message}"]


def test_far_years_are_refused_without_an_import_date_too(tmp_path):
    store = new_store(tmp_path, "seed-001")
    assert refused(store, HEADER + "D1,SYN-1,iro,9999-12-31,raised,informal,,,,,\n"
                                   "D2,SYN-1,iro,2026-12-14,raised,informal,,,2099-12-31,,\n") == [
        "line 2, date: '9999-12-31' is after 31 Dec 2099, later than the working-day calendar "
        "reaches; check the year.",
        "line 3, until: 31 Dec 2099 is more than a year after the row's date (14 Dec 2026); "
        "check the year."]


def test_day_month_year_is_read_only_where_the_map_says_so(tmp_path):
    store = new_store(tmp_path, "seed-001")
    column_map = map_from_text("date_format: DD/MM/YYYY\ncolumns: {" + ", ".join(
        f"{c}: {c}" for c in HEADER.strip().split(",")) + "}\n")
    import_events(store, HEADER + "U1,SYN-1,iro,14/12/2026,raised,informal,,,16/12/2026,,\n",
                  as_of=AS_OF, column_map=column_map)
    assert state(store, "U1").due == D(2026, 12, 16)


def test_nul_and_control_characters_are_refused(tmp_path):
    store = new_store(tmp_path, "seed-001")
    assert refused(store, HEADER + "N1,SYN\x00-1,iro,2026-12-14,raised,informal,,,,,\n"
                                   "N2,SYN-2,iro,2026-12-14,raised,informal,,,,Bell\x07,\n",
                   as_of=AS_OF) == [
        "line 2, child: this value contains a control character (U+0000), which no "
        "spreadsheet value should hold. Remove it.",
        "line 3, note: this value contains a control character (U+0007), which no "
        "spreadsheet value should hold. Remove it."]


def test_unknown_columns_are_refused_not_dropped(tmp_path):
    store = new_store(tmp_path, "seed-001")
    assert refused(store, HEADER.strip() + ",officer\nX,SYN-1,iro,2026-12-14,raised,informal,"
                                           ",,,,,Dale\n", as_of=AS_OF) == [
        "line 1: 'officer' is not a column this import knows. Its columns are: alert, child, "
        "track, date, event, level, outcome, by, until, note, category, concern, "
        "outcome_sought, impact_note, actions, follows. Remove it, or describe the "
        "spreadsheet's own columns in a map "
        "(--map)."]


def test_a_value_past_the_last_column_is_refused(tmp_path):
    store = new_store(tmp_path, "seed-001")
    assert refused(store, HEADER + "X,SYN-1,iro,2026-12-14,raised,informal,,,,,,extra\n",
                   as_of=AS_OF) == [
        "line 2: this row has 12 values but the header has 11 columns. A value with a comma "
        "or a line break in it must be in double quotes."]


def test_a_line_break_in_a_value_without_quotes_is_refused(tmp_path):
    store = new_store(tmp_path, "seed-001")
    text = HEADER + "X,SYN-1,iro,2026-12-14,raised,informal,,,,Visits\rmissed,\n"
    problems = refused(store, text, as_of=AS_OF)
    assert problems[0] == ("line 2: this row has 10 values but the header has 11 columns. "
                           "A value with a line break in it must be in double quotes.")


def test_line_ends_of_any_kind_are_read(tmp_path):
    store = new_store(tmp_path, "seed-001")
    rows = ["X1,SYN-1,iro,2026-12-14,raised,informal,,,,,care_planning",
            'X2,SYN-2,iro,2026-12-14,raised,informal,,,,"two\r\nlines",care_planning']
    for n, end in enumerate(("\r", "\r\n", "\n")):
        text = end.join([HEADER.strip(), *(r.replace("X", f"E{n}-") for r in rows)]) + end
        assert import_events(store, text, as_of=AS_OF).alerts == 2
    assert log(store, "E0-2")[0].data["note"] == "two\r\nlines"


@pytest.mark.parametrize(("content", "message"), [
    (HEADER.encode() + b'X,SYN-1,iro,2026-12-14,raised,informal,,,,"' + b"y" * 140_000 + b'",\n',
     "line 2: a value is longer than 131,072 characters"),
    (HEADER.encode() + b'X,SYN-1,iro,2026-12-14,raised,informal,,,,"open,\n',
     'line 2: a value opened with a double quote (") is never closed.'),
    (HEADER.encode() + b'X,SYN-1,iro,2026-12-14,raised,informal,,,,"a"b,\n',
     "line 2: a value in double quotes is followed by more text"),
    (HEADER.encode() + "X,SYN-1,iro,2026-12-14,raised,informal,,,,Caf\u00e9,\n".encode("cp1252"),
     "line 2: this is not UTF-8 text"),
    ("\ufeff".encode("utf-16-le") + HEADER.encode("utf-16-le"),
     'is saved as UTF-16 (Excel\'s "Unicode Text")'),
    (b"", "import.csv is empty."),
    (b"\r\n\r\n", "there is no header row"),
])
def test_malformed_files_get_a_plain_message(tmp_path, content, message):
    store = new_store(tmp_path, "seed-001")
    before = counts(store)
    with pytest.raises(FileRefused) as caught:
        import_events(store, ImportFile.from_bytes("import.csv", content), as_of=AS_OF)
    assert message in str(caught.value)
    assert counts(store) == before


def test_a_value_longer_than_a_spreadsheet_cell_is_refused_with_its_line(tmp_path):
    store = new_store(tmp_path, "seed-001")
    assert refused(store, HEADER + "X,SYN-1,iro,2026-12-14,raised,informal,,,,"
                   + "y" * 40_000 + ",\n", as_of=AS_OF) == [
        "line 2, note: this value is 40,000 characters long; the most a spreadsheet cell "
        "holds is 32,767."]


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    store = new_store(tmp_path, "seed-001")

    def never() -> None:
        raise AssertionError("the file was opened")

    huge = ImportFile(name="huge.csv", size=reader.MAX_FILE_BYTES + 1, opener=never)
    with pytest.raises(FileRefused, match=r"huge.csv is 8 MB; the largest file an import "
                                          r"reads is 8 MB"):
        import_events(store, huge, as_of=AS_OF)
    path = tmp_path / "big.csv"
    with path.open("wb") as f:
        f.truncate(200 * 1024 * 1024)  # a sparse 200 MB file
    with pytest.raises(FileRefused, match=r"big\.csv is 200 MB"):
        import_events(store, ImportFile.from_path(path), as_of=AS_OF)


def test_too_many_rows_are_refused_while_reading(tmp_path, monkeypatch):
    store = new_store(tmp_path, "seed-001")
    monkeypatch.setattr(reader, "MAX_ROWS", 3)
    text = HEADER + "".join(f"M{n},SYN-1,iro,2026-12-14,raised,informal,,,,,\n" for n in range(4))
    with pytest.raises(FileRefused, match="has more than 3 rows"):
        import_events(store, text, as_of=AS_OF)
    assert store.db["alerts"].count == 0


def test_a_damaged_or_oversized_workbook_gets_a_plain_message(tmp_path, monkeypatch):
    store = new_store(tmp_path, "seed-001")
    for content in (b"not a workbook at all", b"PK\x03\x04 but not really a zip"):
        with pytest.raises(FileRefused, match=r"Nothing was imported: t\.xlsx"):
            import_events(store, ImportFile.from_bytes("t.xlsx", content), as_of=AS_OF)
    good = legacy_xlsx(tmp_path / "t.xlsx", legacy_history(authority(staff=50, children=20),
                                                            rows=10))
    monkeypatch.setattr(reader, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(FileRefused, match="unpacks to"):
        import_events(store, ImportFile.from_path(good), as_of=AS_OF)
    with pytest.raises(FileRefused, match="read CSV"):
        import_events(store, ImportFile.from_bytes("t.xls", b"x"), as_of=AS_OF)


# -- Excel, maps, dry runs, progress -------------------------------------------------------


def test_the_import_format_is_read_from_a_workbook_with_date_cells(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.append(HEADER.strip().split(","))
    ws.append(["W1", "SYN-1", "iro", dt.datetime(2026, 12, 14), "raised", "informal", None, None,
               dt.date(2026, 12, 16), "Visits missed", "care_planning"])
    ws.append(["W1", "SYN-1", "iro", dt.datetime(2026, 12, 15, 9, 30), "responded", None,
               "agree", None, None, None, None])
    book.save(tmp_path / "w.xlsx")
    result = import_events(new_store(tmp_path, "seed-001"),
                           ImportFile.from_path(tmp_path / "w.xlsx"), as_of=AS_OF)
    assert (result.alerts, result.events) == (1, 2)


def test_a_legacy_workbook_with_its_own_headings_and_words(tmp_path):
    data = authority(staff=50, children=40)
    history = legacy_history(data, rows=300)
    for row in history:
        row["by"] = ""
    path = legacy_xlsx(tmp_path / "tracker.xlsx", history)
    store = new_store(tmp_path, "seed-004")
    result = import_events(store, ImportFile.from_path(path), as_of=D(2026, 11, 23),
                           column_map=map_from_text(LEGACY_MAP))
    assert result.events == len(history)
    assert result.warning_counts["category_not_recorded"] == result.alerts
    formal = sum(1 for h in history if h["event"] == "raised" and h["level"] != "informal")
    assert result.warning_counts["gate_not_recorded"] == formal > 0


def test_map_problems_are_listed_together(tmp_path):
    from usecases.importing.mapping import MapInvalid

    with pytest.raises(MapInvalid) as caught:
        map_from_text("columns: {alrt: Ref, child: Ref}\nvalues: {date: {x: y}}\n"
                      "date_format: MM/DD/YYYY\nsheets: 2\n", "m.yaml")
    assert caught.value.problems == [
        "sheets: this is not a key a map has. Use: sheet, header_row, date_format, columns, "
        "values, defaults, ignore.",
        "columns.alrt: 'alrt' is not a column of this import. Use one of: alert, child, track, "
        "date, event, level, outcome, by, until, note, category, concern, outcome_sought, "
        "impact_note, actions, follows, gate.",
        "values.date: 'date' is not a column of this import. Use one of: track, event, level, "
        "outcome, by, category.",
        "date_format: 'MM/DD/YYYY' is not a format this import reads. Use YYYY-MM-DD or "
        "DD/MM/YYYY."]
    with pytest.raises(MapInvalid, match="this is not valid YAML"):
        map_from_text("columns: [unclosed", "m.yaml")


def test_every_heading_must_be_mapped_or_ignored(tmp_path):
    store = new_store(tmp_path, "seed-004")
    column_map = map_from_text("columns: {alert: Ref, child: Case, date: Date, event: Missing}")
    assert refused(store, "Ref,Case,Date,What,Officer\nA,SYN-1,2026-01-05,raised,x\n",
                   as_of=AS_OF, column_map=column_map) == [
        "line 1: the map says event is in the column 'Missing', but the header has no such "
        "column. Its columns are: Ref, Case, Date, What, Officer.",
        "line 1: the column 'What' is not in the map: map it to one of the import's columns, "
        "or list it under 'ignore'.",
        "line 1: the column 'Officer' is not in the map: map it to one of the import's columns, "
        "or list it under 'ignore'."]


def test_a_dry_run_plays_everything_and_writes_nothing(tmp_path):
    store = new_store(tmp_path, "seed-001")
    before = counts(store)
    result = import_events(store, HEADER + "Y1,SYN-1,iro,2026-12-14,raised,informal,,,,,\n",
                           as_of=AS_OF, dry_run=True)
    assert (result.alerts, result.events, result.dry_run) == (1, 1, True)
    assert result.children_created == ["SYN-1"]
    assert "This was a dry run: nothing was written." in result.summary()
    assert counts(store) == before


def test_progress_is_reported_for_reading_and_applying(tmp_path):
    store = new_store(tmp_path, "seed-004")
    history = legacy_history(authority(staff=50, children=40), rows=400)
    for row in history:
        row["by"] = ""
    calls = []
    import_events(store, own_format_csv(history), as_of=D(2026, 11, 23),
                  progress=lambda stage, done, total: calls.append((stage, done, total)))
    checking = [c for c in calls if c[0] == "check"]
    applying = [c for c in calls if c[0] == "apply"]
    assert checking and applying
    assert applying[-1][1] == applying[-1][2] == len(history)
    assert [c[1] for c in applying] == sorted(c[1] for c in applying)


def test_reading_a_big_file_keeps_memory_flat(tmp_path):
    import tracemalloc

    path = tmp_path / "big.csv"
    row = "M{n},SYN-{n},iro,2026-12-14,raised,informal,,,,Some note about the plan,\n"
    with path.open("w") as f:
        f.write(HEADER)
        for n in range(60_000):
            f.write(row.format(n=n))
    assert path.stat().st_size > 4_000_000
    tracemalloc.start()
    with reader.Spreadsheet(ImportFile.from_path(path)) as book:
        rows = sum(1 for _ in book.sheet().rows())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert rows == 60_000
    assert peak < 1_000_000  # bytes: a few rows and buffers, not the file


# -- the command ---------------------------------------------------------------------------


def test_the_command_reads_a_legacy_file_with_a_map_and_prints_each_warning(tmp_path, capsys):
    store = new_store(tmp_path, "seed-004")
    history = legacy_history(authority(staff=50, children=40), rows=120)
    for row in history:
        row["by"] = ""
    data = tmp_path / "tracker.csv"
    data.write_text(rows_csv(LEGACY_HEADER, legacy_rows(history)))
    mapping = tmp_path / "map.yaml"
    mapping.write_text(LEGACY_MAP)
    args = ["import-events", "--db", str(store.path), "--map", str(mapping), "--as-of",
            "2026-11-23", str(data)]
    assert manage.main([*args[:-1], "--dry-run", str(data)]) == 0
    out = capsys.readouterr().out
    assert "Would import" in out and "This was a dry run: nothing was written." in out
    assert store.db["alerts"].count == 0
    assert manage.main(args) == 0
    out = capsys.readouterr().out
    warnings = [line for line in out.splitlines() if line.startswith("warning: line ")]
    alerts = store.db["alerts"].count
    assert alerts > 0
    assert sum("no concern category recorded" in w for w in warnings) == alerts
    assert f"{len(warnings)} warnings: {alerts} alerts with no concern category" in out


@pytest.mark.parametrize("content", [
    b"\x00\x01\x02", b"alert\n\"", "\u00e9".encode("latin-1"), b"a,b\n1,2\n",
    (HEADER + "X,SYN,iro,0001-01-01,raised,informal,,,,,\n").encode(),
])
def test_the_command_never_shows_a_traceback(tmp_path, capsys, content):
    store = new_store(tmp_path, "seed-001")
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    assert manage.main(["import-events", "--db", str(store.path), str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and "Traceback" not in err


@pytest.mark.parametrize(("argv", "message"), [
    (["--as-of", "20261102"], "--as-of '20261102' is not a date; write it as YYYY-MM-DD."),
    (["--map", "/nonexistent/map.yaml"], "Cannot read the map /nonexistent/map.yaml"),
])
def test_the_commands_options_are_checked(tmp_path, capsys, argv, message):
    store = new_store(tmp_path, "seed-001")
    path = tmp_path / "f.csv"
    path.write_text(HEADER)
    assert manage.main(["import-events", "--db", str(store.path), *argv, str(path)]) == 2
    assert message in capsys.readouterr().err


def test_gate_flags_are_in_the_event_log_itself(tmp_path):
    store = new_store(tmp_path, "seed-001")
    import_events(store, HEADER + "G1,SYN-1,iro,2026-12-14,raised,service_manager,,,,,\n",
                  as_of=AS_OF)
    row = next(store.db.query("SELECT id FROM alerts WHERE ref = 'G1'"))
    stored = [json.loads(r["data"]) for r in store.db.query(
        "SELECT data FROM events WHERE alert_id = ? AND kind = 'raised'", [row["id"]])]
    assert stored[0]["gate_not_recorded"] is True
    assert next(e.kind for e in events_for_alert(store.db, row["id"])) == "raised"
    summary = list(store.db.query("SELECT data FROM events WHERE kind = 'events_imported'"))
    assert json.loads(summary[0]["data"])["warnings"] == {"category_not_recorded": 1,
                                                          "gate_not_recorded": 1}


def test_paths_are_strings_or_paths(tmp_path):
    path = Path(tmp_path / "x.csv")
    path.write_text(HEADER + "P1,SYN-1,iro,2026-12-14,raised,informal,,,,,\n")
    assert import_events(new_store(tmp_path, "seed-001"), ImportFile.from_path(str(path)),
                         as_of=AS_OF).alerts == 1


def test_a_terminal_sees_a_counter(tmp_path, capsys, monkeypatch):
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    store = new_store(tmp_path, "seed-001")
    path = tmp_path / "f.csv"
    path.write_text(HEADER + "".join(f"K{n},SYN-{n},iro,2026-12-14,raised,informal,,,,,"
                                     "care_planning\n" for n in range(300)))
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert manage.main(["import-events", "--db", str(store.path), "--as-of", "2027-02-01",
                        str(path)]) == 0
    shown = terminal.getvalue()
    assert "\rChecking the file: 100%" in shown
    assert "\rTrying the rows: 300 of 300 rows" in shown  # the rehearsal, on a copy
    assert "\rWriting: 300 of 300 rows" in shown
    assert "Imported 300 events on 300 alerts" in capsys.readouterr().out
