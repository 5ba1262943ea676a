"""Views with addresses of their own (issue 15): a head of service bookmarks every team's
inbox, a dashboard part or the annual report; a wrong or unknown address falls back to the
usual view, and an address gives nobody more than their role allows."""

from __future__ import annotations

import pytest

from tests.page_support import app, demo_store, open_page, user_with_role


@pytest.fixture
def store(tmp_path):
    return demo_store(tmp_path)


def test_every_teams_inbox_has_its_own_address(monkeypatch, store):
    hos = user_with_role(store, "head_of_service")
    at = open_page(app(monkeypatch, store, hos), "pages/inbox.py", view="every-team")
    assert at.toggle(key="inbox_everyone").value is True
    assert "every team" not in " ".join(e.value for e in at.error)
    at.toggle(key="inbox_everyone").set_value(False).run()
    assert "view" not in at.query_params  # switched off: the address says so too
    at.toggle(key="inbox_everyone").set_value(True).run()
    assert at.query_params["view"] == "every-team"


def test_the_address_gives_a_team_manager_no_every_team_inbox(monkeypatch, store):
    manager = user_with_role(store, "team_manager")
    at = open_page(app(monkeypatch, store, manager), "pages/inbox.py", view="every-team")
    assert not [t for t in at.toggle if t.key == "inbox_everyone"]
    assert at.title[0].value == "Inbox" and not at.exception


@pytest.mark.parametrize(("asked", "shown"), [("ladder", "ladder"), ("impact", "impact"),
                                              ("nonsense", "outstanding"), ("", "outstanding")])
def test_a_dashboard_part_has_its_own_address(monkeypatch, store, asked, shown):
    hos = user_with_role(store, "head_of_service")
    at = open_page(app(monkeypatch, store, hos), "pages/dashboard.py", part=asked)
    assert at.radio(key="dash_section").value == shown
    at.radio(key="dash_section").set_value("reviews").run()
    assert at.query_params["part"] == "reviews"


@pytest.mark.parametrize(("asked", "shown"), [("annual", "annual"), ("quarterly", "quarterly"),
                                              ("<b>x</b>", "monthly")])
def test_a_report_has_its_own_address(monkeypatch, store, asked, shown):
    hos = user_with_role(store, "head_of_service")
    at = open_page(app(monkeypatch, store, hos), "pages/reports.py", report=asked)
    assert at.radio(key="report_kind").value == shown
