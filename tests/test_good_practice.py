"""Notes of good practice: recorded, counted by team, and the managers told."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.page_support import AS_OF, app, demo_store, open_page, user_with_role
from usecases.good_practice import (
    GoodPracticeInvalid,
    GoodPracticeNote,
    good_practice_by_team,
    note_good_practice,
)

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


def _worker(store):
    return next(store.db.query(
        "SELECT s.id, s.name, s.email, s.team_id, t.name AS team FROM staff s JOIN teams t "
        "ON t.id = s.team_id WHERE s.role = 'social_worker' ORDER BY s.id LIMIT 1"))


def test_a_note_about_a_worker_tells_their_team_and_service_managers(tmp_path):
    store = demo_store(tmp_path)
    iro = user_with_role(store, "iro")
    worker = _worker(store)
    before = store.db["good_practice"].count
    note_good_practice(store, GoodPracticeNote(
        what="Creative direct work helped the child tell the review what she wanted.",
        worker_id=worker["id"]), user=iro, on=AS_OF, now=NOW)
    mail = next(store.db.query("SELECT * FROM outbox ORDER BY id DESC LIMIT 1"))
    tm = next(store.db.query("SELECT email FROM staff WHERE team_id = ? AND role = "
                             "'team_manager'", [worker["team_id"]]))["email"]
    sm = next(store.db.query("SELECT email FROM staff WHERE role = 'service_manager' "
                             "ORDER BY id LIMIT 1"))["email"]
    assert mail["to_addrs"] == f"{tm}, {sm}"
    assert mail["cc_addrs"] == worker["email"]
    assert mail["subject"] == f"Note of good practice: {worker['name']}"
    assert store.db["good_practice"].count == before + 1
    latest = next(store.db.query("SELECT team_id FROM good_practice ORDER BY id DESC LIMIT 1"))
    assert latest["team_id"] == worker["team_id"]
    event = next(store.db.query("SELECT * FROM events WHERE kind = 'good_practice_noted' "
                                "ORDER BY id DESC LIMIT 1"))
    assert event["actor_id"] == iro.staff_id


def test_a_note_about_a_team(tmp_path):
    store = demo_store(tmp_path)
    team = next(store.db.query("SELECT id, name FROM teams WHERE name LIKE 'Safeguarding%' "
                               "ORDER BY id LIMIT 1"))
    counts = {r["team"]: r["notes"] for r in good_practice_by_team(store)}
    note_good_practice(store, GoodPracticeNote(
        what="The whole team turned round every overdue visit in one week.",
        team_id=team["id"]), user=user_with_role(store, "cp_chair"), on=AS_OF, now=NOW)
    after = {r["team"]: r["notes"] for r in good_practice_by_team(store)}
    assert after[team["name"]] == counts.get(team["name"], 0) + 1
    assert sum(after.values()) == sum(counts.values()) + 1


def test_every_problem_is_named_and_nothing_saved(tmp_path):
    store = demo_store(tmp_path)
    before = store.db["good_practice"].count
    with pytest.raises(GoodPracticeInvalid) as invalid:
        note_good_practice(store, GoodPracticeNote(what="Good.", child_ref="NOPE"),
                           user=user_with_role(store, "team_manager"), on=AS_OF,
                           now=NOW)
    assert set(invalid.value.errors) == {"about", "what", "child", ""}
    assert store.db["good_practice"].count == before


def test_the_note_screen(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    worker = _worker(store)
    before = store.db["good_practice"].count
    at = open_page(app(monkeypatch, store, user_with_role(store, "iro")),
                   "pages/good_practice.py")
    at.button(key="gp_submit").click().run()
    assert [e.value for e in at.error][:2] == [
        "Choose either the worker or the team whose practice was good.",
        "Say what was better than good, so the team can learn from it (at least 3 words)."]
    at.selectbox(key="gp_worker").set_value(worker["id"])
    at.text_area(key="gp_what").input("A calm, well-prepared placement move for the child.")
    at.button(key="gp_submit").click().run()
    assert at.success[0].value.startswith("Thank you")
    assert store.db["good_practice"].count == before + 1
