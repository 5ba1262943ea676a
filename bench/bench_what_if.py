"""Benchmark: what-if over ten years of a large authority, against the bare rule evaluations.

Run: ``python bench/bench_what_if.py [--scale 1.0] [--workers N] [--store PATH]``.

Builds a synthetic seed-001 store with 40,000 alerts over ten years (at scale 1) whose
histories were walked through the engine (random but plausible: answers on time or late,
silence escalating, reviewers satisfied or not, some withdrawn, the last ones still open),
so the log is what the app itself would have written, derived events included, each chained
by its hash as the application chains it (``manage.py verify`` finds the log unchanged).
``--store`` keeps it in a file and reuses it next time.

Then replays every history under a draft (Level 1 given 3 working days instead of 5) with
``usecases.what_if.what_if``, counting the rule evaluations the replay makes, and measures
in the same run what the bare ``rules.engine.evaluate`` calls it needs cost: two years of
the replay are run in one process recording every evaluation's arguments, which are then
evaluated again with nothing around them. The result is the replay's cost per alert as a
ratio to those bare evaluations, in one process and for the whole store in parallel, plus
the store's size and the machine's cores. Times are CPU time (this process's, plus its
worker processes'): on a shared machine wall time mostly measures the other load, which
the line with the wall time shows as the load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchmark_store import append_chained  # noqa: E402
from db.connection import write_transaction  # noqa: E402
from rules import alert_rules  # noqa: E402
from rules.alert_rules import advance, decide_command, fold  # noqa: E402
from rules.alert_state import INFORMAL, REVIEWER, AlertState  # noqa: E402
from rules.alert_transitions import Command, NewEvent, informal_addressee  # noqa: E402
from rules.engine import evaluate  # noqa: E402
from rules.policy import PRESETS_DIR, load_preset  # noqa: E402
from rules.working_days import calendar_for  # noqa: E402
from usecases.store import create_store, open_store  # noqa: E402
from usecases.what_if import draft_from_text, what_if  # noqa: E402

POLICY = "seed-001"
END = dt.date(2026, 11, 20)
FIRST = END - dt.timedelta(days=3650)
GATE = "Head of Service for SARS agreed"
OUTCOMES = ("agree", "uphold", "alternative", "no_action")
#: The event columns the bench writes, in the order of its tuples.
EVENT_COLUMNS = ("occurred_on", "kind", "actor_role", "child_id", "alert_id", "data", "reason",
                 "rule", "policy_id", "policy_version", "dedupe_key")
#: What an event column holds when the bench does not say: the schema's defaults, written
#: out, as the hash is taken over the values stored.


# -- building the store --------------------------------------------------------------------------


def _walk(n: int) -> tuple[AlertState, list[NewEvent]]:
    """One alert's history, walked through the engine with random people."""
    rng = random.Random(n)
    policy = load_preset(POLICY)
    cal = calendar_for(policy.closure_days)
    track = policy.track("iro")
    on = cal.add_working_days(FIRST + dt.timedelta(days=rng.randrange(3640)), 0)
    formal_first = rng.random() < 0.4
    state = AlertState(ref=f"W{n:06d}", child="", track="iro")
    events: list[NewEvent] = []

    def do(command: Command) -> bool:
        nonlocal state
        state, owed = advance(policy, cal, state, command.on)
        events.extend(owed)
        decision = decide_command(policy, cal, state, command)
        if decision.refusals:
            return False
        state = fold(state, decision.events)
        events.extend(decision.events)
        return True

    do(Command(kind="raised", on=on, actor_role="iro", category=rng.choice(track.categories).id,
               level=track.levels[0].role if formal_first else INFORMAL,
               gate=GATE if formal_first else ""))
    dissatisfied = False
    for _ in range(14):
        if not state.is_open:
            break
        last = state.last_event_on or on
        if state.awaiting_manager:
            since = state.level_since or last
            day = cal.add_working_days(since, rng.choice((1, 2, 3, 3, 4, 5, 5, 6, 7, 9)))
            day = max(day, last)
            if day > END:
                break
            state, owed = advance(policy, cal, state, day)
            events.extend(owed)
            if not state.awaiting_manager:
                continue
            role = (informal_addressee(track) if state.level == INFORMAL else state.awaiting)
            do(Command(kind="responded", on=day, actor_role=role,
                       outcome=rng.choice(OUTCOMES)))
            dissatisfied = False
        elif state.awaiting == REVIEWER:
            day = cal.add_working_days(last, rng.choice((0, 1, 1, 2)))
            if day > END:
                break
            if dissatisfied and state.level == INFORMAL:
                do(Command(kind="escalated", on=day, actor_role="iro",
                           level=track.levels[0].role, gate=GATE))
                continue
            pick = rng.random()
            if pick < 0.65 or (dissatisfied and state.level != INFORMAL):
                do(Command(kind="satisfied", on=day, actor_role="iro"))
            elif pick < 0.7:
                do(Command(kind="withdrawn", on=day, actor_role="iro",
                           note="Synthetic: no longer needed."))
            else:
                dissatisfied = do(Command(kind="not_satisfied", on=day, actor_role="iro"))
        else:
            break
    if state.is_open:
        state, owed = advance(policy, cal, state, END)  # as if the sweep ran every day
        events.extend(owed)
    return state, events


def _walk_many(numbers: range) -> list[tuple[int, dict, list[tuple]]]:
    found = []
    for n in numbers:
        state, events = _walk(n)
        found.append((n, state.to_json(), [(e.on.isoformat(), e.kind, e.actor_role, e.rule,
                                            json.dumps(e.data, sort_keys=True), e.reason)
                                           for e in events]))
    return found


def build(path: Path, n_alerts: int, workers: int) -> None:
    store = create_store(path, POLICY, demo=False, as_of=FIRST - dt.timedelta(days=7))
    db = store.db
    rng = random.Random(1)
    n_children = max(n_alerts // 10, 1)
    with write_transaction(db):
        db.conn.executemany(
            "INSERT INTO children (id, case_ref, name, legal_status) VALUES (?, ?, ?, ?)",
            [(i + 1, f"BENCH-{i:06d}", "Synthetic", "looked_after") for i in range(n_children)])
    size = 500
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        parts = pool.map(_walk_many, [range(s, min(s + size, n_alerts))
                                      for s in range(0, n_alerts, size)])
        with write_transaction(db):
            for part in parts:
                alerts, events = [], []
                for n, state, logged in part:
                    alert_id, child_id = n + 1, rng.randrange(n_children) + 1
                    alerts.append((alert_id, state["ref"], child_id, "iro", state["category"],
                                   state["raised_on"], state["status"], state["level"],
                                   state["awaiting"] or None, state["due"], state["formal_due"],
                                   state["closed_on"], json.dumps(state, sort_keys=True)))
                    events += [(on, kind, role or None, child_id, alert_id, data, reason, rule,
                                POLICY, 1, None if rule is None else
                                f"alert:{alert_id}:{rule}:{kind}:{on}:{n}:{k}")
                               for k, (on, kind, role, rule, data, reason) in enumerate(logged)]
                db.conn.executemany(
                    "INSERT INTO alerts (id, ref, child_id, track, category, raised_on, status,"
                    " level, awaiting, due, formal_due, closed_on, state)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", alerts)
                append_chained(db, (dict(zip(EVENT_COLUMNS, event, strict=True))
                                    for event in events))
    db.execute("ANALYZE")
    db.close()


# -- the bare engine ------------------------------------------------------------------------


def sample_replay(store, draft, days: int) -> tuple[int, float, list[tuple]]:
    """Replay the alerts of the first ``days`` in this process, recording every rule
    evaluation it makes: (alerts, CPU seconds, the evaluations' arguments)."""
    calls: list[tuple] = []
    real = alert_rules.evaluate

    def recording(ruleset, fact, ctx=None):
        calls.append((ruleset, fact, ctx))
        return real(ruleset, fact, ctx)

    alert_rules.evaluate = recording
    try:
        t0 = time.process_time()
        report = what_if(store, draft, start=FIRST, end=FIRST + dt.timedelta(days=days))
        elapsed = time.process_time() - t0
    finally:
        alert_rules.evaluate = real
    return report.alerts, elapsed, calls


def bare_seconds(calls: list[tuple]) -> float:
    """The same evaluations again, bare: nothing but ``rules.engine.evaluate`` (CPU seconds)."""
    t0 = time.process_time()
    for ruleset, fact, ctx in calls:
        evaluate(ruleset, fact, ctx)
    return time.process_time() - t0


# -- the run ------------------------------------------------------------------------------------


def draft_text() -> str:
    lines = (PRESETS_DIR / f"{POLICY}.yaml").read_text().splitlines(keepends=True)
    assert lines[49].strip() == "response_days: 5", "seed-001's Level 1 moved in the file"
    lines[49] = lines[49].replace("5", "3")
    return "".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 40,000 alerts")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--store", help="keep the synthetic store here (reused if it exists)")
    args = parser.parse_args()
    n_alerts = int(40_000 * args.scale)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.store) if args.store else Path(tmp) / "bench.db"
        if not path.exists():
            t0 = time.perf_counter()
            build(path, n_alerts, args.workers)
            print(f"built through the engine in {time.perf_counter() - t0:.0f} s")
        store = open_store(path)
        counts = store.db.execute(
            "SELECT (SELECT count(*) FROM alerts), (SELECT count(*) FROM events),"
            " (SELECT count(*) FROM alerts WHERE status = 'open'),"
            " (SELECT min(raised_on) FROM alerts), (SELECT max(raised_on) FROM alerts)"
        ).fetchone()
        megabytes = path.stat().st_size / 1e6
        print(f"store: {counts[0]:,} alerts ({counts[2]:,} open), {counts[1]:,} events, "
              f"raised {counts[3]} to {counts[4]}, {megabytes:.0f} MB")
        print(f"machine: {os.cpu_count()} cores; replaying in {args.workers} processes")
        draft = draft_from_text(draft_text(), f"{POLICY}.yaml")
        # one process, two years of alerts: the replay against the bare evaluations it makes
        what_if(store, draft, start=END, end=END)  # warm up: calendars, rules, caches
        sampled, sample_cpu, calls = sample_replay(store, draft, 730)
        bare = bare_seconds(calls)
        per_eval = bare / max(len(calls), 1)
        print(f"sample, 1 process: {sampled:,} alerts (the first two years), "
              f"{sample_cpu / sampled * 1e3:.2f} ms CPU per alert for "
              f"{len(calls) / sampled:.2f} evaluations; the same evaluations bare: "
              f"{per_eval * 1e6:.0f} us CPU each; the replay costs "
              f"{sample_cpu / bare:.2f}x the bare evaluations it needs")
        # everything, in parallel
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        mine = time.process_time()
        t0 = time.perf_counter()
        report = what_if(store, draft, end=END, workers=args.workers, count_evaluations=True)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
               + time.process_time() - mine)
        alerts = max(report.alerts, 1)
        evaluations = (report.evaluations or 0) / alerts
        floor = evaluations * per_eval
        print(f"what-if, {args.workers} processes: {report.alerts:,} alerts in {wall:.1f} s "
              f"wall (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores), "
              f"{cpu:.1f} s CPU in all (start-up included) = {cpu / args.workers:.1f} s on "
              f"{args.workers} idle cores; {report.changed:,} changed; escalated by silence "
              f"{report.actual['escalated_by_silence']:,} -> "
              f"{report.draft['escalated_by_silence']:,}; refused actions "
              f"{report.draft['refused_actions']:,}")
        print(f"cost per alert: {cpu / alerts * 1e3:.2f} ms CPU for {evaluations:.2f} "
              f"evaluations ({floor * 1e3:.2f} ms bare) = {cpu / alerts / floor:.2f}x the bare "
              "evaluations it needs")
        store.db.close()


if __name__ == "__main__":
    main()
