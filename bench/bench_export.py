"""Benchmark: ``export-alerts`` from the projection, against replaying every alert's log.

Run: ``python bench/bench_export.py [--rows 5000 20000] [--repeat 5]``.

Builds a store under seed-004 the way an authority would fill one: an invented authority's
teams, staff and children through the people import, then its old tracker's history
(``tests.import_support.legacy_history``: five years; 20,000 rows are some 3,700 alerts)
through the events import, then a sweep, so derived events are in the log and the open
alerts' clocks have run. Then, in the same process and on the same store:

- **replay** (the baseline, the export before issue 15): every alert's events read one
  query each, folded from nothing, then its clock run to the date;
- **projection** (``usecases.export_alerts.alert_records``): the events read a batch of
  alerts per query, each alert's stored state taken as it is, and only its clock run.

Both are written out (JSON lines with events, and CSV) to a sink that only hashes what it
is given: the two must hash the same, byte for byte. Timed on the day of the store (on or
after every alert's last event: the projection's case) and on a day two years earlier
(every alert with later events must be replayed: no gain expected, none lost). Then the
peak memory (``tracemalloc``) of writing the export as it is produced, against building
every record first as the command did: written as produced, it should stay the same
whatever the store's size (one batch of alerts at a time). Ratios, not seconds, are the
result: this machine is noisy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from db.connection import close_thread_connections  # noqa: E402
from tests.import_support import (  # noqa: E402
    LEGACY_MAP,
    PEOPLE_COLUMNS,
    authority,
    legacy_csv,
    legacy_history,
    rows_csv,
)
from tests.test_export_alerts import replayed_export  # noqa: E402
from usecases.export_alerts import (  # noqa: E402
    alert_records,
    write_alerts_csv,
    write_alerts_json_lines,
)
from usecases.import_events import import_events, map_from_text  # noqa: E402
from usecases.import_people import import_people  # noqa: E402
from usecases.importing.reader import ImportFile  # noqa: E402
from usecases.store import Store, create_store, open_store  # noqa: E402
from usecases.sweeping import sweep_all  # noqa: E402

AS_OF = dt.date(2026, 11, 23)
PAST = AS_OF - dt.timedelta(days=730)

Records = Callable[[Store, dt.date, bool], Iterable[dict[str, Any]]]


class HashSink:
    """A text stream that keeps only a hash of what is written (and how much)."""

    def __init__(self) -> None:
        self.hash, self.chars = hashlib.sha256(), 0

    def write(self, text: str) -> int:
        self.hash.update(text.encode("utf-8"))
        self.chars += len(text)
        return len(text)


def build(folder: Path, rows: int) -> Store:
    """A store with the invented authority's people and ``rows`` rows of tracker history."""
    path = folder / f"export-{rows}.db"
    store = create_store(path, "seed-004", demo=False, as_of=AS_OF - dt.timedelta(days=6 * 365))
    data = authority(staff=100, children=2000)
    for kind in ("teams", "staff", "children"):
        text = rows_csv(PEOPLE_COLUMNS[kind], getattr(data, kind))
        import_people(store, ImportFile.from_text(text, f"{kind}.csv"), kind=kind, as_of=AS_OF)
    history = legacy_history(data, years=5, rows=rows)
    import_events(store, ImportFile.from_text(legacy_csv(history), "tracker.csv"), as_of=AS_OF,
                  column_map=map_from_text(LEGACY_MAP))
    sweep_all(open_store(path, AS_OF), AS_OF)
    close_thread_connections()  # measured on a fresh connection, as a command would be
    gc.collect()
    return open_store(path, AS_OF)


def export(records: Records, store: Store, as_of: dt.date) -> tuple[float, str]:
    """Seconds to write the JSON and CSV exports, and the hash of what was written."""
    sink = HashSink()
    started = time.perf_counter()
    write_alerts_json_lines(records(store, as_of, True), sink)
    write_alerts_csv(records(store, as_of, False), sink)
    return time.perf_counter() - started, sink.hash.hexdigest()


def compare(store: Store, as_of: dt.date, repeat: int, what: str) -> None:
    """The two exports' best times, run in turn (so a busy spell slows both alike)."""
    replays, streams = [], []
    for _ in range(repeat):
        replays.append(export(replayed_export, store, as_of))
        streams.append(export(alert_records, store, as_of))
    if len({digest for _, digest in replays + streams}) != 1:
        raise SystemExit(f"The exports on {as_of} differ: the projection is wrong.")
    replay_s, stream_s = min(s for s, _ in replays), min(s for s, _ in streams)
    print(f"  {what} ({as_of}): replay {replay_s:.2f} s, projection {stream_s:.2f} s; "
          f"projection / replay = {stream_s / replay_s:.2f} (same bytes)")


def peak_kb(write: Callable[[], None]) -> float:
    tracemalloc.start()
    write()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1024


def memory(store: Store) -> None:
    streamed = peak_kb(lambda: write_alerts_json_lines(alert_records(store, AS_OF),
                                                       HashSink()))
    listed = peak_kb(lambda: write_alerts_json_lines(list(alert_records(store, AS_OF)),
                                                     HashSink()))
    print(f"  peak memory, JSON lines: written as produced {streamed:,.0f} kB; "
          f"every record built first (as before) {listed:,.0f} kB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[5000, 20_000],
                        help="tracker rows to import: one store per size")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each; the best counts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="iro-bench-export-") as folder:
        for rows in args.rows:
            run(Path(folder), rows, args.repeat)
            close_thread_connections()


def run(folder: Path, rows: int, repeat: int) -> None:
    started = time.perf_counter()
    store = build(folder, rows)
    db = store.db
    alerts, events = db["alerts"].count, db.execute(
        "SELECT count(*) FROM live_events WHERE alert_id IS NOT NULL").fetchone()[0]
    still_open = db.execute("SELECT count(*) FROM alerts WHERE status = 'open'").fetchone()[0]
    print(f"\n{rows:,} tracker rows: {alerts:,} alerts ({still_open:,} open), "
          f"{events:,} alert events (built in {time.perf_counter() - started:.0f} s); "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; best of {repeat}")
    compare(store, AS_OF, repeat, "the store's day")
    compare(store, PAST, repeat, "two years earlier")
    memory(store)


if __name__ == "__main__":
    main()
