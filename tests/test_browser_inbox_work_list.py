"""End to end in a real browser, on a Saturday: the manager's inbox is a work list (whose
child, what is asked, by when and what a missed day leads to), more time is asked for from
the row once however often the button is clicked, and the IRO's list and Home count hold
an informal alert waiting for their decision. Screenshots in test-artifacts/."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser_support import (
    WAIT,
    assert_accessible,
    idle,
    menu,
    screenshot,
    sign_in,
    started_site,
    type_date,
)
from tests.waiting_support import child_in_line, raise_for
from usecases.alert_lists import decisions_waiting

pytestmark = pytest.mark.browser
SATURDAY = dt.date(2026, 11, 28)
LONG_NAME = "Alexandra-Josephine Featherstonehaugh-Worthington"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with started_site(tmp_path_factory.mktemp("work-list"), "seed-001", SATURDAY) as running:
        url, store, browser = running
        line = child_in_line(store, "WL-0001", LONG_NAME)
        # seed-001 level 1: the Service Manager, 5 working days: due Fri 27 Nov
        raise_for(store, line, "WL-1", dt.date(2026, 11, 20), "service_manager",
                  outcome_sought="A school place within ten working days.")
        # the informal stage: 3 working days, due Tue 24 Nov; nobody answered
        raise_for(store, line, "WL-I", dt.date(2026, 11, 19))
        yield url, store, browser, line


def _events(store, ref: str, kind: str) -> int:
    return store.db.execute(
        "SELECT count(*) FROM events e JOIN alerts a ON a.id = e.alert_id WHERE a.ref = ? "
        "AND e.kind = ?", [ref, kind]).fetchone()[0]


def _card(page, link: str, text: str = ""):
    """The innermost block (a row's card) holding the link (and the text)."""
    return page.get_by_test_id("stVerticalBlock").filter(
        has=page.get_by_role("link", name=link, exact=True)).filter(has_text=text).last


def test_a_manager_works_from_the_row(site):
    url, store, browser, line = site
    manager = line.holder(store, "service_manager")
    page = sign_in(browser, url, manager.email)
    menu(page, "Inbox")
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible(timeout=WAIT)
    idle(page)

    card = _card(page, "Respond to alert WL-1 at Level 1: Service Manager")
    expect(card).to_be_visible(timeout=WAIT)
    name = card.get_by_role("heading", name=f"{LONG_NAME} · WL-0001")
    expect(name).to_be_visible()
    assert name.evaluate("e => e.scrollWidth <= e.clientWidth"), "the name is cut off"
    expect(card.get_by_text("Outcome sought: A school place within ten working days.")) \
        .to_be_visible()
    expect(card.get_by_text(f"{line.reviewer.name}, Independent Reviewing Officer")) \
        .to_be_visible()
    # a Friday deadline seen on Saturday: overdue, and what Monday brings
    expect(card.get_by_text("Overdue: was due Fri 27 Nov 2026; escalates Mon 30 Nov 2026 if "
                            "there is no reply")).to_be_visible()
    expect(page.get_by_text("due today")).to_have_count(0)
    expect(page.get_by_text(re.compile("open the alert", re.I))).to_have_count(0)
    card.scroll_into_view_if_needed()
    assert_accessible(page, "20-work-list-inbox")

    card.get_by_text("Respond to WL-1 or ask for more time").click()
    card.get_by_text("Ask for more time", exact=True).click()
    idle(page)
    type_date(page, "More time for alert WL-1, until", "11/12/2026")
    card.get_by_label("Why more time is needed (WL-1)").fill(
        "The school's admissions panel meets on 9 December.")
    idle(page)
    screenshot(page, "21-work-list-more-time")
    card.get_by_role("button", name="Send the request for more time (WL-1)").click(
        click_count=3)
    expect(page.get_by_text(re.compile("asked for more time, until 11 Dec 2026"))) \
        .to_be_visible(timeout=WAIT)
    idle(page)
    assert _events(store, "WL-1", "extension_requested") == 1
    expect(card.get_by_text("More time asked for until Fri 11 Dec 2026: waiting for the IRO")) \
        .to_be_visible(timeout=WAIT)
    expect(card.get_by_label("Why more time is needed (WL-1)")).to_have_count(0)  # cleared
    page.wait_for_timeout(1000)  # any late click would have been saved by now
    assert _events(store, "WL-1", "extension_requested") == 1
    card.scroll_into_view_if_needed()
    assert_accessible(page, "22-work-list-pending-request")

    card.get_by_text("Select alert WL-1 to acknowledge").click()
    idle(page)
    page.get_by_role("button", name="Acknowledge the 1 selected").click(click_count=3)
    expect(page.get_by_text("Alert WL-1: acknowledged.")).to_be_visible(timeout=WAIT)
    idle(page)
    expect(card.get_by_text("Acknowledged", exact=True)).to_be_visible()
    page.wait_for_timeout(1000)
    assert _events(store, "WL-1", "acknowledged") == 1
    card.scroll_into_view_if_needed()
    assert_accessible(page, "25-work-list-acknowledged")


def test_the_iro_sees_the_informal_alert_waiting_for_their_decision(site):
    url, store, browser, line = site
    waiting = decisions_waiting(store, line.reviewer, SATURDAY)
    assert "WL-I" in {r["ref"] for r in waiting}
    page = sign_in(browser, url, line.reviewer.email)
    expect(page.get_by_text(re.compile(
        rf"^{len(waiting)} alerts? waiting for your decision"))).to_be_visible(timeout=WAIT)
    assert_accessible(page, "23-work-list-iro-home")
    menu(page, "Alerts")
    expect(page.get_by_role("heading", name="Waiting for your decision")).to_be_visible(
        timeout=WAIT)
    asked = "No agreement at the informal stage in time: decide the next step."
    card = _card(page, "WL-I: open the alert to decide", asked)
    expect(card.get_by_text(asked)).to_be_visible(timeout=WAIT)
    expect(card.get_by_text("Overdue: was due Tue 24 Nov 2026 (3 working days late)")) \
        .to_be_visible()
    assert_accessible(page, "24-work-list-iro-alerts")
