"""The procedure editor in a real browser: the administrator changes a response time and a
level through the forms, sees a mistake named next to its part, adopts the draft from a date,
and finds it in the versions list. axe-core on each screen; screenshots policy-*.png."""

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
    sign_in,
    started_site,
    type_date,
)
from usecases.policy_versions import policy_for, versions

pytestmark = pytest.mark.browser
AS_OF = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with started_site(tmp_path_factory.mktemp("policy"), "seed-001", AS_OF) as running:
        yield running


def test_the_administrator_edits_checks_and_adopts_the_procedure(site):
    url, store, browser = site
    page = sign_in(browser, url, email_of(store, "admin"))
    menu(page, "The procedure")
    expect(page.get_by_role("heading", name="The procedure")).to_be_visible(timeout=WAIT)
    page.get_by_role("tab", name="Edit a draft").click()
    expect(page.get_by_text(re.compile(r"The draft is a valid procedure\. 0 change"))) \
        .to_be_visible(timeout=WAIT)
    idle(page)
    assert_accessible(page, "policy-01-editor")

    # a mistake: a theme the categories still use is taken away
    themes = page.get_by_role("textbox", name="Themes (separated by commas)")
    themes.fill("Practice, Care Planning, Safeguarding")
    themes.press("Enter")
    idle(page)
    expect(page.get_by_text(re.compile("^There is a problem")).first).to_be_visible(
        timeout=WAIT)
    expect(page.get_by_text(re.compile("'Human Rights' is not one of the policy's themes"))
           .first).to_be_visible()
    assert_accessible(page, "policy-02-a-problem-named")
    themes.fill("Practice, Care Planning, Safeguarding, Human Rights")
    themes.press("Enter")
    idle(page)

    # a real change: managers get two working days to acknowledge
    days = page.get_by_role("spinbutton", name="Working days a manager has to acknowledge an alert")
    days.fill("2")
    days.press("Enter")
    idle(page)
    expect(page.get_by_text(re.compile(r"The draft is a valid procedure\. 1 change"))) \
        .to_be_visible(timeout=WAIT)

    # adopted from 1 Dec 2026, with a reason
    page.get_by_role("tab", name="Adopt the draft").click()
    type_date(page, "Takes effect from", "01/12/2026")
    page.get_by_label("Why the procedure changes (kept with the version)").fill(
        "Annual review of the procedure: two days to acknowledge.")
    page.get_by_text("I am sure: adopt this draft as the next version").click()
    idle(page)
    assert_accessible(page, "policy-03-adopt")
    page.get_by_role("button", name="Adopt the draft").click()
    expect(page.get_by_text(re.compile(r"^Version 2 adopted, taking effect on 1 Dec 2026")))\
        .to_be_visible(timeout=WAIT)
    kept = versions(store)
    assert [v.version for v in kept] == [1, 2] and kept[-1].effective_from == dt.date(2026, 12, 1)
    assert policy_for(store, 2).acknowledge_days == 2
    idle(page)
    assert_accessible(page, "policy-04-versions")
