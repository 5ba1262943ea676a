"""The sweeps find what is due through an index: their cost grows with what is due.

Issue 15: the alert sweep's query used the index on (status, due) and so visited every
open alert each night. These read SQLite's own query plan on a store with open alerts,
and time nothing (speed is measured in ``bench/``).
"""

from __future__ import annotations

import pytest

from db.alerts import ALERTS_TO_CHECK_SQL, alert_ids_to_check
from db.practice_concerns import CONCERNS_TO_CHECK_SQL
from db.reviews import REVIEWS_TO_CHECK_SQL
from tests.support import D, new_store, raise_at


def _plan(db, sql: str) -> list[str]:
    return [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql, ["2027-01-01"])]


@pytest.mark.parametrize(("sql", "index"), [
    (ALERTS_TO_CHECK_SQL, "idx_alerts_next_check (next_check_on<?)"),
    (REVIEWS_TO_CHECK_SQL, "idx_reviews_next_check (next_check_on>? AND next_check_on<?)"),
    (CONCERNS_TO_CHECK_SQL, "idx_practice_concerns_check (status=? AND next_check_on>? AND "
                            "next_check_on<?)"),
])
def test_each_sweep_searches_its_next_check_index(tmp_path, sql, index):
    store = new_store(tmp_path, "seed-001")
    for n in range(20):
        raise_at(store, D(2026, 12, 14), ref=f"A{n}", child=f"C-{n}")
    store.db.execute("ANALYZE")  # whatever the statistics say, the plan stays
    plan = _plan(store.db, sql)
    assert any(step.endswith(f"INDEX {index}") for step in plan), plan
    assert not any(step.startswith("SCAN") for step in plan), plan


def test_the_alert_sweep_picks_only_alerts_whose_next_check_has_come(tmp_path):
    store = new_store(tmp_path, "seed-001")
    for n in range(5):
        raise_at(store, D(2026, 12, 14), ref=f"A{n}", child=f"C-{n}")
    checks = sorted(r[0] for r in store.db.execute("SELECT next_check_on FROM alerts"))
    assert alert_ids_to_check(store.db, D(2026, 12, 14)) == []
    due = alert_ids_to_check(store.db, D.fromisoformat(checks[0]))
    assert len(due) == 5
