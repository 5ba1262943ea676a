"""Synthetic demo data: three years of history for every screen, never anything that looks real."""

from __future__ import annotations

import datetime as dt
import json
from itertools import pairwise

import pytest

from rules.policy import load_preset
from rules.roles import role_name
from tests.conftest import DEMO_AS_OF
from usecases.access import children_for_action, person
from usecases.accounts import authenticate
from usecases.demo import DEMO_PASSWORD, FIRST_NAMES, SURNAMES, add_demo_data, demo_accounts
from usecases.demo_history import history_start
from usecases.store import create_store

SEEDS = ["seed-000", "seed-001", "seed-002", "seed-003", "seed-004"]


@pytest.fixture(scope="module", params=SEEDS)
def built(request, tmp_path_factory):
    """One demo store per policy, shared by this module's tests (each takes a second or
    two to build), with what building it reported."""
    seed = request.param
    store = create_store(tmp_path_factory.mktemp(seed) / "d.db", seed, demo=False,
                         as_of=DEMO_AS_OF)
    report = add_demo_data(store, as_of=DEMO_AS_OF)
    yield store, report
    store.db.close()


def _rows(store, sql, params=()):
    return [tuple(r) for r in store.db.execute(sql, params).fetchall()]


def _count(store, sql, params=()):
    return store.db.execute(sql, params).fetchone()[0]


def _years(as_of=DEMO_AS_OF):
    """The three years before ``as_of``, as (first day, last day), oldest first."""
    ends = [as_of.replace(year=as_of.year - n) for n in (2, 1, 0)]
    return [(end.replace(year=end.year - 1) + dt.timedelta(days=1), end) for end in ends]


def _quarters(as_of=DEMO_AS_OF):
    """The twelve three-month windows before ``as_of``, oldest first."""
    ends = [_add_months(as_of, -3 * n) for n in range(12)]
    return [(_add_months(end, -3) + dt.timedelta(days=1), end) for end in reversed(ends)]


def _add_months(day, months):
    """The same day of the month ``months`` later (or earlier), the 28th at most."""
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1, day=min(day.day, 28))


# -- people ------------------------------------------------------------------------------


def test_demo_has_staff_for_every_role_the_policy_names(built):
    store, _ = built
    roles = {r["role"] for r in store.db.query("SELECT DISTINCT role FROM staff")}
    named = set(load_preset(store.policy.id).roles()) - {"line_manager"}
    assert named <= roles
    assert {"iro", "social_worker", "team_manager", "admin", "business_support"} <= roles


def test_every_social_work_team_has_business_support_who_can_tell_of_its_childrens_changes(
        built):
    store, _ = built
    teams = _rows(store, "SELECT DISTINCT team_id FROM children ORDER BY 1")
    assert len(teams) == 4
    for (team_id,) in teams:
        support = _rows(store, "SELECT id FROM staff WHERE role = 'business_support' "
                               "AND team_id = ?", [team_id])
        assert len(support) == 1
        user = person(store, staff_id=support[0][0])
        offered = {c["id"] for c in children_for_action(store, user, "tell_change")}
        theirs = {r[0] for r in _rows(store, "SELECT id FROM children WHERE team_id = ?",
                                      [team_id])}
        assert offered == theirs
    # and in the history they did tell reviewers of changes
    assert _count(store, "SELECT count(*) FROM significant_changes g JOIN staff s "
                         "ON s.id = g.notified_by WHERE s.role = 'business_support'") > 0


def test_demo_accounts_name_one_account_for_every_role_the_demo_has(built):
    store, _ = built
    accounts = demo_accounts(store.db)
    roles = {r["role"] for r in store.db.query("SELECT DISTINCT role FROM staff")}
    assert [a["role"] for a in accounts] == list(dict.fromkeys(a["role"] for a in accounts))
    assert {a["role"] for a in accounts} == {role_name(r) for r in roles}
    assert {"Administrator", "Social Worker", "Business Support",
            "Independent Reviewing Officer", "Team Manager"} <= {a["role"] for a in accounts}
    assert accounts[0]["role"] == "Independent Reviewing Officer"
    by_role = {a["role"]: a for a in accounts}
    support = by_role["Business Support"]["email"]
    assert _count(store, "SELECT count(*) FROM children c JOIN staff s ON s.team_id = c.team_id "
                         "WHERE s.email = ?", [support]) > 0  # a team with children to see
    for account in accounts[:3]:  # argon2 is slow on purpose: a few are enough
        assert authenticate(store, account["email"], DEMO_PASSWORD) is not None


def test_a_store_that_is_not_a_demo_suggests_no_accounts(tmp_path):
    store = create_store(tmp_path / "real.db", "seed-001", demo=False, as_of=DEMO_AS_OF)
    assert demo_accounts(store.db) == []
    store.db.close()


# -- children and reviews --------------------------------------------------------------------


def test_demo_has_sixty_children_each_reviewed(built):
    store, _ = built
    assert store.db["children"].count == 60
    assert _count(store, "SELECT count(*) FROM children c WHERE NOT EXISTS "
                         "(SELECT 1 FROM reviews r WHERE r.child_id = c.id)") == 0
    latest = _rows(store, "SELECT max(held_on), max(recorded_on) FROM reviews")[0]
    assert latest[0] <= latest[1] <= DEMO_AS_OF.isoformat()
    assert _count(store, "SELECT count(*) FROM reviews WHERE recorded_on < held_on") == 0


def test_three_years_of_reviews_with_every_judgement_each_year(built):
    store, _ = built
    assert _count(store, "SELECT min(held_on) FROM reviews") >= \
        history_start(DEMO_AS_OF).isoformat()
    for first, last in _years():
        rags = dict(_rows(store, "SELECT rag, count(*) FROM reviews WHERE held_on BETWEEN ? "
                                 "AND ? GROUP BY rag", [first.isoformat(), last.isoformat()]))
        assert set(rags) == {"green", "amber", "red"}, (first, rags)
        assert sum(rags.values()) >= 60  # about two a child a year
        assert rags["green"] > rags["red"]
    # looked-after reviews about every six months: most children have five or more
    per_child = [n for (n,) in _rows(store, "SELECT count(*) FROM reviews GROUP BY child_id")]
    assert sorted(per_child)[len(per_child) // 2] >= 5


def test_every_month_has_reviews_and_judgements_drift_and_recover(built):
    store, _ = built
    months = dict(_rows(store, "SELECT substr(held_on, 1, 7), count(*) FROM reviews "
                               "GROUP BY 1"))
    for n in range(1, 31):  # the first months fill as the first reviews come round
        assert months.get(_add_months(DEMO_AS_OF, -n).strftime("%Y-%m"), 0) >= 3
    # a child's plan can go amber or red and come back to green
    histories = {}
    for child_id, rag in _rows(store, "SELECT child_id, rag FROM reviews "
                                      "ORDER BY child_id, held_on, id"):
        histories.setdefault(child_id, []).append(rag)
    recovered = [h for h in histories.values()
                 if any(a in ("amber", "red") and b == "green" for a, b in pairwise(h))]
    drifted = [h for h in histories.values()
               if any(a == "green" and b in ("amber", "red") for a, b in pairwise(h))]
    assert len(recovered) >= 10 and len(drifted) >= 10
    assert _count(store, "SELECT count(*) FROM events WHERE kind = 'drift_prompt'") > 0


def test_every_review_was_recorded_on_the_form_and_its_decisions_answered(built):
    store, _ = built
    assert _count(store, "SELECT count(*) FROM reviews r WHERE NOT EXISTS (SELECT 1 FROM "
                         "events e WHERE e.review_id = r.id AND e.kind = 'review_recorded')") == 0
    assert _count(store, "SELECT count(*) FROM reviews WHERE data = '{}'") == 0
    statuses = dict(_rows(store, "SELECT reply_status, count(*) FROM reviews GROUP BY 1"))
    answered = statuses.get("agreed", 0) + statuses.get("disputed", 0)
    assert answered >= 0.8 * sum(statuses.values())
    assert statuses.get("disputed", 0) > 0
    # managers acknowledged most amber and red judgements they were sent
    routed = _count(store, "SELECT count(*) FROM notifications n JOIN events e "
                           "ON e.id = n.event_id WHERE e.kind = 'rag_routed'")
    read = _count(store, "SELECT count(*) FROM notifications n JOIN events e "
                         "ON e.id = n.event_id WHERE e.kind = 'rag_routed' "
                         "AND n.read_at IS NOT NULL")
    assert routed and read >= 0.8 * routed


# -- alerts -----------------------------------------------------------------------------------


def test_alerts_reach_every_level_of_each_track(built):
    store, _ = built
    reached = {}
    for track, level in _rows(store, "SELECT a.track, json_extract(e.data, '$.level') FROM "
                                     "events e JOIN alerts a ON a.id = e.alert_id "
                                     "WHERE e.kind IN ('raised', 'escalated')"):
        reached.setdefault(track, set()).add(level)
    for track in store.policy.tracks.values():
        assert reached[track.id] == {"informal", *(lvl.role for lvl in track.levels)}, track.id


def test_most_alerts_are_settled_informally_or_at_level_one(built):
    store, _ = built
    closed = _rows(store, "SELECT track, level FROM alerts WHERE status != 'open'")
    low = [1 for track, level in closed
           if level == "informal" or store.policy.track(track).level(level).number == 1]
    assert len(closed) >= 60
    assert len(low) >= 0.6 * len(closed)
    top = [1 for track, level in closed if level != "informal"
           and store.policy.track(track).level(level).number == len(
               store.policy.track(track).levels)]
    assert 0 < len(top) <= 0.15 * len(closed)


def test_alerts_are_resolved_withdrawn_escalated_by_silence_extended_and_late(built):
    store, _ = built
    statuses = dict(_rows(store, "SELECT status, count(*) FROM alerts GROUP BY 1"))
    assert statuses["resolved"] > statuses["withdrawn"] > 0
    assert statuses.get("open", 0) > 0
    kinds = dict(_rows(store, "SELECT kind || ':' || coalesce(rule, ''), count(*) FROM events "
                              "WHERE alert_id IS NOT NULL GROUP BY 1"))
    escalates = any(lvl.on_silence == "escalate" for t in store.policy.tracks.values()
                    for lvl in t.levels[:-1])
    if escalates:
        assert kinds.get("escalated:silence_escalates", 0) > 0  # silence moved it up
    assert kinds.get("overdue:silence_prompts", 0) > 0  # silence prompted the reviewer
    assert kinds.get("escalated:", 0) > 0  # the reviewer escalated by hand
    assert kinds.get("extension_requested:", 0) > kinds.get("extension_agreed:", 0) > 0
    assert kinds.get("acknowledged:", 0) > 0
    # a few ran past the formal time limit
    breached = _count(store, "SELECT count(DISTINCT alert_id) FROM events "
                             "WHERE kind = 'formal_breached'")
    assert 0 < breached <= 0.15 * sum(statuses.values())
    # every response is one of the four outcomes, by the person the alert waited for
    outcomes = {json.loads(d)["outcome"] for (d,) in _rows(
        store, "SELECT data FROM events WHERE kind = 'responded'")}
    assert outcomes <= {"agree", "uphold", "alternative", "no_action"} and len(outcomes) >= 3


def test_alerts_every_quarter_and_year_for_every_team(built):
    store, _ = built
    counts = [_count(store, "SELECT count(*) FROM alerts WHERE raised_on BETWEEN ? AND ?",
                     [first.isoformat(), last.isoformat()]) for first, last in _quarters()]
    assert counts[0] >= 1 and min(counts[1:]) >= 2, counts  # the first as reviews come round
    assert sum(counts) / len(counts) >= 6, counts
    teams = {r[0] for r in _rows(store, "SELECT DISTINCT team_id FROM children")}
    for first, last in _years():
        window = [first.isoformat(), last.isoformat()]
        raised = {r[0] for r in _rows(store, "SELECT DISTINCT c.team_id FROM alerts a JOIN "
                                             "children c ON c.id = a.child_id WHERE "
                                             "a.raised_on BETWEEN ? AND ?", window)}
        assert raised == teams
        noted = {r[0] for r in _rows(store, "SELECT DISTINCT team_id FROM good_practice "
                                            "WHERE recorded_on BETWEEN ? AND ?", window)}
        assert len(noted) >= 3
        changes = _count(store, "SELECT count(*) FROM significant_changes "
                                "WHERE notified_on BETWEEN ? AND ?", window)
        assert changes >= 10


def test_every_alert_and_change_has_its_events_dated_in_order(built):
    store, _ = built
    assert _count(store, "SELECT count(*) FROM alerts a WHERE NOT EXISTS (SELECT 1 FROM events "
                         "e WHERE e.alert_id = a.id AND e.kind = 'raised')") == 0
    # within an alert, events are in date order (the rules dated what time did)
    for (alert_id,) in _rows(store, "SELECT id FROM alerts"):
        dates = [d for (d,) in _rows(store, "SELECT occurred_on FROM events WHERE alert_id = ? "
                                            "ORDER BY id", [alert_id])]
        assert dates == sorted(dates)
    assert _count(store, "SELECT max(occurred_on) FROM events") <= DEMO_AS_OF.isoformat()
    statuses = dict(_rows(store, "SELECT status, count(*) FROM significant_changes GROUP BY 1"))
    assert statuses.get("no_review", 0) > 0 and statuses.get("review_booked", 0) > 0


def test_the_history_was_played_without_a_refusal(built):
    _, report = built
    assert report.refused == []
    assert report.steps > 1000


def test_child_protection_children_only_where_the_policy_has_that_track(built):
    store, _ = built
    statuses = {r["legal_status"] for r in store.db.query("SELECT legal_status FROM children")}
    expected = {"looked_after", "child_protection"} if "cp" in store.policy.tracks \
        else {"looked_after"}
    assert statuses == expected


# -- synthetic and deterministic ---------------------------------------------------------------


def test_demo_is_synthetic(built):
    store, _ = built
    emails = [r["email"] for r in store.db.query("SELECT email FROM staff")]
    assert all(e.endswith(".invalid") for e in emails)
    refs = [r["case_ref"] for r in store.db.query("SELECT case_ref FROM children")]
    assert all(ref.startswith("DEMO-") for ref in refs)
    for (name,) in _rows(store, "SELECT name FROM children UNION ALL SELECT name FROM staff"):
        first, last = name.split(" ")
        assert first in FIRST_NAMES and last in SURNAMES
    texts = _rows(store, "SELECT concern, outcome_sought FROM alerts")
    assert all(c.startswith("Demo") and o.startswith("Demo") for c, o in texts)
    assert all(what.startswith("Demo") for (what,) in _rows(store, "SELECT what FROM "
                                                                   "good_practice"))
    assert all(d.startswith("Demo") for (d,) in _rows(store, "SELECT description FROM "
                                                             "significant_changes"))
    recipients = {a for (to,) in _rows(store, "SELECT to_addrs || ', ' || cc_addrs FROM outbox")
                  for a in to.split(", ") if a}
    assert recipients and all(a.endswith(".invalid") for a in recipients)


def test_two_demos_made_the_same_day_have_the_same_event_log(tmp_path):
    one = create_store(tmp_path / "a.db", "seed-002", demo=True, as_of=DEMO_AS_OF)
    two = create_store(tmp_path / "b.db", "seed-002", demo=True, as_of=DEMO_AS_OF)
    columns = [c for c in one.db["events"].columns_dict if c != "recorded_at"]
    query = f"SELECT {', '.join(columns)} FROM events ORDER BY id"
    log = _rows(one, query)
    assert len(log) > 1000 and log == _rows(two, query)
    for table in ("children", "staff", "reviews", "alerts", "significant_changes",
                  "good_practice", "notifications"):
        assert _rows(one, f"SELECT * FROM {table} ORDER BY id") == \
            _rows(two, f"SELECT * FROM {table} ORDER BY id"), table
    one.db.close()
    two.db.close()
