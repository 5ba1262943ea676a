"""Raising an alert and acting on it, through the screens (AppTest)."""

from __future__ import annotations

from db.alerts import alert_by_ref
from tests.page_support import app, demo_store, open_page, texts, user_with_role


def _child_of(store, user) -> str:
    return next(store.db.query(
        "SELECT case_ref FROM children WHERE reviewer_id = ? ORDER BY case_ref LIMIT 1",
        [user.staff_id]))["case_ref"]


def _raise(at, *, level="informal", gate=""):
    at.selectbox(key="raise_category").set_value("care_planning")
    at.text_area(key="raise_concern").input("Statutory visits have not happened since July.")
    at.text_area(key="raise_outcome").input("Visits every six weeks from now, starting "
                                            "within ten working days.")
    at.radio(key="raise_level").set_value(level)
    if gate:
        at.run()
        at.text_input(key="raise_gate").input(gate)
    at.button(key="raise_submit").click().run()


def test_raise_an_informal_alert_then_see_it(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    iro = user_with_role(store, "iro")
    child = _child_of(store, iro)
    before = store.db["alerts"].count
    at = open_page(app(monkeypatch, store, iro), "pages/raise_alert.py", child=child)
    assert at.selectbox(key="raise_child").value == child
    assert "Defaulted to the policy's timescale: 26 Nov 2026." in texts(at)  # 3 working days
    _raise(at)
    assert not at.exception
    assert store.db["alerts"].count == before + 1
    assert at.title[0].value.startswith("Alert A-")
    page = texts(at)
    assert "Raised at Informal stage; Team Manager to respond by 26 Nov 2026." in page
    assert "Waiting for the Team Manager to respond by 26 Nov 2026 (3 working days left)." \
        in page


def test_every_missing_field_is_named_and_nothing_is_saved(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    before = store.db["alerts"].count
    at = open_page(app(monkeypatch, store, user_with_role(store, "iro")), "pages/raise_alert.py")
    at.button(key="raise_submit").click().run()
    errors = [e.value for e in at.error]
    assert errors == ["Choose the category of concern.", "Describe the issue of concern.",
                      "Say what outcome you are seeking, and by when."]
    assert store.db["alerts"].count == before


def test_a_formal_start_without_the_gate_is_refused_beside_the_gate_field(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    before = store.db["alerts"].count
    at = open_page(app(monkeypatch, store, user_with_role(store, "iro")), "pages/raise_alert.py")
    _raise(at, level="service_manager")
    assert [e.value for e in at.error] == [
        "Before Level 1: Service Manager, seed-001 asks that Head of Service is consulted. "
        "Record who was consulted and when."]
    assert store.db["alerts"].count == before
    at.text_input(key="raise_gate").input("Agreed with the Head of Service for SARS today.")
    at.button(key="raise_submit").click().run()
    assert store.db["alerts"].count == before + 1


def _raised_at_level_one(monkeypatch, store) -> str:
    """An IRO raises an alert at level 1 through the screen; returns its reference."""
    iro = user_with_role(store, "iro")
    at = open_page(app(monkeypatch, store, iro), "pages/raise_alert.py",
                   child=_child_of(store, iro))
    _raise(at, level="service_manager", gate="Agreed with the Head of Service for SARS.")
    return at.title[0].value.removeprefix("Alert ")


def test_manager_responds_and_iro_is_not_satisfied(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    iro = user_with_role(store, "iro")
    ref = _raised_at_level_one(monkeypatch, store)

    manager = open_page(app(monkeypatch, store, user_with_role(store, "service_manager")),
                        "pages/alert.py", ref=ref)
    manager.selectbox(key="action_kind").set_value("responded").run()
    manager.radio(key="action_outcome").set_value("uphold")
    manager.text_area(key="action_note").input("The current visiting pattern is adequate.")
    manager.button(key="action_submit").click().run()
    assert not manager.exception
    assert alert_by_ref(store.db, ref).state["awaiting"] == "iro"
    assert "Service Manager upheld the service's decision" in texts(manager)

    back = open_page(app(monkeypatch, store, iro), "pages/alert.py", ref=ref)
    back.selectbox(key="action_kind").set_value("not_satisfied").run()
    back.button(key="action_submit").click().run()
    state = alert_by_ref(store.db, ref).state
    assert (state["level"], state["awaiting"]) == ("head_of_service", "head_of_service")
    assert "escalated to Head of Service the same day under seed-001 level 2" in texts(back)


def test_a_response_needs_its_words(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    ref = _raised_at_level_one(monkeypatch, store)
    at = open_page(app(monkeypatch, store, user_with_role(store, "service_manager")),
                   "pages/alert.py", ref=ref)
    at.selectbox(key="action_kind").set_value("responded").run()
    at.button(key="action_submit").click().run()
    assert "Write your response: what you agree to do, or why not." in [
        e.value for e in at.error]


def test_alert_page_shows_ladder_timeline_case_note_and_printable_page(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    ref = next(store.db.query("SELECT ref FROM alerts ORDER BY id LIMIT 1"))["ref"]
    at = open_page(app(monkeypatch, store, user_with_role(store, "head_of_service")),
                   "pages/alert.py", ref=ref)
    ladder = at.dataframe[0].value
    assert next(iter(ladder["Stage"])).startswith("Informal")
    assert "▶" in list(ladder[""])
    timeline = at.dataframe[1].value
    assert next(iter(timeline["What"])) == "Alert raised"
    note = at.code[0].value
    assert note.startswith(f"ALERT OF CONCERN {ref}")
    assert "History:" in note
    assert at.get("download_button")[0].proto.label == "Download a printable page"


def test_an_unknown_alert_says_so(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    at = open_page(app(monkeypatch, store, user_with_role(store, "iro")), "pages/alert.py",
                   ref="NOPE")
    assert at.error[0].value == "There is no alert NOPE."


def test_without_an_alert_the_page_says_where_to_choose_one(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    manager = open_page(app(monkeypatch, store, user_with_role(store, "service_manager")),
                        "pages/alert.py")
    assert manager.info[0].value == "Choose an alert from the Inbox page."
    iro = open_page(app(monkeypatch, store, user_with_role(store, "iro")), "pages/alert.py")
    assert iro.info[0].value == "Choose an alert from the Alerts page."
