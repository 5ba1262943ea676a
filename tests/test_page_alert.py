"""Raising an alert and acting on it, through the screens (AppTest)."""

from __future__ import annotations

import re

from db.alerts import alert_by_ref
from tests.page_support import app, demo_store, open_page, texts, user_with_role
from usecases.alert_forms import ACTION_LABELS


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
    ref = at.title[0].value.removeprefix("Alert ")
    # what raising did, said once on arriving (as plain text: Markdown's marks escaped)
    assert [re.sub(r"\\(.)", r"\1", m.value) for m in at.success] == [
        f"Alert {ref} raised. Raised at Informal stage; Team Manager to respond by 26 Nov "
        "2026."]
    page = texts(at)
    assert "Raised at Informal stage; Team Manager to respond by 26 Nov 2026." in page
    assert at.info[0].value == (
        "**Waiting for the Team Manager to respond by 26 Nov 2026.**  \nDue Thu 26 Nov 2026 "
        "(3 working days left); the reviewer is asked to decide the next step on Fri 27 Nov "
        "2026 if there is no reply.")


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


def _widget(at, kind: str, label: str):
    """A widget by its label (the action form's keys change with every saved round)."""
    return next(w for w in getattr(at, kind) if w.label == label)


def _save(at):
    next(b for b in at.button if b.label.startswith("Save")).click().run()
    assert not at.exception, at.exception


def test_manager_responds_and_iro_is_not_satisfied(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    iro = user_with_role(store, "iro")
    ref = _raised_at_level_one(monkeypatch, store)

    manager = open_page(app(monkeypatch, store, user_with_role(store, "service_manager")),
                        "pages/alert.py", ref=ref)
    assert _widget(manager, "selectbox", "Action").value == "responded"
    _widget(manager, "radio", "Your response").set_value("uphold")
    _widget(manager, "text_area", "Your response in writing").input(
        "The current visiting pattern is adequate.")
    _save(manager)
    assert alert_by_ref(store.db, ref).state["awaiting"] == "iro"
    assert "Service Manager upheld the service's decision" in texts(manager)

    back = open_page(app(monkeypatch, store, iro), "pages/alert.py", ref=ref)
    assert "The current visiting pattern is adequate." in [t.value for t in back.text]
    _widget(back, "selectbox", "Action").set_value("not_satisfied").run()
    _widget(back, "text_area", "Why you are not satisfied (optional; the managers read it)") \
        .input("Adequate for whom? The child has asked for more visits.")
    _save(back)
    state = alert_by_ref(store.db, ref).state
    assert (state["level"], state["awaiting"]) == ("head_of_service", "head_of_service")
    assert "escalated to Head of Service the same day under seed-001 level 2" in texts(back)
    assert "Adequate for whom? The child has asked for more visits." in [
        t.value for t in back.text]


def test_a_response_needs_its_words(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    ref = _raised_at_level_one(monkeypatch, store)
    at = open_page(app(monkeypatch, store, user_with_role(store, "service_manager")),
                   "pages/alert.py", ref=ref)
    _save(at)
    assert [e.value for e in at.error] == [
        "Choose the outcome of your response.",
        "Write your response: what you agree to do, or why not."]


def test_every_field_of_the_action_form_has_its_own_label(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    ref = _raised_at_level_one(monkeypatch, store)
    at = open_page(app(monkeypatch, store, user_with_role(store, "iro")), "pages/alert.py",
                   ref=ref)
    action = _widget(at, "selectbox", "Action")
    for kind in action.options:
        _widget(at, "selectbox", "Action").set_value(
            next(k for k, v in ACTION_LABELS.items() if v == kind)).run()
        labels = [w.label for name in ("selectbox", "radio", "text_area", "text_input",
                                       "checkbox", "date_input") for w in getattr(at, name)]
        assert len(labels) == len(set(labels)), (kind, labels)
        assert all(label.strip() for label in labels)


def test_alert_page_shows_ladder_timeline_case_note_and_printable_page(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    ref = next(store.db.query("SELECT ref FROM alerts ORDER BY id LIMIT 1"))["ref"]
    at = open_page(app(monkeypatch, store, user_with_role(store, "head_of_service")),
                   "pages/alert.py", ref=ref)
    ladder = at.dataframe[0].value
    assert next(iter(ladder["Stage"])).startswith("Informal")
    assert "▶" in list(ladder[""])
    assert at.subheader[0].value == "The exchange so far"
    heads = [m.value for m in at.markdown if m.value.startswith("**")]
    assert any(h.startswith("**") and "· Alert raised**" in h for h in heads)
    note = at.code[0].value
    assert note.startswith(f"ALERT OF CONCERN {ref}")
    assert "History (oldest first):" in note
    assert any("Printable page" in p.proto.label for p in at.get("page_link"))
    assert not at.get("download_button")


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


def test_more_time_until_an_impossible_date_is_refused_not_moved(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    ref = _raised_at_level_one(monkeypatch, store)
    at = open_page(app(monkeypatch, store, user_with_role(store, "service_manager")),
                   "pages/alert.py", ref=ref)
    _widget(at, "selectbox", "Action").set_value("extension_requested").run()
    _widget(at, "text_input", "More time until").input("31/02/2027").run()
    _widget(at, "text_area", "Why more time is needed").input("The panel meets in March.")
    _save(at)
    assert any("There is no 31 February 2027" in e.value for e in at.error)
    assert alert_by_ref(store.db, ref).state.get("extension_until") in (None, "")
    # nothing typed is lost; a real date then saves
    assert _widget(at, "text_area", "Why more time is needed").value == \
        "The panel meets in March."
    _widget(at, "text_input", "More time until").input("03/03/2027").run()
    _save(at)
    assert alert_by_ref(store.db, ref).state["extension_until"] == "2027-03-03"
