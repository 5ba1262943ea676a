"""Concerns about an IRO's practice through the screen (AppTest); synthetic demo data only."""

from __future__ import annotations

import datetime as dt

from tests.page_support import AS_OF, app, demo_store, open_page, texts, user_with_role
from usecases.practice_concerns import refer_concern

PAGE = "pages/practice_concerns.py"


def _iro(store) -> dict:
    return next(store.db.query("SELECT id, name FROM staff WHERE role = 'iro' ORDER BY id"))


def test_a_social_worker_refers_a_concern_but_cannot_see_the_list(monkeypatch, tmp_path):
    store = demo_store(tmp_path, "seed-002")
    worker = user_with_role(store, "social_worker")
    iro = _iro(store)
    child = next(store.db.query("SELECT case_ref FROM children WHERE social_worker_id = ? "
                                "ORDER BY case_ref LIMIT 1", [worker.staff_id]))
    known = store.db.execute("SELECT coalesce(max(id), 0) FROM practice_concerns").fetchone()[0]
    at = open_page(app(monkeypatch, store, worker), PAGE)
    assert at.title[0].value == "Concerns about an IRO's practice"
    assert "Concerns referred" not in texts(at)
    at.selectbox(key="concern_about").set_value(iro["id"])
    at.selectbox(key="concern_child").set_value(child["case_ref"])
    at.text_area(key="concern_text").input("The review of 16 Nov 2026 started without the "
                                           "child's carer, who had not been invited.")
    at.button(key="concern_submit").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == []
    assert "referred to the Deputy Head of Service" in texts(at)
    assert "Concerns referred" not in texts(at)
    [row] = store.db.query("SELECT * FROM practice_concerns WHERE id > ?", [known])
    assert (row["about_id"], row["raised_by"], row["status"]) == (
        iro["id"], worker.staff_id, "open")
    assert at.text_area(key="practice_concern.1.concern_text").value == ""  # cleared for the next


def test_missing_answers_are_named_and_nothing_is_saved(monkeypatch, tmp_path):
    store = demo_store(tmp_path, "seed-002")
    before = store.db["practice_concerns"].count
    at = open_page(app(monkeypatch, store, user_with_role(store, "team_manager")), PAGE)
    at.button(key="concern_submit").click().run()
    errors = " ".join(e.value for e in at.error)
    assert "Choose the IRO or CP chair the concern is about." in errors
    assert "Describe the concern" in errors
    assert store.db["practice_concerns"].count == before


def test_the_deputy_head_of_service_sees_and_resolves_a_concern(monkeypatch, tmp_path):
    store = demo_store(tmp_path, "seed-002")
    worker = user_with_role(store, "social_worker")
    iro = _iro(store)
    done = refer_concern(store, about_staff_id=iro["id"], concern="Minutes sent a month late.",
                         user=worker, on=AS_OF,
                         now=dt.datetime.combine(AS_OF, dt.time(10), tzinfo=dt.UTC))
    cid = done.concern_id
    deputy = user_with_role(store, "deputy_head_of_service")
    at = open_page(app(monkeypatch, store, deputy), PAGE)
    page = texts(at)
    assert "Concerns referred" in page
    assert iro["name"] in page and "Waiting for an answer" in page
    assert "Minutes sent a month late." in [e.value for e in at.text]
    at.button(key=f"answer_submit_{cid}").click().run()
    assert any("Write the answer" in e.value for e in at.error)
    assert store.db["practice_concerns"].get(cid)["status"] == "open"
    at.text_area(key=f"answer_{cid}").input("Spoke to the IRO; minutes now within 20 days.")
    at.checkbox(key=f"answer_resolved_{cid}").check()
    at.button(key=f"answer_submit_{cid}").click().run()
    assert not at.exception
    assert "and it is resolved" in texts(at)
    assert store.db["practice_concerns"].get(cid)["status"] == "resolved"
    keys = {e.key for e in at.button}
    assert f"answer_submit_{cid}" not in keys  # a resolved concern takes no more answers


def test_the_screen_says_plainly_when_the_policy_has_no_procedure(monkeypatch, tmp_path):
    store = demo_store(tmp_path, "seed-001")
    at = open_page(app(monkeypatch, store, user_with_role(store, "social_worker")), PAGE)
    assert "has no procedure for concerns about an IRO's or CP chair's own practice" in \
        " ".join(e.value for e in at.info)
    assert [e.key for e in at.button if e.key == "concern_submit"] == []
