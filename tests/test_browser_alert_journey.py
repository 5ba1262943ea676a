"""End to end in a real browser: an IRO records a red review and raises an alert; a manager
responds; the IRO is not satisfied and the alert moves up a level.

Screenshots of each screen are saved under test-artifacts/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from db.alerts import alert_by_ref
from tests.browser_support import (
    WAIT,
    choose,
    email_of,
    menu,
    pick,
    screenshot,
    sign_in,
    started_site,
    type_date,
)

pytestmark = pytest.mark.browser
AS_OF = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with started_site(tmp_path_factory.mktemp("browser"), "seed-001", AS_OF) as running:
        yield running


def test_iro_to_manager_and_back(site):
    url, store, browser = site
    iro_email = email_of(store, "iro")
    child = next(store.db.query(
        "SELECT c.case_ref, c.name FROM children c JOIN staff s ON s.id = c.reviewer_id "
        "WHERE s.email = ? AND c.legal_status = 'looked_after' ORDER BY c.case_ref LIMIT 1",
        [iro_email]))

    # -- the IRO records a red review --------------------------------------------------------
    iro = sign_in(browser, url, iro_email)
    screenshot(iro, "01-home-iro")
    menu(iro, "Children")
    iro.get_by_role("link", name=re.compile(re.escape(child["case_ref"]))).click()
    expect(iro.get_by_role("heading", name=re.compile(re.escape(child["case_ref"])))) \
        .to_be_visible(timeout=WAIT)
    expect(iro.get_by_role("heading", name="Chronology")).to_be_visible(timeout=WAIT)
    screenshot(iro, "01b-child-record")
    menu(iro, "Record a review")
    expect(iro.get_by_role("heading", name="Record a review")).to_be_visible(timeout=WAIT)
    choose(iro, "Child", child["case_ref"])
    type_date(iro, "Date of the review", "20/11/2026")
    iro.get_by_text("Red: serious concerns; the Head of Service is told").click()
    iro.get_by_label("Your judgement of the plan's progress").fill(
        "No progress on the permanence plan since the last review.")
    choose(iro, "Categories of concern", "Care planning")
    iro.keyboard.press("Escape")
    iro.get_by_label("Details of the concerns").fill("Family finding has not started.")
    iro.get_by_label("The resolution sought (needed for amber or red)").fill(
        "Family finding to start within ten working days.")
    choose(iro, "How the child took part", "The child attended")
    iro.get_by_label("Decisions (sent to the team manager when you save)").fill(
        "Family finding to begin; contact with siblings to increase to fortnightly.")
    screenshot(iro, "02-review-form")
    iro.get_by_role("button", name="Save the review").click()
    expect(iro.get_by_text(re.compile("plan judged red"))).to_be_visible(timeout=WAIT)
    screenshot(iro, "03-review-saved")

    # -- and raises an alert straight at level 1 ---------------------------------------------
    menu(iro, "Raise an alert")
    expect(iro.get_by_role("heading", name="Raise an alert of concern")).to_be_visible(
        timeout=WAIT)
    choose(iro, "Child", child["case_ref"])
    choose(iro, "Category of concern", "Care planning")
    iro.get_by_role("textbox", name="The issue of concern").fill("Family finding has not started.")
    iro.get_by_role("textbox", name="The outcome you are seeking").fill(
        "Family finding to start within ten working days.")
    iro.get_by_text("Level 1: Service Manager (responds: Service Manager)").click()
    iro.get_by_label("Who did you consult, and when?").fill(
        "Agreed with the Head of Service for SARS on 23 Nov 2026.")
    screenshot(iro, "04-raise-alert")
    iro.get_by_role("button", name="Raise the alert").click()
    heading = iro.get_by_role("heading", name=re.compile(r"^Alert A-\d+"))
    expect(heading).to_be_visible(timeout=WAIT)
    ref = heading.inner_text().removeprefix("Alert ").strip()
    expect(iro.get_by_text("Waiting for the Service Manager to respond by 30 Nov 2026")) \
        .to_be_visible(timeout=WAIT)
    screenshot(iro, "05-alert-raised")

    # -- the Service Manager sees it and responds --------------------------------------------
    manager = sign_in(browser, url, email_of(store, "service_manager"))
    menu(manager, "Inbox")
    manager.get_by_role("link", name=re.compile(f"Respond to alert {ref}")).click()
    expect(manager.get_by_role("heading", name=f"Alert {ref}")).to_be_visible(timeout=WAIT)
    manager.get_by_text("Uphold the service's decision").click()
    manager.get_by_label("Your response in writing").fill(
        "Family finding will start after the next legal planning meeting.")
    screenshot(manager, "06-manager-responds")
    manager.get_by_role("button", name="Save").click()
    expect(manager.get_by_text(re.compile("upheld the service's decision")).first) \
        .to_be_visible(timeout=WAIT)
    assert alert_by_ref(store.db, ref).state["awaiting"] == "iro"

    # -- the IRO is not satisfied: the alert moves up a level --------------------------------
    iro = sign_in(browser, url, iro_email)
    menu(iro, "Alerts")
    iro.get_by_role("link", name=re.compile(f"^{ref}")).first.click()
    expect(iro.get_by_role("heading", name=f"Alert {ref}")).to_be_visible(timeout=WAIT)
    choose(iro, "Action", "Not satisfied with the response")
    iro.get_by_role("button", name="Save").click()
    expect(iro.get_by_text(re.compile("escalated to Head of Service the same day")).first) \
        .to_be_visible(timeout=WAIT)
    screenshot(iro, "07-escalated")
    state = alert_by_ref(store.db, ref).state
    assert (state["level"], state["awaiting"]) == ("head_of_service", "head_of_service")


def test_iro_notes_good_practice(site):
    url, store, browser = site
    # the worker listed first (by name), so the option is in view however long the list is
    worker = next(store.db.query(
        "SELECT name FROM staff WHERE role = 'social_worker' ORDER BY name LIMIT 1"))["name"]
    before = store.db["good_practice"].count
    iro = sign_in(browser, url, email_of(store, "iro"))
    menu(iro, "Note good practice")
    expect(iro.get_by_role("heading", name="Note good practice")).to_be_visible(timeout=WAIT)
    choose(iro, "Worker", worker)
    iro.get_by_label("What was better than good?").fill(
        "Careful life-story work that the child brought to the review with pride.")
    screenshot(iro, "08-good-practice")
    iro.get_by_role("button", name="Send the note").click()
    expect(iro.get_by_text(re.compile("^Thank you"))).to_be_visible(timeout=WAIT)
    assert store.db["good_practice"].count == before + 1


def test_head_of_service_sees_the_dashboard(site):
    url, store, browser = site
    page = sign_in(browser, url, email_of(store, "head_of_service"))
    menu(page, "Dashboard")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible(timeout=WAIT)
    charts = page.get_by_test_id("stVegaLiteChart")
    # it opens on what is outstanding now; the trends are a click away
    expect(page.get_by_role("heading", name="Outstanding now")).to_be_visible(timeout=WAIT)
    expect(page.get_by_text(re.compile("^On 23 Nov 2026: "))).to_be_visible(timeout=WAIT)
    expect(charts).to_have_count(0)
    screenshot(page, "09-dashboard-outstanding")
    pick(page, "Alerts raised")
    expect(charts).to_have_count(1, timeout=WAIT)
    page.wait_for_timeout(1000)  # let the chart draw before the picture
    screenshot(page, "09-dashboard")
    pick(page, "The ladder and timeliness")
    expect(charts).to_have_count(2, timeout=WAIT)
