"""Issue 13's "done when", in a real browser: an authority's own procedure (three levels of
three working days, two local closure days) is edited in the app to add a fourth level and a
question on the monitoring form, adopted from a date, and the alerts raised before keep the
due dates they were given. axe-core on each screen; screenshots own-procedure-*.png."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from db.alerts import alert_by_ref
from tests.browser_support import (
    WAIT,
    assert_accessible,
    choose,
    email_of,
    idle,
    menu,
    sign_in,
    started_site,
    type_date,
)
from tests.test_policy_versions import ANYTOWN
from usecases.policy_versions import policy_for, versions

pytestmark = pytest.mark.browser
AS_OF = dt.date(2026, 11, 23)  # a Monday
QUESTION = "Were the child's wishes and feelings written into the plan?"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("own-procedure")
    policy_file = folder / "anytown.yaml"
    policy_file.write_text(ANYTOWN)
    with started_site(folder, None, AS_OF, policy_file=policy_file) as running:
        yield running


def _open_alert_dues(store) -> dict[str, str]:
    return {r["ref"]: r["due"] for r in store.db.query(
        "SELECT ref, due FROM alerts WHERE status = 'open' AND due IS NOT NULL")}


def _fill(page: Page, label: str, text: str) -> None:
    box = page.get_by_role("textbox", name=label, exact=True)
    box.fill(text)
    box.press("Tab")
    idle(page)


def test_the_authority_adds_a_level_and_a_question_and_adopts_them(site):
    url, store, browser = site
    dues = _open_alert_dues(store)
    assert dues  # the demo left alerts open, with due dates under version 1
    page = sign_in(browser, url, email_of(store, "admin"))
    menu(page, "The procedure")
    page.get_by_role("tab", name="Edit a draft").click()
    idle(page)

    # a fourth level at the top of the ladder
    page.get_by_text("Track: Looked-after children").click()
    idle(page)
    page.get_by_role("button", name="Add a level at the top of the ladder (Looked-after "
                                    "children)").click()
    idle(page)
    where = "level 4 (Looked-after children)"
    choose(page, f"Who responds at {where}", "Director of Children's Services")
    _fill(page, f"Name of {where}", "Level 4: Director")
    days = page.get_by_role("spinbutton", name=f"Working days to respond at {where}")
    days.fill("3")  # four levels of three days: the formal stage's 12 still hold
    days.press("Tab")
    idle(page)
    # level 3 prompted the reviewer; it now hands on to level 4 when it is not answered
    choose(page, "If there is no reply in time at level 3 (Looked-after children)",
           "Move the alert to the next level automatically")
    expect(page.get_by_text(re.compile(r"The draft is a valid procedure"))).to_be_visible(
        timeout=WAIT)

    # a question on the monitoring form, to be answered after every review
    page.get_by_text("Questions on the monitoring form").click()
    idle(page)
    page.get_by_role("button", name="Add a question").click()
    idle(page)
    _fill(page, "Question 1: the question as the reviewer reads it", QUESTION)
    _fill(page, "Question 1: code (lower case, no spaces; kept with the answers)", "wishes")
    choose(page, "Question 1: must it be answered?", "Always")
    expect(page.get_by_text(re.compile(r"The draft is a valid procedure\. \d+ change"))) \
        .to_be_visible(timeout=WAIT)
    assert_accessible(page, "own-procedure-01-draft")

    # adopted from Tuesday; alerts raised before keep their dates
    page.get_by_role("tab", name="Adopt the draft").click()
    type_date(page, "Takes effect from", "24/11/2026")
    page.get_by_label("Why the procedure changes (kept with the version)").fill(
        "Annual review: a fourth level, and the child's wishes on every monitoring form.")
    page.get_by_text("I am sure: adopt this draft as the next version").click()
    idle(page)
    page.get_by_role("button", name="Adopt the draft").click()
    expect(page.get_by_text(re.compile(r"^Version 2 adopted, taking effect on 24 Nov 2026")))\
        .to_be_visible(timeout=WAIT)
    assert_accessible(page, "own-procedure-02-adopted")
    kept = versions(store)
    assert [v.version for v in kept] == [1, 2]
    adopted = policy_for(store, 2)
    assert [lvl.label for lvl in adopted.track("iro").levels][-1] == "Level 4: Director"
    assert [q.label for q in adopted.review_questions] == [QUESTION]
    assert _open_alert_dues(store) == dues  # nothing moved by adopting
    for ref in dues:
        assert alert_by_ref(store.db, ref) is not None

    # the versions list shows who adopted it and why
    page.get_by_role("tab", name="Versions").click()
    idle(page)
    assert_accessible(page, "own-procedure-03-versions")
    assert Path(store.path).exists()
