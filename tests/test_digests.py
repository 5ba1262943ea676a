"""Monthly digests: on the first working day of the month, once, whenever the sweep runs."""

from __future__ import annotations

from tests.page_support import demo_store
from tests.support import D
from usecases.sweeping import sweep_all


def _digests(store):
    return list(store.db.query("SELECT * FROM outbox WHERE kind = 'digest' ORDER BY id"))


def test_digests_on_the_first_working_day_once(tmp_path):
    store = demo_store(tmp_path)  # made on 23 Nov 2026
    sweep_all(store, D(2026, 11, 30))
    assert _digests(store) == []
    made = [r for r in sweep_all(store, D(2026, 12, 1)) if "digest" in r]
    mails = _digests(store)
    assert len(made) == len(mails) >= 2
    director = next(store.db.query(
        "SELECT email FROM staff WHERE role = 'divisional_director' LIMIT 1"))["email"]
    summary = [m for m in mails if m["to_addrs"] == director]
    assert len(summary) == 1
    assert summary[0]["subject"].startswith("Outstanding alerts on 1 Dec 2026:")
    managers = [m for m in mails if m["to_addrs"] != director]
    assert all(m["subject"].startswith("Your outstanding alerts on 1 Dec 2026: ")
               for m in managers)
    assert all(m["next_attempt_at"] == "2026-12-01T07:00:00" for m in mails)
    assert not [r for r in sweep_all(store, D(2026, 12, 1)) if "digest" in r]
    sweep_all(store, D(2026, 12, 15))
    assert len(_digests(store)) == len(mails)


def test_a_late_sweep_still_makes_the_months_digests_dated_their_day(tmp_path):
    store = demo_store(tmp_path)
    sweep_all(store, D(2026, 12, 31))
    december = _digests(store)
    assert december
    sweep_all(store, D(2027, 1, 1))  # New Year's Day: January's are not due yet
    assert len(_digests(store)) == len(december)
    sweep_all(store, D(2027, 1, 6))
    january = _digests(store)[len(december):]
    assert january
    assert {m["next_attempt_at"] for m in january} == {"2027-01-04T07:00:00"}
    marker = list(store.db.query(
        "SELECT occurred_on, rule, policy_id FROM events WHERE kind = 'monthly_digests' "
        "ORDER BY id"))
    assert [m["occurred_on"] for m in marker] == ["2026-12-01", "2027-01-04"]
    assert {m["rule"] for m in marker} == {"monthly_digest"}
