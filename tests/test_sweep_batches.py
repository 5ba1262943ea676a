"""The later sweeps (permanence, practice concerns, monthly digests) commit in batches and say
what each batch wrote once it is committed, like the alerts' and the reviews' sweeps.

Each callback below opens its own connection to the store file: what it was given must
already be there for anyone else to read, and nothing of a later batch yet. Every child and
member of staff is synthetic.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from db.connection import write_transaction
from db.people import insert_child, insert_staff, insert_team
from tests.page_support import demo_store
from tests.support import D, new_store
from usecases.access import person
from usecases.digests import send_monthly_digests
from usecases.permanence import record_placement, sweep_permanence
from usecases.practice_concerns import refer_concern, sweep_concerns
from usecases.store import Store
from usecases.sweeping import sweep_all

#: Seed 002: 15 working days from Mon 14 Dec 2026 is Thu 7 Jan 2027 (three bank holidays
#: between), so an unanswered concern escalates on the next working day, Fri 8 Jan 2027.
REFERRED = D(2026, 12, 14)
ESCALATES = D(2027, 1, 8)
#: Seed 004: placed with parents on 15 Mar 2026, referred a year on, Mon 15 Mar 2027.
PLACED = D(2026, 3, 15)
A_YEAR_ON = D(2027, 3, 15)


def _read(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """What another process sees: its own connection, only what is committed."""
    other = sqlite3.connect(str(path))
    try:
        return other.execute(sql, params).fetchall()
    finally:
        other.close()


def _watch(check: Callable[[list[dict]], None]) -> tuple[list[list[dict]], Callable]:
    """A callback that runs ``check`` on each batch, then keeps it."""
    seen: list[list[dict]] = []

    def committed(records: list[dict]) -> None:
        check(records)
        seen.append(records)

    return seen, committed


def _counts(path: Path) -> tuple[int, int, int]:
    """Events, in-app notifications and queued mails: all a rerun must leave as they are."""
    return _read(path, "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM "
                       "notifications), (SELECT count(*) FROM outbox)")[0]


# -- permanence --------------------------------------------------------------------------------


def _placed_children(store: Store, n: int) -> None:
    """``n`` looked-after children placed with parents on PLACED, recorded by their worker."""
    with write_transaction(store.db):
        team = insert_team(store.db, "Test Team")
        sm = insert_staff(store.db, name="Sam Manager", email="sm@example.invalid",
                          role="service_manager")
        sw = insert_staff(store.db, name="Sol Worker", email="sw@example.invalid",
                          role="social_worker", team_id=team, line_manager_id=sm)
        iro = insert_staff(store.db, name="Ida Reviewer", email="iro@example.invalid",
                           role="iro")
        for i in range(n):
            insert_child(store.db, case_ref=f"C-{i}", name="Test Child", date_of_birth=None,
                         legal_status="looked_after", team_id=team, social_worker_id=sw,
                         reviewer_id=iro)
    worker = person(store, staff_id=sw)
    for i in range(n):
        on = D(2026, 4, 1)
        record_placement(store, child_ref=f"C-{i}", placed_with_parents_since=PLACED,
                         permanence_plan=None, permanence_decision_on=None,
                         permanence_placed_on=None, user=worker, on=on,
                         now=dt.datetime.combine(on, dt.time(10), tzinfo=dt.UTC))


def _referred(path: Path) -> list[tuple[str, str]]:
    """The referrals committed, with the message each one's service manager was sent."""
    return _read(path, """
        SELECT c.case_ref, e.occurred_on FROM events e JOIN children c ON c.id = e.child_id
        WHERE e.kind = 'permanence_referral'
          AND EXISTS (SELECT 1 FROM outbox o WHERE o.event_id = e.id)
        ORDER BY e.id""")


def test_permanence_referrals_are_reported_a_committed_batch_at_a_time(tmp_path):
    store = new_store(tmp_path, "seed-004")
    _placed_children(store, 5)
    so_far: list[tuple[str, str]] = []

    def check(records: list[dict]) -> None:
        so_far.extend((r["child"], r["date"]) for r in records)
        assert _referred(store.path) == so_far  # this batch, with its mail; no later one

    seen, committed = _watch(check)
    written = sweep_permanence(store, A_YEAR_ON, batch_size=2, on_committed=committed)
    assert [len(batch) for batch in seen] == [2, 2, 1]
    assert [r for batch in seen for r in batch] == written
    assert {r["date"] for r in written} == {A_YEAR_ON.isoformat()}
    before = _counts(store.path)
    again, committed = _watch(lambda records: None)
    assert sweep_permanence(store, A_YEAR_ON, batch_size=2, on_committed=committed) == []
    assert again == [] and _counts(store.path) == before


# -- practice concerns -------------------------------------------------------------------------


def _concerns(store: Store, n: int) -> None:
    """``n`` concerns about one IRO, referred on REFERRED and never answered."""
    with write_transaction(store.db):
        team = insert_team(store.db, "Test Team")
        ids = {role: insert_staff(store.db, name=f"Test {role}", email=f"{role}@example.invalid",
                                  role=role, team_id=team)
               for role in ("deputy_head_of_service", "qa_head_of_service", "iro",
                            "social_worker")}
    worker = person(store, staff_id=ids["social_worker"])
    for i in range(n):
        refer_concern(store, about_staff_id=ids["iro"], child_ref=None,
                      concern=f"Review {i} was held without the child's mother being invited.",
                      user=worker, on=REFERRED,
                      now=dt.datetime.combine(REFERRED, dt.time(10), tzinfo=dt.UTC))


def _escalated(path: Path) -> list[int]:
    """The concerns whose escalation is committed, with its projection and its mail."""
    return [row[0] for row in _read(path, """
        SELECT json_extract(e.data, '$.concern_id') FROM events e
        JOIN practice_concerns p ON p.id = json_extract(e.data, '$.concern_id')
        WHERE e.kind = 'practice_concern_escalated' AND p.status = 'escalated'
          AND EXISTS (SELECT 1 FROM outbox o WHERE o.event_id = e.id)
        ORDER BY e.id""")]


def test_concern_escalations_are_reported_a_committed_batch_at_a_time(tmp_path):
    store = new_store(tmp_path, "seed-002")
    _concerns(store, 3)
    so_far: list[int] = []

    def check(records: list[dict]) -> None:
        so_far.extend(r["concern"] for r in records)
        assert _escalated(store.path) == so_far

    seen, committed = _watch(check)
    assert sweep_concerns(store, ESCALATES - dt.timedelta(days=1), batch_size=2,
                          on_committed=committed) == []
    written = sweep_concerns(store, ESCALATES, batch_size=2, on_committed=committed)
    assert [len(batch) for batch in seen] == [2, 1]
    assert [r for batch in seen for r in batch] == written
    assert {r["date"] for r in written} == {ESCALATES.isoformat()}
    before = _counts(store.path)
    again, committed = _watch(lambda records: None)
    assert sweep_concerns(store, ESCALATES, batch_size=2, on_committed=committed) == []
    assert again == [] and _counts(store.path) == before


# -- monthly digests ---------------------------------------------------------------------------


def _digests(path: Path) -> list[tuple[str, str]]:
    """The digests committed, each with its in-app copy."""
    return _read(path, """
        SELECT o.to_addrs, o.subject FROM outbox o
        WHERE o.kind = 'digest' AND EXISTS (
            SELECT 1 FROM notifications n JOIN staff s ON s.id = n.staff_id
            WHERE s.email = o.to_addrs AND n.subject = o.subject)
        ORDER BY o.id""")


def _marker(path: Path) -> int:
    return _read(path, "SELECT count(*) FROM events WHERE kind = 'monthly_digests'")[0][0]


def test_digests_are_reported_a_committed_batch_at_a_time(tmp_path):
    store = demo_store(tmp_path)  # made on 23 Nov 2026: December's are due on Tue 1 Dec
    so_far: list[tuple[str, str]] = []

    def check(records: list[dict]) -> None:
        so_far.extend((r["to"], r["subject"]) for r in records)
        assert _digests(store.path) == so_far
        assert _marker(store.path) == 0  # the month is marked done only once all are queued

    seen, committed = _watch(check)
    written = send_monthly_digests(store, D(2026, 12, 1), batch_size=2, on_committed=committed)
    assert len(seen) >= 2 and all(len(batch) <= 2 for batch in seen)
    assert [r for batch in seen for r in batch] == written
    assert _marker(store.path) == 1
    before = _counts(store.path)
    again, committed = _watch(lambda records: None)
    for day in (D(2026, 12, 1), D(2026, 12, 15)):
        assert send_monthly_digests(store, day, batch_size=2, on_committed=committed) == []
    assert again == [] and _counts(store.path) == before


def test_digests_stopped_halfway_are_finished_by_the_next_sweep_each_once(tmp_path):
    store = demo_store(tmp_path)
    (tmp_path / "twin").mkdir()
    twin = demo_store(tmp_path / "twin")  # the same demo, swept without a stop
    everyone = [(r["to"], r["subject"]) for r in send_monthly_digests(twin, D(2026, 12, 1))]
    assert len(everyone) > 2

    def stop(records: list[dict]) -> None:
        raise KeyboardInterrupt  # killed just after the first batch committed

    with pytest.raises(KeyboardInterrupt):
        send_monthly_digests(store, D(2026, 12, 1), batch_size=2, on_committed=stop)
    first = _digests(store.path)
    assert len(first) == 2 and _marker(store.path) == 0
    rest = send_monthly_digests(store, D(2026, 12, 3), batch_size=2)
    assert first + [(r["to"], r["subject"]) for r in rest] == _digests(store.path) == everyone
    assert _marker(store.path) == 1


# -- all of them -------------------------------------------------------------------------------


def test_sweep_all_reports_every_sweeps_batches_as_they_commit(tmp_path):
    store = demo_store(tmp_path)
    seen: list[dict] = []
    written = sweep_all(store, D(2026, 12, 1), on_committed=seen.extend)
    assert seen == written
    assert any("digest" in r for r in seen) and any("alert" in r for r in seen)
    before = _counts(store.path)
    assert sweep_all(store, D(2026, 12, 1), on_committed=seen.extend) == []
    assert seen == written and _counts(store.path) == before
