"""The administrator's import screens (AppTest): preview, apply, map, refuse others.

The menu entries for these screens belong in ``ui.navigation`` (for the administrator);
until they are there, each test registers the two pages for whoever is signed in, so the
pages themselves are what refuses anyone but the administrator.
"""

from __future__ import annotations

import pytest

import ui.navigation as navigation
from db.settings import get_setting
from tests.import_support import (
    LEGACY_HEADER,
    PEOPLE_COLUMNS,
    authority,
    legacy_history,
    legacy_rows,
    people_xlsx,
    rows_csv,
)
from tests.page_support import AS_OF, app, open_page, texts, user_with_role
from usecases.import_events import saved_map
from usecases.store import create_store

PAGES = {"pages/import_people.py": "Import teams, staff and children",
         "pages/import_events.py": "Import alert histories"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _import_pages_registered(monkeypatch):
    original = navigation.screens_for

    def screens_for(user, unread=0, **kwargs):
        screens = original(user, unread, **kwargs)
        if user is None:
            return screens
        known = {s.path for s in screens}
        return [*screens, *(navigation.Screen(path, title, visible=user.role == "admin")
                            for path, title in PAGES.items() if path not in known)]

    monkeypatch.setattr(navigation, "screens_for", screens_for)


@pytest.fixture
def store(tmp_path):
    """A demo store (it has an administrator to sign in as) under seed-004."""
    return create_store(tmp_path / "app.db", "seed-004", demo=True, as_of=AS_OF)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", ["iro", "head_of_service", "team_manager"])
def test_only_the_administrator_may_use_the_import_screens(monkeypatch, store, page, role):
    at = open_page(app(monkeypatch, store, user_with_role(store, role)), page)
    assert [e.value for e in at.error] == [
        "Importing teams, staff and children is for the system administrator."]
    assert not at.file_uploader


def test_the_administrator_previews_then_applies_a_people_workbook(monkeypatch, store,
                                                                    tmp_path):
    data = authority(staff=50, children=30)  # 4 of its 12 teams are in the demo already
    content = people_xlsx(tmp_path / "people.xlsx", data).read_bytes()
    before = store.db["children"].count
    at = open_page(app(monkeypatch, store, user_with_role(store, "admin")),
                   "pages/import_people.py")
    assert at.title[0].value == PAGES["pages/import_people.py"]
    at.file_uploader(key="people_file").set_value(("people.xlsx", content, XLSX))
    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Teams added": "8", "Staff added": "50", "Staff changed": "0",
                       "Children added": "30", "Children changed": "0"}
    assert store.db["children"].count == before  # a preview writes nothing
    at.button(key="people_apply").click()
    at.run()
    assert not at.exception
    assert store.db["children"].count == before + 30
    assert "Added 8 teams, 50 staff and 30 children" in texts(at)
    assert "Nothing to change" in texts(at)  # the same file again: nothing left to do


def test_a_people_file_with_problems_lists_them_and_offers_nothing(monkeypatch, store):
    csv_text = rows_csv(PEOPLE_COLUMNS["staff"], [
        {"name": "Ash Amberfold", "email": "ash@x.invalid", "role": "wizard"},
        {"name": "", "email": "not-an-address", "role": "iro"},
    ])
    at = open_page(app(monkeypatch, store, user_with_role(store, "admin")),
                   "pages/import_people.py")
    at.file_uploader(key="people_file").set_value(("staff.csv", csv_text.encode(), "text/csv"))
    at.run()
    at.radio(key="people_kind").set_value("staff")
    at.run()
    assert at.error[0].value == "Nothing was imported: the file has 3 problems."
    problems = at.dataframe[0].value
    assert list(problems["Column"]) == ["role", "name", "email"]
    assert list(problems["Line"]) == [2, 3, 3]
    assert not [b for b in at.button if b.key == "people_apply"]


def test_the_mapping_step_maps_a_legacy_sheet_saves_it_and_imports(monkeypatch, store):
    history = legacy_history(authority(), rows=60)
    for row in history:  # the demo store has none of the tracker's staff or children
        row["by"] = ""
    content = rows_csv(LEGACY_HEADER, legacy_rows(history)).encode()
    admin = user_with_role(store, "admin")
    at = open_page(app(monkeypatch, store, admin), "pages/import_events.py")
    at.file_uploader(key="events_file").set_value(("tracker.csv", content, "text/csv"))
    at.run()
    assert not at.exception
    assert at.radio(key="events_layout").value == "the spreadsheet's own"
    for column, heading in {"alert": "Alert ID", "child": "Case Number", "date": "Date",
                            "event": "Action", "level": "Stage",
                            "outcome": "Manager Response", "by": "Officer",
                            "until": "Date Agreed", "note": "Comments"}.items():
        at.selectbox(key=f"events_map_{column}").set_value(heading)
    at.run()
    at.selectbox(key="events_default_track").set_value("iro")
    at.radio(key="events_date_format").set_value("DD/MM/YYYY")
    at.run()
    # every word the tracker uses is offered, with the import's values to choose from
    words = {s.label: s for s in at.selectbox if s.key and s.key.startswith("events_word_")}
    meanings = {"'Raised' means": "raised", "'Manager replied' means": "responded",
                "'Resolved' means": "satisfied", "'Not resolved' means": "not_satisfied",
                "'Escalated' means": "escalated", "'More time asked' means": "extension_requested",
                "'More time agreed' means": "extension_agreed",
                "'Closed - withdrawn' means": "withdrawn", "'Acknowledged' means": "acknowledged",
                "'Informal' means": "informal", "'Stage 1 (OM)' means": "operations_manager",
                "'Stage 1 (SM)' means": "service_manager",
                "'Stage 2 (HoS)' means": "head_of_service", "'Agreed' means": "agree",
                "'Upheld' means": "uphold", "'Alternative plan' means": "alternative",
                "'No action' means": "no_action"}
    for label, widget in words.items():
        if label in meanings:
            widget.set_value(meanings[label])
    at.run()
    at.button(key="events_save_map").click()
    at.run()
    assert not at.exception
    kept = saved_map(store)
    assert kept is not None and kept.columns["child"] == "Case Number"
    assert kept.values["event"]["manager replied"] == "responded"
    assert get_setting(store.db, "import_events_map")
    at.button(key="events_check").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, at.dataframe[0].value.to_dict("records")
    assert "This was a dry run: nothing was written." in texts(at)
    assert "with no concern category" in texts(at)
    alerts = store.db["alerts"].count
    at.button(key="events_import").click()
    at.run()
    assert not at.exception
    assert store.db["alerts"].count > alerts
    assert "Imported" in texts(at)


def test_a_saved_mapping_is_offered_next_time(monkeypatch, store):
    from usecases.import_events import map_from_text, save_map

    admin = user_with_role(store, "admin")
    save_map(store, admin, map_from_text("columns: {alert: Ref}\ndate_format: DD/MM/YYYY\n"),
             as_of=AS_OF)
    at = open_page(app(monkeypatch, store, admin), "pages/import_events.py")
    content = b"Ref,Case,When\nA1,SYN-1,01/02/2026\n"
    at.file_uploader(key="events_file").set_value(("t.csv", content, "text/csv"))
    at.run()
    assert at.selectbox(key="events_map_alert").value == "Ref"
    assert at.radio(key="events_date_format").value == "DD/MM/YYYY"
