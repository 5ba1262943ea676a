"""Every list holds only what the person may see, and every opening and refusal is in the
access audit. Synthetic demo data (seed-001)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.page_support import AS_OF, demo_store, user_with_role
from usecases import access
from usecases.access import AccessRefused
from usecases.alert_lists import all_open, open_on_reviewer_children
from usecases.alert_view import alert_view
from usecases.audit import audit_entries
from usecases.children import child_record, children_for, home_counts
from usecases.errors import UserError
from usecases.inbox import inbox

NOW = dt.datetime.combine(AS_OF, dt.time(10), tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return demo_store(tmp_path_factory.mktemp("lists"))


def _refs(store, sql: str, *params) -> set[str]:
    return {r[0] for r in store.db.execute(sql, params).fetchall()}


def test_an_iro_lists_their_caseload_only(store):
    iro = user_with_role(store, "iro")
    _, children = children_for(store, iro)
    assert {c["case_ref"] for c in children} == _refs(
        store, "SELECT case_ref FROM children WHERE reviewer_id = ?", iro.staff_id)
    alerts = {a["ref"] for a in all_open(store, iro, AS_OF)}
    assert alerts == {a["ref"] for a in open_on_reviewer_children(store, iro, AS_OF)}
    assert alerts == _refs(store, "SELECT a.ref FROM alerts a JOIN children c ON c.id = "
                                  "a.child_id WHERE a.status = 'open' AND c.reviewer_id = ?",
                           iro.staff_id)


def test_a_team_manager_lists_the_children_in_their_line(store):
    manager = user_with_role(store, "team_manager")
    title, children = children_for(store, manager)
    assert title == f"Children of {manager.team_name}"
    assert {c["case_ref"] for c in children} == _refs(
        store, "SELECT c.case_ref FROM children c JOIN staff sw ON sw.id = c.social_worker_id "
               "JOIN staff pm ON pm.id = sw.line_manager_id WHERE pm.line_manager_id = ?",
        manager.staff_id)
    assert not any(c["summary_only"] for c in children)
    decisions = [r for r in inbox(store, manager, AS_OF) if r.kind == "decisions"]
    assert {r.child_ref for r in decisions} <= {c["case_ref"] for c in children}


def test_the_principal_iro_and_a_head_of_service_list_every_child(store):
    every = _refs(store, "SELECT case_ref FROM children")
    for role in ("principal_iro", "head_of_service"):
        _, children = children_for(store, user_with_role(store, role))
        assert {c["case_ref"] for c in children} == every
    principal = user_with_role(store, "principal_iro")
    assert {a["ref"] for a in all_open(store, principal, AS_OF)} == _refs(
        store, "SELECT ref FROM alerts WHERE status = 'open'")


def test_the_administrator_lists_and_counts_nothing(store):
    admin = user_with_role(store, "admin")
    with pytest.raises(AccessRefused, match="see no child's record and no alert"):
        children_for(store, admin)
    assert access.visible_children(store, admin) == []
    assert access.visible_alert_ids(store, admin) == set()
    counts = home_counts(store, admin)
    assert (counts.children, counts.reviews, counts.alerts_open, counts.events) == (0, 0, 0, 0)
    assert all_open(store, admin, AS_OF) == []


def test_home_counts_follow_what_the_person_may_see(store):
    iro = user_with_role(store, "iro")
    counts = home_counts(store, iro)
    mine = _refs(store, "SELECT id FROM children WHERE reviewer_id = ?", iro.staff_id)
    assert counts.children == len(mine)
    hos = home_counts(store, user_with_role(store, "head_of_service"))
    assert hos.children == store.db["children"].count
    assert hos.alerts_open == store.db.execute(
        "SELECT count(*) FROM alerts WHERE status = 'open'").fetchone()[0]


def test_opening_and_refusing_are_audited_with_the_rule(store):
    iro = user_with_role(store, "iro")
    mine = next(store.db.query("SELECT case_ref FROM children WHERE reviewer_id = ? LIMIT 1",
                               [iro.staff_id]))["case_ref"]
    other = next(store.db.query(
        "SELECT c.case_ref, a.ref FROM children c JOIN alerts a ON a.child_id = c.id "
        "WHERE c.reviewer_id != ? LIMIT 1", [iro.staff_id]))
    before = len(audit_entries(store, email=iro.email))
    child_record(store, iro, mine, NOW)
    with pytest.raises(AccessRefused):
        child_record(store, iro, other["case_ref"], NOW)
    with pytest.raises(AccessRefused):
        alert_view(store, iro, other["ref"], AS_OF, NOW)
    entries = audit_entries(store, email=iro.email)[before:]
    assert [(e["kind"], e["subject"], e["subject_ref"], e["allowed"]) for e in entries] == [
        ("opened", "child", mine, 1), ("refused", "child", other["case_ref"], 0),
        ("refused", "alert", other["ref"], 0)]
    assert entries[0]["detail"].endswith("is this child's IRO, so may see and act on the "
                                         "child's record.")
    assert "not this child's reviewer" in entries[1]["detail"]
    assert entries[0]["at"] == "2026-11-23T10:00:00Z"


def test_an_unknown_child_or_alert_is_said_plainly_and_not_audited(store):
    iro = user_with_role(store, "iro")
    before = len(audit_entries(store, email=iro.email))
    with pytest.raises(UserError, match=r"There is no child with case reference NOPE\."):
        child_record(store, iro, "NOPE", NOW)
    with pytest.raises(UserError, match=r"There is no alert NOPE\."):
        alert_view(store, iro, "NOPE", AS_OF, NOW)
    assert len(audit_entries(store, email=iro.email)) == before
