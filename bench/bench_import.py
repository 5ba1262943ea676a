"""Benchmark: issue 12's "done when", at full size, with time and memory.

Run: ``python bench/bench_import.py [--rows 2000 20000 80000]``.

For each size, a new store under seed-004 is made with ``manage.py init``; an invented
authority's 12 teams, 100 staff and 2,000 children are imported from one .xlsx; then its
old tracker (own headings and words, no categories, no gate records; five years for up to
20,000 rows, longer beyond) from .xlsx with ``--map``. Each command runs in a process of
its own, which reports its peak memory (max RSS); the floor is a process that imports
the same modules and does nothing. Memory that stays flat shows as the same figure above
the floor whatever the number of rows.
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.import_support import (  # noqa: E402
    LEGACY_MAP,
    authority,
    legacy_history,
    legacy_xlsx,
    people_xlsx,
)

RUN = """
import resource, sys
sys.path.insert(0, {root!r})
import manage
code = manage.main({argv!r}) if {argv!r} else 0
print("MAXRSS", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


def run(argv: list[str]) -> tuple[float, int, str]:
    """(seconds, peak memory in kB, standard output) of ``manage.py argv`` in a new process."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", RUN.format(root=str(ROOT), argv=argv)],
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(argv)} failed:\n{done.stderr}")
    peak = int(next(line.split()[1] for line in done.stderr.splitlines()
                    if line.startswith("MAXRSS")))
    return seconds, peak, done.stdout


class LockProbe:
    """Another writer, while the import runs: takes the store's write lock (``BEGIN
    IMMEDIATE``, then lets go at once) over and over and notes the longest wait."""

    def __init__(self, db: str) -> None:
        self.db, self.tries, self.longest = db, 0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._probe, daemon=True)

    def __enter__(self) -> LockProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _probe(self) -> None:
        conn = sqlite3.connect(self.db, timeout=120, isolation_level=None)
        try:
            while not self._stop.wait(0.05):
                started = time.perf_counter()
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
                self.tries += 1
                self.longest = max(self.longest, time.perf_counter() - started)
        finally:
            conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[2000, 20000, 80000])
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="iro-bench-import-"))
    data = authority(staff=100, children=2000)
    people = people_xlsx(folder / "people.xlsx", data)
    mapping = folder / "map.yaml"
    mapping.write_text(LEGACY_MAP)
    _, floor, _ = run([])
    print(f"floor (modules loaded, nothing done): {floor / 1024:.0f} MB")
    for rows in args.rows:
        years = 5 if rows <= 20000 else max(5, rows // 4000)
        tracker = legacy_xlsx(folder / f"tracker-{rows}.xlsx",
                              legacy_history(data, years=years, rows=rows))
        db = str(folder / f"store-{rows}.db")
        run(["init", "--db", db, "--policy", "seed-004"])
        people_s, people_kb, _ = run(["import-people", "--db", db, "--as-of", "2026-11-23",
                                      str(people)])
        with LockProbe(db) as probe:
            events_s, events_kb, out = run(["import-events", "--db", db, "--map", str(mapping),
                                            "--as-of", "2026-11-23", str(tracker)])
        again_s, _, again = run(["import-people", "--db", db, "--as-of", "2026-11-23",
                                 str(people)])
        imported = next(line for line in out.splitlines() if line.startswith("Imported"))
        print(f"\n{rows:,} tracker rows over {years} years "
              f"({tracker.stat().st_size / 1024 / 1024:.1f} MB .xlsx)")
        print(f"  people (100 staff, 2,000 children): {people_s:.1f} s, "
              f"{(people_kb - floor) / 1024:+.0f} MB over the floor")
        print(f"  tracker: {events_s:.1f} s ({rows / events_s:,.0f} rows/s), "
              f"{(events_kb - floor) / 1024:+.0f} MB over the floor")
        print(f"  {imported}")
        print(f"  another writer meanwhile: {probe.tries:,} tries for the write lock, longest "
              f"wait {probe.longest:.2f} s (issue 14: never more than a second)")
        print(f"  people again: {again_s:.1f} s; {again.splitlines()[-1]}")


if __name__ == "__main__":
    main()
