"""Evidence of impact (issue 16) in a real browser, through the real sign-in page.

The journey: an IRO resolves an alert recording "improved", a sentence and an action with
its date; the sweep asks for the follow-up on its date (time moves by serving the same
store again with a later as-of date, the sweep run in between as the scheduler would);
the follow-up is listed on the IRO's Alerts page; the IRO records "not sustained" in
words full of Markdown, HTML and a formula, shown exactly as typed after saving and after
a reload, and raises a new alert linked to the old one, which then names it.

Then trying to break it: a follow-up saved with nothing chosen, a double click on its
Save, the team manager and another IRO opening the resolved alert by its address,
resolving without the impact, an impossible date for an action. axe-core on both forms.

Screenshots in test-artifacts/screenshots/impact-*.png.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from db.alert_impacts import impact_of
from db.alerts import alert_by_ref
from rules.impact import add_months
from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    WAIT,
    assert_accessible,
    choose,
    click_three_times,
    email_of,
    idle,
    managers_of,
    menu,
    screenshot,
    settled,
    sign_in,
    streamlit_server,
    type_date,
)
from usecases.accounts import SignedInUser, authenticate
from usecases.alert_forms import RaiseAlertForm, act_from_form, raise_from_form
from usecases.demo import DEMO_PASSWORD
from usecases.store import Store, create_store
from usecases.sweeping import sweep_all

pytestmark = pytest.mark.browser
AS_OF = dt.date(2026, 11, 23)  # a Monday
DUE = add_months(AS_OF, 3)  # the follow-up's date: 23 Feb 2027
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
RESOLVE = "Satisfied: resolve the alert"
WHAT_CHANGED_LABEL = "What changed for the child (or why nothing did)"
HOW_NOW = "How things are for the child now"
IMPROVED = "Improved: the plan is back on track"
NOT_SUSTAINED = "Not sustained: things have slipped back"
SUSTAINED = "Sustained: the change has held"
WHAT_CHANGED = "Family finding started on 30 Nov; the social worker now visits weekly."
ACTION = "Family finder to present two matches to the permanence panel"
SLIPPED = ("Visits **stopped** again <b>in January</b> =SUM(A1) "
           "[plan](http://example.invalid/plan) _no_ family time since.")
SURE = "I am sure: this resolves and closes the alert"
FOLLOW_UP_SAVED = "Saved: the follow-up is on the alert and the child's chronology."


# -- setting the scene through the use cases (what the screens under test do not cover) -----


def _store(folder: Path) -> Store:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium is not installed at {CHROMIUM}: run "
                           "'apt-get install -y chromium' (the CI script does).")
    return create_store(folder / "impact.db", "seed-001", demo=True, as_of=AS_OF)


def _person(store: Store, email: str) -> SignedInUser:
    user = authenticate(store, email, DEMO_PASSWORD)
    assert user is not None
    return user


def _iro_and_child(store: Store) -> tuple[str, str]:
    iro_email = email_of(store, "iro")
    child = next(store.db.query(
        "SELECT c.case_ref FROM children c JOIN staff s ON s.id = c.reviewer_id "
        "WHERE s.email = ? AND c.legal_status = 'looked_after' ORDER BY c.case_ref LIMIT 1",
        [iro_email]))["case_ref"]
    return iro_email, child


def _answered_alert(store: Store, iro_email: str, child: str) -> str:
    """An informal alert the team manager has answered: the IRO's decision is next."""
    ref = raise_from_form(store, RaiseAlertForm(
        child_ref=child, category="care_planning",
        concern="Family finding has not started, six months after it was agreed.",
        outcome_sought="Family finding to start within ten working days.", level="informal"),
        user=_person(store, iro_email), on=AS_OF, now=NOW).ref
    act_from_form(store, ref, "responded", user=_person(store, managers_of(store, child)[
        "team_manager"]), on=AS_OF, now=NOW, outcome="agree",
        note="Agreed: the family finder starts on 30 Nov and visits go weekly.")
    return ref


@contextmanager
def _browser() -> Iterator:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# -- reading the store ----------------------------------------------------------------------


def _kinds(store: Store, ref: str) -> list[str]:
    return [r["kind"] for r in store.db.query(
        "SELECT e.kind FROM events e JOIN alerts a ON a.id = e.alert_id WHERE a.ref = ? "
        "ORDER BY e.id", [ref])]


def _impact(store: Store, ref: str) -> dict | None:
    return impact_of(store.db, alert_by_ref(store.db, ref).id)


def _all_events(store: Store) -> int:
    return store.db.execute("SELECT count(*) FROM events").fetchone()[0]


# -- the screens ----------------------------------------------------------------------------


def _open_alert(page: Page, url: str, ref: str) -> None:
    page.goto(f"{url}/alert?ref={ref}")
    expect(page.get_by_role("heading", name=f"Alert {ref}")).to_be_visible(timeout=WAIT)
    idle(page)


def _pick(page: Page, option: str) -> None:
    """Choose a radio option by its words (clicking the words, as people do)."""
    radio = page.get_by_role("radio", name=option, exact=True)
    for _ in range(3):  # a click can land while a rerun redraws the form
        idle(page)
        if radio.is_checked():
            break
        page.get_by_text(option, exact=True).click()
    expect(radio).to_be_checked()
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


def _tall(page: Page) -> None:
    """A window tall enough for the screenshots to show the whole form."""
    page.set_viewport_size({"width": 1400, "height": 2600})
    idle(page)


def _below(page: Page, upper, lower) -> bool:
    """Whether ``lower`` is drawn under ``upper`` on the page."""
    a, b = upper.bounding_box(), lower.bounding_box()
    assert a is not None and b is not None
    return b["y"] >= a["y"] + a["height"] - 1


def _shown_as_typed(page: Page, words: str) -> None:
    """The words are on the page exactly as typed, and none of them became markup."""
    expect(page.get_by_text(words, exact=True).first).to_be_visible(timeout=WAIT)
    main = page.get_by_test_id("stMain")
    assert main.locator("b, strong, em, i").filter(
        has_text=re.compile("in January|stopped|^no$")).count() == 0
    assert main.locator("a[href*='example.invalid']").count() == 0


# -- 1. the journey -------------------------------------------------------------------------


def test_resolved_improved_followed_up_not_sustained_and_a_linked_alert_raised(tmp_path):
    store = _store(tmp_path)
    iro_email, child = _iro_and_child(store)
    ref = _answered_alert(store, iro_email, child)

    with _browser() as browser:
        # -- on 23 Nov 2026 the IRO resolves it, recording the difference for the child ---
        with streamlit_server(store.path, AS_OF.isoformat()) as url:
            iro = sign_in(browser, url, iro_email)
            _open_alert(iro, url, ref)
            choose(iro, "Action", RESOLVE)
            expect(iro.get_by_text("Difference for the child", exact=True)).to_be_visible(
                timeout=WAIT)
            _tall(iro)
            assert_accessible(iro, "impact-01-resolve-form-empty")
            _pick(iro, IMPROVED)
            iro.get_by_role("textbox", name=WHAT_CHANGED_LABEL).fill(WHAT_CHANGED)
            iro.get_by_role("textbox", name="Action 1", exact=True).fill(ACTION)
            type_date(iro, "Action 1: by", "15/01/2027")
            expect(iro.get_by_text("Friday 15 Jan 2027", exact=True)).to_be_visible(
                timeout=WAIT)
            _confirm(iro, SURE)
            assert_accessible(iro, "impact-02-resolve-form-filled")
            before = _kinds(store, ref)
            click_three_times(iro, iro.get_by_role("button", name="Save: the alert is resolved"))
            settled(iro, re.compile(r"^Saved\..*Difference for the child: improved\."),
                    "impact-resolve")
            expect(iro.get_by_text(re.compile("Whether it lasted is asked on 23 Feb 2027"))
                   .first).to_be_visible()
            assert _kinds(store, ref) == [*before, "satisfied"]  # three clicks, one event
            assert alert_by_ref(store.db, ref).state["status"] == "resolved"
            row = _impact(store, ref)
            assert (row["impact"], row["impact_note"]) == ("improved", WHAT_CHANGED)
            assert row["actions"] == [{"action": ACTION, "by": "2027-01-15"}]
            assert (row["follow_up_on"], row["prompted_on"]) == (DUE.isoformat(), None)
            # the resolved alert says what it changed, and when it will be asked about
            expect(iro.get_by_role("heading", name="Impact for the child")).to_be_visible(
                timeout=WAIT)
            expect(iro.get_by_text(WHAT_CHANGED, exact=True).first).to_be_visible()
            expect(iro.get_by_text(re.compile(r"whether the change lasted is due on "
                                              r"23 Feb 2027"))).to_be_visible()
            expect(iro.get_by_role("radio", name=NOT_SUSTAINED)).to_have_count(0)
            screenshot(iro, "impact-03-resolved")

        # -- the nightly sweep: nothing the day before, the prompt on the day -------------
        assert not [w for w in sweep_all(store, DUE - dt.timedelta(days=1))
                    if w.get("alert") == ref]
        asked = [w for w in sweep_all(store, DUE) if w.get("alert") == ref]
        assert [w["event"] for w in asked] == ["impact_follow_up_due"]
        assert _impact(store, ref)["prompted_on"] == DUE.isoformat()

        # -- on 23 Feb 2027 the follow-up is on the IRO's Alerts page ---------------------
        with streamlit_server(store.path, DUE.isoformat()) as url:
            iro = sign_in(browser, url, iro_email)
            menu(iro, "Alerts")
            expect(iro.get_by_role("heading", name="Follow-ups due: did the change last?")) \
                .to_be_visible(timeout=WAIT)
            idle(iro)
            link = iro.get_by_role("link", name=f"{ref}: record the follow-up")
            expect(link).to_be_visible()
            expect(iro.get_by_text(re.compile(r"Resolved 23 Nov 2026 as improved; follow-up "
                                              r"asked for on 23 Feb 2027"))).to_be_visible()
            assert_accessible(iro, "impact-04-alerts-follow-ups")
            link.click()
            expect(iro.get_by_role("heading", name=f"Alert {ref}")).to_be_visible(timeout=WAIT)
            expect(iro.get_by_role("heading", name="Follow-up: did the change last?")) \
                .to_be_visible(timeout=WAIT)
            idle(iro)
            _tall(iro)
            assert_accessible(iro, "impact-05-follow-up-form")

            # ... records that the change did not last, in words full of markup --------
            _pick(iro, NOT_SUSTAINED)
            iro.get_by_role("textbox", name=HOW_NOW).fill(SLIPPED)
            idle(iro)
            before = _kinds(store, ref)
            click_three_times(iro, iro.get_by_role("button", name="Save the follow-up"))
            settled(iro, FOLLOW_UP_SAVED, "impact-follow-up")
            assert _kinds(store, ref) == [*before, "impact_followed_up"]
            row = _impact(store, ref)
            assert (row["sustained"], row["follow_up_note"], row["followed_up_on"]) == (
                "not_sustained", SLIPPED, DUE.isoformat())
            expect(iro.get_by_role("button", name="Save the follow-up")).to_have_count(0)
            _shown_as_typed(iro, SLIPPED)
            expect(iro.get_by_text("Follow-up (23 Feb 2027): Not sustained")).to_be_visible()
            screenshot(iro, "impact-06-not-sustained")
            iro.reload()
            expect(iro.get_by_role("heading", name=f"Alert {ref}")).to_be_visible(timeout=WAIT)
            idle(iro)
            _shown_as_typed(iro, SLIPPED)
            # ... and the list no longer asks for it
            menu(iro, "Alerts")
            expect(iro.get_by_role("heading", name="Open alerts on the children you review")) \
                .to_be_visible(timeout=WAIT)
            idle(iro)
            expect(iro.get_by_role("link", name=f"{ref}: record the follow-up")) \
                .to_have_count(0)

            # ... and raises a new alert linked to the old one --------------------------
            _open_alert(iro, url, ref)
            iro.get_by_role("link", name=f"Raise a new alert linked to {ref}").click()
            expect(iro.get_by_role("heading", name="Raise an alert of concern")).to_be_visible(
                timeout=WAIT)
            expect(iro.get_by_text(f"This alert follows alert {ref}, whose change for the "
                                   "child did not last", exact=False)).to_be_visible(
                timeout=WAIT)
            idle(iro)
            expect(iro.get_by_role("combobox", name="Child")).to_have_value(
                re.compile(re.escape(child)))
            choose(iro, "Category of concern", "Care planning")
            iro.get_by_role("textbox", name="The issue of concern").fill(
                "Visits stopped again in January; no family time since.")
            iro.get_by_role("textbox", name="The outcome you are seeking").fill(
                "Weekly visits restored within five working days.")
            idle(iro)
            screenshot(iro, "impact-07-raise-linked")
            old_alerts = {r["ref"] for r in store.db.query("SELECT ref FROM alerts")}
            click_three_times(iro, iro.get_by_role("button", name="Raise the alert"))
            # the first click raises it and opens the new alert; a later click of the three
            # can bring the raise page back, saying what was raised and linking to it
            heading = iro.get_by_role("heading", name=re.compile(r"^Alert A-\d+$"))
            said = iro.get_by_text(re.compile(r"^Alert A-\d+ raised\."))
            expect(heading.or_(said).first).to_be_visible(timeout=WAIT)
            idle(iro)
            iro.wait_for_timeout(1500)
            idle(iro)
            new = {r["ref"] for r in store.db.query("SELECT ref FROM alerts")} - old_alerts
            assert len(new) == 1, new  # three clicks, one alert
            new_ref = new.pop()
            if not heading.count():
                expect(said).to_have_text(re.compile(f"^Alert {new_ref} raised\\."))
                iro.get_by_role("link", name=f"Open alert {new_ref}").click()
            expect(iro.get_by_role("heading", name=f"Alert {new_ref}")).to_be_visible(
                timeout=WAIT)
            idle(iro)
            expect(iro.get_by_text(re.compile("^Waiting for the Team Manager to respond by"))) \
                .to_be_visible()
            screenshot(iro, "impact-08-new-alert")
            raised = json.loads(next(store.db.query(
                "SELECT e.data FROM events e JOIN alerts a ON a.id = e.alert_id "
                "WHERE a.ref = ? AND e.kind = 'raised'", [new_ref]))["data"])
            assert raised.get("follows") == ref
            assert raised.get("follows_alert_id") == alert_by_ref(store.db, ref).id
            assert _kinds(store, new_ref) == ["raised"]
            assert alert_by_ref(store.db, new_ref).child_ref == child
            assert _impact(store, ref)["linked_alert_id"] == alert_by_ref(store.db, new_ref).id

            # ... and the old alert names the new one, and offers no second link --------
            _open_alert(iro, url, ref)
            linked = iro.get_by_role(
                "link", name=f"New alert raised because the change did not last: {new_ref}")
            expect(linked).to_be_visible(timeout=WAIT)
            expect(iro.get_by_role("link", name=re.compile("^Raise a new alert linked"))) \
                .to_have_count(0)
            _shown_as_typed(iro, SLIPPED)
            screenshot(iro, "impact-09-old-alert-linked")
            linked.click()
            expect(iro.get_by_role("heading", name=f"Alert {new_ref}")).to_be_visible(
                timeout=WAIT)


# -- 2. trying to break it ------------------------------------------------------------------


def test_the_follow_up_refuses_nothing_chosen_saves_once_and_is_the_reviewers_only(tmp_path):
    store = _store(tmp_path)
    iro_email, child = _iro_and_child(store)
    ref = _answered_alert(store, iro_email, child)
    act_from_form(store, ref, "satisfied", user=_person(store, iro_email), on=AS_OF, now=NOW,
                  confirmed=True, impact="improved", impact_note=WHAT_CHANGED,
                  actions=[(ACTION, dt.date(2027, 1, 15))])
    assert [w["event"] for w in sweep_all(store, DUE) if w.get("alert") == ref] == [
        "impact_follow_up_due"]
    other_iro = next(store.db.query(
        "SELECT s.email FROM staff s JOIN staff me ON me.email = ? WHERE s.role = 'iro' "
        "AND s.id != me.id ORDER BY s.id LIMIT 1", [iro_email]))["email"]

    with _browser() as browser, streamlit_server(store.path, DUE.isoformat()) as url:
        # -- the team manager, by the alert's address: the impact, and no form -----------
        tm = sign_in(browser, url, managers_of(store, child)["team_manager"])
        _open_alert(tm, url, ref)
        expect(tm.get_by_role("heading", name="Impact for the child")).to_be_visible(
            timeout=WAIT)
        expect(tm.get_by_text(WHAT_CHANGED, exact=True).first).to_be_visible()
        expect(tm.get_by_role("heading", name="Follow-up: did the change last?")) \
            .to_have_count(0)
        expect(tm.get_by_role("radio", name=SUSTAINED)).to_have_count(0)
        expect(tm.get_by_role("button", name="Save the follow-up")).to_have_count(0)
        screenshot(tm, "impact-10-team-manager-sees-no-form")

        # -- another IRO: refused the alert altogether, and not asked on the Alerts page --
        other = sign_in(browser, url, other_iro)
        other.goto(f"{url}/alert?ref={ref}")
        expect(other.get_by_text("do not have access").or_(
            other.get_by_text("may not see this alert")).first).to_be_visible(timeout=WAIT)
        idle(other)
        expect(other.get_by_role("heading", name="Impact for the child")).to_have_count(0)
        expect(other.get_by_role("button", name="Save the follow-up")).to_have_count(0)
        assert WHAT_CHANGED not in other.inner_text("body")
        menu(other, "Alerts")
        expect(other.get_by_role("heading", name="Open alerts on the children you review")) \
            .to_be_visible(timeout=WAIT)
        idle(other)
        expect(other.get_by_role("link", name=f"{ref}: record the follow-up")).to_have_count(0)

        # -- the IRO saves with nothing chosen: told under each field, nothing written ----
        iro = sign_in(browser, url, iro_email)
        _open_alert(iro, url, ref)
        before = _all_events(store)
        iro.get_by_role("button", name="Save the follow-up").click()
        choose_error = iro.get_by_text("Choose whether the change for the child has lasted.")
        note_error = iro.get_by_text("Write a sentence on how things are for the child now.")
        expect(choose_error).to_be_visible(timeout=WAIT)
        expect(note_error).to_be_visible(timeout=WAIT)
        idle(iro)
        assert _below(iro, iro.get_by_text("Has the change for the child lasted?"),
                      choose_error)
        assert _below(iro, iro.get_by_role("textbox", name=HOW_NOW), note_error)
        assert _all_events(store) == before
        assert _impact(store, ref)["sustained"] == ""
        _tall(iro)
        assert_accessible(iro, "impact-11-follow-up-nothing-chosen")

        # -- then fills it in and double-clicks Save: one event -------------------------
        _pick(iro, SUSTAINED)
        iro.get_by_role("textbox", name=HOW_NOW).fill(
            "Visits are still weekly; family finding has two matches.")
        idle(iro)
        iro.get_by_role("button", name="Save the follow-up").dblclick()
        settled(iro, FOLLOW_UP_SAVED, "impact-sustained")
        assert _kinds(store, ref).count("impact_followed_up") == 1
        assert _all_events(store) == before + 1
        assert _impact(store, ref)["sustained"] == "sustained"
        expect(choose_error).to_have_count(0)
        expect(iro.get_by_role("button", name="Save the follow-up")).to_have_count(0)
        expect(iro.get_by_text("Follow-up (23 Feb 2027): Sustained")).to_be_visible()
        # the change lasted: no new alert is offered
        expect(iro.get_by_role("link", name=re.compile("^Raise a new alert linked"))) \
            .to_have_count(0)
        screenshot(iro, "impact-12-sustained")


def test_resolving_without_the_impact_or_with_an_impossible_date_saves_nothing(tmp_path):
    store = _store(tmp_path)
    iro_email, child = _iro_and_child(store)
    ref = _answered_alert(store, iro_email, child)

    with _browser() as browser, streamlit_server(store.path, AS_OF.isoformat()) as url:
        iro = sign_in(browser, url, iro_email)
        _open_alert(iro, url, ref)
        choose(iro, "Action", RESOLVE)
        _tall(iro)

        # -- the impact left out: the error under each field, the alert still open -------
        _confirm(iro, SURE)
        before = _all_events(store)
        iro.get_by_role("button", name="Save: the alert is resolved").click()
        impact_error = iro.get_by_text(re.compile(
            "^Choose the difference this alert made for the child"))
        note_error = iro.get_by_text(re.compile("^Write a sentence on what changed for the child"))
        expect(impact_error).to_be_visible(timeout=WAIT)
        expect(note_error).to_be_visible(timeout=WAIT)
        idle(iro)
        assert _below(iro, iro.get_by_text("Difference for the child", exact=True), impact_error)
        assert _below(iro, iro.get_by_role("textbox", name=WHAT_CHANGED_LABEL),
                      note_error)
        assert _all_events(store) == before
        assert alert_by_ref(store.db, ref).state["status"] == "open"
        assert _impact(store, ref) is None
        screenshot(iro, "impact-13-resolve-impact-left-out")

        # -- "improved" with an impossible date for its action: refused, nothing saved ---
        _pick(iro, IMPROVED)
        iro.get_by_role("textbox", name=WHAT_CHANGED_LABEL).fill(WHAT_CHANGED)
        iro.get_by_role("textbox", name="Action 1", exact=True).fill(ACTION)
        type_date(iro, "Action 1: by", "31/02/2027")
        impossible = iro.get_by_text("There is no 31 February 2027: February 2027 has 28 days.")
        expect(impossible).to_be_visible(timeout=WAIT)
        idle(iro)
        assert _below(iro, iro.get_by_role("textbox", name="Action 1: by"), impossible)
        _confirm(iro, SURE)
        iro.get_by_role("button", name="Save: the alert is resolved").click()
        idle(iro)
        iro.wait_for_timeout(1000)
        idle(iro)
        expect(impossible).to_be_visible()
        expect(iro.get_by_text(re.compile(r"^Saved\."))).to_have_count(0)
        assert _all_events(store) == before
        assert alert_by_ref(store.db, ref).state["status"] == "open"
        assert _impact(store, ref) is None
        screenshot(iro, "impact-14-resolve-impossible-date")

        # -- the date put right: resolved, with the action on that date ------------------
        type_date(iro, "Action 1: by", "28/02/2027")
        expect(iro.get_by_text("Sunday 28 Feb 2027", exact=True)).to_be_visible(timeout=WAIT)
        idle(iro)
        screenshot(iro, "impact-15-date-put-right")
        _confirm(iro, SURE)
        iro.get_by_role("button", name="Save: the alert is resolved").click()
        settled(iro, re.compile(r"^Saved\..*Difference for the child: improved\."),
                "impact-resolve-after-fix")
        assert _kinds(store, ref).count("satisfied") == 1
        assert _impact(store, ref)["actions"] == [{"action": ACTION, "by": "2027-02-28"}]


def test_an_action_date_put_right_is_no_longer_called_impossible(tmp_path):
    store = _store(tmp_path)
    iro_email, child = _iro_and_child(store)
    ref = _answered_alert(store, iro_email, child)

    with _browser() as browser, streamlit_server(store.path, AS_OF.isoformat()) as url:
        iro = sign_in(browser, url, iro_email)
        _open_alert(iro, url, ref)
        choose(iro, "Action", RESOLVE)
        _pick(iro, IMPROVED)
        iro.get_by_role("textbox", name=WHAT_CHANGED_LABEL).fill(WHAT_CHANGED)
        iro.get_by_role("textbox", name="Action 1", exact=True).fill(ACTION)
        type_date(iro, "Action 1: by", "31/02/2027")
        impossible = iro.get_by_text("There is no 31 February 2027: February 2027 has 28 days.")
        expect(impossible).to_be_visible(timeout=WAIT)
        _confirm(iro, SURE)
        iro.get_by_role("button", name="Save: the alert is resolved").click()
        idle(iro)
        iro.wait_for_timeout(1000)
        idle(iro)
        type_date(iro, "Action 1: by", "28/02/2027")
        expect(iro.get_by_text("Sunday 28 Feb 2027", exact=True)).to_be_visible(timeout=WAIT)
        idle(iro)
        # the field reads a real date: nothing under it may still say it is impossible
        expect(impossible).to_have_count(0, timeout=5000)
