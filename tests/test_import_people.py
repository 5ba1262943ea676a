"""Importing an authority's teams, staff and children: checked whole, then all or nothing;
matched by name, e-mail and case reference; re-importing the same file changes nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import manage
from db.accounts import account_by_email, staff_list
from db.events import events_for_child
from rules.roles import ROLES
from tests.import_support import PEOPLE_COLUMNS, authority, people_xlsx, rows_csv
from tests.support import new_store
from usecases.accounts import SignedInUser, user_from_account
from usecases.children import child_record
from usecases.errors import UserError
from usecases.import_people import import_people
from usecases.importing.problems import ImportRefused
from usecases.importing.reader import FileRefused, ImportFile

AS_OF = dt.date(2026, 11, 23)
TEAMS = PEOPLE_COLUMNS["teams"]
STAFF = PEOPLE_COLUMNS["staff"]
CHILDREN = PEOPLE_COLUMNS["children"]


def snapshot(store) -> dict:
    return {t: list(store.db.query(f"SELECT * FROM {t} ORDER BY id"))
            for t in ("teams", "staff", "children", "events")}


def csv_file(kind: str, rows: list[dict], columns: tuple[str, ...] | None = None) -> ImportFile:
    return ImportFile.from_text(rows_csv(columns or PEOPLE_COLUMNS[kind], rows), f"{kind}.csv")


def problems_of(store, file: ImportFile, **kwargs) -> list[str]:
    before = snapshot(store)
    with pytest.raises(ImportRefused) as caught:
        import_people(store, file, as_of=AS_OF, **kwargs)
    assert snapshot(store) == before
    return [str(p) for p in caught.value.problems]


@pytest.fixture
def small():
    return authority(staff=50, children=40)


def test_a_workbook_loads_teams_staff_with_line_managers_and_children(tmp_path, small):
    store = new_store(tmp_path, "seed-004")
    path = people_xlsx(tmp_path / "people.xlsx", small)
    result = import_people(store, ImportFile.from_path(path), as_of=AS_OF)
    assert result.applied and result.counts() == {
        "teams added": 12, "staff added": 50, "staff changed": 0, "children added": 40,
        "children changed": 0}
    # managers were listed after the people they manage, and are resolved all the same
    managers = {r["email"]: r["manager"] for r in store.db.query(
        "SELECT s.email, m.email AS manager FROM staff s LEFT JOIN staff m "
        "ON m.id = s.line_manager_id")}
    assert managers == {s["email"]: s["line_manager_email"] or None for s in small.staff}
    assert not any(row["can_sign_in"] for row in staff_list(store.db))  # no passwords
    child = next(store.db.query("SELECT * FROM children WHERE case_ref = 'SYN-00001'"))
    source = small.children[0]
    assert child["date_of_birth"] == dt.datetime.strptime(source["date_of_birth"],
                                                          "%d/%m/%Y").date().isoformat()
    kinds = [r["kind"] for r in store.db.query("SELECT kind FROM events ORDER BY id")]
    assert (kinds.count("team_added"), kinds.count("staff_added"),
            kinds.count("child_added"), kinds[-1]) == (12, 50, 40, "people_imported")


def test_re_importing_the_same_file_changes_nothing(tmp_path, small):
    store = new_store(tmp_path, "seed-004")
    file = ImportFile.from_path(people_xlsx(tmp_path / "people.xlsx", small))
    import_people(store, file, as_of=AS_OF)
    before = snapshot(store)
    again = import_people(store, file, as_of=AS_OF + dt.timedelta(days=7))
    assert again.nothing_to_do and not again.applied
    assert again.report()[-1] == "Nothing to change: the store already holds what the file says."
    assert snapshot(store) == before


def test_known_rows_are_updated_and_a_new_reviewer_is_on_the_childs_chronology(tmp_path, small):
    store = new_store(tmp_path, "seed-004")
    import_people(store, ImportFile.from_path(people_xlsx(tmp_path / "a.xlsx", small)),
                  as_of=AS_OF)
    child = dict(small.children[0])
    iros = [s["email"] for s in small.by_role("iro") if s["email"] != child["reviewer_email"]]
    workers = [s["email"] for s in small.by_role("social_worker")
               if s["email"] != child["social_worker_email"]]
    old_reviewer = child["reviewer_email"]
    child.update(reviewer_email=iros[0], social_worker_email=workers[0], name="Renamed Child")
    worker = dict(small.by_role("social_worker")[-1])
    worker.update(role="practice_manager", active="no")
    result = import_people(store, csv_file("children", [child]), kind="children", as_of=AS_OF)
    assert [str(c) for _, c in result.children_changed] == [
        f"SYN-00001 (children, line 2): name: {small.children[0]['name']} -> Renamed Child; "
        f"social worker: {small.children[0]['social_worker_email']} -> {workers[0]}; "
        f"reviewer: {old_reviewer} -> {iros[0]}"]
    import_people(store, csv_file("staff", [worker]), kind="staff", as_of=AS_OF)
    stored = next(store.db.query("SELECT role, active FROM staff WHERE email = ?",
                                 [worker["email"]]))
    assert (stored["role"], stored["active"]) == ("practice_manager", 0)
    row = next(store.db.query("SELECT * FROM children WHERE case_ref = 'SYN-00001'"))
    chronology = [(e.kind, e.reason) for e in events_for_child(store.db, row["id"])]
    names = {s["email"]: s["name"] for s in small.staff}
    assert ("reviewer_changed", f"Reviewer changed from {names[old_reviewer]} to "
            f"{names[iros[0]]} by the import of children.csv (children, line 2).") in chronology
    assert [k for k, _ in chronology].count("social_worker_changed") == 1
    assert [k for k, _ in chronology].count("child_changed") == 1
    # the child's record names each change in words, not the event's code
    seen = {e["what"] for e in child_record(
        store, principal_iro(store), "SYN-00001",
        dt.datetime.combine(AS_OF, dt.time(9), tzinfo=dt.UTC)).chronology}
    assert {"Reviewer changed", "Social worker changed", "Child's details changed"} <= seen


def principal_iro(store):
    """Someone who may read every child's whole record (the principal IRO)."""
    row = next(store.db.query("SELECT email FROM staff WHERE role = 'principal_iro' AND "
                              "active = 1 ORDER BY id LIMIT 1"))
    return user_from_account(account_by_email(store.db, row["email"]))


def test_a_column_left_out_leaves_that_field_as_it_is(tmp_path, small):
    store = new_store(tmp_path, "seed-004")
    import_people(store, ImportFile.from_path(people_xlsx(tmp_path / "a.xlsx", small)),
                  as_of=AS_OF)
    child = small.children[1]
    columns = ("case_ref", "name", "legal_status")
    result = import_people(store, csv_file("children", [child], columns), kind="children",
                           as_of=AS_OF)
    assert result.nothing_to_do


def test_csv_files_one_kind_at_a_time(tmp_path, small):
    store = new_store(tmp_path, "seed-004")
    for kind in ("teams", "staff", "children"):
        import_people(store, csv_file(kind, getattr(small, kind)), kind=kind, as_of=AS_OF)
    assert (store.db["teams"].count, store.db["staff"].count, store.db["children"].count) == (
        12, 50, 40)
    with pytest.raises(FileRefused, match="--kind teams, staff or children"):
        import_people(store, csv_file("teams", small.teams), as_of=AS_OF)


def test_every_problem_is_reported_by_sheet_line_and_column(tmp_path):
    from openpyxl import Workbook

    store = new_store(tmp_path, "seed-002")
    book = Workbook()
    book.remove(book.active)
    sheets = {
        "teams": [TEAMS, ("North",), ("north",)],
        "staff": [STAFF,
                  ("Ash A", "ash@x.invalid", "wizard", "North", "", "yes"),
                  ("Bay B", "bay@x.invalid", "iro", "South", "nobody@x.invalid", "maybe"),
                  ("Cedar C", "ash@x.invalid", "iro", "", "", ""),
                  ("Dale D", "dale@x.invalid", "team_manager", "", "elm@x.invalid", ""),
                  ("Elm E", "elm@x.invalid", "Service Manager", "", "dale@x.invalid", ""),
                  ("Fern F", "fern@x.invalid", "social_worker", "", "fern@x.invalid", ""),
                  ("Glen G", "not an address", "cp_chair", "", "", "")],
        "children": [CHILDREN,
                     ("SYN-1", "Kit K", "2015-03-21", "looked_after", "", "fern@x.invalid",
                      "bay@x.invalid"),
                     ("SYN-2", "Lark L", "20150321", "adopted", "", "dale@x.invalid",
                      "bay@x.invalid"),
                     ("SYN-1", "Moss M", dt.datetime(2030, 1, 1), "child_protection", "",
                      "", "bay@x.invalid"),
                     ("SYN-3", "", "21/03/2015", "Child protection plan", "", "",
                      "glen@x.invalid")],
        "notes": [("anything",)],
    }
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(list(row))
    book.save(tmp_path / "p.xlsx")
    assert problems_of(store, ImportFile.from_path(tmp_path / "p.xlsx")) == [
        "teams, line 3, name: the team 'north' is already on line 2.",
        "staff, line 2, role: 'wizard' is not a role. Use a role slug: "
        + ", ".join(ROLES) + " (see README, 'Roles').",
        "staff, line 3, active: 'maybe' is neither yes nor no.",
        "staff, line 3, team: there is no team called 'South': add it to the teams sheet (or "
        "correct the name).",
        "staff, line 3, line_manager_email: no member of staff has the e-mail address "
        "nobody@x.invalid (in this file or already in the store).",
        "staff, line 4, email: ash@x.invalid is already on line 2.",
        "staff, line 5, line_manager_email: the line managers go round in a circle: "
        "dale@x.invalid -> elm@x.invalid -> dale@x.invalid. Someone at the top has no line "
        "manager (leave it empty).",
        "staff, line 7, line_manager_email: a person cannot be their own line manager.",
        "staff, line 8, email: 'not an address' is not an e-mail address.",
        "children, line 3, date_of_birth: '20150321' is not a date: write it as YYYY-MM-DD or "
        "DD/MM/YYYY, for example 2015-03-21 or 21/03/2015.",
        "children, line 3, legal_status: 'adopted' is not a legal status. Use looked_after or "
        "child_protection.",
        "children, line 4, date_of_birth: 1 Jan 2030 is after 23 Nov 2026, the date of this "
        "import.",
        "children, line 4, case_ref: SYN-1 is already on line 2.",
        "children, line 5, name: the child's name is missing.",
        "children, line 5, reviewer_email: no member of staff has the e-mail address "
        "glen@x.invalid.",
        "notes, line 1: the sheet 'notes' is not one this import reads (teams, staff, "
        "children): rename or remove it.",
    ]


def test_references_to_people_are_checked_against_roles(tmp_path):
    store = new_store(tmp_path, "seed-002")
    staff = [
        {"name": "Ivy I", "email": "ivy@x.invalid", "role": "iro"},
        {"name": "Jay J", "email": "jay@x.invalid", "role": "cp_chair"},
        {"name": "Oak O", "email": "oak@x.invalid", "role": "social_worker", "active": "no"},
        {"name": "Pip P", "email": "pip@x.invalid", "role": "head_of_service"},
    ]
    import_people(store, csv_file("staff", staff), kind="staff", as_of=AS_OF)
    children = [
        {"case_ref": "SYN-1", "name": "A", "legal_status": "child_protection",
         "reviewer_email": "ivy@x.invalid", "social_worker_email": "pip@x.invalid"},
        {"case_ref": "SYN-2", "name": "B", "legal_status": "looked_after",
         "reviewer_email": "jay@x.invalid", "social_worker_email": "oak@x.invalid"},
        {"case_ref": "SYN-3", "name": "C", "legal_status": "looked_after",
         "reviewer_email": "who@x.invalid"},
    ]
    assert problems_of(store, csv_file("children", children), kind="children") == [
        "children, line 2, social_worker_email: pip@x.invalid is a Head of Service; a child's "
        "social worker is a Social Worker or Practice Manager or Team Manager.",
        "children, line 2, reviewer_email: ivy@x.invalid is an Independent Reviewing Officer; "
        "a child whose legal status is 'child protection plan' is reviewed by a Child "
        "Protection Chair.",
        "children, line 3, social_worker_email: oak@x.invalid is not active (active: no).",
        "children, line 3, reviewer_email: jay@x.invalid is a Child Protection Chair; a child "
        "whose legal status is 'looked after' is reviewed by an Independent Reviewing Officer.",
        "children, line 4, reviewer_email: no member of staff has the e-mail address "
        "who@x.invalid.",
    ]


def test_extra_or_missing_columns_are_refused(tmp_path):
    store = new_store(tmp_path, "seed-004")
    file = ImportFile.from_text("name,colour\nNorth,blue\n", "teams.csv")
    assert problems_of(store, file, kind="teams") == [
        "teams, line 1: 'colour' is not a column this import knows. Its columns are: name. "
        "Remove it."]
    file = ImportFile.from_text("name,role\nAsh,iro\n", "staff.csv")
    assert problems_of(store, file, kind="staff") == [
        "staff, line 1: the header is missing the column email. Expected: name,email,role,"
        "team,line_manager_email,active."]


def test_a_dry_run_previews_and_writes_nothing(tmp_path, small):
    store = new_store(tmp_path, "seed-004")
    before = snapshot(store)
    preview = import_people(store, ImportFile.from_path(people_xlsx(tmp_path / "p.xlsx", small)),
                            as_of=AS_OF, dry_run=True)
    assert not preview.applied and len(preview.children_added) == 40
    assert preview.report()[-1] == "This was a dry run: nothing was written."
    assert snapshot(store) == before


def test_applying_a_stale_preview_is_refused(tmp_path, small):
    store = new_store(tmp_path, "seed-004")
    file = ImportFile.from_path(people_xlsx(tmp_path / "p.xlsx", small))
    preview = import_people(store, file, as_of=AS_OF, dry_run=True)
    import_people(store, csv_file("teams", small.teams[:1]), kind="teams", as_of=AS_OF)
    with pytest.raises(UserError, match="changed since the preview"):
        import_people(store, file, as_of=AS_OF, expect=preview.fingerprint)
    assert store.db["staff"].count == 0


def test_only_the_administrator_may_import(tmp_path, small):
    store = new_store(tmp_path, "seed-004")
    someone = SignedInUser(staff_id=1, name="Ash", email="ash@x.invalid", role="head_of_service",
                           team_id=None, team_name=None)
    with pytest.raises(UserError, match="for the system administrator"):
        import_people(store, csv_file("teams", small.teams), kind="teams", as_of=AS_OF,
                      user=someone)


def test_the_command_imports_previews_and_refuses_plainly(tmp_path, capsys, small):
    store = new_store(tmp_path, "seed-004")
    path = people_xlsx(tmp_path / "people.xlsx", small)
    db = ["--db", str(store.path)]
    assert manage.main(["import-people", *db, "--dry-run", "--as-of", "2026-11-23",
                        str(path)]) == 0
    out = capsys.readouterr().out
    assert "Would add 12 teams, 50 staff and 40 children" in out
    assert store.db["staff"].count == 0
    assert manage.main(["import-people", *db, "--as-of", "2026-11-23", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Added 12 teams, 50 staff and 40 children" in out and "no password" in out
    assert manage.main(["import-people", *db, "--as-of", "2026-11-23", str(path)]) == 0
    assert "Nothing to change" in capsys.readouterr().out
    bad = tmp_path / "staff.csv"
    bad.write_text("name,email,role\nAsh,ash@x.invalid,wizard\n")
    assert manage.main(["import-people", *db, "--kind", "staff", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "Nothing was imported: the file has 1 problem." in err
    assert "staff, line 2, role: 'wizard' is not a role." in err and "Traceback" not in err
    summary = json.loads(next(store.db.query(
        "SELECT data FROM events WHERE kind = 'people_imported'"))["data"])
    assert summary["children_added"] == 40
