"""Impact on the record (issue 16): the child's chronology, the alert's timeline, the case
note and the printable page say what resolving changed for the child, the actions agreed
with their dates, the follow-up and its answer, and the alert raised because the change
did not last; in words, never slugs, and what people typed exactly as typed."""

from __future__ import annotations

import datetime as dt
import html

import pytest

from rules.impact import add_months
from tests.page_support import AS_OF, demo_store, user_with_role
from usecases.alert_forms import RaiseAlertForm, act_from_form, raise_from_form
from usecases.alert_view import alert_view
from usecases.children import child_record
from usecases.impact import record_follow_up, sweep_follow_ups

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
#: What an IRO might type: Markdown, HTML, a spreadsheet formula, a link.
CHANGED = "Visits **weekly** <b>now</b> =SUM(A1) [x](http://example.invalid)"
ACTION = "<script>alert(1)</script> _Social worker_ visits weekly"
LASTED = "=HYPERLINK(\"http://example.invalid\") # Visits *stopped* again <i>in May</i>"
DUE = add_months(AS_OF, 3)  # 23 Feb 2027


@pytest.fixture(scope="module")
def lived(tmp_path_factory):
    """An alert resolved as improved on AS_OF, its follow-up asked for on DUE and answered
    "not sustained" the same day, and a new alert raised that day following it."""
    store = demo_store(tmp_path_factory.mktemp("impact-record"))
    iro = user_with_role(store, "iro")
    child = next(store.db.query(
        "SELECT case_ref FROM children WHERE reviewer_id = ? AND legal_status = "
        "'looked_after' ORDER BY case_ref LIMIT 1", [iro.staff_id]))["case_ref"]

    def raise_one(on: dt.date, follows: str = "") -> str:
        form = RaiseAlertForm(child_ref=child, category="care_planning",
                              concern="No visits since July.", outcome_sought="Weekly visits.",
                              level="informal", follows=follows)
        return raise_from_form(store, form, user=iro, on=on, now=NOW).ref

    ref = raise_one(AS_OF)
    act_from_form(store, ref, "satisfied", user=iro, on=AS_OF, now=NOW, confirmed=True,
                  impact="improved", impact_note=CHANGED,
                  actions=[(ACTION, AS_OF + dt.timedelta(days=7))])
    assert ref in [w["alert"] for w in sweep_follow_ups(store, DUE)]  # with the demo's own
    record_follow_up(store, iro, ref, "not_sustained", LASTED, on=DUE, now=NOW)
    new_ref = raise_one(DUE, follows=ref)
    return store, iro, child, ref, new_ref


def test_the_chronology_says_the_impact_the_follow_up_and_the_link(lived):
    store, iro, child, ref, new_ref = lived
    record = child_record(store, iro, child, NOW)
    mine = [e for e in record.chronology if e["alert"] == ref]
    resolved = next(e for e in mine if e["what"] == "Reviewer satisfied")
    assert resolved["details"].startswith(
        "Difference for the child: Improved. "
        f"What changed for the child: \"{CHANGED}\" "
        f"Action agreed, by 30 Nov 2026: \"{ACTION}\" ")
    asked = next(e for e in mine if e["what"] == "Follow-up due: did the change last?")
    assert asked["who"] == "Automatic" and "23 Feb 2027" in asked["details"]
    answered = next(e for e in mine if e["what"] == "Follow-up recorded")
    assert answered["details"].startswith(
        f"Did the change last: Not sustained. How things are for the child now: \"{LASTED}\" ")
    raised = next(e for e in record.chronology
                  if e["alert"] == new_ref and e["what"] == "Alert raised")
    assert f"Follows alert: {ref}, whose change for the child did not last." in \
        raised["details"]
    # no event kind reaches the reader as a slug
    assert not [e["what"] for e in record.chronology if "_" in e["what"]]


def test_the_timeline_names_the_new_steps_in_words(lived):
    store, iro, _, ref, new_ref = lived
    view = alert_view(store, iro, ref, DUE, NOW)
    words = [(t.kind, t.what) for t in view.timeline]
    assert ("impact_follow_up_due", "Follow-up due: did the change last?") in words
    assert ("impact_followed_up", "Follow-up recorded") in words
    assert not [w for _, w in words if "_" in w]
    resolved = next(t for t in view.timeline if t.kind == "satisfied")
    assert [(s.label, s.text) for s in resolved.said] == [
        ("Difference for the child", "Improved"),
        ("What changed for the child", CHANGED),
        ("Action agreed, by 30 Nov 2026", ACTION)]
    answered = next(t for t in view.timeline if t.kind == "impact_followed_up")
    assert [(s.label, s.text) for s in answered.said] == [
        ("Did the change last", "Not sustained"), ("How things are for the child now", LASTED)]
    linked = alert_view(store, iro, new_ref, DUE, NOW).timeline[0]
    assert ("Follows alert", f"{ref}, whose change for the child did not last") in [
        (s.label, s.text) for s in linked.said]


def test_the_case_note_carries_the_impact_as_typed(lived):
    store, iro, _, ref, new_ref = lived
    note = alert_view(store, iro, ref, DUE, NOW).case_note()
    assert ("Impact for the child:\n"
            "  Difference for the child: Improved (resolved 23 Nov 2026)\n"
            "  Did the change last: Not sustained (followed up 23 Feb 2027)\n"
            f"  Followed by: alert {new_ref}, raised on 23 Feb 2027 because the change did "
            "not last\n") in note
    for line in (f"  What changed for the child: {CHANGED}",
                 f"  Action agreed, by 30 Nov 2026: {ACTION}",
                 "23 Feb 2027  Follow-up due: did the change last? - Automatic",
                 f"23 Feb 2027  Follow-up recorded - {iro.name}, Independent Reviewing "
                 "Officer",
                 "  Did the change last: Not sustained",
                 f"  How things are for the child now: {LASTED}"):
        assert line in note.splitlines(), line


def test_a_note_as_at_an_earlier_day_knows_only_what_had_happened_then(lived):
    store, iro, _, ref, new_ref = lived
    before = alert_view(store, iro, ref, DUE - dt.timedelta(days=1), NOW)
    note = before.case_note()
    assert ("  Did the change last: Not yet known: to be asked on 23 Feb 2027, or at the "
            "child's next review if that is sooner") in note.splitlines()
    assert "Not sustained" not in note and new_ref not in note and LASTED not in note
    assert "Follow-up" not in note  # neither asked for nor answered yet
    raised_only = alert_view(store, iro, ref, AS_OF, NOW)
    assert raised_only.impact is not None and raised_only.impact.impact == "improved"


def test_the_printable_page_shows_every_word_as_typed_and_nothing_as_markup(lived):
    store, iro, _, ref, new_ref = lived
    page = alert_view(store, iro, ref, DUE, NOW).printable_html()
    assert "<caption>Impact for the child</caption>" in page
    assert ("<th scope='row'>Difference for the child</th><td>Improved (resolved 23 Nov "
            "2026)</td>") in page
    assert ("<th scope='row'>Did the change last</th><td>Not sustained (followed up 23 Feb "
            "2027)</td>") in page
    assert f"alert {new_ref}, raised on 23 Feb 2027" in page
    for typed in (CHANGED, ACTION, LASTED):
        assert html.escape(typed) in page
    assert "<dt>Action agreed, by 30 Nov 2026</dt>" in page
    assert "<b>now</b>" not in page and "<script>" not in page and "<i>" not in page
    assert "Follow-up due: did the change last?" in page and "Follow-up recorded" in page
