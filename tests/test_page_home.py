"""The home page, driven headless through Streamlit's AppTest."""

from __future__ import annotations

import datetime as dt

from streamlit.testing.v1 import AppTest

from db.connection import open_db
from db.queries import store_counts
from tests.page_support import AS_OF, app, sign_in_as, user_with_role
from tests.waiting_support import child_in_line, raise_for
from usecases.alert_lists import decisions_waiting
from usecases.inbox import inbox
from usecases.store import create_store


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
    iro = user_with_role(store, "iro")
    sign_in_as(at, store, iro)
    at.run()
    at.switch_page("pages/home.py").run()
    assert at.title[0].value == "IRO alerts and escalation"
    assert any("seed-001" in c.value for c in at.caption)
    assert any("Today is 23 Nov 2026." in c.value for c in at.caption)
    # an IRO counts their own caseload, not the authority's
    mine = [r["id"] for r in store.db.query("SELECT id FROM children WHERE reviewer_id = ?",
                                            [iro.staff_id])]
    marks = ",".join("?" * len(mine))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Children"] == str(len(mine)) != "60"
    assert metrics["Open alerts"] == str(store.db.execute(
        f"SELECT count(*) FROM alerts WHERE status = 'open' AND child_id IN ({marks})",
        mine).fetchone()[0])
    assert metrics["Events on their records"] == str(store.db.execute(
        f"SELECT count(*) FROM events WHERE child_id IN ({marks})", mine).fetchone()[0])


def test_home_shows_the_ladder_of_the_policy_in_force(monkeypatch, tmp_path):
    store = create_store(tmp_path / "s.db", "seed-003", demo=True, as_of=AS_OF)
    at = app(monkeypatch, store, user_with_role(store, "head_of_service"))  # sees every child
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
    user = user_with_role(store, waiting["awaiting"])
    at = app(monkeypatch, store, user)
    rows = inbox(store, user, AS_OF)
    overdue = sum(1 for r in rows if r.overdue)
    assert rows and at.warning[0].value == (
        f"{len(rows)} item{'s' if len(rows) != 1 else ''} in your inbox"
        + (f", {overdue} overdue." if overdue else "."))


def test_home_counts_what_waits_for_the_iros_decision(monkeypatch, tmp_path):
    """The count comes from the same place as the Alerts page's list: informal alerts that
    nobody answered in time are in it."""
    store = create_store(tmp_path / "s.db", "seed-001", demo=True, as_of=AS_OF)
    line = child_in_line(store, "WL-0001", "Test Child")
    raise_for(store, line, "WL-I", AS_OF - dt.timedelta(days=7))  # informal, silent
    waiting = decisions_waiting(store, line.reviewer, AS_OF)
    assert "WL-I" in {r["ref"] for r in waiting}
    missed = sum(1 for r in waiting if r["missed"])
    at = app(monkeypatch, store, line.reviewer)
    assert at.warning[0].value == (
        f"{len(waiting)} alert{'s' if len(waiting) != 1 else ''} waiting for your decision, "
        f"{missed} where nobody answered in time.")
    assert "See the alerts waiting for you" in [e.proto.label for e in at.get("page_link")]


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
