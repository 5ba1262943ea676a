"""Every page, for every role the demo has, in a real browser: zero serious or critical
axe-core violations, and each page its own title. Screenshots in test-artifacts/."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from db.accounts import account_by_email
from rules.roles import ROLES
from tests.browser_support import WAIT, assert_accessible, idle, sign_in, started_site
from ui.navigation import screens_for
from usecases.accounts import user_from_account

pytestmark = pytest.mark.browser
AS_OF = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with started_site(tmp_path_factory.mktemp("a11y"), "seed-001", AS_OF) as running:
        yield running


def _someone(store, role: str) -> str | None:
    row = next(store.db.query("SELECT email FROM staff WHERE role = ? ORDER BY id LIMIT 1",
                              [role]), None)
    return row["email"] if row else None


def test_the_sign_in_page_and_the_statement_are_accessible_signed_out(site):
    url, _, browser = site
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(url)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=WAIT)
    assert page.title() == "Sign in - IRO alerts"
    assert_accessible(page, "a11y-sign-in")
    page.goto(url + "/accessibility")
    expect(page.get_by_role("heading", name="Accessibility statement")).to_be_visible(
        timeout=WAIT)
    assert_accessible(page, "a11y-statement")


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_page_of_every_role(site, role):
    url, store, browser = site
    email = _someone(store, role)
    if email is None:
        pytest.skip(f"the demo has no {role}")
    user = user_from_account(account_by_email(store.db, email))
    page = sign_in(browser, url, email)
    titles = set()
    for screen in screens_for(user):
        if not screen.visible:
            continue
        name = screen.path.removeprefix("pages/").removesuffix(".py")
        page.goto(url + ("/" if screen.default else f"/{name}"))
        idle(page)
        expect(page.locator("h1").first).to_be_visible(timeout=WAIT)
        titles.add(page.title())
        assert_accessible(page, f"a11y-{role}-{name}")
    assert len(titles) == len([s for s in screens_for(user) if s.visible])
