"""The alert page in a real browser: a manager's words, Markdown and HTML included, reach the
IRO exactly as typed under "Latest response"; the IRO decides under them; every Save
clicked three times quickly writes one set of events; a step that cannot be undone waits
for "I am sure"; the print view; no outside address fetched; axe-core for both people.

Screenshots in test-artifacts/screenshots/alert-page-*.png.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from db.alerts import alert_by_ref
from tests.browser_support import (
    WAIT,
    assert_accessible,
    choose,
    idle,
    managers_of,
    screenshot,
    sign_in,
    started_site,
)
from usecases.accounts import authenticate
from usecases.alert_forms import RaiseAlertForm, raise_from_form
from usecases.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser
AS_OF = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
SENTENCE = ("We will start **family finding** on <b>7 Dec</b>: see [the plan]"
            "(http://example.invalid/plan) ![chart](http://example.invalid/chart.png) "
            "=SUM(A1)")
NOT_SATISFIED = "A date is not a plan: <i>who</i> does the _family finding_, and by when?"
WHY_WITHDRAWN = "The child's plan changed at court today; a new alert follows if needed."


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with started_site(tmp_path_factory.mktemp("alert-page"), "seed-001", AS_OF) as running:
        yield running


def _events(store, ref: str) -> int:
    return store.db.execute(
        "SELECT count(*) FROM events e JOIN alerts a ON a.id = e.alert_id WHERE a.ref = ?",
        [ref]).fetchone()[0]


def _open(browser, url: str, email: str, ref: str, outside: list[str]) -> Page:
    """Sign in, then open the alert watching every request the page makes."""
    page = sign_in(browser, url, email)
    page.on("request", lambda r: None if r.url.startswith(url) or r.url.startswith("data:")
            else outside.append(r.url))
    page.goto(f"{url}/alert?ref={ref}")
    expect(page.get_by_role("heading", name=f"Alert {ref}")).to_be_visible(timeout=WAIT)
    idle(page)
    return page


def _save_three_times(page: Page) -> None:
    """Three quick clicks on Save, as an impatient person on a slow connection makes."""
    page.get_by_role("button", name=re.compile("^Save")).click(click_count=3, delay=30)
    page.wait_for_timeout(500)
    idle(page)


def _saved(page: Page, pattern: str, name: str) -> None:
    """What the save did is on show (a picture is kept if not, to see why)."""
    try:
        expect(page.get_by_text(re.compile(pattern))).to_be_visible(timeout=WAIT)
    except AssertionError:
        screenshot(page, f"failed-{name}")
        alerts = page.get_by_test_id("stAlertContainer").all_inner_texts()
        raise AssertionError(f"{pattern!r} not shown; the page's messages: {alerts}") from None


def test_the_conversation_on_the_alert_page(site):
    url, store, browser = site
    iro_email = next(store.db.query(
        "SELECT email FROM staff WHERE role = 'iro' ORDER BY id LIMIT 1"))["email"]
    iro_user = authenticate(store, iro_email, DEMO_PASSWORD)
    child = next(store.db.query(
        "SELECT case_ref FROM children WHERE reviewer_id = ? AND legal_status = "
        "'looked_after' ORDER BY case_ref LIMIT 1", [iro_user.staff_id]))["case_ref"]
    ref = raise_from_form(store, RaiseAlertForm(
        child_ref=child, category="care_planning",
        concern="Family finding has not started <u>eight months</u> after the decision.",
        outcome_sought="Family finding to start within ten working days.",
        level="service_manager", gate="Agreed with the Head of Service for SARS today."),
        user=iro_user, on=AS_OF, now=NOW).ref
    outside: list[str] = []

    # -- the Service Manager responds, with Markdown and HTML in their words -------------------
    manager = _open(browser, url, managers_of(store, child)["service_manager"], ref, outside)
    expect(manager.get_by_text("Your turn:", exact=True)).to_be_visible()
    assert_accessible(manager, "alert-page-01-manager-opens")
    manager.get_by_text("Uphold the service's decision").click()
    manager.get_by_label("Your response in writing").fill(SENTENCE)
    idle(manager)
    screenshot(manager, "alert-page-02-manager-writes")
    before = _events(store, ref)
    _save_three_times(manager)
    _saved(manager, r"^Saved\. Service Manager upheld", "manager-response")
    assert _events(store, ref) == before + 1  # one response, however many clicks
    expect(manager.get_by_label("Your response in writing")).to_have_count(
        0, timeout=WAIT)  # cleared
    screenshot(manager, "alert-page-03-manager-saved")

    # -- the IRO reads exactly those words under "Latest response", and decides ---------------
    iro = _open(browser, url, iro_email, ref, outside)
    latest = iro.locator(".st-key-latest_response")
    expect(latest.get_by_role("heading", name="Latest response")).to_be_visible()
    expect(latest.get_by_text(SENTENCE, exact=True)).to_be_visible()
    assert iro.locator("main b, main i, main u").filter(
        has_text=re.compile("7 Dec|eight months")).count() == 0
    assert iro.locator("img[src*='example.invalid']").count() == 0
    assert iro.locator("a[href*='example.invalid']").count() == 0
    expect(iro.get_by_text("Your decision:", exact=True)).to_be_visible()
    assert_accessible(iro, "alert-page-04-iro-reads-the-response")
    iro.get_by_role("link", name="read the latest response").click()
    expect(latest.get_by_role("heading", name="Latest response")).to_be_in_viewport(
        timeout=WAIT)
    screenshot(iro, "alert-page-04b-latest-response-above-the-decision")
    choose(iro, "Action", "Not satisfied with the response")
    iro.get_by_label("Why you are not satisfied (optional; the managers read it)").fill(
        NOT_SATISFIED)
    idle(iro)
    before = _events(store, ref)
    _save_three_times(iro)
    _saved(iro, r"^Saved\. The IRO is not satisfied", "not-satisfied")
    assert _events(store, ref) == before + 2  # not satisfied, and the rules' escalation
    assert alert_by_ref(store.db, ref).state["level"] == "head_of_service"
    expect(iro.get_by_text(NOT_SATISFIED, exact=True)).to_have_count(1)
    expect(iro.get_by_role("paragraph").filter(
        has_text='Made by the rule "not_satisfied_escalates"')).to_be_visible()
    screenshot(iro, "alert-page-05-iro-not-satisfied")

    # -- withdrawing cannot be undone: nothing is saved until "I am sure" ----------------------
    choose(iro, "Action", "Withdraw the alert")
    iro.get_by_label("Why it is withdrawn").fill(WHY_WITHDRAWN)
    idle(iro)
    before = _events(store, ref)
    _save_three_times(iro)
    expect(iro.get_by_text(re.compile("tick \"I am sure\" to save it"))).to_be_visible(
        timeout=WAIT)
    assert _events(store, ref) == before
    screenshot(iro, "alert-page-06-iro-must-confirm")
    sure = iro.get_by_role("checkbox", name=re.compile("^I am sure: this withdraws"))
    for _ in range(3):  # a click can land while the extra clicks' reruns redraw the form
        idle(iro)
        if sure.is_checked():
            break
        iro.get_by_text(re.compile("^I am sure: this withdraws")).click()
    expect(sure).to_be_checked()
    idle(iro)
    _save_three_times(iro)
    _saved(iro, r"^Saved\. The alert was withdrawn", "withdrawn")
    assert _events(store, ref) == before + 1
    assert alert_by_ref(store.db, ref).state["status"] == "withdrawn"
    expect(iro.get_by_text(WHY_WITHDRAWN, exact=True)).to_have_count(1)
    screenshot(iro, "alert-page-07-withdrawn")

    # -- the print view -------------------------------------------------------------------------
    iro.get_by_role("link", name=re.compile("Printable page")).click()
    expect(iro.get_by_role("heading", name=f"Alert of concern {ref}")).to_be_visible(
        timeout=WAIT)
    idle(iro)
    printed = iro.locator(".iro-print")
    expect(printed.get_by_text(SENTENCE, exact=True)).to_be_visible()
    expect(printed.get_by_text(NOT_SATISFIED, exact=True)).to_be_visible()
    assert_accessible(iro, "alert-page-08-print-view")
    iro.evaluate("() => { window.__printed = 0; window.print = () => window.__printed++; }")
    iro.get_by_role("button", name="Print this page").click()
    assert iro.evaluate("() => window.__printed") == 1
    iro.emulate_media(media="print")
    expect(iro.get_by_test_id("stSidebar")).to_be_hidden()
    expect(iro.get_by_role("button", name="Print this page")).to_be_hidden()
    screenshot(iro, "alert-page-09-as-printed")
    iro.emulate_media(media="screen")

    assert outside == []  # nothing anyone typed made the browser fetch an outside address
