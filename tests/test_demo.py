"""Synthetic demo data: enough for every screen, and never anything that looks real."""

from __future__ import annotations

import pytest

from rules.policy import load_preset
from tests.conftest import DEMO_AS_OF
from usecases.store import create_store

SEEDS = ["seed-000", "seed-001", "seed-002", "seed-003", "seed-004"]


@pytest.mark.parametrize("seed", SEEDS)
def test_demo_has_staff_for_every_role_the_policy_names(tmp_path, seed):
    store = create_store(tmp_path / "d.db", seed, demo=True, as_of=DEMO_AS_OF)
    roles = {r["role"] for r in store.db.query("SELECT DISTINCT role FROM staff")}
    named = set(load_preset(seed).roles()) - {"line_manager"}
    assert named <= roles
    assert {"iro", "social_worker", "team_manager", "admin"} <= roles
    store.db.close()


@pytest.mark.parametrize("seed", SEEDS)
def test_demo_has_children_reviews_and_alerts(tmp_path, seed):
    store = create_store(tmp_path / "d.db", seed, demo=True, as_of=DEMO_AS_OF)
    db = store.db
    assert db["children"].count == 60
    assert db["reviews"].count >= 60
    rags = {r["rag"] for r in db.query("SELECT DISTINCT rag FROM reviews")}
    assert rags == {"red", "amber", "green"}
    assert db["alerts"].count >= 5
    levels = {r["level"] for r in db.query("SELECT DISTINCT level FROM alerts")}
    assert "informal" in levels and len(levels) >= 2
    latest = next(db.query("SELECT max(held_on) AS d FROM reviews"))["d"]
    assert latest <= DEMO_AS_OF.isoformat()
    # every alert and review has its event in the log
    assert next(db.query(
        "SELECT count(*) AS n FROM alerts a WHERE NOT EXISTS "
        "(SELECT 1 FROM events e WHERE e.alert_id = a.id AND e.kind = 'raised')"))["n"] == 0
    store.db.close()


def test_demo_is_synthetic_and_deterministic(tmp_path):
    one = create_store(tmp_path / "a.db", "seed-001", demo=True, as_of=DEMO_AS_OF)
    two = create_store(tmp_path / "b.db", "seed-001", demo=True, as_of=DEMO_AS_OF)
    emails = [r["email"] for r in one.db.query("SELECT email FROM staff")]
    assert all(e.endswith(".invalid") for e in emails)
    refs = [r["case_ref"] for r in one.db.query("SELECT case_ref FROM children")]
    assert all(ref.startswith("DEMO-") for ref in refs)
    query = "SELECT name, date_of_birth, legal_status FROM children ORDER BY id"
    assert list(one.db.query(query)) == list(two.db.query(query))
    one.db.close()
    two.db.close()


def test_child_protection_children_only_where_the_policy_has_that_track(tmp_path):
    store = create_store(tmp_path / "d.db", "seed-004", demo=True, as_of=DEMO_AS_OF)
    statuses = {r["legal_status"] for r in store.db.query("SELECT legal_status FROM children")}
    assert statuses == {"looked_after"}
    store.db.close()
