"""The home page, driven headless through Streamlit's AppTest."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from db.connection import open_db
from db.queries import store_counts
from usecases.store import create_store

AS_OF = "2026-11-23"


def _app(monkeypatch, db_path) -> AppTest:
    monkeypatch.setenv("IRO_DB", str(db_path))
    monkeypatch.setenv("IRO_AS_OF", AS_OF)
    at = AppTest.from_file("../app.py", default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_first_run_creates_a_demo_store_under_seed_001(monkeypatch, tmp_path):
    db_path = tmp_path / "first-run.db"
    at = _app(monkeypatch, db_path)
    assert db_path.exists()
    assert at.title[0].value == "IRO alerts and escalation"
    assert any("seed-001" in c.value for c in at.caption)
    assert "Today is 23 Nov 2026." in [c.value for c in at.caption]
    db = open_db(db_path)
    counts = store_counts(db)
    db.close()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Children"] == str(counts.children) == "60"
    assert metrics["Open alerts"] == str(counts.alerts_open)
    assert metrics["Events in the log"] == str(counts.events)


def test_home_shows_the_ladder_of_the_policy_in_force(monkeypatch, tmp_path):
    db_path = tmp_path / "s.db"
    create_store(db_path, "seed-003", demo=True, as_of=__import__("datetime").date(2026, 11, 23))
    at = _app(monkeypatch, db_path)
    assert "Northamptonshire" in at.subheader[0].value
    ladder = at.dataframe[0].value
    assert list(ladder["Who responds"])[1:] == [
        "Team Manager", "Service Manager", "Strategic Manager", "Assistant Director",
    ]
    assert set(ladder["Response time"][1:]) == {"5 working days"}
    assert set(ladder["If no response"][1:-1]) == {"The reviewer is prompted to decide"}
    open_now = sum(int(n) for df in at.dataframe for n in df.value["Open alerts now"])
    db = open_db(db_path)
    assert open_now == store_counts(db).alerts_open
    db.close()


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
