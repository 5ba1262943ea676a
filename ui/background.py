"""The app's own timer: the sweep at start and once a day, mail every few minutes.

One thread per server process (``st.cache_resource``), with its own connection. It never
stops the app: a failure is logged and tried again at the next turn. Set
``IRO_BACKGROUND_JOBS=off`` to leave the jobs to cron or systemd alone (the tests do).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from pathlib import Path

import streamlit as st

from db.connection import close_thread_connections
from ui.context import now_utc, today
from usecases.mail import MailSettings, mail_server_set
from usecases.scheduled import run_jobs
from usecases.store import open_store

JOBS_ENV = "IRO_BACKGROUND_JOBS"
INTERVAL_SECONDS = 300

log = logging.getLogger("iro.background")


class BackgroundJobs:
    """Runs the scheduled jobs for one store until the process ends."""

    def __init__(self, db_path: str) -> None:
        self.db_path = db_path
        self.last_sweep: dt.date | None = None
        self.last_summary = ""
        self._stop = threading.Event()
        self.worker = f"{socket.gethostname()}:{os.getpid()}:app"

    def run_once(self) -> str:
        """One turn: the sweep if today's has not run, then any mail that is due.

        Mail goes only when a server is named (``mail_server_set``, as ``send-mail`` asks):
        a blank ``IRO_SMTP_HOST`` is unset, not a reason to try the default localhost."""
        mail = MailSettings.from_env() if mail_server_set() else None
        as_of = today()
        store = open_store(Path(self.db_path))
        report = run_jobs(store, as_of=as_of, now=now_utc(),
                          worker=self.worker, mail=mail, sweep=self.last_sweep != as_of)
        self.last_sweep = as_of
        self.last_summary = report.summary()
        return self.last_summary

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                log.info(self.run_once())
            except Exception:
                log.exception("Scheduled jobs failed; trying again in %s s", INTERVAL_SECONDS)
            finally:
                close_thread_connections()
            self._stop.wait(INTERVAL_SECONDS)

    def start(self) -> BackgroundJobs:
        threading.Thread(target=self._loop, name="iro-background-jobs", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()


@st.cache_resource(show_spinner=False)
def start_background_jobs(db_path: str) -> BackgroundJobs | None:
    if os.environ.get(JOBS_ENV, "on").lower() in ("off", "0", "false", "no"):
        return None
    return BackgroundJobs(db_path).start()
