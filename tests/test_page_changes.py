"""Significant changes through the screens (AppTest): a social worker tells the IRO; the IRO
books a review or decides whether one is needed.

The screens are reached as the navigation lists them: "Tell the IRO of a change"
(pages/tell_iro.py) for social workers and business support, "Significant changes"
(pages/changes.py) for IROs, CP chairs and the principal IRO.
"""

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
from usecases.accounts import SignedInUser, authenticate
from usecases.changes import NO_REVIEW_REASONS_NEEDED, notify_change
from usecases.demo import DEMO_PASSWORD
from usecases.store import Store

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime.combine(AS_OF, dt.time(10), tzinfo=dt.UTC)


def _worker_and_child(store: Store) -> tuple[SignedInUser, dict]:
    """A social worker, and a looked-after child of theirs that has an IRO."""
    row = next(store.db.query(
        "SELECT s.email, c.id, c.case_ref, c.reviewer_id FROM children c "
        "JOIN staff s ON s.id = c.social_worker_id "
        "WHERE c.legal_status = 'looked_after' AND c.reviewer_id IS NOT NULL "
        "ORDER BY c.case_ref LIMIT 1"))
    user = authenticate(store, row["email"], DEMO_PASSWORD)
    assert user is not None
    return user, row


def _sign_in_as(store: Store, staff_id: int) -> SignedInUser:
    email = next(store.db.query("SELECT email FROM staff WHERE id = ?", [staff_id]))["email"]
    user = authenticate(store, email, DEMO_PASSWORD)
    assert user is not None
    return user


def _changes(store: Store) -> list[dict]:
    return list(store.db.query("SELECT * FROM significant_changes ORDER BY id"))


def test_a_social_worker_tells_the_iro_of_a_change_that_needs_a_review_first(
        monkeypatch, tmp_path):
    store = demo_store(tmp_path, "seed-003")
    worker, child = _worker_and_child(store)
    at = open_page(app(monkeypatch, store, worker), "pages/tell_iro.py", child=child["case_ref"])
    assert at.title[0].value == "Tell the IRO of a change"
    assert at.selectbox(key="change_child").value == child["case_ref"]
    assert "A review must be held **before** these changes happen" in page_text(at)
    assert "Discharge from a secure children's home or leaving custody" in page_text(at)
    at.selectbox(key="change_type").set_value("leaving_secure_or_custody")
    at.text_input(key="change_happened_on").input(typed(AS_OF - dt.timedelta(days=4)))  # Thu
    at.text_area(key="change_description").input("Release from the secure unit is proposed.")
    at.button(key="change_submit").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == []
    saved = _changes(store)[-1]
    assert saved["description"] == "Release from the secure unit is proposed."
    assert saved["status"] == "review_required" and saved["late"] == 1
    iro = next(store.db.query("SELECT name FROM staff WHERE id = ?", [child["reviewer_id"]]))
    success = " ".join(s.value for s in at.success)
    assert iro["name"] in success and "A review must be held before this change" in success
    assert any("later than the 1 working day the policy asks" in w.value for w in at.warning)
    assert at.text_area(key="tell_iro.1.change_description").value == ""  # starts afresh


def test_every_problem_is_named_beside_its_field_and_nothing_is_saved(monkeypatch, tmp_path):
    store = demo_store(tmp_path, "seed-003")
    worker, _ = _worker_and_child(store)
    events = store.db["events"].count
    before = len(_changes(store))
    at = open_page(app(monkeypatch, store, worker), "pages/tell_iro.py")
    at.text_input(key="change_happened_on").input(typed(AS_OF + dt.timedelta(days=1)))
    at.button(key="change_submit").click().run()
    errors = " ".join(e.value for e in at.error)
    assert "Choose the kind of change from the list." in errors
    assert "cannot have happened in the future; today is 23 Nov 2026" in errors
    assert "Describe the change" in errors
    assert len(_changes(store)) == before and store.db["events"].count == events


def test_business_support_sees_its_own_teams_children(monkeypatch, tmp_path):
    store = demo_store(tmp_path, "seed-003")
    support = user_with_role(store, "business_support")  # the reviewing service's
    at = open_page(app(monkeypatch, store, support), "pages/tell_iro.py")
    assert "There are no children for you to tell the IRO about." in page_text(at)
    team = next(store.db.query("SELECT team_id FROM children ORDER BY id LIMIT 1"))["team_id"]
    store.db.execute("UPDATE staff SET team_id = ? WHERE id = ?", [team, support.staff_id])
    support = user_with_role(store, "business_support")
    at = open_page(app(monkeypatch, store, support), "pages/tell_iro.py")
    theirs = [r["case_ref"] for r in store.db.query(
        "SELECT case_ref FROM children WHERE team_id = ? ORDER BY case_ref", [team])]
    options = at.selectbox(key="change_child").options
    assert len(options) == len(theirs) < store.db["children"].count
    assert all(any(ref in option for option in options) for ref in theirs)


def _page_alone(monkeypatch, store: Store, user: SignedInUser, page: str) -> AppTest:
    """The page run by itself, as someone the menu would not offer it to (a typed URL)."""
    monkeypatch.setenv("IRO_DB", str(store.path))
    monkeypatch.setenv("IRO_AS_OF", AS_OF.isoformat())
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    sign_in_as(at, store, user)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_tell_screen_is_not_for_managers(monkeypatch, tmp_path):
    store = demo_store(tmp_path, "seed-003")
    manager = user_with_role(store, "head_of_service")
    at = _page_alone(monkeypatch, store, manager, "pages/tell_iro.py")
    assert not any(t.value == "Tell the IRO of a change" for t in at.title)
    assert "This screen is for social workers and business support" in at.warning[0].value


def _told(store: Store, type_id: str, days_ago: int = 0) -> tuple[SignedInUser, dict, int]:
    worker, child = _worker_and_child(store)
    outcome = notify_change(store, child_ref=child["case_ref"], change_type=type_id,
                            happened_on=AS_OF - dt.timedelta(days=days_ago),
                            description="Synthetic change for the test.",
                            user=worker, on=AS_OF, now=NOW)
    return _sign_in_as(store, child["reviewer_id"]), child, outcome.change_id


def test_the_iro_sees_a_red_marker_and_books_the_review(monkeypatch, tmp_path):
    store = demo_store(tmp_path, "seed-003")
    iro, _, decide_id = _told(store, "court_order", days_ago=3)
    _, _, change_id = _told(store, "move_to_unregulated_placement")
    at = open_page(app(monkeypatch, store, iro), "pages/changes.py")
    assert at.title[0].value == "Significant changes"
    markers = [m.value for m in at.markdown if "badge[" in m.value]
    assert markers[0].startswith(":red-badge[")  # the review-first change is at the top
    assert ":blue-badge[Your decision]" in markers[1]

    at.button(key=f"book_{change_id}").click().run()
    assert "Choose the date of the review." in [e.value for e in at.error]
    at.text_input(key=f"book_date_{change_id}").input(typed(AS_OF + dt.timedelta(days=7)))
    at.button(key=f"book_{change_id}").click().run()
    assert not at.exception
    assert "Review booked for 30 Nov 2026 before the change happens" in page_text(at)
    row = next(store.db.query("SELECT * FROM significant_changes WHERE id = ?", [change_id]))
    assert row["status"] == "review_booked" and row["review_date"] == "2026-11-30"
    assert not any(m.value.startswith(":red-badge[") for m in at.markdown)
    assert at.button(key=f"decide_submit_{decide_id}")  # the other change still waits


def test_the_iro_must_give_reasons_when_no_review_is_needed(monkeypatch, tmp_path):
    store = demo_store(tmp_path, "seed-003")
    iro, _, change_id = _told(store, "social_worker_change")
    at = open_page(app(monkeypatch, store, iro), "pages/changes.py")
    at.button(key=f"decide_submit_{change_id}").click().run()
    assert "Choose whether a review is needed." in [e.value for e in at.error]
    at.radio(key=f"decide_{change_id}").set_value("not_needed")
    at.button(key=f"decide_submit_{change_id}").click().run()
    assert NO_REVIEW_REASONS_NEEDED in [e.value for e in at.error]
    assert next(c for c in _changes(store) if c["id"] == change_id)["status"] == \
        "awaiting_decision"

    at.text_area(key=f"reasons_{change_id}").input("Handover visit done; the plan still fits.")
    at.button(key=f"decide_submit_{change_id}").click().run()
    assert not at.exception
    assert "decided no review is needed" in page_text(at)
    assert "No significant change is waiting for you." in page_text(at)
    row = next(c for c in _changes(store) if c["id"] == change_id)
    assert row["status"] == "no_review"
    assert row["decision_reasons"] == "Handover visit done; the plan still fits."


def test_the_changes_screen_is_for_reviewers_only(monkeypatch, tmp_path):
    store = demo_store(tmp_path, "seed-003")
    _told(store, "court_order")
    worker = user_with_role(store, "social_worker")
    at = _page_alone(monkeypatch, store, worker, "pages/changes.py")
    assert not any(t.value == "Significant changes" for t in at.title)
    assert "This screen is for IROs and CP chairs" in at.warning[0].value
    assert not [b for b in at.button if str(b.key).startswith("decide_submit_")]
