"""The riskiest cells of the access matrix, in a real browser: people who have no
relationship with a child type the child's or an alert's address and see a plain refusal
and none of the child's data; nobody gets an action form on an alert that is not theirs.
Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from tests.browser_support import WAIT, assert_accessible, idle, sign_in, started_site
from usecases.audit import audit_entries

pytestmark = pytest.mark.browser
AS_OF = dt.date(2026, 11, 23)
REFUSAL = "do not have access"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with started_site(tmp_path_factory.mktemp("access"), "seed-001", AS_OF) as running:
        yield running


def _target(store) -> dict:
    """An open alert on a looked-after child, with the child's reviewer and team."""
    return next(store.db.query(
        "SELECT a.ref, c.case_ref, c.name, c.team_id, c.reviewer_id FROM alerts a "
        "JOIN children c ON c.id = a.child_id WHERE a.status = 'open' "
        "AND c.legal_status = 'looked_after' ORDER BY a.id LIMIT 1"))


def _outsiders(store, target: dict) -> dict[str, str]:
    def one(sql: str, *params) -> str:
        return next(store.db.query(sql, params))["email"]

    return {
        "another IRO": one("SELECT email FROM staff WHERE role = 'iro' AND id != ? "
                           "ORDER BY id LIMIT 1", target["reviewer_id"]),
        "a social worker of another team": one(
            "SELECT email FROM staff WHERE role = 'social_worker' AND team_id != ? "
            "ORDER BY id LIMIT 1", target["team_id"]),
        "business support": one("SELECT email FROM staff WHERE role = 'business_support' "
                                "ORDER BY id LIMIT 1"),
        "the administrator": one("SELECT email FROM staff WHERE role = 'admin' LIMIT 1"),
    }


def _refused(page: Page, name: str) -> None:
    expect(page.get_by_text(REFUSAL)).to_be_visible(timeout=WAIT)
    idle(page)
    assert name not in page.inner_text("body")
    expect(page.get_by_role("heading", name="Chronology")).to_have_count(0)
    expect(page.get_by_role("heading", name="What happened")).to_have_count(0)


@pytest.mark.parametrize("who", ["another IRO", "a social worker of another team",
                                 "business support", "the administrator"])
def test_people_with_no_relationship_see_a_refusal_and_no_child_data(site, who):
    url, store, browser = site
    target = _target(store)
    email = _outsiders(store, target)[who]
    page = sign_in(browser, url, email)
    for path in (f"/child?child={target['case_ref']}", f"/alert?ref={target['ref']}"):
        page.goto(url + path)
        _refused(page, target["name"])
    assert_accessible(page, f"access-refused-{who.replace(' ', '-')}")
    refused = [e for e in audit_entries(store, email=email) if e["kind"] == "refused"]
    assert {e["subject"] for e in refused} >= {"child", "alert"}


def test_the_childs_iro_sees_the_alert_and_may_act(site):
    url, store, browser = site
    target = _target(store)
    email = next(store.db.query("SELECT email FROM staff WHERE id = ?",
                                [target["reviewer_id"]]))["email"]
    page = sign_in(browser, url, email)
    page.goto(f"{url}/alert?ref={target['ref']}")
    expect(page.get_by_role("heading", name=f"Alert {target['ref']}")).to_be_visible(
        timeout=WAIT)
    expect(page.get_by_text(target["name"]).first).to_be_visible()
    expect(page.get_by_role("heading", name="Record what happens next")).to_be_visible()
    assert any(e["kind"] == "opened" and e["subject_ref"] == target["ref"]
               for e in audit_entries(store, email=email))
