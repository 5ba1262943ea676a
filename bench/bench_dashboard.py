"""Benchmark: the dashboard on ten years of a large authority, against a trivial page.

Run: ``python bench/bench_dashboard.py [--scale 1.0]``.

Builds a synthetic store (bulk SQL inserts, not the engine: this measures reading) with
about 200,000 reviews, 40,000 alerts and 2,000,000 events at scale 1, then renders the
dashboard page through Streamlit's AppTest, first cold (nothing cached) and then warm
(the figures cached until the data changes), and prints each as a ratio to an AppTest
render of a trivial page in the same run. Aim: under 3x.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from db.connection import write_transaction  # noqa: E402
from tests.page_support import sign_in_as  # noqa: E402
from usecases.accounts import authenticate  # noqa: E402
from usecases.demo import DEMO_PASSWORD  # noqa: E402
from usecases.store import create_store  # noqa: E402

AS_OF = dt.date(2026, 11, 23)
TRIVIAL = "import streamlit as st\nst.title('Trivial')\nst.write('A trivial page.')\n"


def build(path: Path, scale: float) -> None:
    store = create_store(path, "seed-001", demo=True, as_of=AS_OF)  # staff and accounts
    db, rng = store.db, random.Random(7)
    track = store.policy.track("iro")
    categories = [c.id for c in track.categories]
    levels = ["informal", *(lvl.role for lvl in track.levels)]
    teams = [r[0] for r in db.execute("SELECT id FROM teams").fetchall()]
    n_children, n_reviews = int(4000 * scale), int(200_000 * scale)
    n_alerts, n_events = int(40_000 * scale), int(2_000_000 * scale)
    first = AS_OF - dt.timedelta(days=3650)

    def day(span: int = 3650) -> str:
        return (first + dt.timedelta(days=rng.randrange(span))).isoformat()

    with write_transaction(db):
        db.conn.executemany(
            "INSERT INTO children (case_ref, name, legal_status, team_id) VALUES (?, ?, ?, ?)",
            [(f"BENCH-{i:06d}", "Synthetic", "looked_after", rng.choice(teams))
             for i in range(n_children)])
        children = [r[0] for r in db.execute("SELECT id FROM children").fetchall()]
        db.conn.executemany(
            "INSERT INTO reviews (child_id, kind, held_on, rag, summary, data) "
            "VALUES (?, 'lac_review', ?, ?, '', '{}')",
            [(rng.choice(children), day(), rng.choices(("green", "amber", "red"),
                                                       (6, 3, 1))[0])
             for _ in range(n_reviews)])
        alerts, events = [], []
        for i in range(n_alerts):
            raised = first + dt.timedelta(days=rng.randrange(3640))
            reached = rng.choices(range(len(levels)), (40, 30, 15, 10, 5))[0]
            status = rng.choices(("resolved", "withdrawn", "open"), (80, 5, 15))[0]
            closed = raised + dt.timedelta(days=rng.randint(2, 40))
            level = levels[reached]
            awaiting = "iro" if status == "open" and rng.random() < 0.5 else level
            state = {"ref": f"B{i:06d}", "child": "", "track": "iro", "status": status,
                     "level": level, "awaiting": awaiting if status == "open" else "",
                     "raised_on": raised.isoformat(), "level_since": raised.isoformat()}
            alerts.append((f"B{i:06d}", rng.choice(children), "iro", rng.choice(categories),
                           raised.isoformat(), status, level,
                           None if status == "open" else closed.isoformat(),
                           (raised + dt.timedelta(days=7)).isoformat(), awaiting,
                           json.dumps(state)))
        db.conn.executemany(
            "INSERT INTO alerts (ref, child_id, track, category, raised_on, status, level, "
            "closed_on, due, awaiting, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", alerts)
        rows = db.execute("SELECT id, child_id, raised_on, level, status FROM alerts").fetchall()
        for alert_id, child_id, raised_on, level, status in rows:
            on = dt.date.fromisoformat(raised_on)
            for n, lvl in enumerate(levels[: levels.index(level) + 1]):
                kind = "raised" if n == 0 else "escalated"
                events.append((on.isoformat(), kind, child_id, alert_id,
                               json.dumps({"level": lvl})))
                due = on + dt.timedelta(days=7)
                answered = on + dt.timedelta(days=rng.randint(2, 10))
                events.append((answered.isoformat(), "responded", child_id, alert_id,
                               json.dumps({"level": lvl, "outcome": "agree",
                                           "due": due.isoformat()})))
                on = answered
            if status == "resolved":
                events.append((on.isoformat(), "satisfied", child_id, alert_id, "{}"))
        while len(events) < n_events:
            events.append((day(), "note", rng.choice(children), None, "{}"))
        db.conn.executemany(
            "INSERT INTO events (occurred_on, kind, child_id, alert_id, data) "
            "VALUES (?, ?, ?, ?, ?)", events)
    db.execute("ANALYZE")
    counts = db.execute("SELECT (SELECT count(*) FROM reviews), (SELECT count(*) FROM alerts), "
                        "(SELECT count(*) FROM events)").fetchone()
    print(f"store: {counts[0]:,} reviews, {counts[1]:,} alerts, {counts[2]:,} events")
    db.close()


def render(at: AppTest) -> float:
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    scale = parser.parse_args().scale
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        build(path, scale)
        print(f"built in {time.perf_counter() - t0:.0f} s")
        os.environ.update({"IRO_DB": str(path), "IRO_AS_OF": AS_OF.isoformat(),
                           "IRO_BACKGROUND_JOBS": "off"})
        from usecases.store import open_store

        store = open_store(path)
        email = store.db.execute("SELECT email FROM staff WHERE role = 'head_of_service' "
                                 "LIMIT 1").fetchone()[0]
        user = authenticate(store, email, DEMO_PASSWORD)
        trivial = min(render(AppTest.from_string(TRIVIAL, default_timeout=600))
                      for _ in range(3))
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        at.run()
        sign_in_as(at, store, user)
        at.run()
        at.switch_page(str(ROOT / "pages" / "dashboard.py"))
        cold = render(at)
        warm = min(render(at) for _ in range(3))
    print(f"trivial page: {trivial * 1000:.0f} ms")
    print(f"dashboard, cold: {cold:.2f} s = {cold / trivial:.1f}x the trivial page")
    print(f"dashboard, warm: {warm:.2f} s = {warm / trivial:.1f}x the trivial page")


if __name__ == "__main__":
    main()
