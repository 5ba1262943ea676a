"""Telling people: every event the policy says someone must hear of becomes in-app
notifications and one e-mail in the outbox, in the same transaction as the event itself.

Nothing is sent here: ``usecases.mail`` delivers the outbox later, with retries, so a mail
server being down never loses a message and never blocks recording the event.

The in-app message says what was said ("Service Manager responded: <their words>"); the
e-mail carries no free text about the child, only what kind of thing happened and the link
(``rules.notification_rules.mail_body``).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import replace

from db.notifications import insert_notification
from db.outbox import enqueue_mail
from db.recipients import child_people, staff_by_id
from rules.alert_state import AlertState
from rules.alert_transitions import NewEvent
from rules.notification_rules import Subject, audience, body, mail_body
from rules.roles import role_name
from usecases.recipients import people_for_role, reviewer_of
from usecases.store import Store

BASE_URL_ENV = "IRO_BASE_URL"
DEFAULT_BASE_URL = "http://localhost:8501"


def base_url() -> str:
    """Where the app is served, for links in messages (configuration, not a clock)."""
    return os.environ.get(BASE_URL_ENV, DEFAULT_BASE_URL).rstrip("/")


def notify(
    store: Store,
    event: NewEvent,
    event_id: int,
    *,
    child_id: int,
    state: AlertState | None = None,
) -> int:
    """Write the notifications and the e-mail for one event; returns how many people."""
    child = child_people(store.db, child_id)
    subject = Subject(
        policy=store.policy, kind=event.kind, data=event.data, reason=event.reason,
        child_ref=child["case_ref"],
        ref=state.ref if state else "", track=state.track if state else "",
        level=state.level if state else "", awaiting=state.awaiting if state else "",
        due=state.due.isoformat() if state and state.due else "",
    )
    who = audience(subject)
    if who is None or not who.anyone:
        return 0
    to = _people(store, child_id, who.to_roles, who.to_reviewer)
    cc = [p for p in _people(store, child_id, who.cc_roles, who.cc_reviewer)
          if p["id"] not in {t["id"] for t in to}]
    if event.actor_id is not None:  # nobody is told of what they did themselves
        to = [p for p in to if p["id"] != event.actor_id]
        cc = [p for p in cc if p["id"] != event.actor_id]
    if not to and not cc:
        return 0
    link = (f"{base_url()}/alert?ref={subject.ref}" if subject.ref
            else f"{base_url()}/child?child={subject.child_ref}")
    subject = replace(subject, actor=_actor(store, event))
    return tell(store, event_id=event_id, on=event.on, to=to, cc=cc, subject=who.subject,
                body=body(subject, link), link=link, mail_body=mail_body(subject, link))


def _actor(store: Store, event: NewEvent) -> str:
    """Who did it, for the message: "Frankie Brackenridge (Service Manager)"."""
    if event.rule is not None or not event.actor_role or event.actor_role == "system":
        return ""
    role = role_name(event.actor_role)
    person = staff_by_id(store.db, event.actor_id) if event.actor_id is not None else None
    name = person["name"] if person else ""
    return f"{name} ({role})" if name else f"the {role}"


def tell(
    store: Store,
    *,
    event_id: int,
    on: dt.date,
    to: list[dict],
    cc: list[dict],
    subject: str,
    body: str,
    link: str,
    mail_body: str | None = None,
) -> int:
    """Notify people (staff rows with id and email) of one event: in the app and by one
    e-mail, inside the caller's transaction. Returns how many people.

    ``mail_body`` is the e-mail's text when it must differ from the in-app ``body`` (which
    may quote what people typed; an e-mail never does)."""
    for person, copy in [*((p, False) for p in to), *((p, True) for p in cc)]:
        insert_notification(store.db, event_id=event_id, staff_id=person["id"], copy=copy,
                            subject=subject, body=body, link=link, created_on=on.isoformat())
    enqueue_mail(store.db, to=[p["email"] for p in to], cc=[p["email"] for p in cc],
                 subject=subject, body=body if mail_body is None else mail_body, link=link,
                 event_id=event_id,
                 dedupe_key=f"event:{event_id}", queued_at=f"{on.isoformat()}T00:00:00")
    return len(to) + len(cc)


def _people(store: Store, child_id: int, roles: tuple[str, ...], reviewer: bool) -> list[dict]:
    found: dict[int, dict] = {}
    if reviewer:
        for person in reviewer_of(store, child_id):
            found[person["id"]] = person
    for role in roles:
        for person in people_for_role(store, child_id, role):
            found.setdefault(person["id"], person)
    return list(found.values())
