"""Notes of good practice (seed 000 "Note of Good Practice"; seed 002, 1.2): the IRO records
better-than-good practice by a named worker or a team, and their managers are told.

Counted by team for the dashboards, so the service sees what goes well as well as what
goes wrong. A note may name a child: only one the writer reviews (or acts for the reviewer
of), as the access module (``usecases.access``) decides.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from db.connection import write_transaction
from db.events import append_event
from db.recipients import line_managers_above, staff_by_id
from usecases.access import children_for_action, require_act_on_child
from usecases.accounts import SignedInUser
from usecases.errors import UserError
from usecases.notifications import base_url, tell
from usecases.store import Store

TOLD_ROLES = ("team_manager", "service_manager")
MIN_WORDS = 3


class GoodPracticeInvalid(UserError):
    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(" ".join(errors.values()))


@dataclass(frozen=True)
class GoodPracticeNote:
    what: str
    worker_id: int | None = None
    team_id: int | None = None
    child_ref: str | None = None


def note_good_practice(store: Store, note: GoodPracticeNote, *, user: SignedInUser,
                       on: dt.date, now: dt.datetime) -> int:
    """Record the note and tell the worker's (or team's) team manager and service manager.

    A child named in it must be one this person reviews (or acts for the reviewer of):
    AccessRefused otherwise, recorded in the access audit, with nothing written."""
    db = store.db
    if note.child_ref and db.execute("SELECT 1 FROM children WHERE case_ref = ?",
                                     [note.child_ref]).fetchone():
        require_act_on_child(store, user, note.child_ref, "note_good_practice", now)
    errors: dict[str, str] = {}
    if (note.worker_id is None) == (note.team_id is None):
        errors["about"] = "Choose either the worker or the team whose practice was good."
    worker = staff_by_id(db, note.worker_id) if note.worker_id is not None else None
    if note.worker_id is not None and worker is None:
        errors["about"] = "That worker is not on the staff list."
    if len(note.what.split()) < MIN_WORDS:
        errors["what"] = ("Say what was better than good, so the team can learn from it "
                          f"(at least {MIN_WORDS} words).")
    child_id = None
    if note.child_ref:
        row = db.execute("SELECT id FROM children WHERE case_ref = ?",
                         [note.child_ref]).fetchone()
        if row is None:
            errors["child"] = f"There is no child with case reference {note.child_ref}."
        else:
            child_id = row[0]
    if user.role not in ("iro", "cp_chair", "principal_iro"):
        errors[""] = "Notes of good practice are written by IROs and CP chairs."
    if errors:
        raise GoodPracticeInvalid(errors)
    team_id = note.team_id if note.team_id is not None else (worker or {}).get("team_id")
    with write_transaction(db):
        note_id = db["good_practice"].insert({
            "child_id": child_id, "worker_id": note.worker_id, "team_id": team_id,
            "what": note.what.strip(), "recorded_by": user.staff_id,
            "recorded_on": on.isoformat()}).last_pk
        about = worker["name"] if worker else _team_name(store, team_id)
        event_id = append_event(
            db, kind="good_practice_noted", occurred_on=on, actor_id=user.staff_id,
            actor_role=user.role, child_id=child_id,
            data={"good_practice_id": note_id, "worker_id": note.worker_id, "team_id": team_id,
                  "what": note.what.strip()},
            reason=f"Note of good practice for {about}: {note.what.strip()}")
        assert event_id is not None
        to = _managers(store, worker, team_id)
        tell(store, event_id=event_id, on=on, to=to,
             cc=[worker] if worker else [],
             subject=f"Note of good practice: {about}",
             body=(f"{user.name}, {user.role_name}, noted better than good practice by "
                   f"{about}:\n\n{note.what.strip()}\n\nThank you."),
             link=f"{base_url()}/")
    return note_id


def _team_name(store: Store, team_id: int | None) -> str:
    row = store.db.execute("SELECT name FROM teams WHERE id = ?", [team_id]).fetchone()
    return row[0] if row else "the team"


def _managers(store: Store, worker: dict | None, team_id: int | None) -> list[dict]:
    """The worker's team manager and service manager, or the team's."""
    if worker is not None:
        chain = line_managers_above(store.db, worker["id"])
    else:
        lead = store.db.execute(
            "SELECT id FROM staff WHERE team_id = ? AND role = 'team_manager' AND active = 1 "
            "ORDER BY id LIMIT 1", [team_id]).fetchone()
        if lead is None:
            return []
        manager = staff_by_id(store.db, lead[0])
        chain = [manager, *line_managers_above(store.db, lead[0])] if manager else []
    found: list[dict] = []
    for role in TOLD_ROLES:
        match = next((p for p in chain if p["role"] == role), None)
        if match is not None:
            found.append(match)
    return found


def children_to_name(store: Store, user: SignedInUser) -> list[dict]:
    """The children a note of this person's may name: those they review (or act for the
    reviewer of)."""
    return children_for_action(store, user, "note_good_practice")


def workers_and_teams(store: Store) -> tuple[list[dict], list[dict]]:
    """Who a note can be about: social-work staff, and the teams."""
    workers = list(store.db.query(
        "SELECT s.id, s.name, s.role, t.name AS team FROM staff s LEFT JOIN teams t "
        "ON t.id = s.team_id WHERE s.active = 1 AND s.role IN ('social_worker', "
        "'practice_manager', 'team_manager', 'operations_manager', 'service_manager', "
        "'business_support') ORDER BY s.name"))
    teams = list(store.db.query("SELECT id, name FROM teams ORDER BY name"))
    return workers, teams


def good_practice_by_team(store: Store, since: dt.date | None = None) -> list[dict]:
    sql = ("SELECT coalesce(t.name, 'No team') AS team, count(*) AS notes FROM good_practice g "
           "LEFT JOIN teams t ON t.id = g.team_id")
    params: list = []
    if since is not None:
        sql += " WHERE g.recorded_on >= ?"
        params.append(since.isoformat())
    return list(store.db.query(sql + " GROUP BY 1 ORDER BY 2 DESC, 1", params))
