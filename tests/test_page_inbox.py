"""The manager's inbox (AppTest): overdue first, acknowledging several at once."""

from __future__ import annotations

import datetime as dt
import re

from tests.page_support import AS_OF, app, demo_store, open_page, texts, user_with_role
from tests.support import raise_at, state
from tests.waiting_support import child_in_line, raise_for
from usecases.inbox import inbox


def plain(markdown: str) -> str:
    """Markdown the page escaped (``ui.text.as_typed``), as it reads on screen."""
    return re.sub(r"\\(.)", r"\1", markdown)


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
    assert late.overdue and late.when == "Overdue: was due Fri 20 Nov 2026 (1 working day late)"
    assert late.note == ("No reply came in time, so the IRO has been asked to decide the next "
                         "step. A response can still be sent.")
    assert late.acknowledge_late  # reached the manager on 13 Nov, not acknowledged
    assert rows[2].when == ("Due Mon 30 Nov 2026 (5 working days left); the reviewer is asked "
                            "to decide the next step on Tue 1 Dec 2026 if there is no reply")
    dues = [r.due for r in inbox(store, manager, AS_OF) if r.due is not None]
    assert dues == sorted(dues)


def test_acknowledge_several_at_once_from_the_screen(monkeypatch, tmp_path):
    store, manager = _store_with_three_alerts(tmp_path)
    at = open_page(app(monkeypatch, store, manager), "pages/inbox.py")
    labels = [e.proto.label for e in at.get("page_link")]
    firsts = [label for label in labels if "IN-" in label]
    assert firsts[0].startswith("Respond to alert IN-LATE")
    assert "not acknowledged in time" in texts(at)
    at.checkbox(key="inbox_ack.0.alert_IN-LATE").check()
    at.checkbox(key="inbox_ack.0.alert_IN-NEW").check().run()
    at.button(key="inbox_ack.0.send").click().run()
    assert [plain(s.value) for s in at.success] == [
        "Alert IN-LATE: acknowledged.  \nAlert IN-NEW: acknowledged."]
    assert not any(c.value for c in at.checkbox)  # the selection is cleared
    assert state(store, "IN-LATE").acknowledged and state(store, "IN-NEW").acknowledged
    assert not state(store, "IN-SOON").acknowledged
    ack = next(store.db.query(
        "SELECT e.* FROM events e JOIN alerts a ON a.id = e.alert_id WHERE e.kind = "
        "'acknowledged' AND a.ref = 'IN-LATE'"))
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
    # the demo's history has read its messages: leave the two latest amber ones unread
    store.db.execute(
        """UPDATE notifications SET read_at = NULL WHERE id IN (
               SELECT n.id FROM notifications n JOIN events e ON e.id = n.event_id
               WHERE e.kind = 'rag_routed' AND n.staff_id = ? ORDER BY n.id DESC LIMIT 2)""",
        [manager.staff_id])
    rows = [r for r in inbox(store, manager, AS_OF) if r.kind == "review"]
    assert len(rows) == 2 and all("plan judged Amber" in r.asked for r in rows)
    from usecases.inbox import acknowledge

    results = acknowledge(store, manager, rows[:1], AS_OF,
                          dt.datetime.combine(AS_OF, dt.time(10), tzinfo=dt.UTC))
    assert results[0].endswith("acknowledged.")
    assert len([r for r in inbox(store, manager, AS_OF) if r.kind == "review"]) == len(rows) - 1


def _open(at, *refs: str) -> None:
    """Switch on the rows' "Respond to ... or ask for more time"."""
    for ref in refs:
        at.toggle(key=f"inbox_open_{ref}").set_value(True)
    at.run()


def test_respond_and_ask_for_more_time_from_the_row(monkeypatch, tmp_path):
    store, manager = _store_with_three_alerts(tmp_path)
    at = open_page(app(monkeypatch, store, manager), "pages/inbox.py")
    assert not at.text_area  # no form until the row's "Respond" is switched on
    _open(at, "IN-LATE", "IN-SOON")
    at.radio(key="inbox_IN-LATE.0.outcome").set_value("agree")
    at.text_area(key="inbox_IN-LATE.0.note").input("Visits booked for every fortnight.")
    at.button(key="inbox_IN-LATE.0.send").click().run()
    assert state(store, "IN-LATE").awaiting == "iro"
    assert any("agreed with the concern" in s.value for s in at.success)
    assert "Respond to alert IN-LATE" not in " ".join(e.proto.label for e in at.get("page_link"))
    at.radio(key="inbox_IN-SOON.0.kind").set_value("extension_requested").run()
    at.text_input(key="inbox_IN-SOON.0.until").input("31/02/2027")
    at.text_area(key="inbox_IN-SOON.0.note").input("Waiting for the placement panel.")
    at.button(key="inbox_IN-SOON.0.send").click().run()
    # an impossible date is refused, not moved to another day, and nothing typed is lost
    assert any("February 2027 has 28 days" in e.value or "31/02/2027" in e.value
               for e in at.error), [e.value for e in at.error]
    assert state(store, "IN-SOON").extension_until is None
    assert at.text_area(key="inbox_IN-SOON.0.note").value == "Waiting for the placement panel."
    at.text_area(key="inbox_IN-SOON.0.note").input("")
    at.text_input(key="inbox_IN-SOON.0.until").input("07/12/2026")
    at.button(key="inbox_IN-SOON.0.send").click().run()
    assert "Why more time is needed (IN-SOON)" in [e.label for e in at.text_area]
    assert any("Say why more time is needed." in e.value for e in at.error)
    assert state(store, "IN-SOON").extension_until is None
    at.text_area(key="inbox_IN-SOON.0.note").input("Waiting for the placement panel.")
    at.button(key="inbox_IN-SOON.0.send").click().run()
    assert state(store, "IN-SOON").extension_until == AS_OF + dt.timedelta(days=14)
    # the form is empty again, and the row shows the request waiting for the IRO
    assert at.text_area(key="inbox_IN-SOON.1.note").value in ("", None)
    assert at.radio(key="inbox_IN-SOON.1.kind").value == "responded"
    assert [i.value for i in at.info] == [
        "More time asked for until Mon 7 Dec 2026: waiting for the IRO"]


def test_a_row_says_whose_child_what_is_asked_by_whom_and_by_when(monkeypatch, tmp_path):
    store = demo_store(tmp_path)  # seed-001: level 1 is the Service Manager, 5 working days
    line = child_in_line(store, "WL-0001", "Alexandra-Josephine Featherstonehaugh-Worthington")
    raise_for(store, line, "WL-1", AS_OF - dt.timedelta(days=3), "service_manager",
              outcome_sought="**Urgent**: a school place <b>now</b>")
    manager = line.holder(store, "service_manager")
    at = open_page(app(monkeypatch, store, manager), "pages/inbox.py")
    _open(at, "WL-1")
    page = texts(at)
    assert ("#### Alexandra\\-Josephine Featherstonehaugh\\-Worthington · WL\\-0001"
            in page)
    assert "Respond to alert WL-1 at Level 1: Service Manager" in [
        e.proto.label for e in at.get("page_link")]
    # the reviewer's words as typed: no bold, no HTML
    assert "**Outcome sought:** \\*\\*Urgent\\*\\*\\: a school place \\<b\\>now\\<\\/b\\>" in page
    assert (f"**By whom:** {line.reviewer.name}, Independent Reviewing Officer"
            in plain(page))
    assert ("**By when:** Due Fri 27 Nov 2026 (4 working days left); escalates Mon 30 Nov "
            "2026 if there is no reply") in plain(page)
    assert "open the alert" not in page.lower()
    labels = [e.label for kind in ("checkbox", "radio", "text_area", "text_input", "button")
              for e in getattr(at, kind)]
    assert len(labels) == len(set(labels)), labels
    assert "Select alert WL-1 to acknowledge" in labels
    assert "Your response in writing (WL-1)" in labels


def test_a_response_is_chosen_never_assumed(monkeypatch, tmp_path):
    store, manager = _store_with_three_alerts(tmp_path)
    at = open_page(app(monkeypatch, store, manager), "pages/inbox.py")
    _open(at, "IN-LATE")
    assert at.radio(key="inbox_IN-LATE.0.outcome").value is None
    at.text_area(key="inbox_IN-LATE.0.note").input("Visits booked.")
    at.button(key="inbox_IN-LATE.0.send").click().run()
    assert [e.value for e in at.error] == ["Choose the outcome of your response."]
    assert state(store, "IN-LATE").awaiting == "team_manager"
    assert at.text_area(key="inbox_IN-LATE.0.note").value == "Visits booked."  # kept
