"""Sign-in in a real browser: it survives reload, a new tab and an e-mail's link; a link
opened signed out lands on its page after sign-in; sign-out ends the session on the
server; ten wrong passwords lock the account. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser_support import (
    WAIT,
    assert_accessible,
    email_of,
    fill_sign_in,
    idle,
    menu,
    screenshot,
    sign_in,
    started_site,
)
from usecases.audit import audit_entries

pytestmark = pytest.mark.browser
AS_OF = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with started_site(tmp_path_factory.mktemp("sign-in"), "seed-001", AS_OF) as running:
        yield running


def _an_alert_mailed_to(store, role: str) -> tuple[str, str, str]:
    """(the alert's reference, the e-mail's link path, the addressee's e-mail)."""
    email = email_of(store, role)
    row = next(store.db.query(
        "SELECT link FROM outbox WHERE link LIKE '%/alert?ref=%' AND to_addrs LIKE ? "
        "ORDER BY id LIMIT 1", [f"%{email}%"]))
    path = "/" + row["link"].split("/", 3)[3]
    return path.split("ref=")[1], path, email


def _expect_alert_page(page: Page, ref: str) -> None:
    expect(page.get_by_role("heading", name=f"Alert {ref}")).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("Page not found")).to_have_count(0)


def test_an_e_mail_link_opened_signed_out_lands_on_its_alert_after_sign_in(site):
    url, store, browser = site
    ref, path, email = _an_alert_mailed_to(store, "service_manager")
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(url + path)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("Sign in to see the page you asked for.")).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
    assert_accessible(page, "sign-in-01-deep-link-signed-out")
    fill_sign_in(page, email)
    _expect_alert_page(page, ref)
    assert page.url.endswith(path)
    screenshot(page, "sign-in-02-deep-link-after-sign-in")

    # reload, then the same link in a new tab of the same browser: still signed in, same page
    page.reload()
    _expect_alert_page(page, ref)
    tab = page.context.new_page()
    tab.goto(url + path)
    _expect_alert_page(tab, ref)
    # and another page by its address
    tab.goto(url + "/inbox")
    expect(tab.get_by_role("heading", name="Inbox")).to_be_visible(timeout=WAIT)


def test_sign_out_ends_the_session_on_the_server(site):
    url, store, browser = site
    page = sign_in(browser, url, email_of(store, "team_manager"))
    cookie = next(c for c in page.context.cookies() if c["name"] == "iro_session")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert_accessible(page, "sign-in-03-signed-out")
    assert not [c for c in page.context.cookies() if c["name"] == "iro_session"]
    # the old cookie, replayed from another browser, is worth nothing now
    thief = browser.new_context().new_page()
    thief.context.add_cookies([{**cookie}])
    thief.goto(url + "/inbox")
    expect(thief.get_by_role("heading", name="Sign in")).to_be_visible(timeout=WAIT)
    expect(thief.get_by_role("heading", name="Inbox")).to_have_count(0)


def test_a_deactivated_person_is_signed_out_at_the_next_click(site):
    url, store, browser = site
    email = next(store.db.query(
        "SELECT email FROM staff WHERE role = 'practice_manager' ORDER BY id DESC LIMIT 1")
    )["email"]
    page = sign_in(browser, url, email)
    store.db.execute("UPDATE staff SET active = 0 WHERE email = ?", [email])
    try:
        menu(page, "Messages")
        expect(page.get_by_text("Your account is no longer active")).to_be_visible(timeout=WAIT)
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    finally:
        store.db.execute("UPDATE staff SET active = 1 WHERE email = ?", [email])


def test_ten_wrong_passwords_lock_the_account_with_a_clear_message(site):
    url, store, browser = site
    email = email_of(store, "head_of_service")
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(url)
    for attempt in range(10):
        fill_sign_in(page, email, f"wrong-password-{attempt}")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=WAIT)
        idle(page)
    expect(page.get_by_text(re.compile("Too many failed sign-ins: signing in with this "
                                       "e-mail address is locked"))).to_be_visible()
    fill_sign_in(page, email)  # the right password, too late
    expect(page.get_by_text(re.compile("is locked for 15 minutes"))).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("heading", name="IRO alerts and escalation")).to_have_count(0)
    assert_accessible(page, "sign-in-04-locked")
    attempts = [e for e in audit_entries(store, email=email)
                if e["kind"] in ("sign_in_failed", "locked")]
    assert len(attempts) == 11
