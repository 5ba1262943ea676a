"""One day's work across five people, in a real browser, through the screens only.

The IRO records a red review and raises an informal alert; the team manager answers it in a
sentence; the IRO reads that sentence on the alert page and is not satisfied, saying why,
then takes it to Level 1; the Service Manager reads the whole exchange and asks for more
time; the IRO agrees; the Head of Service finds the alert, with its new date, on the
dashboard. Every Save is clicked three times and writes once; every page passes axe-core
with no serious or critical violation. Nothing is written to the store except through the
browser: the test only reads it, to count what each save wrote.

Screenshots in test-artifacts/screenshots/day-*.png.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from db.alerts import alert_by_ref
from tests.browser_support import (
    WAIT,
    assert_accessible,
    choose,
    click_three_times,
    email_of,
    idle,
    managers_of,
    menu,
    pick,
    settled,
    sign_in,
    started_site,
    type_date,
)

pytestmark = pytest.mark.browser
AS_OF = dt.date(2026, 11, 23)  # a Monday
ANSWER = ("We will hold a permanence planning meeting on 4 Dec and start family finding "
          "straight after it.")
WHY_NOT = "Family finding was agreed in May; another meeting is not a start date."
CONSULTED = "Discussed with the Head of Service for SARS, who agreed Level 1, on 23 Nov 2026."
WHY_MORE_TIME = "The family finder is on leave until 7 Dec; I will confirm a start date then."


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with started_site(tmp_path_factory.mktemp("day"), "seed-001", AS_OF) as running:
        yield running


def _events(store, ref: str) -> list[str]:
    return [r["kind"] for r in store.db.query(
        "SELECT e.kind FROM events e JOIN alerts a ON a.id = e.alert_id WHERE a.ref = ? "
        "ORDER BY e.id", [ref])]


def _open_alert_from_inbox(page: Page, ref: str) -> None:
    menu(page, "Inbox")
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible(timeout=WAIT)
    idle(page)
    link = page.locator("a[href*='ref=" + ref + "']").first
    expect(link).to_be_visible(timeout=WAIT)
    assert_accessible(page, f"day-inbox-{page.url.count('/')}-{ref}")
    link.click()
    expect(page.get_by_role("heading", name=f"Alert {ref}")).to_be_visible(timeout=WAIT)
    idle(page)


def _confirm(page: Page, starts: str) -> None:
    box = page.get_by_role("checkbox", name=re.compile("^" + re.escape(starts)))
    for _ in range(3):
        idle(page)
        if box.is_checked():
            break
        page.get_by_text(re.compile("^" + re.escape(starts))).click()
    expect(box).to_be_checked()
    idle(page)


def test_one_day_across_the_iro_and_four_managers(site):
    url, store, browser = site
    iro_email = email_of(store, "iro")
    child = next(store.db.query(
        "SELECT c.id, c.case_ref, c.name FROM children c JOIN staff s ON s.id = c.reviewer_id "
        "WHERE s.email = ? AND c.legal_status = 'looked_after' ORDER BY c.case_ref LIMIT 1",
        [iro_email]))
    case_ref = child["case_ref"]
    chain = managers_of(store, case_ref)
    reviews_before = store.db.execute("SELECT count(*) FROM reviews WHERE child_id = ?",
                                      [child["id"]]).fetchone()[0]
    alerts_before = {r["ref"] for r in store.db.query(
        "SELECT ref FROM alerts WHERE child_id = ?", [child["id"]])}

    # -- 1. the IRO records a red review: three clicks, one review --------------------------
    iro = sign_in(browser, url, iro_email)
    assert_accessible(iro, "day-01-iro-home")
    menu(iro, "Record a review")
    expect(iro.get_by_role("heading", name="Record a review")).to_be_visible(timeout=WAIT)
    choose(iro, "Child", case_ref)
    type_date(iro, "Date of the review", "23/11/2026")
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
        "Family finding to begin.")
    idle(iro)
    assert_accessible(iro, "day-02-review-form")
    click_three_times(iro, iro.get_by_role("button", name="Save the review"))
    settled(iro, re.compile("plan judged red"), "review")
    assert store.db.execute("SELECT count(*) FROM reviews WHERE child_id = ?",
                            [child["id"]]).fetchone()[0] == reviews_before + 1
    assert_accessible(iro, "day-03-review-saved")

    # -- 2. ... and raises an informal alert: three clicks, one alert -----------------------
    menu(iro, "Raise an alert")
    expect(iro.get_by_role("heading", name="Raise an alert of concern")).to_be_visible(
        timeout=WAIT)
    choose(iro, "Child", case_ref)
    choose(iro, "Category of concern", "Care planning")
    iro.get_by_role("textbox", name="The issue of concern").fill(
        "Family finding has not started, six months after it was agreed.")
    iro.get_by_role("textbox", name="The outcome you are seeking").fill(
        "Family finding to start within ten working days.")
    type_date(iro, "Response date agreed", "26/11/2026")
    idle(iro)
    assert_accessible(iro, "day-04-raise-alert")
    click_three_times(iro, iro.get_by_role("button", name="Raise the alert"))
    heading = iro.get_by_role("heading", name=re.compile(r"^Alert A-\d+$"))
    said = iro.get_by_text(re.compile(r"^Alert A-\d+ raised\."))
    expect(heading.or_(said).first).to_be_visible(timeout=WAIT)
    idle(iro)
    iro.wait_for_timeout(1500)
    idle(iro)
    new = {r["ref"] for r in store.db.query("SELECT ref FROM alerts WHERE child_id = ?",
                                            [child["id"]])} - alerts_before
    assert len(new) == 1, new
    ref = new.pop()
    assert _events(store, ref) == ["raised"]

    # -- 3. the team manager answers in a sentence: three clicks, one response --------------
    tm = sign_in(browser, url, chain["team_manager"])
    _open_alert_from_inbox(tm, ref)
    tm.get_by_text("Agree with the concern").click()
    tm.get_by_label("Your response in writing").fill(ANSWER)
    idle(tm)
    assert_accessible(tm, "day-05-team-manager-answers")
    click_three_times(tm, tm.get_by_role("button", name=re.compile("^Save")))
    settled(tm, re.compile(r"^Saved\. Team Manager agreed"), "team-manager")
    assert _events(store, ref) == ["raised", "responded"]

    # -- 4. the IRO reads that sentence, is not satisfied and says why ----------------------
    iro.goto(f"{url}/alert?ref={ref}")
    latest = iro.locator(".st-key-latest_response")
    expect(latest.get_by_text(ANSWER, exact=True)).to_be_visible(timeout=WAIT)
    idle(iro)
    assert_accessible(iro, "day-06-iro-reads-the-answer")
    choose(iro, "Action", "Not satisfied with the response")
    iro.get_by_label("Why you are not satisfied (optional; the managers read it)").fill(WHY_NOT)
    idle(iro)
    click_three_times(iro, iro.get_by_role("button", name=re.compile("^Save")))
    settled(iro, re.compile(r"^Saved\. The IRO is not satisfied"), "not-satisfied")
    assert _events(store, ref)[:3] == ["raised", "responded", "not_satisfied"]
    assert _events(store, ref).count("not_satisfied") == 1

    # ... and, the informal stage over, takes it to Level 1 (having consulted, as the
    # procedure asks): three clicks, one escalation
    choose(iro, "Action", "Escalate to a higher level")
    choose(iro, "Escalate to", "Level 1: Service Manager")
    iro.get_by_label("Who did you consult, and when? (if the policy asks)").fill(CONSULTED)
    _confirm(iro, "I am sure: this escalates the alert to Level 1")
    assert_accessible(iro, "day-07-iro-escalates")
    click_three_times(iro, iro.get_by_role("button", name=re.compile("^Save")))
    settled(iro, re.compile(r"^Saved\..*Level 1"), "escalate")
    assert _events(store, ref).count("escalated") == 1
    state = alert_by_ref(store.db, ref).state
    assert (state["level"], state["awaiting"]) == ("service_manager", "service_manager")

    # -- 5. the Service Manager reads the whole exchange and asks for more time -------------
    sm = sign_in(browser, url, chain["service_manager"])
    _open_alert_from_inbox(sm, ref)
    for words in (ANSWER, WHY_NOT, CONSULTED):
        expect(sm.get_by_text(words, exact=True).first).to_be_visible(timeout=WAIT)
    assert_accessible(sm, "day-08-service-manager-reads-the-history")
    choose(sm, "Action", "Ask for more time")
    type_date(sm, "More time until", "09/12/2026")
    sm.get_by_label("Why more time is needed").fill(WHY_MORE_TIME)
    idle(sm)
    click_three_times(sm, sm.get_by_role("button", name=re.compile("^Save")))
    settled(sm, re.compile(r"^Saved\..*more time"), "more-time")
    assert _events(store, ref).count("extension_requested") == 1

    # -- 6. the IRO agrees to it: three clicks, one agreement -------------------------------
    iro.goto(f"{url}/alert?ref={ref}")
    expect(iro.get_by_text(WHY_MORE_TIME, exact=True).first).to_be_visible(timeout=WAIT)
    idle(iro)
    assert_accessible(iro, "day-09-iro-sees-the-request")
    choose(iro, "Action", "Agree the extra time")
    idle(iro)
    click_three_times(iro, iro.get_by_role("button", name=re.compile("^Save")))
    settled(iro, re.compile(r"^Saved\..*9 Dec 2026"), "agree")
    assert _events(store, ref).count("extension_agreed") == 1
    state = alert_by_ref(store.db, ref).state
    assert state["awaiting"] == "service_manager" and state["status"] == "open"
    assert_accessible(iro, "day-10-iro-agreed")

    # -- 7. the Head of Service sees it on the dashboard ------------------------------------
    hos = sign_in(browser, url, chain["head_of_service"])
    assert_accessible(hos, "day-11-head-of-service-home")
    menu(hos, "Dashboard")
    expect(hos.get_by_role("heading", name="Dashboard")).to_be_visible(timeout=WAIT)
    pick(hos, "Outstanding now")
    expect(hos.get_by_text(re.compile("^On 23 Nov 2026: "))).to_be_visible(timeout=WAIT)
    idle(hos)
    with hos.expect_download() as download:
        hos.get_by_role("button", name="Download all outstanding alerts (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(
        Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    mine = [r for r in rows if r["Alert"] == ref]
    assert len(mine) == 1, [r["Alert"] for r in rows]
    assert (mine[0]["Stage"], mine[0]["Waiting for"], mine[0]["Due"]) == (
        "Level 1: Service Manager", "Service Manager", "9 Dec 2026"), mine[0]
    hos.wait_for_timeout(1000)  # the charts draw before the picture
    assert_accessible(hos, "day-12-head-of-service-dashboard")
