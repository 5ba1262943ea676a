"""The what-if page in a real browser: the administrator signs in, uploads a draft giving
Level 1 three working days instead of five, tries it on the past year's alerts and sees the
totals and the alerts that would have gone differently; the page is free of serious
accessibility problems before and after. Screenshots in test-artifacts/screenshots/what-if-*.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser_support import (
    WAIT,
    assert_accessible,
    email_of,
    idle,
    menu,
    screenshot,
    sign_in,
    started_site,
)
from usecases.policy_versions import policy_text

pytestmark = pytest.mark.browser
AS_OF = dt.date(2026, 11, 23)  # a Monday


def test_the_administrator_tries_a_three_day_level_one(tmp_path):
    with started_site(tmp_path, "seed-001", AS_OF) as (url, store, browser):
        draft, n = re.subn(r"(- role: service_manager\n(?:[^\n]*\n){2}\s*response_days: )5",
                           r"\g<1>3", policy_text(store), count=1)
        assert n == 1
        file = tmp_path / "draft" / "seed-001.yaml"
        file.parent.mkdir()
        file.write_text(draft, encoding="utf-8")
        before = (store.db["events"].count, store.db["alerts"].count)

        page = sign_in(browser, url, email_of(store, "admin"))
        menu(page, "Try a procedure on past alerts")
        expect(page.get_by_role("heading", name="Try a procedure on past alerts")).to_be_visible(
            timeout=WAIT)
        expect(page.get_by_text("raised in this period will be replayed")).to_be_visible(
            timeout=WAIT)
        idle(page)
        assert_accessible(page, "what-if-start")

        page.locator("input[type=file]").set_input_files(str(file))
        expect(page.get_by_text("Checked, no problems found")).to_be_visible(timeout=WAIT)
        page.get_by_role("button", name="Try it", exact=True).click()
        expect(page.get_by_role("heading", name="What would have been different")).to_be_visible(
            timeout=WAIT)
        idle(page)
        totals = page.get_by_test_id("stTable")
        expect(totals).to_be_visible(timeout=WAIT)
        expect(totals.get_by_text("Alerts reaching Level 2: Head of Service")).to_have_count(
            1, timeout=WAIT)
        expect(page.get_by_role("heading",
                                name=re.compile(r"Alerts that would have gone differently \(\d+\)"))
               ).to_be_visible()
        expect(page.get_by_text(re.compile("^It would have escalated by silence")).first
               ).to_be_visible()
        # the administrator sees no child's record: the references are not links
        expect(page.get_by_role("link", name=re.compile(r"^A-\d+"))).to_have_count(0)
        assert_accessible(page, "what-if-results")
        for name, where in (("what-if-totals", totals),
                            ("what-if-differences", page.get_by_role(
                                "heading", name=re.compile("Alerts that would have gone")))):
            where.evaluate("e => e.scrollIntoView({block: 'start'})")
            screenshot(page, name)
        assert (store.db["events"].count, store.db["alerts"].count) == before
