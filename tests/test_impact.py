"""Impact (issue 16): resolving records the difference made for the child; the sweep asks
whether it lasted on the follow-up date (or the child's next review, if sooner); the
reviewer answers; not sustained links a new alert; the log holds every word, verify and
rebuild agree, and the wrong people are refused."""

from __future__ import annotations

import datetime as dt

import pytest

from db.alert_impacts import impact_of
from db.alerts import alert_by_ref
from rules.impact import add_months, follow_up_on, impact_problems
from tests.page_support import AS_OF, demo_store, user_with_role
from usecases.access import AccessRefused
from usecases.alert_forms import FormInvalid, RaiseAlertForm, act_from_form, raise_from_form
from usecases.errors import UserError
from usecases.impact import (
    ImpactInvalid,
    follow_ups_waiting,
    record_follow_up,
    sweep_follow_ups,
)
from usecases.integrity import rebuild_store, verify_db
from usecases.sweeping import sweep_all

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
TRICKY = "Visits **weekly** <b>now</b> =SUM(A1) [x](http://example.invalid)"


@pytest.fixture
def store(tmp_path):
    return demo_store(tmp_path)


def _child_of(store, user) -> str:
    return next(store.db.query(
        "SELECT case_ref FROM children WHERE reviewer_id = ? AND legal_status = "
        "'looked_after' ORDER BY case_ref LIMIT 1", [user.staff_id]))["case_ref"]


def _raise(store, iro, *, on=AS_OF, follows="") -> str:
    form = RaiseAlertForm(child_ref=_child_of(store, iro), category="care_planning",
                          concern="No visits since July.", outcome_sought="Weekly visits.",
                          level="informal", follows=follows)
    return raise_from_form(store, form, user=iro, on=on, now=NOW).ref


def _resolve(store, iro, ref, *, impact="improved", on=AS_OF, actions=None):
    return act_from_form(
        store, ref, "satisfied", user=iro, on=on, now=NOW, confirmed=True,
        impact=impact, impact_note=TRICKY,
        actions=actions if actions is not None else [
            ("Social worker visits weekly", on + dt.timedelta(days=7)), ("", None)])


def _asked(written: list[dict]) -> list[str]:
    return [w["alert"] for w in written]


def test_months_are_added_the_way_people_count_them():
    assert add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2027, 11, 29), 3) == dt.date(2028, 2, 29)
    assert follow_up_on(dt.date(2026, 1, 15)) == dt.date(2026, 4, 15)


def test_every_problem_with_an_impact_is_named_by_field():
    problems = impact_problems("", " ", [("Visit", None), ("", AS_OF), ("", None)], AS_OF)
    assert set(problems) == {"impact", "impact_note", "action.1", "action.2"}
    assert "date" in problems["action.1"] and "what was agreed" in problems["action.2"]
    # improved needs the action that puts the plan back on track
    assert "action.1" in impact_problems("improved", "Better.", [], AS_OF)
    assert impact_problems("not_improved", "Decision upheld.", [], AS_OF) == {}
    far = impact_problems("partly", "Some.", [("Visit", AS_OF.replace(year=2031))], AS_OF)
    assert "check the year" in far["action.1"]


def test_resolving_without_the_impact_saves_nothing(store):
    iro = user_with_role(store, "iro")
    ref = _raise(store, iro)
    before = store.db["events"].count
    with pytest.raises(FormInvalid) as invalid:
        act_from_form(store, ref, "satisfied", user=iro, on=AS_OF, now=NOW, confirmed=True)
    assert {"impact", "impact_note"} <= set(invalid.value.errors)
    assert store.db["events"].count == before
    assert alert_by_ref(store.db, ref).state["status"] == "open"


def test_the_impact_is_in_the_log_and_the_table_exactly_as_typed(store):
    iro = user_with_role(store, "iro")
    ref = _raise(store, iro)
    _resolve(store, iro, ref)
    event = next(store.db.query("SELECT data, reason FROM events WHERE kind = 'satisfied' "
                                "ORDER BY id DESC LIMIT 1"))
    assert TRICKY in event["data"] and "Social worker visits weekly" in event["data"]
    assert "Difference for the child: improved" in event["reason"]
    row = impact_of(store.db, alert_by_ref(store.db, ref).id)
    assert row["impact"] == "improved" and row["impact_note"] == TRICKY
    assert row["actions"] == [{"action": "Social worker visits weekly",
                               "by": (AS_OF + dt.timedelta(days=7)).isoformat()}]
    assert row["follow_up_on"] == add_months(AS_OF, 3).isoformat()
    # not improved: nothing to follow up
    other = _raise(store, iro)
    _resolve(store, iro, other, impact="not_improved", actions=[])
    assert impact_of(store.db, alert_by_ref(store.db, other).id)["follow_up_on"] is None
    assert verify_db(store.db, store.path).ok  # the table is what the log says


def test_the_follow_up_is_asked_on_its_date_answered_once_and_links_a_new_alert(store):
    iro = user_with_role(store, "iro")
    ref = _raise(store, iro)
    _resolve(store, iro, ref)
    due = add_months(AS_OF, 3)
    assert ref not in _asked(sweep_follow_ups(store, due - dt.timedelta(days=1)))
    assert ref not in [w.ref for w in follow_ups_waiting(store, iro)]
    written = sweep_all(store, due)
    asked = [w for w in written if w.get("event") == "impact_follow_up_due" and
             w["alert"] == ref]
    assert len(asked) == 1
    assert asked[0]["rule"] == "impact_follow_up_prompt" and asked[0]["policy_id"] == "seed-001"
    assert sweep_follow_ups(store, due) == []  # asked once only
    assert ref in [w.ref for w in follow_ups_waiting(store, iro)]
    # the IRO is told in the app
    told = store.db.execute(
        "SELECT count(*) FROM notifications n JOIN events e ON e.id = n.event_id "
        "WHERE e.kind = 'impact_follow_up_due' AND n.staff_id = ? AND e.alert_id = ?",
        [iro.staff_id, alert_by_ref(store.db, ref).id]).fetchone()
    assert told[0] == 1

    with pytest.raises(ImpactInvalid) as invalid:
        record_follow_up(store, iro, ref, "", "", on=due, now=NOW)
    assert set(invalid.value.errors) == {"sustained", "note"}
    record_follow_up(store, iro, ref, "not_sustained", "Visits stopped again <i>in May</i>.",
                     on=due, now=NOW, submission="follow-up-1")
    with pytest.raises(UserError, match="already recorded"):
        record_follow_up(store, iro, ref, "sustained", "Again.", on=due, now=NOW)
    assert ref not in [w.ref for w in follow_ups_waiting(store, iro)]
    row = impact_of(store.db, alert_by_ref(store.db, ref).id)
    assert row["sustained"] == "not_sustained"
    assert row["follow_up_note"] == "Visits stopped again <i>in May</i>."

    new_ref = _raise(store, iro, on=due, follows=ref)
    assert impact_of(store.db, alert_by_ref(store.db, ref).id)["linked_alert_id"] == \
        alert_by_ref(store.db, new_ref).id
    raised = next(store.db.query("SELECT data FROM events WHERE kind = 'raised' "
                                 "ORDER BY id DESC LIMIT 1"))["data"]
    assert f'"follows": "{ref}"' in raised

    assert verify_db(store.db, store.path).ok
    before = dict(impact_of(store.db, alert_by_ref(store.db, ref).id))
    store.db.execute("UPDATE alert_impacts SET impact = 'not_improved'")  # a tampered table
    found = verify_db(store.db, store.path)
    assert any(f.area == "alert_impacts" for f in found.findings)
    rebuild_store(store.path)
    assert impact_of(store.db, alert_by_ref(store.db, ref).id) == before


def test_the_childs_next_review_brings_the_follow_up_forward(store):
    iro = user_with_role(store, "iro")
    ref = _raise(store, iro)
    _resolve(store, iro, ref)
    alert = alert_by_ref(store.db, ref)
    review_day = AS_OF + dt.timedelta(days=20)
    store.db.execute("INSERT INTO reviews (child_id, kind, held_on, reviewer_id, rag) "
                     "VALUES (?, 'lac_review', ?, ?, 'green')",
                     [alert.child_id, review_day.isoformat(), iro.staff_id])
    assert ref not in _asked(sweep_follow_ups(store, review_day - dt.timedelta(days=1)))
    asked = [w for w in sweep_follow_ups(store, review_day) if w["alert"] == ref]
    assert len(asked) == 1 and "review" in asked[0]["reason"]
    assert asked[0]["date"] == review_day.isoformat()


def test_a_linked_alert_must_follow_a_change_that_did_not_last(store):
    iro = user_with_role(store, "iro")
    ref = _raise(store, iro)
    _resolve(store, iro, ref)
    with pytest.raises(FormInvalid) as invalid:
        _raise(store, iro, follows=ref)
    assert "not been recorded as not lasting" in invalid.value.errors["follows"]
    with pytest.raises(FormInvalid) as invalid:
        _raise(store, iro, follows="A-NOPE")
    assert "no alert A-NOPE" in invalid.value.errors["follows"]


def test_the_wrong_people_cannot_record_the_follow_up(store):
    iro = user_with_role(store, "iro")
    ref = _raise(store, iro)
    _resolve(store, iro, ref)
    sweep_follow_ups(store, add_months(AS_OF, 3))
    others = [user_with_role(store, role) for role in ("team_manager", "admin")]
    other_iro = next(u for u in (user_with_role(store, "cp_chair"),) if u)
    before = store.db["events"].count
    for person in [*others, other_iro]:
        with pytest.raises(AccessRefused):
            record_follow_up(store, person, ref, "sustained", "Fine.",
                             on=add_months(AS_OF, 3), now=NOW)
        assert ref not in [w.ref for w in follow_ups_waiting(store, person)]
    assert store.db["events"].count == before + 0 or all(
        r["kind"] == "access_refused" for r in store.db.query(
            "SELECT kind FROM events WHERE id > ?", [before]))


def test_the_policy_sets_the_follow_up_months_and_every_mistake_is_named():
    from pathlib import Path

    from rules.policy import load_policy_text
    from rules.policy_model import PolicyInvalid

    text = (Path(__file__).resolve().parent.parent / "rules" / "policies" /
            "seed-001.yaml").read_text()
    assert load_policy_text(text, "seed-001.yaml").impact_follow_up_months == 3  # default
    six = load_policy_text(text + "\nimpact:\n  follow_up_months: 6\n", "seed-001.yaml")
    assert six.impact_follow_up_months == 6
    with pytest.raises(PolicyInvalid) as wrong:
        load_policy_text(text + "\nimpact:\n  follow_up_months: 0\n  other: 1\n",
                         "seed-001.yaml")
    said = str(wrong.value)
    assert "impact.other: 'other' is not a field of impact" in said
    assert "impact.follow_up_months: 0 is too small here: use at least 1." in said
