"""Signing in and out, and the navigation each role sees."""

from __future__ import annotations

from tests.page_support import app, demo_store, user_with_role
from usecases.demo import DEMO_PASSWORD


def test_sign_in_page_is_all_a_stranger_sees(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    at = app(monkeypatch, store)
    assert at.title[0].value == "Sign in"
    assert "demonstration store" in at.info[0].value
    assert DEMO_PASSWORD in at.info[0].value
    emails = list(at.dataframe[0].value["E-mail"])
    assert all(e.endswith(".invalid") for e in emails)


def test_wrong_password_is_refused_with_a_plain_message(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    user = user_with_role(store, "iro")
    at = app(monkeypatch, store)
    at.text_input(key="email").input(user.email)
    at.text_input(key="password").input("not-the-password")
    at.button[0].click().run()
    assert "were not recognised" in at.error[0].value
    assert at.title[0].value == "Sign in"
    assert "user" not in at.session_state


def test_right_password_signs_in_and_sign_out_signs_out(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    user = user_with_role(store, "team_manager")
    at = app(monkeypatch, store)
    at.text_input(key="email").input(user.email.upper())
    at.text_input(key="password").input(DEMO_PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["user"].staff_id == user.staff_id
    at.switch_page("app.py").run()  # the entry point, with its sidebar, as the browser shows
    assert at.title[0].value == "IRO alerts and escalation"
    assert f"Signed in as **{user.name}**, Team Manager" in at.sidebar.markdown[0].value
    at.sidebar.button(key="sign_out").click().run()
    assert at.title[0].value == "Sign in"


def test_each_role_sees_only_its_screens(tmp_path):
    from ui.navigation import screens_for

    store = demo_store(tmp_path)

    def visible(role: str) -> list[str]:
        return [s.title for s in screens_for(user_with_role(store, role)) if s.visible]

    concerns = "Concerns about an IRO's practice"
    assert visible("head_of_service") == ["Home", "Inbox", "Children", "Dashboard",
                                          "Reports", concerns, "Messages"]
    assert visible("team_manager") == ["Home", "Inbox", "Children",
                                       "Placement and permanence", concerns, "Messages"]
    assert visible("iro") == ["Home", "Alerts", "Children", "Record a review",
                              "Raise an alert", "Note good practice", "Significant changes",
                              concerns, "Messages"]
    assert visible("social_worker") == ["Home", "Inbox", "Children",
                                        "Tell the IRO of a change", "Placement and permanence",
                                        concerns, "Messages"]
    assert visible("cp_chair") == visible("iro")
    assert visible("principal_iro") == [*visible("iro")[:-2], "Inbox", "Dashboard",
                                        "Reports", concerns, "Messages"]
    assert [s.title for s in screens_for(None)] == ["Sign in"]


def test_a_manager_cannot_open_a_reviewers_screen(monkeypatch, tmp_path):
    import pytest

    store = demo_store(tmp_path)
    at = app(monkeypatch, store, user_with_role(store, "service_manager"))
    at.switch_page("pages/inbox.py")  # on the manager's menu
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/raise_alert.py")
