"""A real Streamlit server and a real headless Chromium, for end-to-end tests.

The server runs ``streamlit run app.py`` on a free loopback port against the test's own
store; the browser is Debian's Chromium driven by Playwright (browser downloads are not
possible here, so ``executable_path`` points at the system package).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from usecases.demo import DEMO_PASSWORD
from usecases.store import create_store

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("IRO_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
WAIT = 30_000
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(db_path: Path, as_of: str, *, port: int | None = None,
                     secrets_file: Path | None = None) -> Iterator[str]:
    """Serve the app on loopback until the block ends; yields its base URL."""
    port = port or free_port()
    env = {**os.environ, "IRO_DB": str(db_path), "IRO_AS_OF": as_of,
           "IRO_BACKGROUND_JOBS": "off"}
    extra = ["--secrets.files", str(secrets_file)] if secrets_file else []
    log = open(db_path.with_suffix(".server.log"), "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *extra],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise RuntimeError("The Streamlit server did not start: "
                                   + db_path.with_suffix(".server.log").read_text()[-2000:])
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def email_of(store, role: str) -> str:
    return next(store.db.query("SELECT email FROM staff WHERE role = ? ORDER BY id LIMIT 1",
                               [role]))["email"]


def fill_sign_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Type into the real sign-in form and send it (it posts to the server's route)."""
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def sign_in(browser, url: str, email: str, path: str = "/") -> Page:
    """A new browser (its own cookies) signed in as ``email`` through the sign-in page."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(url + path)
    fill_sign_in(page, email)
    if path == "/":
        expect(page.get_by_role("heading", name="IRO alerts and escalation")).to_be_visible(
            timeout=WAIT)
    return page


def idle(page: Page) -> None:
    """Wait until Streamlit has finished rerunning the script after the last input, and
    no element is still faded as stale from the run before (a picture or an axe-core check
    of faded elements would see contrast that no one sees once the page has settled)."""
    page.wait_for_timeout(250)
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=WAIT)
    expect(page.locator("[data-stale='true']")).to_have_count(0, timeout=WAIT)


def pick(page: Page, option: str) -> None:
    """Choose a radio option by its words (clicking the words, as people do)."""
    radio = page.get_by_role("radio", name=option, exact=True)
    for _ in range(3):  # a click can land while a rerun redraws the page
        idle(page)
        if radio.is_checked():
            break
        page.get_by_text(option, exact=True).first.click()
    expect(radio).to_be_checked()
    idle(page)


def choose(page: Page, label: str, option: str) -> None:
    """Pick an option in a Streamlit selectbox or multiselect."""
    wanted = page.get_by_role("option", name=re.compile(re.escape(option))).first
    for attempt in range(3):
        idle(page)
        page.get_by_label(label, exact=True).click()
        try:
            wanted.click(timeout=4000)
            idle(page)
            return
        except Exception:
            page.keyboard.press("Escape")
            if attempt == 2:
                screenshot(page, f"failed-choose-{label}")
                raise


def type_date(page: Page, label: str, day_month_year: str) -> None:
    """Type a date the British way: into a form's date field (text the app reads strictly,
    ``ui.widgets.date_field``), or into a Streamlit date input's day, month and year."""
    text = page.get_by_role("textbox", name=label)
    segments = page.get_by_role("spinbutton", name=f"day, {label}")
    text.or_(segments).first.wait_for(timeout=WAIT)
    if text.count():
        text.first.fill(day_month_year)
        text.first.press("Tab")
        return
    segments.click()
    page.keyboard.type(day_month_year.replace("/", ""))
    page.keyboard.press("Tab")


def menu(page: Page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()


@contextmanager
def started_site(folder: Path, policy_id: str | None, as_of: dt.date, *,
                 policy_file: Path | None = None) -> Iterator[tuple]:
    """A demo store (under a preset, or an authority's own ``policy_file``), the app
    serving it, and a Chromium: (url, store, browser)."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium is not installed at {CHROMIUM}: run "
                           "'apt-get install -y chromium' (the CI script does).")
    store = create_store(folder / "e2e.db", policy_id, demo=True, as_of=as_of,
                         policy_file=policy_file)
    with streamlit_server(store.path, as_of.isoformat()) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield url, store, browser
        finally:
            browser.close()


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def accessibility_problems(page: Page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it stands."""
    if not AXE.exists():
        raise RuntimeError("axe-core is not installed: run 'npm ci' in the project folder "
                           "(the CI script does).")
    idle(page)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "where": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]


def assert_accessible(page: Page, name: str) -> None:
    """Zero serious or critical axe-core violations; a screenshot is kept either way."""
    screenshot(page, name)
    problems = accessibility_problems(page)
    assert not problems, f"{name}: {problems}"


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def click_three_times(page: Page, button) -> None:
    """Three clicks on a Save button, a fifth of a second apart, where the button was: as
    testers clicked. (Three clicks in one instant reach the server as one.)"""
    expect(button).to_be_enabled(timeout=WAIT)
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for n in range(3):
        if n:
            page.wait_for_timeout(200)
        page.mouse.click(x, y)


def settled(page: Page, said: re.Pattern | str, name: str = "save") -> None:
    """The save's message is on show and the later clicks' reruns are over (a picture of
    the page is kept if the message never comes, to see why)."""
    try:
        expect(page.get_by_text(said).first).to_be_visible(timeout=WAIT)
    except AssertionError:
        screenshot(page, f"failed-{name}")
        shown = page.get_by_test_id("stAlertContainer").all_inner_texts()
        raise AssertionError(f"{said!r} not shown; the page's messages: {shown}") from None
    idle(page)
    page.wait_for_timeout(1500)
    idle(page)


def managers_of(store, case_ref: str) -> dict[str, str]:
    """E-mail of each role above the child's social worker, nearest first."""
    found: dict[str, str] = {}
    staff_id = next(store.db.query("SELECT social_worker_id FROM children WHERE case_ref = ?",
                                   [case_ref]))["social_worker_id"]
    while staff_id is not None:
        row = next(store.db.query("SELECT email, role, line_manager_id FROM staff WHERE id = ?",
                                  [staff_id]))
        found.setdefault(row["role"], row["email"])
        staff_id = row["line_manager_id"]
    return found
