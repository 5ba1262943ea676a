"""Sixteen processes writing to one store at once: every write waits its turn and succeeds.

Each process opens the store itself, as a Streamlit server, a cron sweep and an operator's
command do, and works for a few seconds through the real use cases: raising alerts and
responding to them, sweeping, adding people who can sign in, importing histories. Each
says what it wrote; the store must then hold exactly that: nothing lost, nothing written
twice. The only refusal allowed is the one a sequential run would give too (a second
account for one e-mail).
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

from tests.support import D, new_store, raise_at

#: How long each process keeps writing once they have all started.
WORK_SECONDS = 4.0
#: The day the sweepers sweep to; the writers' alerts start after it, so the two never
#: decide about the same alert (the sweep's own contention is with the pre-seeded ones).
SWEEP_AS_OF = D(2027, 1, 20)
WRITER_RAISED_ON = D(2027, 2, 1)
SEEDED_ALERTS = 30
DERIVED_PER_SEEDED_ALERT = 7  # three escalations, at risk, breached, overdue, CAFCASS prompt
#: E-mail addresses every account adder tries: one of them must get each, the rest a refusal.
SHARED_EMAILS = [f"shared-{n}@example.org" for n in range(6)]
ROLES = ["writer"] * 7 + ["sweeper"] * 3 + ["adder"] * 4 + ["importer"] * 2
#: Each importer's files: resolved alerts on children of its own, 5 rows each, so that
#: every file goes in several chunks (``usecases.import_events.CHUNK_ROWS``).
IMPORT_ALERTS = 120
IMPORT_AS_OF = SWEEP_AS_OF
PASSWORD = "correct horse battery"


def _work(path: str, role: str, index: int, start, results) -> None:
    """One process's share: open the store, wait for the others, write until time is up.

    Runs in a spawned process, so it imports everything itself. Every outcome is reported,
    an unexpected exception with its traceback, so the test can say exactly what failed.
    """
    report: dict[str, Any] = {"role": role, "index": index, "event_ids": [], "raised": [],
                              "sweep_alert_records": [], "digests": 0, "staff": [],
                              "refused": [], "failures": [], "operations": 0, "imported": []}
    try:
        from db.connection import close_thread_connections
        from tests.import_support import resolved_alerts_csv
        from tests.support import act
        from usecases.accounts import AccountInvalid, add_user
        from usecases.import_events import import_events
        from usecases.store import open_store
        from usecases.sweeping import sweep_all

        store = open_store(path)
        start.wait(timeout=120)
        deadline = time.monotonic() + WORK_SECONDS
        n = 0
        while time.monotonic() < deadline:
            n += 1
            report["operations"] += 1
            try:
                if role == "writer":
                    ref = f"W{index}-{n}"
                    raised = raise_at(store, WRITER_RAISED_ON, ref=ref, child=f"C-{index}-{n}")
                    report["raised"].append(ref)
                    report["event_ids"] += raised.event_ids
                    answered = act(store, "responded", D(2027, 2, 2), ref=ref,
                                   actor_role="social_worker", outcome="agree")
                    report["event_ids"] += answered.event_ids
                elif role == "sweeper":
                    for record in sweep_all(open_store(path), SWEEP_AS_OF):
                        if "alert" in record:
                            report["sweep_alert_records"].append(
                                (record["alert"], record["event"], record["date"]))
                        elif "digest" in record:
                            report["digests"] += 1
                elif role == "importer":
                    prefix = f"I{index}x{n}x"
                    result = import_events(store, resolved_alerts_csv(prefix, IMPORT_ALERTS),
                                           as_of=IMPORT_AS_OF)
                    report["imported"].append((prefix, result.import_id, result.events))
                else:
                    shared = SHARED_EMAILS[n - 1] if n <= len(SHARED_EMAILS) else None
                    email = shared or f"p{index}-{n}@example.org"
                    try:
                        staff_id = add_user(store, name=f"Person {index}-{n}", email=email,
                                            role="iro", password=PASSWORD, as_of=D(2027, 1, 4))
                        report["staff"].append((email, staff_id))
                    except AccountInvalid as exc:
                        if shared and exc.errors == {"email": f"{email} already has an account."}:
                            report["refused"].append(email)
                        else:
                            raise
            except Exception as exc:  # every failure is reported, then judged
                report["failures"].append(f"{role} {index} op {n}: {type(exc).__name__}: {exc}\n"
                                          + traceback.format_exc())
        close_thread_connections()
    except Exception:  # reported, not lost in a child process
        report["failures"].append(f"{role} {index} setting up: " + traceback.format_exc())
    results.put(report)


def _seed(tmp_path: Path) -> Path:
    """A store with alerts a sweep on ``SWEEP_AS_OF`` has work to do on."""
    store = new_store(tmp_path, "seed-001")
    for n in range(SEEDED_ALERTS):
        raise_at(store, D(2026, 12, 14), "service_manager", gate="HoS agreed", ref=f"S{n}",
                 child=f"S-{n}")
    store.db.close()
    return store.path


def test_sixteen_processes_write_at_once_and_nothing_is_lost_or_doubled(tmp_path):
    path = _seed(tmp_path)
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(len(ROLES))
    results = ctx.Queue()
    began = time.monotonic()
    procs = [ctx.Process(target=_work, args=(str(path), role, index, start, results))
             for index, role in enumerate(ROLES)]
    for proc in procs:
        proc.start()
    reports: list[dict[str, Any]] = []
    try:
        for _ in procs:
            reports.append(results.get(timeout=150))
    except queue.Empty:
        pass
    for proc in procs:
        proc.join(timeout=30)
        if proc.is_alive():
            proc.kill()
    elapsed = time.monotonic() - began
    assert len(reports) == len(ROLES), f"only {len(reports)} processes reported"
    failures = [f for r in reports for f in r["failures"]]
    assert failures == [], "\n\n".join(failures)

    from db.connection import open_db

    db = open_db(path)
    try:
        _check_alert_writers(db, [r for r in reports if r["role"] == "writer"])
        _check_sweepers(db, [r for r in reports if r["role"] == "sweeper"])
        _check_adders(db, [r for r in reports if r["role"] == "adder"])
        _check_importers(db, [r for r in reports if r["role"] == "importer"])
    finally:
        db.close()
    assert sum(r["operations"] for r in reports) >= len(ROLES)
    print(f"{sum(r['operations'] for r in reports)} operations in {elapsed:.1f}s")


def _check_alert_writers(db, reports: list[dict[str, Any]]) -> None:
    """Every alert each writer raised is there once, with exactly the events it reported."""
    raised = [ref for r in reports for ref in r["raised"]]
    assert raised, "no writer raised an alert"
    in_store = [row["ref"] for row in db.query("SELECT ref FROM alerts WHERE ref LIKE 'W%'")]
    assert sorted(in_store) == sorted(raised)
    reported = [i for r in reports for i in r["event_ids"]]
    assert len(reported) == len(set(reported)), "an event id was reported twice"
    logged = [row["id"] for row in db.query(
        "SELECT e.id FROM events e JOIN alerts a ON a.id = e.alert_id WHERE a.ref LIKE 'W%'")]
    assert sorted(logged) == sorted(reported)
    kinds = Counter(row["kind"] for row in db.query(
        "SELECT e.kind FROM events e JOIN alerts a ON a.id = e.alert_id WHERE a.ref LIKE 'W%'"))
    assert kinds["raised"] == len(raised)
    assert kinds["responded"] <= len(raised)  # the last may have been cut off by time


def _check_sweepers(db, reports: list[dict[str, Any]]) -> None:
    """Each derived event on the seeded alerts was written once, by whichever sweep got there
    first, and that sweep alone reported it; this month's digests were made once."""
    records = [tuple(x) for r in reports for x in r["sweep_alert_records"]]
    assert len(records) == len(set(records)), "two sweeps both reported one event"
    derived = list(db.query(
        "SELECT a.ref, e.kind, e.occurred_on FROM events e JOIN alerts a ON a.id = e.alert_id "
        "WHERE a.ref LIKE 'S%' AND e.rule IS NOT NULL"))
    assert len(derived) == SEEDED_ALERTS * DERIVED_PER_SEEDED_ALERT
    assert sorted((d["ref"], d["kind"], d["occurred_on"]) for d in derived) == sorted(records)
    marker = db.execute("SELECT count(*) FROM events WHERE kind = 'monthly_digests'").fetchone()
    assert marker[0] == 1


def _check_adders(db, reports: list[dict[str, Any]]) -> None:
    """Everyone added is there once, with their 'staff added' event; each shared e-mail went
    to exactly one process and every other one was refused in plain words."""
    added = [tuple(x) for r in reports for x in r["staff"]]
    staff = {row["email"]: row["id"] for row in db.query(
        "SELECT id, email FROM staff WHERE email LIKE '%@example.org'")}
    assert sorted(staff.items()) == sorted(added)
    events = Counter(row["staff_id"] for row in db.query(
        "SELECT json_extract(data, '$.staff_id') AS staff_id FROM events "
        "WHERE kind = 'staff_added'"))
    assert all(events[staff_id] == 1 for _, staff_id in added)
    tried: Counter[str] = Counter()
    for r in reports:
        tried.update(r["refused"])
        tried.update(email for email, _ in r["staff"] if email in SHARED_EMAILS)
    for email in SHARED_EMAILS:
        winners = [e for e, _ in added if e == email]
        assert len(winners) == (1 if tried[email] else 0), email


def _check_importers(db, reports: list[dict[str, Any]]) -> None:
    """Every file an importer finished is there whole, once: its alerts with their five
    events each, its end recorded once; nothing of an import is left unfinished."""
    from db.import_chunks import unfinished_runs

    imported = [tuple(x) for r in reports for x in r["imported"]]
    assert imported, "no importer finished an import"
    for prefix, import_id, events in imported:
        refs = [row[0] for row in db.execute(
            "SELECT ref FROM alerts WHERE ref LIKE ? || '%'", [prefix])]
        assert len(refs) == IMPORT_ALERTS, prefix
        kinds = Counter(row[0] for row in db.execute(
            "SELECT e.kind FROM live_events e JOIN alerts a ON a.id = e.alert_id "
            "WHERE a.ref LIKE ? || '%' AND e.rule IS NULL", [prefix]))
        assert sum(kinds.values()) == events == IMPORT_ALERTS * 5, prefix
        ends = db.execute("SELECT count(*) FROM events WHERE kind = 'events_imported' AND "
                          "json_extract(data, '$.import_id') = ?", [import_id]).fetchone()[0]
        assert ends == 1, prefix
    assert unfinished_runs(db) == []


# -- the write path itself -----------------------------------------------------------------------


def test_a_writer_that_outlasts_the_busy_timeout_still_gets_in_and_runs_once(tmp_path,
                                                                            monkeypatch):
    """The retry is around ``BEGIN IMMEDIATE`` only: the body runs once, after the wait."""
    import sqlite3
    import threading

    import db.connection
    from db.connection import open_db, write_transaction

    monkeypatch.setattr(db.connection, "BUSY_TIMEOUT_MS", 100)
    path = tmp_path / "busy.db"
    setup = open_db(path)
    setup.execute("CREATE TABLE t (n INTEGER)")
    setup.close()
    held = threading.Event()

    def hold() -> None:
        other = sqlite3.connect(str(path), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(1.0)
        other.execute("COMMIT")
        other.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)
    writer = open_db(path)
    runs = 0
    try:
        with write_transaction(writer):
            runs += 1
            writer.execute("INSERT INTO t VALUES (1)")
    finally:
        holder.join()
    assert runs == 1
    assert writer.execute("SELECT count(*) FROM t").fetchone()[0] == 1
    assert writer.execute("PRAGMA busy_timeout").fetchone()[0] == 100  # put back as it was
    writer.close()


def test_a_failed_commit_is_rolled_back_and_the_connection_stays_usable():
    """Were ``COMMIT`` refused (a full disk, say), the next use case must not find a
    transaction left open, nor be told it is nested inside one."""
    import sqlite3
    from types import SimpleNamespace

    from db.connection import write_transaction

    class Refusing:
        def __init__(self) -> None:
            self.in_transaction = False
            self.said: list[str] = []

        def execute(self, sql: str):
            self.said.append(sql)
            if sql == "COMMIT":
                raise sqlite3.OperationalError("database or disk is full")
            self.in_transaction = sql == "BEGIN IMMEDIATE"

    conn = Refusing()
    try:
        with write_transaction(SimpleNamespace(conn=conn)):
            pass
    except sqlite3.OperationalError as exc:
        assert "full" in str(exc)
    else:
        raise AssertionError("the failed COMMIT was swallowed")
    assert conn.said == ["BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"]
    assert not conn.in_transaction


def test_only_busy_errors_are_retried():
    import sqlite3

    from db.retry import StoreBusy, is_busy, retry_while_busy

    calls: list[float] = []

    def read_only(left: float) -> None:
        calls.append(left)
        raise sqlite3.OperationalError("attempt to write a readonly database")

    try:
        retry_while_busy(read_only, budget=5)
    except sqlite3.OperationalError as exc:
        assert not is_busy(exc)
    assert len(calls) == 1

    clock = [0.0]

    def locked(left: float) -> None:
        calls.append(left)
        clock[0] += 0.3
        raise sqlite3.OperationalError("database is locked")

    calls.clear()
    try:
        retry_while_busy(locked, budget=2, clock=lambda: clock[0],
                         sleep=lambda s: clock.__setitem__(0, clock[0] + s))
    except StoreBusy as exc:
        assert is_busy(exc) and "try again" in str(exc)
    else:
        raise AssertionError("kept trying past the budget")
    assert 2 <= len(calls) <= 8 and clock[0] <= 2.5
    assert calls == sorted(calls, reverse=True)  # each try is told how long is left


if __name__ == "__main__":  # pragma: no cover - a quick manual run
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("IRO_BACKGROUND_JOBS", "off")
        test_sixteen_processes_write_at_once_and_nothing_is_lost_or_doubled(Path(tmp))
