"""Issue 12, done when: from `manage.py init --policy seed-004` with no demo, an authority
loads its teams, 100 staff with line managers and 2,000 children from one .xlsx, then five
years of its old tracker with its own headings and no categories or gate records; someone
signs in and sees their children and the history; re-importing the people file changes
nothing. (The tracker here is 3,000 rows; bench/bench_import.py times the full 20,000.)"""

from __future__ import annotations

import pytest

import manage
from tests.import_support import LEGACY_MAP, authority, legacy_history, legacy_xlsx, people_xlsx
from tests.page_support import AS_OF, app, open_page, texts
from ui.paging import PER_PAGE
from usecases.accounts import authenticate, set_password
from usecases.demo import DEMO_PASSWORD
from usecases.store import open_store


@pytest.fixture(scope="module")
def authority_data():
    data = authority(staff=100, children=2000, as_of=AS_OF)
    return data, legacy_history(data, years=5, rows=3000, as_of=AS_OF)


def test_an_authority_loads_its_people_and_history_and_signs_in(tmp_path, capsys, monkeypatch,
                                                                 authority_data):
    data, history = authority_data
    db = str(tmp_path / "x.db")
    people = people_xlsx(tmp_path / "people.xlsx", data)
    tracker = legacy_xlsx(tmp_path / "tracker.xlsx", history)
    mapping = tmp_path / "map.yaml"
    mapping.write_text(LEGACY_MAP)
    day = ["--as-of", AS_OF.isoformat()]

    assert manage.main(["init", "--db", db, "--policy", "seed-004"]) == 0
    assert manage.main(["import-people", "--db", db, *day, str(people)]) == 0
    out = capsys.readouterr().out
    assert "Added 12 teams, 100 staff and 2,000 children" in out
    assert manage.main(["import-events", "--db", db, "--map", str(mapping), *day,
                        str(tracker)]) == 0
    out = capsys.readouterr().out
    store = open_store(db)
    alerts = store.db["alerts"].count
    assert f"Imported {len(history):,} events on {alerts:,} alerts" in out
    assert f"{alerts:,} alerts with no concern category" in out
    assert "flagged 'gate not recorded'" in out
    assert store.db["children"].count == 2000  # the tracker's children were all known

    # re-importing the people file changes nothing
    before = {t: list(store.db.query(f"SELECT * FROM {t} ORDER BY id"))
              for t in ("teams", "staff", "children", "events")}
    assert manage.main(["import-people", "--db", db, *day, str(people)]) == 0
    assert "Nothing to change" in capsys.readouterr().out
    assert before == {t: list(store.db.query(f"SELECT * FROM {t} ORDER BY id"))
                      for t in ("teams", "staff", "children", "events")}

    # an IRO is given a password, signs in, and sees their children and the history
    busiest = next(store.db.query(
        """SELECT s.email, c.case_ref, a.ref FROM alerts a JOIN children c ON c.id = a.child_id
           JOIN staff s ON s.id = c.reviewer_id ORDER BY a.id LIMIT 1"""))
    set_password(store, busiest["email"], DEMO_PASSWORD, as_of=AS_OF)
    iro = authenticate(store, busiest["email"], DEMO_PASSWORD)
    assert iro is not None and iro.role == "iro"
    mine = store.db.execute("SELECT count(*) FROM children WHERE reviewer_id = ?",
                            [iro.staff_id]).fetchone()[0]
    at = open_page(app(monkeypatch, store, iro), "pages/children.py")
    links = [e.proto.label for e in at.get("page_link") if "SYN-" in e.proto.label]
    assert len(links) == min(mine, PER_PAGE) and mine > 0  # the first page of them
    assert f"of {mine} children" in texts(at) or mine <= PER_PAGE
    at = open_page(at, "pages/child.py", child=busiest["case_ref"])
    chronology = at.dataframe[-1].value
    assert busiest["ref"] in set(chronology["Alert"])
    at = open_page(at, "pages/alert.py", ref=busiest["ref"])
    assert busiest["ref"] in texts(at)
    assert "**Category:** Not recorded (Not recorded)" in texts(at)  # in words, not a code
