"""The jobs that must run when nobody is signed in: the sweep, and mail delivery.

Run from cron or a systemd timer through ``manage.py sweep`` and ``manage.py send-mail``,
and by the app itself at start and daily while it is up (``ui.background``). Both are
idempotent, so running them from several places at once is safe.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from usecases.mail import MailSettings, SendReport, send_pending
from usecases.store import Store
from usecases.sweeping import sweep_all


@dataclass(frozen=True)
class JobReport:
    swept: int | None  # derived events written, or None when the sweep was not due
    mail: SendReport | None  # None when mail is not configured

    def summary(self) -> str:
        parts = []
        if self.swept is not None:
            parts.append(f"Sweep: {self.swept} events made by the rules.")
        parts.append(self.mail.summary() if self.mail else "Mail delivery is not configured.")
        return " ".join(parts)


def run_jobs(
    store: Store,
    *,
    as_of: dt.date,
    now: dt.datetime,
    worker: str,
    mail: MailSettings | None,
    sweep: bool = True,
) -> JobReport:
    swept = len(sweep_all(store, as_of)) if sweep else None
    report = send_pending(store, mail, now=now, worker=worker) if mail else None
    return JobReport(swept=swept, mail=report)
