"""Monthly digests (seed 002, 1.5 and 7): on the first working day of each month every
operational manager is sent their outstanding alerts, and the divisional director a
summary of all of them.

Run by the sweep, whatever day it runs: the digests of a month are made once (each keyed
by the month and the person, the month's marker event by the month), dated the month's
first working day, so a sweep that was paused on that day still sends them, and one that
runs twice, or is stopped halfway and run again, sends each once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from db.connection import write_transaction
from db.events import append_event
from db.notifications import insert_notification
from db.outbox import enqueue_mail
from db.recipients import active_staff_with_role
from db.settings import CREATED_ON, get_setting
from rules.dates import uk_date
from rules.roles import role_name
from rules.working_days import WorkingCalendar
from usecases.accounts import SignedInUser
from usecases.alerts import OnCommitted
from usecases.inbox import inbox
from usecases.notifications import base_url
from usecases.store import Store

#: The managers who answer alerts and so get a digest of what they owe.
OPERATIONAL_ROLES = ("team_manager", "practice_manager", "operations_manager",
                     "service_manager", "strategic_manager", "deputy_head_of_service",
                     "head_of_service")
#: Who gets the summary of every outstanding alert, the first one the store has.
SUMMARY_ROLES = ("divisional_director", "director", "assistant_director")


def first_working_day(calendar: WorkingCalendar, day: dt.date) -> dt.date:
    """The first working day of ``day``'s month: when that month's digests are due."""
    return calendar.add_working_days(day.replace(day=1), 0)


def send_monthly_digests(store: Store, as_of: dt.date, batch_size: int = 50,
                         on_committed: OnCommitted | None = None) -> list[dict]:
    """Queue this month's digests if they are due and not yet made; returns what was made.

    Each digest is an inbox read, so they are queued ``batch_size`` people to a transaction
    to keep the write lock short, and ``on_committed`` is given each batch's digests as soon
    as it commits. Every digest has its own dedupe key (month and person), so a batch run
    twice queues nothing twice; the month's ``monthly_digests`` event is written last, once
    every digest is queued, so a sweep stopped halfway leaves it out and the next sweep
    finishes the month (skipping those already queued) instead of taking it as done.
    """
    digest_day = first_working_day(store.calendar, as_of)
    created = get_setting(store.db, CREATED_ON)
    if as_of < digest_day or (created and digest_day.isoformat() < created):
        return []  # not due yet; or the month began before this store existed
    month = digest_day.strftime("%Y-%m")
    if _month_done(store, month):
        return []  # this month's were made already
    made: list[dict] = []
    people = _recipients(store)
    for start in range(0, len(people), batch_size):
        with write_transaction(store.db):
            batch = [m for person, summary in people[start:start + batch_size]
                     if (m := _digest_for(store, person, summary, month, digest_day))]
        made.extend(batch)
        if on_committed is not None and batch:  # committed: say so before the next batch
            on_committed(batch)
    with write_transaction(store.db):
        append_event(
            store.db, kind="monthly_digests", occurred_on=digest_day, actor_role="system",
            rule="monthly_digest", policy_id=store.policy.id,
            policy_version=store.policy.version, dedupe_key=_month_key(month),
            reason=f"Monthly digests of outstanding alerts for {digest_day:%B %Y}.",
        )  # None if another sweep finished the month first: its digests were deduped
    return made


def _month_key(month: str) -> str:
    return f"digests:{month}"


def _month_done(store: Store, month: str) -> bool:
    """Whether the month's marker is logged: a fast way out for the rest of the month. It is
    read from ``events``, as ``append_event`` checks dedupe keys there."""
    return store.db.execute("SELECT 1 FROM events WHERE dedupe_key = ?",
                            [_month_key(month)]).fetchone() is not None


def _recipients(store: Store) -> list[tuple[dict, bool]]:
    """Who is sent a digest, and whether theirs is the summary: every active operational
    manager (theirs only if something waits for them), then the summary roles' first."""
    managers = [(person, False) for role in OPERATIONAL_ROLES
                for person in active_staff_with_role(store.db, role)]
    summary_to = next((people for role in SUMMARY_ROLES
                       if (people := active_staff_with_role(store.db, role))), [])
    return [*managers, *((person, True) for person in summary_to)]


def _digest_for(store: Store, person: dict, summary: bool, month: str,
                day: dt.date) -> dict | None:
    """Queue one person's digest inside the caller's transaction; None if there is nothing
    to tell them, or it was queued before (by an earlier run, or another process)."""
    if summary:
        return _queue(store, person, month, day, _summary(store, day))
    rows = [r for r in inbox(store, _as_user(person), day) if r.kind == "alert"]
    if not rows:
        return None
    return _queue(store, person, month, day, _manager_digest(person, rows, day))


def _as_user(person: dict) -> SignedInUser:
    return SignedInUser(staff_id=person["id"], name=person["name"], email=person["email"],
                        role=person["role"], team_id=person["team_id"], team_name=None)


def _manager_digest(person: dict, rows: list, day: dt.date) -> tuple[str, str]:
    overdue = sum(1 for r in rows if r.overdue)
    subject = (f"Your outstanding alerts on {uk_date(day)}: {len(rows)}"
               + (f", {overdue} overdue" if overdue else ""))
    lines = [f"Dear {person['name']},", "",
             f"These alerts of concern are waiting for you as {role_name(person['role'])}:", ""]
    lines += [f"- {r.asked} ({r.child_ref}): {r.when}" for r in rows]
    lines += ["", f"Open your inbox: {base_url()}/inbox"]
    return subject, "\n".join(lines)


def _summary(store: Store, day: dt.date) -> tuple[str, str]:
    rows = list(store.db.query(
        "SELECT level, track, due, awaiting FROM alerts WHERE status = 'open'"))
    by_level = Counter()
    overdue = 0
    for row in rows:
        track = store.policy.track(row["track"])
        label = (track.informal.label if row["level"] == "informal"
                 else track.level(row["level"]).label)
        by_level[f"{track.label}: {label}"] += 1
        if row["due"] and row["awaiting"] not in ("iro", None) and row["due"] < day.isoformat():
            overdue += 1
    subject = f"Outstanding alerts on {uk_date(day)}: {len(rows)} open, {overdue} overdue"
    lines = [f"All open alerts of concern on {uk_date(day)}, by where they are on the ladder:",
             ""]
    lines += [f"- {label}: {n}" for label, n in sorted(by_level.items())]
    lines += ["", f"{overdue} are waiting for a manager's response past their due date.", "",
              f"See them all: {base_url()}/inbox"]
    return subject, "\n".join(lines)


def _queue(store: Store, person: dict, month: str, day: dt.date,
           message: tuple[str, str]) -> dict | None:
    subject, text = message
    queued = enqueue_mail(store.db, to=[person["email"]], cc=[], subject=subject, body=text,
                          link=f"{base_url()}/inbox", kind="digest",
                          dedupe_key=f"digest:{month}:{person['id']}",
                          queued_at=f"{day.isoformat()}T07:00:00")
    if queued is None:
        return None
    insert_notification(store.db, event_id=None, staff_id=person["id"], copy=False,
                        subject=subject, body=text, link=f"{base_url()}/inbox",
                        created_on=day.isoformat())
    return {"digest": month, "to": person["email"], "date": day.isoformat(),
            "subject": subject}
