"""The sweep: time-driven rules applied up to a date, late or on time, once only."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import manage
from tests.support import D, derived, new_store, raise_at, run_in_threads
from usecases.alerts import sweep
from usecases.store import open_store

ROOT = Path(__file__).resolve().parent.parent


def _three_alerts(store):
    raise_at(store, D(2026, 12, 14), "service_manager", gate="HoS agreed", ref="A1")
    raise_at(store, D(2026, 12, 16), ref="A2", child="C-2")
    raise_at(store, D(2026, 12, 18), "head_of_service", gate="HoS agreed", ref="A3",
             child="C-3")


def _full_log(store) -> list[tuple]:
    return [(r["alert_id"], r["occurred_on"], r["kind"], r["rule"], r["data"])
            for r in store.db.query("SELECT * FROM events WHERE alert_id IS NOT NULL "
                                    "ORDER BY alert_id, occurred_on, id")]


def test_a_late_sweep_writes_the_same_history_as_daily_sweeps(tmp_path):
    daily = new_store(tmp_path, "seed-001", "daily.db")
    late = new_store(tmp_path, "seed-001", "late.db")
    _three_alerts(daily)
    _three_alerts(late)
    day = D(2026, 12, 18)
    while day <= D(2027, 2, 10):
        sweep(daily, day)
        day += dt.timedelta(days=1)
    written = sweep(late, D(2027, 2, 10))
    assert _full_log(daily) == _full_log(late)
    assert len(written) == len([e for e in _full_log(late) if e[3] is not None])
    # the late sweep caught up three levels on alert A1, each on its own date
    escalations = [d for d in derived(late, "A1") if d[1] == "escalated"]
    assert [d[0] for d in escalations] == [D(2026, 12, 22), D(2027, 1, 4), D(2027, 1, 12)]


def test_a_repeated_sweep_changes_nothing(tmp_path):
    store = new_store(tmp_path, "seed-001")
    _three_alerts(store)
    first = sweep(store, D(2027, 1, 20))
    before = _full_log(store)
    assert first
    assert sweep(store, D(2027, 1, 20)) == []
    assert sweep(store, D(2027, 1, 5)) == []  # an earlier date finds nothing new either
    assert _full_log(store) == before


def test_concurrent_sweeps_in_threads_write_each_event_once(tmp_path):
    store = new_store(tmp_path, "seed-001")
    for n in range(30):
        raise_at(store, D(2026, 12, 14), "service_manager", gate="HoS agreed", ref=f"A{n}",
                 child=f"C-{n}")
    results: list[list[dict]] = []
    run_in_threads(4, lambda: results.append(
        sweep(open_store(store.path), D(2027, 1, 20), batch_size=7)))
    per_alert = 7  # three escalations, at risk, breached, overdue, CAFCASS prompt
    assert sum(len(r) for r in results) == 30 * per_alert
    kinds = list(store.db.query(
        "SELECT alert_id, kind, occurred_on, count(*) AS n FROM events WHERE rule IS NOT NULL "
        "GROUP BY alert_id, kind, occurred_on, data HAVING n > 1"))
    assert kinds == []
    assert next(store.db.query("SELECT count(*) AS n FROM events WHERE rule IS NOT NULL"))[
        "n"] == 30 * per_alert


def test_concurrent_sweeps_from_two_processes(tmp_path):
    store = new_store(tmp_path, "seed-002")
    for n in range(40):
        raise_at(store, D(2026, 12, 24), "team_manager", gate="Line manager agreed",
                 ref=f"A{n}", child=f"C-{n}")
    command = [sys.executable, "manage.py", "sweep", "--db", str(store.path), "--as-of",
               "2027-02-15"]
    procs = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    printed = [json.loads(line) for out, _ in outputs for line in out.splitlines()]
    assert len([r for r in printed if "alert" in r]) == 40 * 7
    assert len([r for r in printed if "digest" in r]) <= 2  # February's, made once
    rows = next(store.db.query("SELECT count(*) AS n, count(DISTINCT alert_id || kind || "
                               "occurred_on || data) AS d FROM events WHERE rule IS NOT NULL AND "
                               "alert_id IS NOT NULL"))
    assert rows["n"] == rows["d"] == 40 * 7


def test_sweep_command_prints_derived_events_as_json_lines(tmp_path, capsys):
    store = new_store(tmp_path, "seed-001")
    raise_at(store, D(2026, 12, 14), "service_manager", gate="HoS agreed")
    code = manage.main(["sweep", "--db", str(store.path), "--as-of", "2026-12-22"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert [json.loads(line) for line in out] == [{
        "alert": "A1", "child": "C-1", "date": "2026-12-22", "event": "escalated",
        "level": "head_of_service", "due": "2026-12-31", "rule": "silence_escalates",
        "policy_id": "seed-001", "policy_version": 1,
        "reason": "No response from Service Manager by 21 Dec 2026; escalated to Head of "
                  "Service under seed-001 level 2; response due by 31 Dec 2026.",
    }]
    assert manage.main(["sweep", "--db", str(store.path), "--as-of", "2026-12-22"]) == 0
    assert capsys.readouterr().out == ""
