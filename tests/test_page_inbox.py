"""The manager's inbox (AppTest): overdue first, acknowledging several at once."""

from __future__ import annotations

import datetime as dt

from tests.page_support import AS_OF, app, demo_store, open_page, texts, user_with_role
from tests.support import raise_at, state
from usecases.inbox import inbox


def _children_of_team(store, team_id, n):
    return [r["case_ref"] for r in store.db.query(
        "SELECT case_ref FROM children WHERE team_id = ? AND legal_status = 'looked_after' "
        "ORDER BY case_ref LIMIT ?", [team_id, n])]


def _store_with_three_alerts(tmp_path):
    """Three alerts at level 1 (the Team Manager) of seed-003, which prompts on silence
    rather than escalating, so the late one stays with the team manager."""
    store = demo_store(tmp_path, "seed-003")
    manager = user_with_role(store, "team_manager")
    kids = _children_of_team(store, manager.team_id, 3)
    for ref, days_ago, child in (("IN-SOON", 3, kids[0]), ("IN-LATE", 10, kids[1]),
                                 ("IN-NEW", 0, kids[2])):
        raise_at(store, AS_OF - dt.timedelta(days=days_ago), "team_manager", ref=ref,
                 child=child, gate="Agreed with my line manager")
    return store, manager


def test_overdue_first_then_by_due_date(tmp_path):
    store, manager = _store_with_three_alerts(tmp_path)
    rows = [r for r in inbox(store, manager, AS_OF) if r.key.startswith("IN-")]
    assert [r.key for r in rows] == ["IN-LATE", "IN-SOON", "IN-NEW"]
    late = rows[0]
    assert late.overdue and late.when == "By 20 Nov 2026: 1 working day late"
    assert late.acknowledge_late  # reached the manager on 13 Nov, not acknowledged
    assert rows[2].when == "By 30 Nov 2026: 5 working days left"
    dues = [r.due for r in inbox(store, manager, AS_OF) if r.due is not None]
    assert dues == sorted(dues)


def test_acknowledge_several_at_once_from_the_screen(monkeypatch, tmp_path):
    store, manager = _store_with_three_alerts(tmp_path)
    at = open_page(app(monkeypatch, store, manager), "pages/inbox.py")
    labels = [e.proto.label for e in at.get("page_link")]
    firsts = [label for label in labels if "IN-" in label]
    assert firsts[0].startswith("Respond to alert IN-LATE")
    assert "not acknowledged in time" in texts(at)
    at.checkbox(key="ack_alert_IN-LATE").check()
    at.checkbox(key="ack_alert_IN-NEW").check().run()
    at.button(key="ack_selected").click().run()
    assert [s.value for s in at.success] == ["Alert IN-LATE: acknowledged.",
                                             "Alert IN-NEW: acknowledged."]
    assert state(store, "IN-LATE").acknowledged and state(store, "IN-NEW").acknowledged
    assert not state(store, "IN-SOON").acknowledged
    ack = next(store.db.query("SELECT * FROM events WHERE kind = 'acknowledged' ORDER BY id"))
    assert ack["actor_id"] == manager.staff_id and ack["occurred_on"] == AS_OF.isoformat()


def test_a_head_of_service_can_see_every_teams_inbox(monkeypatch, tmp_path):
    store, _ = _store_with_three_alerts(tmp_path)
    hos = user_with_role(store, "head_of_service")
    mine = {r.key for r in inbox(store, hos, AS_OF)}
    everyone = {r.key for r in inbox(store, hos, AS_OF, everyone=True)}
    assert {"IN-LATE", "IN-SOON", "IN-NEW"} <= everyone - mine
    at = open_page(app(monkeypatch, store, hos), "pages/inbox.py")
    at.toggle(key="inbox_everyone").set_value(True).run()
    labels = " ".join(e.proto.label for e in at.get("page_link"))
    assert "IN-LATE" in labels and "(Team Manager)" in labels


def test_amber_and_red_reviews_routed_to_a_manager_are_in_the_inbox(tmp_path):
    store = demo_store(tmp_path, "seed-004")
    manager = user_with_role(store, "service_manager")
    rows = [r for r in inbox(store, manager, AS_OF) if r.kind == "review"]
    assert rows and all("plan judged Amber" in r.asked for r in rows)
    from usecases.inbox import acknowledge

    results = acknowledge(store, manager, rows[:1], AS_OF, f"{AS_OF}T10:00:00")
    assert results[0].endswith("acknowledged.")
    assert len([r for r in inbox(store, manager, AS_OF) if r.kind == "review"]) == len(rows) - 1


def test_respond_and_ask_for_more_time_from_the_row(monkeypatch, tmp_path):
    store, manager = _store_with_three_alerts(tmp_path)
    at = open_page(app(monkeypatch, store, manager), "pages/inbox.py")
    at.radio(key="inbox_outcome_IN-LATE").set_value("agree")
    at.text_area(key="inbox_note_IN-LATE").input("Visits booked for every fortnight.")
    at.button(key="inbox_send_IN-LATE").click().run()
    assert state(store, "IN-LATE").awaiting == "iro"
    assert any("agreed with the concern" in s.value for s in at.success)
    at.radio(key="inbox_kind_IN-SOON").set_value("extension_requested").run()
    at.date_input(key="inbox_until_IN-SOON").set_value(AS_OF + dt.timedelta(days=14))
    at.button(key="inbox_send_IN-SOON").click().run()
    assert "Why more time is needed" in [e.label for e in at.text_area]
    assert any("Say why more time is needed." in e.value for e in at.error)
    assert state(store, "IN-SOON").extension_until is None
    at.text_area(key="inbox_note_IN-SOON").input("Waiting for the placement panel.")
    at.button(key="inbox_send_IN-SOON").click().run()
    assert state(store, "IN-SOON").extension_until == AS_OF + dt.timedelta(days=14)
