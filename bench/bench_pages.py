"""Benchmark: each role's heaviest page in a real browser, against a trivial page.

Run: ``python bench/bench_pages.py [--scale 0.1] [--db PATH] [--runs 3]``.

Builds the benchmark store (``bench/benchmark_store.py``; or takes ``--db``, a store it
built), serves it as the browser tests do (``streamlit run serve.py`` on loopback, the
background jobs off, today fixed at the store's day), and in headless Chromium (Playwright,
``/usr/bin/chromium``) signs in through the real sign-in page as the head of service, the
service manager with the most children and the ten-year child's IRO. For each page it
times, from navigation (``page.goto`` of the page's address: the every-team inbox and the
annual report have their own, ``/inbox?view=every-team`` and ``/reports?report=annual``, as
a head of service bookmarks them) to the page's content being shown: the page's heading
there, the script run finished (``stApp``'s ``data-test-script-state`` back to
``notRunning``), nothing left faded as stale, and the page's own content drawn (the
dashboard's first chart, the child's tables). Times are taken inside the page
(``performance.now()``, polled every animation frame), so Playwright's polling does not
add to them. A page not shown within ``--timeout`` is reported as slower than that and not
tried again.

Each run is a fresh browser context that signs in again, so every page is the first visit
of its session: cold. The server is started once and never restarted, so Streamlit's own
caches (the dashboard's figures, ``st.cache_data``) are cold in run 1 only: run 1 is shown
on its own, and the median is over every run. Prints each page's time, its ratio to the
trivial page (the accessibility statement, in the same contexts), the store's size, the
machine's core count and load; pages over 2x are flagged.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402
from playwright.sync_api import TimeoutError as PageTimeout  # noqa: E402

from bench.benchmark_store import AS_OF, StoreInfo, build_store, store_info  # noqa: E402
from tests.browser_support import (  # noqa: E402
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    fill_sign_in,
    streamlit_server,
)

AIM = 2.0
HOME = "IRO alerts and escalation"

#: Records each change of the app's script state with the moment it happened, from the
#: start of every document (so a click's rerun can be told from the run before it).
WATCH_RUNS = """
window.__runs = [];
(function watch() {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) { requestAnimationFrame(watch); return; }
  window.__runs.push([app.getAttribute('data-test-script-state'), performance.now()]);
  new MutationObserver(() => window.__runs.push(
      [app.getAttribute('data-test-script-state'), performance.now()]))
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
})();
"""

#: True (the moment, in ms since the document began) once a run that started after
#: ``since`` has finished and the page shows ``heading`` and ``needs`` (CSS, each at least
#: ``count`` times); "error" if the page shows an exception.
SHOWN = """
(spec) => {
  if (document.querySelector('[data-testid="stException"]')) return 'error';
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (!(window.__runs || []).some(([state, at]) => state === 'running' && at >= spec.since))
    return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  const status = document.querySelector('[data-testid="stStatusWidget"]');
  if (status && status.offsetParent !== null) return false;
  const heading = [...document.querySelectorAll('h1')].find(
    (h) => h.textContent.includes(spec.heading) && h.offsetParent !== null);
  if (!heading) return false;
  for (const [css, count] of spec.needs)
    if (document.querySelectorAll(css).length < count) return false;
  return performance.now();
}
"""


@dataclass(frozen=True)
class Visit:
    """One page to time: where to go (a path, or text to click on the page already open),
    what shows it is there."""

    name: str
    role: str  # whose account: head_of_service, service_manager or iro
    heading: str
    path: str = ""
    #: Text of a toggle or option to click on the page timed just before, instead of a
    #: path: its time is that page's and the rerun's together (navigation to content).
    click: str = ""
    needs: tuple[tuple[str, int], ...] = ()
    cached: bool = False  # the page keeps what it computed in Streamlit's cache


TRIVIAL = Visit("trivial page (accessibility statement)", "", "Accessibility statement",
                path="/accessibility")


def visits(info: StoreInfo) -> list[Visit]:
    child = info.ten_year_child
    chart = ('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg', 1)
    return [
        Visit("home (after sign-in)", "head_of_service", HOME, path="/"),
        Visit("inbox, own", "head_of_service", "Inbox", path="/inbox"),
        Visit("inbox, every team", "head_of_service", "Inbox", path="/inbox?view=every-team"),
        Visit("dashboard (opens on outstanding now)", "head_of_service", "Dashboard",
              path="/dashboard", needs=(('[data-testid="stDataFrame"]', 1),), cached=True),
        Visit("dashboard, alerts raised (a chart)", "head_of_service", "Dashboard",
              path="/dashboard?part=raised", needs=(chart,), cached=True),
        Visit("reports (monthly, as opened)", "head_of_service", "Reports", path="/reports"),
        Visit("reports, annual", "head_of_service", "Reports", path="/reports?report=annual"),
        Visit("children list", "service_manager", "Children", path="/children"),
        Visit("alerts list", "iro", "Alerts", path="/alerts"),
        Visit(f"child record, ten years ({child})", "iro", child, path=f"/child?child={child}",
              needs=(('[data-testid="stDataFrame"]', 2),)),
    ]


def sign_in(browser, url: str, email: str, timeout: float) -> Page:
    """A fresh context (its own cookies) signed in through the real sign-in page."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(WATCH_RUNS)
    page = context.new_page()
    page.set_default_timeout(timeout * 1000)
    page.goto(url + "/")
    fill_sign_in(page, email)
    page.get_by_role("heading", name=HOME).wait_for()
    return page


def shown_at(page: Page, visit: Visit, since: float, timeout: float) -> float:
    """When (ms since the document began) the page's content was shown."""
    spec = {"heading": visit.heading, "needs": [list(n) for n in visit.needs], "since": since}
    done = page.wait_for_function(SHOWN, arg=spec, polling="raf", timeout=timeout * 1000)
    value = done.json_value()
    if value == "error":
        picture(page, visit)
        raise RuntimeError(f"{visit.name}: the page shows an error (a picture of it is in "
                           f"{ARTIFACTS})")
    return float(value)


def picture(page: Page, visit: Visit) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = "".join(c if c.isalnum() else "-" for c in visit.name.lower()).strip("-")
    page.screenshot(path=str(ARTIFACTS / f"bench-{visit.role or 'each'}-{name}.png"),
                    full_page=True)


def measure(page: Page, url: str, visit: Visit, timeout: float) -> tuple[float, int]:
    """Seconds from navigation (or the click) to the content shown, and the page's size in
    DOM nodes."""
    if visit.click:
        since = page.evaluate("performance.now()")
        page.get_by_text(visit.click, exact=True).click()
        done = shown_at(page, visit, since, timeout) - since
    else:
        page.goto(url + visit.path, wait_until="commit")
        done = shown_at(page, visit, 0.0, timeout)
    return done / 1000, page.evaluate("document.getElementsByTagName('*').length")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=0.1,
                        help="the benchmark store's scale when it is built (1.0: about "
                             "200,000 reviews and 40,000 alerts)")
    parser.add_argument("--db", type=Path, help="a store bench/benchmark_store.py built")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300,
                        help="seconds a page may take to be shown (default 300); a page "
                             "not shown by then is reported as slower, and not tried again")
    parser.add_argument("--screenshots", action="store_true",
                        help=f"keep a picture of each page of run 1 in {ARTIFACTS}")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db
        if path is None:
            path = Path(tmp) / "bench.db"
            build_store(path, args.scale)
        info = store_info(path)
        run(info, args.runs, args.timeout, args.screenshots)


def run(info: StoreInfo, runs: int, timeout: float, screenshots: bool = False) -> None:
    pages = visits(info)
    roles = list(dict.fromkeys(v.role for v in pages))
    #: seconds per run; None where the page was not shown within ``timeout`` (it is not
    #: tried again in later runs: a page that slow needs no median)
    times: dict[str, list[float | None]] = {v.name: [] for v in [TRIVIAL, *pages]}
    nodes: dict[str, int] = {}
    with streamlit_server(info.path, AS_OF.isoformat()) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # the server's first page run imports the app: not any page's cost
            page = sign_in(browser, url, info.accounts["head_of_service"], timeout)
            page.context.close()
            for n in range(runs):
                for role in roles:
                    page, before = None, None
                    for visit in [TRIVIAL, *(v for v in pages if v.role == role)]:
                        if (None in times[visit.name]) or (visit.click and before is None):
                            times[visit.name].append(None)
                            before = None
                            continue
                        if page is None:
                            page = sign_in(browser, url, info.accounts[role], timeout)
                        try:
                            seconds, count = measure(page, url, visit, timeout)
                        except PageTimeout:
                            print(f"  run {n + 1}, {role}: {visit.name}: not shown within "
                                  f"{timeout:.0f} s", flush=True)
                            times[visit.name].append(None)
                            page.context.close()
                            page, before = None, None
                            continue
                        seconds = before = seconds + ((before or 0.0) if visit.click else 0.0)
                        times[visit.name].append(seconds)
                        nodes[visit.name] = count
                        if screenshots and n == 0:
                            picture(page, visit)
                        print(f"  run {n + 1}, {role}: {visit.name}: {seconds:.2f} s",
                              flush=True)
                    if page is not None:
                        page.context.close()
        finally:
            browser.close()
    report(info, pages, times, nodes, runs, timeout)


def report(info: StoreInfo, pages: list[Visit], times: dict[str, list[float | None]],
           nodes: dict[str, int], runs: int, timeout: float) -> None:
    trivial = statistics.median(t for t in times[TRIVIAL.name] if t is not None)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print()
    print(f"Pages in Chromium, from navigation to the content shown; median of {runs} runs "
          "(each a fresh sign-in), run 1 with the server's caches cold.")
    print(info.line())
    print(f"cores: {os.cpu_count()}; load average (1, 5, 15 min): {load}")
    width = max(len(v.name) for v in [TRIVIAL, *pages]) + 2
    print(f"{'page':<{width}}{'role':<17}{'run 1':>9}{'median':>9}{'ratio':>8}{'DOM nodes':>11}")
    flagged = []
    for visit in [TRIVIAL, *pages]:
        got = times[visit.name]
        shown = [t for t in got if t is not None]
        first = f"{got[0]:.2f}s" if got and got[0] is not None else f">{timeout:g}s"
        if shown and len(shown) == len(got):
            median = statistics.median(shown)
            middle, ratio = f"{median:.2f}s", f"{median / trivial:.1f}x"
        else:  # not shown within the time allowed (in some run): no median to speak of
            median = timeout
            middle, ratio = f">{timeout:g}s", f">{timeout / trivial:.0f}x"
        mark = ""
        if median / trivial > AIM:
            mark = "  OVER 2x"
            flagged.append(visit.name)
        if visit.cached:
            mark += "  (cached: run 1 cold, later runs warm)"
        count = f"{nodes[visit.name]:,}" if visit.name in nodes else "-"
        print(f"{visit.name:<{width}}{visit.role or 'each':<17}{first:>9}{middle:>9}"
              f"{ratio:>8}{count:>11}{mark}")
    print(f"aim: every page within {AIM:.0f}x the trivial page ({trivial:.2f} s); "
          + (f"over it: {', '.join(flagged)}." if flagged else "all within it."))


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"benchmark took {time.perf_counter() - started:.0f} s")
