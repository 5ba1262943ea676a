"""Monthly digests (seed 002, 1.5 and 7): on the first working day of each month every
operational manager is sent their outstanding alerts, and the divisional director a
summary of all of them.

Run by the sweep, whatever day it runs: the digests of a month are made once (keyed by
the month), dated the month's first working day, so a sweep that was paused on that day
still sends them, and one that runs twice sends them once.
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


def send_monthly_digests(store: Store, as_of: dt.date) -> list[dict]:
    """Queue this month's digests if they are due and not yet made; returns what was made."""
    digest_day = first_working_day(store.calendar, as_of)
    created = get_setting(store.db, CREATED_ON)
    if as_of < digest_day or (created and digest_day.isoformat() < created):
        return []  # not due yet; or the month began before this store existed
    month = digest_day.strftime("%Y-%m")
    made: list[dict] = []
    with write_transaction(store.db):
        marker = append_event(
            store.db, kind="monthly_digests", occurred_on=digest_day, actor_role="system",
            rule="monthly_digest", policy_id=store.policy.id,
            policy_version=store.policy.version, dedupe_key=f"digests:{month}",
            reason=f"Monthly digests of outstanding alerts for {digest_day:%B %Y}.",
        )
        if marker is None:
            return []  # this month's were made already
        for role in OPERATIONAL_ROLES:
            for person in active_staff_with_role(store.db, role):
                rows = [r for r in inbox(store, _as_user(person), digest_day)
                        if r.kind == "alert"]
                if rows:
                    made.append(_queue(store, person, month, digest_day,
                                       _manager_digest(person, rows, digest_day)))
        summary_to = next((people for role in SUMMARY_ROLES
                           if (people := active_staff_with_role(store.db, role))), [])
        for person in summary_to:
            made.append(_queue(store, person, month, digest_day,
                               _summary(store, digest_day)))
    return [m for m in made if m]


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
