"""End to end in a real browser: a team manager's inbox shows the overdue alert first; the
manager acknowledges it and responds from the inbox. Screenshots in test-artifacts/."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser_support import WAIT, idle, menu, screenshot, sign_in, started_site
from tests.support import raise_at, state

pytestmark = pytest.mark.browser
AS_OF = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with started_site(tmp_path_factory.mktemp("inbox"), "seed-003", AS_OF) as running:
        yield running


def test_manager_acknowledges_and_responds_overdue_first(site):
    url, store, browser = site
    manager = next(store.db.query(
        "SELECT id, email, team_id FROM staff WHERE role = 'team_manager' ORDER BY id LIMIT 1"))
    kids = [r["case_ref"] for r in store.db.query(
        "SELECT case_ref FROM children WHERE team_id = ? AND legal_status = 'looked_after' "
        "ORDER BY case_ref LIMIT 2", [manager["team_id"]])]
    raise_at(store, AS_OF - dt.timedelta(days=1), "team_manager", ref="BR-SOON",
             child=kids[0], gate="Agreed with my line manager")
    raise_at(store, AS_OF - dt.timedelta(days=10), "team_manager", ref="BR-LATE",
             child=kids[1], gate="Agreed with my line manager")

    page = sign_in(browser, url, manager["email"])
    menu(page, "Inbox")
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible(timeout=WAIT)
    links = page.get_by_role("link", name=re.compile(r"^Respond to alert BR-"))
    expect(links.first).to_be_visible(timeout=WAIT)
    assert "Respond to alert BR-LATE" in links.first.inner_text()
    expect(page.get_by_text("Overdue: was due Fri 20 Nov 2026 (1 working day late)").first) \
        .to_be_visible()
    screenshot(page, "10-inbox-overdue-first")

    page.get_by_test_id("stCheckbox").first.click()
    page.get_by_role("button", name=re.compile(r"^Acknowledge the 1 selected")).click()
    expect(page.get_by_text("Alert BR-LATE: acknowledged.")).to_be_visible(timeout=WAIT)
    assert state(store, "BR-LATE").acknowledged

    agree = page.get_by_text("Agree with the concern").first
    for _ in range(3):  # the acknowledgement's rerun can redraw the row under the click
        idle(page)
        if agree.is_visible():
            break
        page.get_by_text("Respond to BR-LATE or ask for more time").click()
    agree.click()
    page.get_by_label("Your response in writing").first.fill(
        "Statutory visits are booked every four weeks from Thursday.")
    screenshot(page, "11-inbox-respond")
    page.get_by_role("button", name="Send").first.click()
    expect(page.get_by_text(re.compile("agreed with the concern")).first).to_be_visible(
        timeout=WAIT)
    screenshot(page, "12-inbox-after")
    assert state(store, "BR-LATE").awaiting == "iro"
