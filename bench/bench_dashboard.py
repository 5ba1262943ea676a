"""Benchmark: the dashboard on ten years of a large authority, against a trivial page.

Run: ``python bench/bench_dashboard.py [--scale 1.0] [--db PATH]``.

Builds the benchmark store (``bench/benchmark_store.py``: about 200,000 reviews and 40,000
alerts at scale 1, every event one the application would write, chained by their hashes,
so ``manage.py verify`` passes on it), or takes ``--db``, a store it built; then renders the
dashboard page through Streamlit's AppTest, first cold (nothing cached) and then warm (the
figures cached until the data changes), and prints each as a ratio to an AppTest render of
a trivial page in the same run, with the store's size and the machine's core count.
Aim: under 3x. Cold means the figures' cache is empty (as after any new record), not a new
process: the modules the server imports when it starts (``serve.py``: the charts' Altair)
are imported first here too. The dashboard opens on its first part (alerts raised); each
other part is counted when chosen, timed here cold too, one after another.
``bench/bench_pages.py`` times the pages in a real browser.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

import ui.charts  # noqa: E402, F401  (as serve.py does when the server starts)
from bench.benchmark_store import AS_OF, build_store, store_info  # noqa: E402
from tests.page_support import sign_in_as  # noqa: E402
from usecases.accounts import authenticate  # noqa: E402
from usecases.dashboard import SECTIONS  # noqa: E402
from usecases.demo import DEMO_PASSWORD  # noqa: E402

TRIVIAL = "import streamlit as st\nst.title('Trivial')\nst.write('A trivial page.')\n"


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
    parser.add_argument("--db", type=Path, help="a store bench/benchmark_store.py built")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db
        if path is None:
            path = Path(tmp) / "bench.db"
            build_store(path, args.scale)
        info = store_info(path)
        os.environ.update({"IRO_DB": str(path), "IRO_AS_OF": AS_OF.isoformat(),
                           "IRO_BACKGROUND_JOBS": "off"})
        from usecases.store import open_store

        store = open_store(path)
        user = authenticate(store, info.accounts["head_of_service"], DEMO_PASSWORD)
        trivial = min(render(AppTest.from_string(TRIVIAL, default_timeout=600))
                      for _ in range(3))
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        at.run()
        sign_in_as(at, store, user)
        at.run()
        at.switch_page(str(ROOT / "pages" / "dashboard.py"))
        cold = render(at)
        warm = min(render(at) for _ in range(3))
        parts = {}
        for key, words in SECTIONS.items():
            if key == at.radio(key="dash_section").value:
                continue
            at.radio(key="dash_section").set_value(key)
            parts[words] = render(at)
    print(info.line())
    print(f"cores: {os.cpu_count()}; load average: "
          + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    print(f"trivial page: {trivial * 1000:.0f} ms")
    print(f"dashboard, cold: {cold:.2f} s = {cold / trivial:.1f}x the trivial page")
    print(f"dashboard, warm: {warm:.2f} s = {warm / trivial:.1f}x the trivial page")
    for words, seconds in parts.items():
        print(f"  then {words}, cold: {seconds:.2f} s = {seconds / trivial:.1f}x")


if __name__ == "__main__":
    main()
