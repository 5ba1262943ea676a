"""Single sign-on end to end in a real Chromium against a real OpenID Connect provider
(``oidc-provider-mock``, started by the test): the council's identity is matched to the
staff list by e-mail, a link opened signed out lands on its page afterwards, someone not
on the staff list is refused politely, and signing out ends the session."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from oidc_provider_mock import run_server_in_thread
from playwright.sync_api import Page, expect, sync_playwright

from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    WAIT,
    email_of,
    free_port,
    screenshot,
    streamlit_server,
)
from usecases.audit import audit_entries
from usecases.store import create_store

pytestmark = pytest.mark.browser
AS_OF = dt.date(2026, 11, 23)
BUTTON = "Sign in with your council account"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sso")
    store = create_store(folder / "sso.db", "seed-001", demo=True, as_of=AS_OF)
    port = free_port()
    with run_server_in_thread() as provider:
        secrets_file = folder / "secrets.toml"
        secrets_file.write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_hex(16)}"\n'
            'client_id = "iro-alerts-test"\n'
            'client_secret = "not-a-real-secret"\n'
            f'server_metadata_url = "http://localhost:{provider.server_port}'
            '/.well-known/openid-configuration"\n')
        with streamlit_server(store.path, AS_OF.isoformat(), port=port,
                              secrets_file=secrets_file) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield url, store, browser
            finally:
                browser.close()


def _sign_in_at_the_provider(page: Page, email: str) -> None:
    page.get_by_role("button", name=BUTTON).click()
    page.locator("input[name=sub]").fill(email)  # the provider's own form
    page.get_by_role("button", name="Authorize").click()


def test_a_council_identity_signs_in_and_lands_on_the_page_it_asked_for(site):
    url, store, browser = site
    manager = email_of(store, "service_manager")
    ref = next(store.db.query(
        "SELECT a.ref FROM alerts a WHERE a.status = 'open' AND a.level = 'service_manager' "
        "ORDER BY a.id LIMIT 1"))["ref"]
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(f"{url}/alert?ref={ref}")
    expect(page.get_by_role("button", name=BUTTON)).to_be_visible(timeout=WAIT)
    screenshot(page, "sso-01-sign-in-choices")
    _sign_in_at_the_provider(page, manager)
    expect(page.get_by_role("heading", name=f"Alert {ref}")).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("Signed in as")).to_be_visible()
    screenshot(page, "sso-02-signed-in-on-the-alert")
    page.reload()
    expect(page.get_by_role("heading", name=f"Alert {ref}")).to_be_visible(timeout=WAIT)
    assert any(e["kind"] == "signed_in" and "single sign-on" in e["detail"]
               for e in audit_entries(store, email=manager))

    page.get_by_role("button", name="Sign out").click()
    # the provider may ask to confirm ending its own session too; the app's session ends
    # either way (checked below: the inbox asks to sign in, and the audit says so)
    # wait for the end of the sign-out, not the page drawn while the browser is on its way
    # to clear the single sign-on cookie (leaving then would keep that cookie)
    end = page.get_by_role("button", name="End session")
    signed_out = page.get_by_role("button", name=BUTTON)
    expect(end.or_(signed_out).first).to_be_visible(timeout=WAIT)
    if end.is_visible():
        end.click()
        expect(signed_out.or_(page.get_by_text("ended", exact=False)).first).to_be_visible(
            timeout=WAIT)
    page.goto(f"{url}/inbox")
    expect(page.get_by_role("button", name=BUTTON)).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("heading", name="Inbox")).to_have_count(0)
    assert any(e["kind"] == "signed_out" for e in audit_entries(store, email=manager))


def test_someone_not_on_the_staff_list_is_refused_politely(site):
    url, store, browser = site
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(url)
    _sign_in_at_the_provider(page, "stranger@elsewhere.invalid")
    expect(page.get_by_text("nobody with that e-mail address is on this service's staff "
                            "list")).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("heading", name="IRO alerts and escalation")).to_have_count(0)
    screenshot(page, "sso-03-not-on-the-staff-list")
    assert audit_entries(store)[-1]["kind"] == "sign_in_refused"
