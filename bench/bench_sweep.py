"""Benchmark: one full sweep over 10,000 and 100,000 open alerts, against plain numpy.

Run: ``python bench/bench_sweep.py [--sizes 10000 100000]``.

For each size, five stores are built (one per seed policy, a fifth of the alerts each),
with alerts raised through the engine on working days spread over the 40 calendar days
before the sweep date, at the informal stage or a formal level. Then:

- **sweep**: ``usecases.alerts.sweep(store, as_of)`` over every store, timed; this writes
  every escalation, overdue prompt and formal-clock event that fell due;
- **baseline**: the same rows' due dates computed with numpy ``busday_offset`` alone
  (the day silence counts, and the next level's due date), in the same process;
- **daily**: the next day's sweep, the normal steady state.

Ratios, not seconds, are the result: this machine is noisy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.connection import write_transaction
from db.people import insert_child
from rules.alert_transitions import Command
from usecases.alerts import raise_in_transaction, sweep
from usecases.store import Store, create_store

SEEDS = ("seed-000", "seed-001", "seed-002", "seed-003", "seed-004")
AS_OF = dt.date(2027, 1, 20)


def build(folder: Path, policy_id: str, n: int, rng: random.Random) -> Store:
    store = create_store(folder / f"{policy_id}-{n}.db", policy_id, demo=False,
                         as_of=AS_OF - dt.timedelta(days=60))
    track = store.policy.track("iro")
    with write_transaction(store.db):
        for i in range(n):
            child_ref = f"BENCH-{i:06d}"
            child_id = insert_child(store.db, case_ref=child_ref, name="Synthetic",
                                    date_of_birth=None, legal_status="looked_after",
                                    team_id=None, social_worker_id=None, reviewer_id=None)
            on = store.calendar.add_working_days(AS_OF - dt.timedelta(days=rng.randint(1, 40)), 0)
            level = rng.choice(("informal", track.levels[0].role, track.levels[1].role))
            command = Command(kind="raised", on=on, actor_role="iro", level=level,
                              category=track.categories[0].id, gate="Line manager agreed")
            raise_in_transaction(store, child_id=child_id, child_ref=child_ref, track="iro",
                                 command=command, ref=f"B{i:06d}")
    return store


def baseline(stores: list[Store]) -> float:
    """Every open alert's silence day and next due date, by numpy alone."""
    started = time.perf_counter()
    for store in stores:
        rows = store.db.execute(
            "SELECT due, level FROM alerts WHERE status = 'open' AND due IS NOT NULL"
        ).fetchall()
        due = np.array([r[0] for r in rows], dtype="datetime64[D]")
        track = store.policy.track("iro")
        days = {lvl.role: lvl.response_days for lvl in track.levels}
        response = np.array([days.get(r[1], track.informal.response_days) for r in rows])
        cal = store.calendar._busdays
        silence = np.busday_offset(due, 1, roll="backward", busdaycal=cal)
        next_due = np.busday_offset(silence, response, roll="backward", busdaycal=cal)
        _ = (silence <= np.datetime64(AS_OF)) & (next_due > silence)
    return time.perf_counter() - started


def run(size: int) -> None:
    rng = random.Random(size)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        stores = [build(Path(tmp), seed, size // len(SEEDS), rng) for seed in SEEDS]
        built = time.perf_counter() - t0
        base = min(baseline(stores) for _ in range(3))
        t0 = time.perf_counter()
        written = sum(len(sweep(store, AS_OF)) for store in stores)
        full = time.perf_counter() - t0
        t0 = time.perf_counter()
        daily = sum(len(sweep(store, AS_OF + dt.timedelta(days=1))) for store in stores)
        next_day = time.perf_counter() - t0
        base_after = min(baseline(stores) for _ in range(3))
        for store in stores:
            store.db.close()
    print(f"{size:>7} open alerts (built through the engine in {built:.0f} s)")
    print(f"   full sweep:  {written} derived events, {full / size * 1e6:8.1f} us per alert, "
          f"{full / base:7.1f}x the numpy baseline")
    print(f"   next day:    {daily} derived events, {next_day / size * 1e6:8.1f} us per alert, "
          f"{next_day / base_after:7.1f}x the numpy baseline")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    for size in parser.parse_args().sizes:
        run(size)


if __name__ == "__main__":
    main()
