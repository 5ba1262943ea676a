"""End to end in a real browser: a social worker tells the IRO of a change that needs a
review before it happens; the IRO sees it marked red and books the review date.
Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser_support import (
    WAIT,
    choose,
    menu,
    screenshot,
    sign_in,
    started_site,
    type_date,
)

pytestmark = pytest.mark.browser
AS_OF = dt.date(2026, 11, 23)  # a Monday


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with started_site(tmp_path_factory.mktemp("changes"), "seed-003", AS_OF) as running:
        yield running


def test_social_worker_tells_the_iro_and_the_iro_books_the_review(site):
    url, store, browser = site
    child = next(store.db.query(
        "SELECT c.id, c.case_ref, sw.email AS worker, rv.email AS iro, rv.name AS iro_name "
        "FROM children c JOIN staff sw ON sw.id = c.social_worker_id "
        "JOIN staff rv ON rv.id = c.reviewer_id WHERE c.legal_status = 'looked_after' "
        "ORDER BY c.case_ref LIMIT 1"))

    worker = sign_in(browser, url, child["worker"])
    menu(worker, "Tell the IRO of a change")
    expect(worker.get_by_role("heading", name="Tell the IRO of a change")).to_be_visible(
        timeout=WAIT)
    choose(worker, "Child", child["case_ref"])
    choose(worker, "What kind of change", "Change of placement for a child settled")
    type_date(worker, "When it happened (or was proposed)", "20/11/2026")  # Friday
    worker.get_by_role("textbox", name="What the change is").fill(
        "A move from the long-term foster placement has been proposed by the carers.")
    screenshot(worker, "30-tell-the-iro-form")
    worker.get_by_role("button", name="Tell the IRO").click()
    expect(worker.get_by_text(re.compile(re.escape(child["iro_name"]) + r".* told of the "
                                         "change"))).to_be_visible(timeout=WAIT)
    expect(worker.get_by_text(re.compile("A review must be held before this change"))
           ).to_be_visible(timeout=WAIT)
    screenshot(worker, "31-tell-the-iro-told")
    change = next(store.db.query(
        "SELECT id, status, late FROM significant_changes WHERE child_id = ?", [child["id"]]))
    assert change["status"] == "review_required" and change["late"] == 0

    iro = sign_in(browser, url, child["iro"])
    menu(iro, "Significant changes")
    expect(iro.get_by_role("heading", name="Significant changes")).to_be_visible(timeout=WAIT)
    expect(iro.get_by_text("Review required before this change")).to_be_visible(timeout=WAIT)
    expect(iro.get_by_text(re.compile("long-term foster placement"))).to_be_visible()
    screenshot(iro, "32-significant-changes-red")
    type_date(iro, "Review date", "02/12/2026")
    iro.get_by_role("button", name="Book the review").click()
    expect(iro.get_by_text(re.compile("Review booked for 2 Dec 2026 before the change happens"))
           ).to_be_visible(timeout=WAIT)
    expect(iro.get_by_text("No significant change is waiting for you.")).to_be_visible()
    screenshot(iro, "33-significant-changes-booked")

    booked = next(store.db.query(
        "SELECT status, review_date FROM significant_changes WHERE id = ?", [change["id"]]))
    assert booked == {"status": "review_booked", "review_date": "2026-12-02"}
    told = store.db.execute(
        "SELECT count(*) FROM notifications n JOIN events e ON e.id = n.event_id "
        "WHERE e.kind = 'review_booked_for_change' AND e.child_id = ?",
        [child["id"]]).fetchone()[0]
    assert told == 1
