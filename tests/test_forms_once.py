"""One click, one action, use case by use case: each form's use case saved twice with the
same submission token (``usecases.submissions.once``) writes one set of events. The second
save is refused as AlreadySaved, or, where the first save already moved things on (a reply
cannot be sent twice), by the use case, and the token is then known to be saved
(``usecases.submissions.was_saved``), which the screens say as "already saved".

And the informal stage's agreed date: never later than the policy's maximum.
"""

from __future__ import annotations

import datetime as dt

import pytest

from rules.concern_rules import REFERRED_KIND
from usecases.access import person
from usecases.alert_forms import (
    FormInvalid,
    RaiseAlertForm,
    level_choices,
    raise_form_problems,
    raise_from_form,
    track_for_child,
)
from usecases.changes import book_review_for_change, decide_change, notify_change
from usecases.errors import UserError
from usecases.good_practice import GoodPracticeNote, note_good_practice
from usecases.permanence import record_placement
from usecases.practice_concerns import answer_concern, refer_concern
from usecases.reviews import PARTICIPATION, ReviewForm, record_review, reply_to_decisions
from usecases.store import Store, create_store
from usecases.submissions import AlreadySaved, once, was_saved

ON = dt.date(2026, 11, 23)  # a Monday
NOW = dt.datetime.combine(ON, dt.time(10), tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    return create_store(tmp_path_factory.mktemp("once") / "s.db", "seed-001", demo=True,
                        as_of=ON)


@pytest.fixture(scope="module")
def concerns_store(tmp_path_factory) -> Store:
    return create_store(tmp_path_factory.mktemp("once2") / "s.db", "seed-002", demo=True,
                        as_of=ON)


def _events(store: Store, token: str) -> int:
    return store.db.execute("SELECT count(*) FROM events WHERE submission = ?",
                            [token]).fetchone()[0]


def _child(store: Store, n: int = 0) -> dict:
    """A looked-after child with an IRO and a social worker (the n-th of them)."""
    return list(store.db.query(
        "SELECT * FROM children WHERE legal_status = 'looked_after' AND reviewer_id IS NOT "
        "NULL AND social_worker_id IS NOT NULL ORDER BY case_ref"))[n]


def _twice(store: Store, token: str, save):
    """Save once, then again with the same token: AlreadySaved, and nothing more written."""
    with once(token):
        first = save()
    written = _events(store, token)
    assert written >= 1
    with pytest.raises(AlreadySaved), once(token):
        save()
    assert _events(store, token) == written
    return first


def _twice_refused(store: Store, token: str, save) -> None:
    """Save once, then again with the same token: the use case refuses the repeat (the
    first save moved things on), writes nothing, and the token is known to be saved."""
    with once(token):
        save()
    written = _events(store, token)
    with pytest.raises(UserError), once(token):
        save()
    assert _events(store, token) == written
    assert was_saved(store, token)
    assert not was_saved(store, token + "-other") and not was_saved(store, None)


def _review(store: Store, child: dict) -> ReviewForm:
    return ReviewForm(
        child_id=child["id"], kind="lac_review", held_on=ON - dt.timedelta(days=3), rag="green",
        progress="On track.", participation=next(iter(PARTICIPATION)),
        documents={d.id: {"present": True, "up_to_date": True, "adequate": True}
                   for d in store.policy.key_documents},
        decisions="Carry on with the plan.")


def test_a_review_saved_twice_is_recorded_and_sent_once(store):
    child = _child(store)
    iro = person(store, staff_id=child["reviewer_id"])
    reviews = store.db.execute("SELECT count(*) FROM reviews WHERE child_id = ?",
                               [child["id"]]).fetchone()[0]
    _twice(store, "review-1", lambda: record_review(
        store, _review(store, child), user=iro, recorded_on=ON, now=NOW))
    assert store.db.execute("SELECT count(*) FROM reviews WHERE child_id = ?",
                            [child["id"]]).fetchone()[0] == reviews + 1


def test_a_reply_to_review_decisions_sent_twice_is_sent_once(store):
    child = _child(store, 1)
    iro = person(store, staff_id=child["reviewer_id"])
    recorded = record_review(store, _review(store, child), user=iro, recorded_on=ON, now=NOW)
    manager = next(store.db.query(
        "SELECT id FROM staff WHERE role = 'team_manager' AND team_id = ? ORDER BY id",
        [child["team_id"]]))
    tm = person(store, staff_id=manager["id"])
    _twice_refused(store, "reply-1", lambda: reply_to_decisions(
        store, recorded.review_id, agree=True, note="", user=tm, on=ON, now=NOW))


def test_an_alert_raised_twice_is_raised_once(store):
    child = _child(store, 2)
    iro = person(store, staff_id=child["reviewer_id"])
    alerts = store.db["alerts"].count
    form = RaiseAlertForm(child_ref=child["case_ref"], category="care_planning",
                          concern="The plan has drifted.", outcome_sought="A new plan.",
                          level="informal", agreed_date=ON + dt.timedelta(days=3))
    _twice(store, "raise-1", lambda: raise_from_form(store, form, user=iro, on=ON, now=NOW))
    assert store.db["alerts"].count == alerts + 1


def test_a_change_told_twice_is_told_once_and_decided_once(store):
    child = _child(store, 3)
    worker = person(store, staff_id=child["social_worker_id"])
    changes = store.db["significant_changes"].count
    told = _twice(store, "tell-1", lambda: notify_change(
        store, child_ref=child["case_ref"], change_type="social_worker_change",
        happened_on=ON - dt.timedelta(days=1), description="A new social worker.",
        user=worker, on=ON, now=NOW))
    assert store.db["significant_changes"].count == changes + 1
    iro = person(store, staff_id=child["reviewer_id"])
    _twice_refused(store, "decide-1", lambda: decide_change(
        store, told.change_id, review_needed=True, reasons="", user=iro, on=ON, now=NOW))
    _twice_refused(store, "book-1", lambda: book_review_for_change(
        store, told.change_id, review_date=ON + dt.timedelta(days=7), user=iro, on=ON,
        now=NOW))


def test_a_note_of_good_practice_sent_twice_is_sent_once(store):
    iro = person(store, staff_id=_child(store)["reviewer_id"])
    worker = next(store.db.query("SELECT id FROM staff WHERE role = 'social_worker'"))["id"]
    notes = store.db["good_practice"].count
    note = GoodPracticeNote(what="Calm and careful preparation of the child.", worker_id=worker)
    _twice(store, "note-1", lambda: note_good_practice(store, note, user=iro, on=ON, now=NOW))
    assert store.db["good_practice"].count == notes + 1


def test_placement_facts_saved_twice_are_recorded_once(store):
    child = _child(store, 4)
    worker = person(store, staff_id=child["social_worker_id"])
    _twice_refused(store, "placement-1", lambda: record_placement(
        store, child_ref=child["case_ref"], placed_with_parents_since=dt.date(2026, 3, 15),
        permanence_plan=None, permanence_decision_on=None, permanence_placed_on=None,
        user=worker, on=ON, now=NOW))


def test_a_practice_concern_referred_twice_is_referred_once_and_answered_once(concerns_store):
    store = concerns_store
    worker = person(store, staff_id=next(store.db.query(
        "SELECT id FROM staff WHERE role = 'social_worker' ORDER BY id"))["id"])
    iro = next(store.db.query("SELECT id FROM staff WHERE role = 'iro' ORDER BY id"))["id"]
    concerns = store.db["practice_concerns"].count
    referred = _twice(store, "concern-1", lambda: refer_concern(
        store, about_staff_id=iro, concern="Minutes were sent a month late.", user=worker,
        on=ON, now=NOW))
    assert store.db["practice_concerns"].count == concerns + 1
    assert store.db.execute("SELECT count(*) FROM events WHERE kind = ? AND submission = ?",
                            [REFERRED_KIND, "concern-1"]).fetchone()[0] == 1
    deputy = person(store, staff_id=next(store.db.query(
        "SELECT id FROM staff WHERE role = 'deputy_head_of_service' ORDER BY id"))["id"])
    _twice(store, "answer-1", lambda: answer_concern(
        store, referred.concern_id, answer="Spoke to the IRO.", resolved=False, actor=deputy,
        on=ON))


# -- the informal stage's agreed date --------------------------------------------------------


def _informal(child: dict, agreed: dt.date | None) -> RaiseAlertForm:
    return RaiseAlertForm(child_ref=child["case_ref"], category="care_planning",
                          concern="Visits have lapsed.", outcome_sought="Visits resume.",
                          level="informal", agreed_date=agreed)


def test_an_informal_stage_agreed_for_longer_than_the_policy_allows_is_refused(store):
    child = _child(store, 5)
    iro = person(store, staff_id=child["reviewer_id"])
    alerts = store.db["alerts"].count
    far = store.calendar.add_working_days(ON, 125)
    with pytest.raises(FormInvalid) as refused:
        raise_from_form(store, _informal(child, far), user=iro, on=ON, now=NOW)
    assert set(refused.value.errors) == {"agreed_date"}
    assert refused.value.errors["agreed_date"].startswith(
        "The response date agreed can be no later than 7 Dec 2026")
    assert store.db["alerts"].count == alerts
    assert raise_form_problems(store, _informal(child, dt.date(2026, 12, 8)), ON) == {
        "agreed_date": refused.value.errors["agreed_date"]}
    raise_from_form(store, _informal(child, dt.date(2026, 12, 7)), user=iro, on=ON, now=NOW)
    assert store.db["alerts"].count == alerts + 1


def test_the_form_offers_the_latest_date_the_policy_allows(store):
    child = _child(store, 6)
    iro = person(store, staff_id=child["reviewer_id"])
    track = track_for_child(store, iro, child["case_ref"], NOW)
    informal = level_choices(store, track, ON)[0]
    assert (informal.slug, informal.due, informal.latest) == (
        "informal", dt.date(2026, 11, 26), dt.date(2026, 12, 7))
    assert all(c.latest is None for c in level_choices(store, track, ON)[1:])


def test_an_agreed_date_today_or_before_is_still_refused(store):
    child = _child(store, 6)
    assert raise_form_problems(store, _informal(child, ON), ON) == {
        "agreed_date": "The response date must be after today (23 Nov 2026)."}


def test_a_policy_without_a_maximum_takes_any_later_date(concerns_store):
    store = concerns_store
    child = _child(store)
    assert raise_form_problems(store, _informal(child, dt.date(2027, 6, 1)), ON) == {}
