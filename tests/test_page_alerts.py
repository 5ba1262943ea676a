"""The reviewer's Alerts list: what waits for their decision, and their children's alerts."""

from __future__ import annotations

from tests.page_support import AS_OF, app, demo_store, open_page, texts, user_with_role


def _links(at) -> list[str]:
    return [e.proto.label for e in at.get("page_link")]


def test_a_reviewer_sees_decisions_waiting_and_their_childrens_alerts(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    busiest = next(store.db.query(
        "SELECT s.email FROM alerts a JOIN children c ON c.id = a.child_id JOIN staff s ON "
        "s.id = c.reviewer_id WHERE a.status = 'open' AND s.role = 'iro' GROUP BY s.id "
        "ORDER BY count(*) DESC LIMIT 1"))["email"]
    from usecases.accounts import authenticate
    from usecases.demo import DEMO_PASSWORD

    iro = authenticate(store, busiest, DEMO_PASSWORD)
    mine = [r["ref"] for r in store.db.query(
        "SELECT a.ref FROM alerts a JOIN children c ON c.id = a.child_id WHERE "
        "a.status = 'open' AND c.reviewer_id = ?", [iro.staff_id])]
    at = open_page(app(monkeypatch, store, iro), "pages/alerts.py")
    page = texts(at)
    assert "Waiting for your decision" in page
    assert "Open alerts on the children you review" in page
    shown = {label.split(":")[0] for label in _links(at)}
    assert mine and set(mine) <= shown


def test_the_principal_iro_sees_every_open_alert(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    every = [r["ref"] for r in store.db.query("SELECT ref FROM alerts WHERE status = 'open'")]
    at = open_page(app(monkeypatch, store, user_with_role(store, "principal_iro")),
                   "pages/alerts.py")
    assert "Every open alert" in texts(at)
    shown = {label.split(":")[0] for label in _links(at)}
    assert every and set(every) <= shown


def test_an_informal_alert_nobody_answered_is_waiting_for_the_iro(monkeypatch, tmp_path):
    """Informal alerts whose people did not answer in time wait for the IRO's decision, on
    the Alerts page and in the Home page's count alike."""
    import datetime as dt
    import re

    from tests.waiting_support import child_in_line, raise_for

    store = demo_store(tmp_path)
    line = child_in_line(store, "WL-0001", "Alexandra-Josephine Featherstonehaugh-Worthington")
    raise_for(store, line, "WL-I", dt.date(2026, 11, 16))  # due Thu 19 Nov, no sweep since
    at = open_page(app(monkeypatch, store, line.reviewer), "pages/alerts.py")
    page = re.sub(r"\\(.)", r"\1", texts(at))
    assert ("#### Alexandra-Josephine Featherstonehaugh-Worthington · WL-0001" in page)
    assert "**No agreement at the informal stage in time: decide the next step.**" in page
    assert "Overdue: was due Thu 19 Nov 2026 (2 working days late)" in page
    cards = [label for label in _links(at) if label.endswith(": open the alert to decide")]
    assert "WL-I: open the alert to decide" in cards
    # missed deadlines first (the demo's own, if this reviewer has any, and this one)
    from usecases.alert_lists import decisions_waiting

    missed = {f"{r['ref']}: open the alert to decide"
              for r in decisions_waiting(store, line.reviewer, AS_OF)
              if r["missed"]}
    assert "WL-I: open the alert to decide" in missed
    assert set(cards[:len(missed)]) == missed
    assert "Social Worker or Team Manager; the IRO: decide the next step" in page

    at.switch_page("pages/home.py").run()
    assert at.warning[0].value.startswith(f"{len(cards)} alert")
    assert "waiting for your decision" in at.warning[0].value
