"""The post-review monitoring form through the screen (AppTest)."""

from __future__ import annotations

import datetime as dt

from tests.form_support import page_text, typed
from tests.page_support import AS_OF, app, demo_store, open_page, user_with_role


def _child(store, iro) -> dict:
    return next(store.db.query(
        "SELECT id, case_ref FROM children WHERE reviewer_id = ? AND legal_status = "
        "'looked_after' ORDER BY case_ref LIMIT 1", [iro.staff_id]))


def test_a_red_review_is_saved_and_routed_to_the_head_of_service(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    iro = user_with_role(store, "iro")
    child = _child(store, iro)
    before = store.db.execute("SELECT count(*) FROM reviews WHERE child_id = ?",
                              [child["id"]]).fetchone()[0]
    at = open_page(app(monkeypatch, store, iro), "pages/record_review.py",
                   child=child["case_ref"])
    at.text_input(key="review_held_on").input(typed(AS_OF - dt.timedelta(days=3)))
    at.radio(key="review_rag").set_value("red")
    at.text_area(key="review_progress").input("No progress on permanence since the last review.")
    at.multiselect(key="review_concerns").set_value(["care_planning"])
    at.text_area(key="review_concern_details").input("Family finding has not started.")
    at.text_area(key="review_resolution").input("Family finding to start within 10 days.")
    at.checkbox(key="doc_care_plan_present").check()
    at.selectbox(key="review_participation").set_value("attended")
    at.text_input(key="iro_action_1").input("Check family finding has started").run()
    at.text_input(key="iro_action_due_1").input(typed(AS_OF + dt.timedelta(days=14)))
    at.text_area(key="review_decisions").input("Family finding to begin; contact to increase.")
    at.button(key="review_submit").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == []
    after = store.db.execute("SELECT count(*) FROM reviews WHERE child_id = ?",
                             [child["id"]]).fetchone()[0]
    assert after == before + 1
    page = page_text(at)
    assert "plan judged red" in page
    kinds = [r["kind"] for r in store.db.query(
        "SELECT kind FROM events WHERE child_id = ? ORDER BY id DESC LIMIT 3", [child["id"]])]
    assert "rag_routed" in kinds or any(k.startswith("rag") for k in kinds)


def test_a_future_date_and_missing_fields_are_named_beside_them(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    iro = user_with_role(store, "iro")
    before = store.db["reviews"].count
    at = open_page(app(monkeypatch, store, iro), "pages/record_review.py")
    at.text_input(key="review_held_on").input(typed(AS_OF + dt.timedelta(days=1)))
    at.radio(key="review_rag").set_value("amber")
    at.button(key="review_submit").click().run()
    errors = " ".join(e.value for e in at.error)
    assert "cannot be in the future" in errors
    assert "23 Nov 2026" in errors
    assert store.db["reviews"].count == before
    assert len(at.error) >= 4  # concerns, resolution, participation, decisions ...
