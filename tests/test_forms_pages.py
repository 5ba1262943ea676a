"""The forms through the screens (AppTest): a repeat of a saved submission says "already
saved" and writes nothing; an impossible date is refused beside its field and listed at the
top ("There is a problem", each problem a link to its field) and nothing typed is lost; an
informal stage agreed for too long is refused with the latest date allowed; every field on
a form has a label of its own; people's words are shown as they typed them."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from streamlit.testing.v1 import AppTest

from tests.form_support import errors, events_count, page_text, successes, typed
from tests.page_support import AS_OF, app, demo_store, open_page, user_with_role
from usecases.access import person
from usecases.changes import notify_change
from usecases.reviews import PARTICIPATION, ReviewForm, record_review
from usecases.submissions import once

NOW = dt.datetime.combine(AS_OF, dt.time(10), tzinfo=dt.UTC)
IMPOSSIBLE = "There is no 31 February 2026: February 2026 has 28 days. Check the day and the month."
WIDGETS = ("text_input", "text_area", "selectbox", "multiselect", "radio", "checkbox",
           "date_input", "number_input")


def labels(at: AppTest) -> list[str]:
    return [str(w.label) for kind in WIDGETS for w in getattr(at, kind)]


def assert_labels_unique(at: AppTest) -> None:
    twice = [label for label, n in Counter(labels(at)).items() if n > 1]
    assert not twice, twice


def summary(at: AppTest) -> str:
    """The "There is a problem" box's list (Markdown links), or "" when there is none."""
    if "There is a problem" not in [h.value for h in at.header]:
        return ""
    return next(m.value for m in at.markdown if m.value.startswith("- "))


def _iro_child(store, iro) -> dict:
    return next(store.db.query(
        "SELECT * FROM children WHERE reviewer_id = ? AND legal_status = 'looked_after' "
        "ORDER BY case_ref LIMIT 1", [iro.staff_id]))


# -- the review form -------------------------------------------------------------------------


def test_an_impossible_review_date_is_refused_listed_and_nothing_typed_is_lost(
        monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    iro = user_with_role(store, "iro")
    before = store.db["reviews"].count
    at = open_page(app(monkeypatch, store, iro), "pages/record_review.py")
    assert_labels_unique(at)
    at.text_input(key="review_held_on").input("31/02/2026").run()
    assert errors(at) == [IMPOSSIBLE]  # beside the field at once, before any save
    at.radio(key="review_rag").set_value("green")
    at.text_area(key="review_decisions").input("Carry on with the plan.")
    at.text_input(key="iro_action_1").input("Visit the child at school").run()
    at.text_input(key="iro_action_due_1").input("2/12/2026").run()
    assert "Wednesday 2 Dec 2026" in [c.value for c in at.caption]
    assert_labels_unique(at)  # the action's date: "Action for you (1): due by"
    at.button(key="review_submit").click().run()
    assert store.db["reviews"].count == before
    listed = summary(at)
    assert listed.startswith("- [There is no 31 February 2026")
    assert "(#field-review-held-on)" in listed
    assert "(#field-review-participation)" in listed  # every other problem too
    assert IMPOSSIBLE in errors(at)
    # what was typed is kept
    assert at.text_input(key="review_held_on").value == "31/02/2026"
    assert at.text_area(key="review_decisions").value == "Carry on with the plan."
    assert at.text_input(key="iro_action_due_1").value == "2/12/2026"

    at.text_input(key="review_held_on").input("20/11/2026")
    at.selectbox(key="review_participation").set_value("attended")
    at.button(key="review_submit").click().run()
    assert not at.exception
    assert store.db["reviews"].count == before + 1
    saved = store.db.execute("SELECT held_on FROM reviews ORDER BY id DESC LIMIT 1").fetchone()
    assert saved[0] == "2026-11-20"
    assert any("plan judged green" in s for s in successes(at))
    assert summary(at) == ""
    assert at.text_input(key="review.1.review_held_on").value == ""  # a fresh form
    assert at.text_area(key="review.1.review_decisions").value == ""


def test_a_review_saved_again_with_the_same_submission_says_already_saved(
        monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    iro = user_with_role(store, "iro")
    child = _iro_child(store, iro)
    at = open_page(app(monkeypatch, store, iro), "pages/record_review.py",
                   child=child["case_ref"])
    at.session_state["form_rounds"] = {"review": (0, "the-first-click")}
    at.text_input(key="review_held_on").input(typed(AS_OF - dt.timedelta(days=2)))
    at.radio(key="review_rag").set_value("green")
    at.selectbox(key="review_participation").set_value("attended")
    at.text_area(key="review_decisions").input("Carry on with the plan.").run()
    # the first click's save went through (its page never said so): this is the second
    form = ReviewForm(
        child_id=child["id"], kind="lac_review", held_on=AS_OF - dt.timedelta(days=2),
        rag="green", participation=next(iter(PARTICIPATION)), decisions="Carry on.",
        documents={d.id: {"present": False, "up_to_date": False, "adequate": False}
                   for d in store.policy.key_documents})
    with once("the-first-click"):
        record_review(store, form, user=person(store, staff_id=iro.staff_id),
                      recorded_on=AS_OF, now=NOW)
    reviews, events = store.db["reviews"].count, events_count(store)
    at.button(key="review_submit").click().run()
    assert not at.exception
    assert (store.db["reviews"].count, events_count(store)) == (reviews, events)
    assert successes(at) == ["That was already saved; nothing was saved twice."]
    assert errors(at) == []
    assert at.text_area(key="review.1.review_decisions").value == ""


def test_the_key_documents_have_a_label_each(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    at = open_page(app(monkeypatch, store, user_with_role(store, "iro")),
                   "pages/record_review.py")
    documents = [str(c.label) for c in at.checkbox if str(c.key).startswith("doc_")]
    assert "Care plan: on file" in documents and "Care plan: adequate quality" in documents
    assert len(documents) == len(set(documents)) == 3 * len(store.policy.key_documents)


# -- raising an alert --------------------------------------------------------------------------


def test_an_informal_stage_agreed_for_too_long_is_refused_with_the_latest_date(
        monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    iro = user_with_role(store, "iro")
    before = store.db["alerts"].count
    at = open_page(app(monkeypatch, store, iro), "pages/raise_alert.py",
                   child=_iro_child(store, iro)["case_ref"])
    assert_labels_unique(at)
    assert "The latest date the policy allows is 7 Dec 2026." in page_text(at)
    assert at.text_input(key="raise_agreed_date").value == "26 Nov 2026"  # the default
    at.selectbox(key="raise_category").set_value("care_planning")
    at.text_area(key="raise_concern").input("Statutory visits have lapsed.")
    at.text_area(key="raise_outcome").input("Visits every six weeks.")
    at.text_input(key="raise_agreed_date").input("25/05/2027")  # 125 working days away
    at.button(key="raise_submit").click().run()
    assert store.db["alerts"].count == before
    said = [e for e in errors(at) if "no later than" in e]
    assert said and said[0].startswith("The response date agreed can be no later than "
                                       "7 Dec 2026: the informal stage lasts at most 10 "
                                       "working days.")
    assert "(#field-raise-alert-agreed-date)" in summary(at)
    at.text_input(key="raise_agreed_date").input("31/02/2026").run()
    assert IMPOSSIBLE in errors(at)
    assert not any("no later than" in e for e in errors(at))  # the date changed: that is gone
    at.text_input(key="raise_agreed_date").input("7/12/2026")
    at.button(key="raise_submit").click().run()
    assert not at.exception
    assert store.db["alerts"].count == before + 1
    due = store.db.execute("SELECT json_extract(data, '$.until') FROM events "
                           "WHERE kind = 'raised' ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert due == "2026-12-07"


# -- telling the IRO of a change; placement facts ----------------------------------------------


def test_an_impossible_date_of_a_change_is_refused_and_nothing_is_told(monkeypatch, tmp_path):
    store = demo_store(tmp_path, "seed-003")
    worker = user_with_role(store, "social_worker")
    before = store.db["significant_changes"].count
    at = open_page(app(monkeypatch, store, worker), "pages/tell_iro.py")
    assert_labels_unique(at)
    at.selectbox(key="change_type").set_value("court_order")
    at.text_input(key="change_happened_on").input("31/02/2026")
    at.text_area(key="change_description").input("A new order was made.")
    at.button(key="change_submit").click().run()
    assert errors(at) == [IMPOSSIBLE]
    assert "(#field-tell-iro-happened-on)" in summary(at)
    assert store.db["significant_changes"].count == before
    assert at.text_area(key="change_description").value == "A new order was made."


def test_an_impossible_placement_date_is_refused_and_nothing_is_saved(monkeypatch, tmp_path):
    store = demo_store(tmp_path, "seed-004")
    worker = user_with_role(store, "social_worker")
    events = events_count(store)
    at = open_page(app(monkeypatch, store, worker), "pages/placement.py")
    assert_labels_unique(at)
    ref = at.selectbox(key="placement_child").value
    at.text_input(key=f"placement_since.{ref}").input("31/02/2026")
    at.button(key="placement_submit").click().run()
    assert IMPOSSIBLE in errors(at)
    assert "(#field-placement-placed-with-parents-since)" in summary(at)
    assert events_count(store) == events


# -- lists of forms: significant changes, replies, answers -------------------------------------


def test_each_change_has_fields_of_its_own_and_an_impossible_review_date_is_refused(
        monkeypatch, tmp_path):
    store = demo_store(tmp_path, "seed-003")
    child = next(store.db.query(
        "SELECT * FROM children WHERE legal_status = 'looked_after' AND reviewer_id IS NOT "
        "NULL ORDER BY case_ref LIMIT 1"))
    for kind in ("move_to_unregulated_placement", "court_order", "court_order"):
        told = notify_change(store, child_ref=child["case_ref"], change_type=kind,
                             happened_on=AS_OF, description="**Synthetic** change.",
                             user=person(store, staff_id=child["social_worker_id"]), on=AS_OF,
                             now=NOW)
    at = open_page(app(monkeypatch, store, person(store, staff_id=child["reviewer_id"])),
                   "pages/changes.py")
    assert_labels_unique(at)  # two changes of one child on one day are numbered
    assert "**Synthetic** change." in [t.value for t in at.text]
    booking = next(t for t in at.text_input if str(t.key).startswith("book_date_"))
    change_id = str(booking.key).removeprefix("book_date_")
    before = events_count(store)
    booking.input("31/02/2026")
    at.button(key=f"book_{change_id}").click().run()
    assert IMPOSSIBLE in errors(at)
    assert events_count(store) == before
    assert told.change_id


def test_the_team_managers_reply_shows_the_decisions_as_typed(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    iro = user_with_role(store, "iro")
    child = _iro_child(store, iro)
    decisions = "**Contact** to go _fortnightly_; see [the plan](http://example.invalid)"
    record_review(store, ReviewForm(
        child_id=child["id"], kind="lac_review", held_on=AS_OF - dt.timedelta(days=1),
        rag="green", participation=next(iter(PARTICIPATION)), decisions=decisions,
        documents={d.id: {"present": True, "up_to_date": True, "adequate": True}
                   for d in store.policy.key_documents}),
        user=person(store, staff_id=iro.staff_id), recorded_on=AS_OF, now=NOW)
    manager = next(store.db.query(
        "SELECT id FROM staff WHERE role = 'team_manager' AND team_id = ? ORDER BY id",
        [child["team_id"]]))
    at = open_page(app(monkeypatch, store, person(store, staff_id=manager["id"])),
                   "pages/child.py", child=child["case_ref"])
    assert decisions in [t.value for t in at.text]
    assert_labels_unique(at)
    review_id = store.db.execute("SELECT max(id) FROM reviews WHERE child_id = ?",
                                 [child["id"]]).fetchone()[0]
    at.text_area(key=f"reply_note_{review_id}").input("Agreed: **all** of it.")
    at.button(key=f"reply_send_{review_id}").click().run()
    assert not at.exception
    said = [s.value for s in at.success]
    assert said and "agreed the decisions" in said[0]
    assert "\\*\\*all\\*\\*" in said[0]  # shown with its asterisks, not in bold
