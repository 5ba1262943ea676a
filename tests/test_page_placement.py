"""A child's placement and permanence facts through the screen (AppTest); synthetic data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.form_support import page_text, typed
from tests.page_support import (
    AS_OF,
    app,
    demo_store,
    open_page,
    sign_in_as,
    user_with_role,
)

PAGE = "pages/placement.py"
ROOT = Path(__file__).resolve().parent.parent


def _first_child(store, worker) -> dict:
    return next(store.db.query(
        "SELECT * FROM children WHERE team_id = ? AND legal_status = 'looked_after' "
        "ORDER BY case_ref LIMIT 1", [worker.team_id]))


def test_a_social_worker_records_a_placement_with_parents(monkeypatch, tmp_path):
    store = demo_store(tmp_path, "seed-004")
    worker = user_with_role(store, "social_worker")
    child = _first_child(store, worker)
    ref = child["case_ref"]
    at = open_page(app(monkeypatch, store, worker), PAGE)
    assert at.title[0].value == "Placement and permanence"
    assert at.selectbox(key="placement_child").value == child["case_ref"]
    assert "referred to the Service Manager" in " ".join(e.value for e in at.caption)
    at.text_input(key=f"placement_since.{ref}").input(typed(dt.date(2026, 3, 15)))
    at.button(key="placement_submit").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == []
    page = page_text(at)
    assert "Placement and permanence recorded: placed with parents since 15 Mar 2026" in page
    assert "The case is referred to the Service Manager on 15 Mar 2027 if the child is still " \
           "placed with parents" in page
    row = store.db["children"].get(child["id"])
    assert row["placed_with_parents_since"] == "2026-03-15"
    assert at.text_input(key=f"placement.1.placement_since.{ref}").value == "15 Mar 2026"


def test_an_old_permanence_decision_is_referred_at_once(monkeypatch, tmp_path):
    store = demo_store(tmp_path, "seed-004")
    worker = user_with_role(store, "social_worker")
    child = _first_child(store, worker)
    ref = child["case_ref"]
    at = open_page(app(monkeypatch, store, worker), PAGE, child=child["case_ref"])
    at.selectbox(key=f"placement_plan.{ref}").set_value("adoption")
    at.text_input(key=f"placement_decision_on.{ref}").input(typed(dt.date(2025, 12, 31)))
    at.button(key="placement_submit").click().run()
    assert [e.value for e in at.error] == []
    # 31 Dec 2025 + 9 months: 30 Sep 2026 (September has no 31st)
    assert ("Permanence plan for adoption decided on 31 Dec 2025 and the child not placed "
            "9 months later, on 30 Sep 2026.") in page_text(at)
    kinds = [r["kind"] for r in store.db.query(
        "SELECT kind FROM events WHERE child_id = ? ORDER BY id DESC LIMIT 2", [child["id"]])]
    assert kinds == ["permanence_referral", "placement_recorded"]


def test_problems_are_named_beside_the_fields_and_nothing_is_saved(monkeypatch, tmp_path):
    store = demo_store(tmp_path, "seed-004")
    worker = user_with_role(store, "social_worker")
    child = _first_child(store, worker)
    ref = child["case_ref"]
    before = store.db["events"].count
    was = store.db["children"].get(child["id"])
    at = open_page(app(monkeypatch, store, worker), PAGE)
    at.text_input(key=f"placement_since.{ref}").input(typed(AS_OF + dt.timedelta(days=1)))
    at.selectbox(key=f"placement_plan.{ref}").set_value("long_term_fostering")
    at.button(key="placement_submit").click().run()
    errors = [e.value for e in at.error]
    assert ("The date the child was placed with parents cannot be in the future; today is "
            "23 Nov 2026.") in errors
    assert any("Enter the date of the permanence decision" in e for e in errors)
    row = store.db["children"].get(child["id"])
    assert (row["placed_with_parents_since"], row["permanence_plan"]) == (
        was["placed_with_parents_since"], was["permanence_plan"])
    assert store.db["events"].count == before


def test_an_iro_is_told_the_screen_is_not_theirs(monkeypatch, tmp_path):
    # The menu does not offer the screen to an IRO, so the page is run on its own, as a
    # link typed into the address bar would reach it.
    store = demo_store(tmp_path, "seed-004")
    monkeypatch.setenv("IRO_DB", str(store.path))
    monkeypatch.setenv("IRO_AS_OF", AS_OF.isoformat())
    at = AppTest.from_file(str(ROOT / PAGE), default_timeout=60)
    sign_in_as(at, store, user_with_role(store, "iro"))
    at.run()
    assert not at.exception
    assert "This screen is for social workers and their managers" in at.warning[0].value
    assert [b.key for b in at.button if b.key == "placement_submit"] == []


def test_the_screen_says_plainly_when_the_policy_makes_no_referrals(monkeypatch, tmp_path):
    store = demo_store(tmp_path, "seed-001")
    at = open_page(app(monkeypatch, store, user_with_role(store, "service_manager")), PAGE)
    assert "has no permanence referrals" in " ".join(e.value for e in at.info)
