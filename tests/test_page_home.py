"""The home page, driven headless through Streamlit's AppTest."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from db.connection import open_db
from db.queries import store_counts
from tests.page_support import AS_OF, app, sign_in_as, user_with_role
from usecases.store import create_store, open_store


def test_a_missing_store_is_an_error_not_a_new_demo(monkeypatch, tmp_path):
    db_path = tmp_path / "never-created.db"
    monkeypatch.setenv("IRO_DB", str(db_path))
    monkeypatch.setenv("IRO_AS_OF", AS_OF.isoformat())
    at = AppTest.from_file("../app.py", default_timeout=60)
    at.run()
    assert not at.exception
    assert not db_path.exists()
    assert f"There is no store at {db_path}" in at.error[0].value
    assert "python manage.py init" in at.error[0].value
    assert not any("demo-password" in str(e.value) for kind in ("info", "markdown", "error")
                   for e in getattr(at, kind))


def test_home_shows_the_store_and_today(monkeypatch, tmp_path):
    store = create_store(tmp_path / "s.db", "seed-001", demo=True, as_of=AS_OF)
    at = app(monkeypatch, store)
    assert at.title[0].value == "Sign in"
    sign_in_as(at, store, user_with_role(store, "iro"))
    at.run()
    at.switch_page("pages/home.py").run()
    assert at.title[0].value == "IRO alerts and escalation"
    assert any("seed-001" in c.value for c in at.caption)
    assert any("Today is 23 Nov 2026." in c.value for c in at.caption)
    counts = store_counts(store.db)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Children"] == str(counts.children) == "60"
    assert metrics["Open alerts"] == str(counts.alerts_open)
    assert metrics["Events in the log"] == str(counts.events)


def test_home_shows_the_ladder_of_the_policy_in_force(monkeypatch, tmp_path):
    store = create_store(tmp_path / "s.db", "seed-003", demo=True, as_of=AS_OF)
    at = app(monkeypatch, store, user_with_role(store, "team_manager"))
    assert "Northamptonshire" in at.subheader[0].value
    ladder = at.dataframe[0].value
    assert list(ladder["Who responds"])[1:] == [
        "Team Manager", "Service Manager", "Strategic Manager", "Assistant Director",
    ]
    assert set(ladder["Response time"][1:]) == {"5 working days"}
    assert set(ladder["If no response"][1:-1]) == {"The reviewer is prompted to decide"}
    open_now = sum(int(n) for df in at.dataframe for n in df.value["Open alerts now"])
    assert open_now == store_counts(store.db).alerts_open


def test_home_says_what_is_waiting_for_you(monkeypatch, tmp_path):
    store = create_store(tmp_path / "s.db", "seed-001", demo=True, as_of=AS_OF)
    waiting = next(store.db.query(
        "SELECT awaiting, count(*) AS n FROM alerts WHERE status = 'open' AND awaiting "
        "NOT IN ('iro', '') GROUP BY awaiting ORDER BY n DESC LIMIT 1"))
    at = app(monkeypatch, store, user_with_role(store, waiting["awaiting"]))
    assert at.warning[0].value.endswith(" in your inbox.")
    assert int(at.warning[0].value.split()[0]) >= 1


def test_a_file_that_is_not_a_store_gives_a_plain_message(monkeypatch, tmp_path):
    db_path = tmp_path / "other.db"
    db = open_db(db_path)
    db["something"].insert({"a": 1})
    db.close()
    monkeypatch.setenv("IRO_DB", str(db_path))
    at = AppTest.from_file("../app.py", default_timeout=60)
    at.run()
    assert not at.exception
    assert "is not a store made by this application" in at.error[0].value
