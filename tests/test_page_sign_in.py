"""Signing in and out, and the navigation each role sees."""

from __future__ import annotations

import datetime as dt

from tests.page_support import AS_OF, app, demo_store, texts, user_with_role
from ui.auth import TOKEN_KEY
from ui.auth_routes import MOUNTED_ENV
from usecases.audit import audit_entries
from usecases.demo import DEMO_PASSWORD
from usecases.sessions import user_for_session
from usecases.store import create_store


def test_sign_in_page_is_all_a_stranger_sees(monkeypatch, tmp_path):
    monkeypatch.setenv(MOUNTED_ENV, "yes")
    store = demo_store(tmp_path)
    at = app(monkeypatch, store)
    assert at.title[0].value == "Sign in"
    form = at.get("html")[0].proto.body
    assert 'action="/auth/sign-in"' in form and 'name="password"' in form
    assert "demonstration store" in at.info[0].value
    assert DEMO_PASSWORD in at.info[0].value
    emails = list(at.dataframe[0].value["E-mail"])
    assert all(e.endswith(".invalid") for e in emails)


def test_an_app_started_without_the_sign_in_routes_says_how_to_start_it(monkeypatch,
                                                                        tmp_path):
    monkeypatch.delenv(MOUNTED_ENV, raising=False)
    at = app(monkeypatch, demo_store(tmp_path))
    assert "streamlit run serve.py" in at.error[0].value
    assert not at.get("html")


def test_a_store_that_is_not_a_demo_shows_no_password(monkeypatch, tmp_path):
    monkeypatch.setenv(MOUNTED_ENV, "yes")
    store = create_store(tmp_path / "real.db", "seed-001", demo=False, as_of=AS_OF)
    at = app(monkeypatch, store)
    assert at.title[0].value == "Sign in"
    assert not at.info and not at.dataframe
    assert DEMO_PASSWORD not in texts(at)


def test_sign_out_ends_the_session(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    user = user_with_role(store, "team_manager")
    at = app(monkeypatch, store, user)
    assert at.title[0].value == "IRO alerts and escalation"
    assert f"Signed in as {user.name}, Team Manager" in at.sidebar.text[0].value
    token = at.session_state[TOKEN_KEY]
    at.sidebar.button(key="sign_out").click().run()
    assert at.title[0].value == "Sign in"
    now = dt.datetime.combine(AS_OF, dt.datetime.now(dt.UTC).timetz())
    assert user_for_session(store, token, now=now).user is None
    assert [e["kind"] for e in audit_entries(store)][-1] == "signed_out"


def test_deactivation_takes_effect_at_the_next_click(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    user = user_with_role(store, "team_manager")
    at = app(monkeypatch, store, user)
    assert at.title[0].value == "IRO alerts and escalation"
    store.db.execute("UPDATE staff SET active = 0 WHERE id = ?", [user.staff_id])
    at.run()
    assert at.title[0].value == "Sign in"
    assert "no longer active" in at.info[0].value


def test_each_role_sees_only_its_screens(tmp_path):
    from ui.navigation import screens_for

    store = demo_store(tmp_path)

    def visible(role: str) -> list[str]:
        titles = [s.title for s in screens_for(user_with_role(store, role)) if s.visible]
        assert titles[-1] == "Accessibility statement"  # everyone's last entry
        return titles[:-1]

    concerns = "Concerns about an IRO's practice"
    assert visible("head_of_service") == ["Home", "Inbox", "Children", "Dashboard",
                                          "Reports", "Access audit", concerns, "Messages"]
    assert visible("admin") == ["Home", "Mail outbox", "Import teams, staff and children",
                                "Import alert histories", "Access audit",
                                "Messages"]
    assert "Access audit" not in visible("team_manager") + visible("iro")
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
