"""Synthetic demonstration data, so that every screen has something to show.

Every person here is invented: surnames are made-up place-like words, e-mail addresses end
in ``.invalid`` (a domain that can never receive mail) and case references start with
``DEMO-``. Nothing may ever look like a real child's record. This module makes the people
(teams, staff for every role the policy names, a business support officer in each
social-work team, and 60 children); ``usecases.demo_history`` then plays three years of
their reviews, alerts, significant changes and notes of good practice through the use
cases. The data is a deterministic function of the policy and ``as_of``, so two demos made
the same day are identical.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import sqlite_utils

from db.accounts import set_password_hash
from db.connection import write_transaction
from db.events import append_event
from db.people import insert_child, insert_staff, insert_team
from db.settings import get_setting, set_setting
from rules.roles import ACTS_AS_REVIEWER, ROLES, role_name
from usecases.access import person
from usecases.accounts import hash_password
from usecases.demo_history import (
    DemoChild,
    History,
    HistoryReport,
    demo_moment,
    history_start,
    one_commit,
)
from usecases.permanence import record_placement
from usecases.practice_concerns import refer_concern
from usecases.sweeping import sweep_all

if TYPE_CHECKING:
    from rules.policy import Policy
    from usecases.store import Store

FIRST_NAMES = (
    "Alex", "Sam", "Jordan", "Riley", "Casey", "Charlie", "Robin", "Jamie", "Taylor",
    "Morgan", "Frankie", "Quinn", "Rowan", "Sasha", "Kit", "Remy", "Ellis", "Harley",
    "Jesse", "Skye", "Avery", "Billie", "Dana", "Emery", "Finley", "Hayden", "Indigo",
)
SURNAMES = (
    "Ambervale", "Brackenridge", "Cloudsley", "Dunmarsh", "Elmstead", "Fernhollow",
    "Glimmerton", "Hazelcombe", "Inkwater", "Juniperfield", "Kestrelby", "Larkspur",
    "Mossgrove", "Nettlefold", "Oakhaven", "Pebblestone", "Quillbrook", "Rushmere",
    "Sorrelbank", "Thistledown", "Umberfold", "Willowmere", "Yarrowby", "Zephyrton",
)
SOCIAL_WORK_TEAMS = (
    ("Children in Care North", "Children in Care"),
    ("Children in Care South", "Children in Care"),
    ("Safeguarding East", "Safeguarding"),
    ("Safeguarding West", "Safeguarding"),
)
REVIEWING_TEAM = ("Independent Reviewing Service", "Quality Assurance")
SENIOR_TEAM = ("Senior Leadership", "Children's Services")
CHILDREN = 60
DEMO_AUTHORITY_DOMAIN = "demo-authority.invalid"
#: Every demo account signs in with this password (demo stores only; never a real one).
DEMO_PASSWORD = "demo-password"
DEMO_SETTING = "demo"

#: Senior roles in the order each line-manages the one before it.
SENIORITY = (
    "team_manager", "operations_manager", "service_manager", "strategic_manager",
    "deputy_head_of_service", "head_of_service", "qa_head_of_service", "service_director",
    "assistant_director", "divisional_director", "director", "executive_director",
    "deputy_chief_executive", "chief_executive",
)


@dataclass
class _People:
    """Who the demo made, so later steps can address and link them."""

    by_role: dict[str, list[int]] = field(default_factory=dict)
    by_team: dict[int, dict[str, list[int]]] = field(default_factory=dict)

    def add(self, role: str, staff_id: int, team_id: int) -> None:
        self.by_role.setdefault(role, []).append(staff_id)
        self.by_team.setdefault(team_id, {}).setdefault(role, []).append(staff_id)

    def first(self, role: str) -> int | None:
        ids = self.by_role.get(role)
        return ids[0] if ids else None


class _Names:
    """Unique synthetic names, drawn without repeats."""

    def __init__(self, rng: random.Random) -> None:
        pairs = [(f, s) for f in FIRST_NAMES for s in SURNAMES]
        rng.shuffle(pairs)
        self._pairs = iter(pairs)

    def next(self) -> tuple[str, str]:
        return next(self._pairs)


def add_demo_data(store: Store, *, as_of: dt.date) -> HistoryReport:
    """Teams, staff for every role the policy names, 60 children, and three years of their
    reviews, alerts, significant changes and notes of good practice up to ``as_of``."""
    policy = store.policy
    rng = random.Random(f"{policy.id}:{as_of.isoformat()}")
    names = _Names(rng)
    start = history_start(as_of)
    with one_commit(store):
        with write_transaction(store.db):
            set_setting(store.db, DEMO_SETTING, "1")
            people, sw_teams = _add_teams_and_staff(store, policy, names, start)
            children = _add_children(store, policy, rng, names, people, sw_teams, start,
                                     as_of)
        report = History(store, children, seed=f"{policy.id}:{as_of.isoformat()}:history",
                         as_of=as_of).play()
        _add_placements_and_practice_concern(store, rng, as_of)
        sweep_all(store, as_of)
    return report


@lru_cache(maxsize=1)
def _demo_password_hash() -> str:
    """One argon2 hash shared by every demo account: hashing is slow on purpose."""
    return hash_password(DEMO_PASSWORD)


def _account_order(role: str) -> tuple[int, int]:
    """The reviewers first, then the social-work side by seniority, business support and
    the administrator last (the order of ``rules.roles.ROLES``)."""
    order = list(ROLES)
    return (0 if role in ACTS_AS_REVIEWER else 1, order.index(role) if role in order
            else len(order))


def demo_accounts(db: sqlite_utils.Database) -> list[dict[str, str]]:
    """One demo account for every role the demo store has: who to sign in as to see each
    screen. Where a role is held in several teams, someone in a team with children is
    suggested (business support sees its own team's children)."""
    if get_setting(db, DEMO_SETTING) != "1":
        return []
    roles = sorted((r["role"] for r in db.query("SELECT DISTINCT role FROM staff")),
                   key=_account_order)
    accounts = []
    for role in roles:
        rows = list(db.query(
            "SELECT s.name, s.email FROM staff s WHERE s.role = ? AND s.active = 1 "
            "ORDER BY EXISTS (SELECT 1 FROM children c WHERE c.team_id = s.team_id) DESC, "
            "s.id LIMIT 1", [role]))
        if rows:
            accounts.append({"role": role_name(role), "name": rows[0]["name"],
                             "email": rows[0]["email"]})
    return accounts


def _email(first: str, last: str) -> str:
    return f"{first}.{last}@{DEMO_AUTHORITY_DOMAIN}".lower()


def _staff(
    store: Store,
    people: _People,
    names: _Names,
    role: str,
    team_id: int,
    line_manager_id: int | None,
    since: dt.date,
) -> int:
    first, last = names.next()
    staff_id = insert_staff(
        store.db,
        name=f"{first} {last}",
        email=_email(first, last),
        role=role,
        team_id=team_id,
        line_manager_id=line_manager_id,
    )
    set_password_hash(store.db, staff_id, _demo_password_hash())
    people.add(role, staff_id, team_id)
    append_event(
        store.db,
        kind="staff_added",
        occurred_on=since,
        actor_role="admin",
        data={"staff_id": staff_id, "role": role, "team_id": team_id,
              "name": f"{first} {last}", "email": _email(first, last),
              "line_manager_id": line_manager_id, "active": 1},
        reason=f"Demo data: {first} {last} added as {role_name(role)}.",
    )
    return staff_id


def _team(store: Store, name: str, service: str, since: dt.date) -> int:
    """A team, and the ``team_added`` event the teams table is rebuilt from."""
    team_id = insert_team(store.db, name, service)
    append_event(store.db, kind="team_added", occurred_on=since, actor_role="admin",
                 data={"team_id": team_id, "name": name, "service": service},
                 reason=f"Demo data: team {name} added.")
    return team_id


def _add_teams_and_staff(
    store: Store, policy: Policy, names: _Names, since: dt.date
) -> tuple[_People, list[int]]:
    people = _People()
    senior_team = _team(store, *SENIOR_TEAM, since)
    reviewing_team = _team(store, *REVIEWING_TEAM, since)

    wanted = set(policy.roles()) | {"team_manager", "service_manager", "head_of_service"}
    senior_roles = [r for r in reversed(SENIORITY) if r in wanted and r != "team_manager"]
    manager: int | None = None
    for role in senior_roles:  # most senior first, so each has a line manager to name
        manager = _staff(store, people, names, role, senior_team, manager, since)

    service_manager = people.first("service_manager")
    principal = _staff(store, people, names, "principal_iro", reviewing_team,
                       people.first("head_of_service"), since)
    for _ in range(4):
        _staff(store, people, names, "iro", reviewing_team, principal, since)
    if "cp" in policy.tracks:
        for _ in range(2):
            _staff(store, people, names, "cp_chair", reviewing_team, principal, since)
    _staff(store, people, names, "business_support", reviewing_team, principal, since)
    _staff(store, people, names, "admin", senior_team, None, since)

    sw_teams = []
    for team_name, service in SOCIAL_WORK_TEAMS:
        team_id = _team(store, team_name, service, since)
        sw_teams.append(team_id)
        team_manager = _staff(store, people, names, "team_manager", team_id, service_manager,
                              since)
        practice_manager = _staff(store, people, names, "practice_manager", team_id,
                                  team_manager, since)
        for _ in range(3):
            _staff(store, people, names, "social_worker", team_id, practice_manager, since)
        _staff(store, people, names, "business_support", team_id, team_manager, since)
    return people, sw_teams


def _add_children(
    store: Store,
    policy: Policy,
    rng: random.Random,
    names: _Names,
    people: _People,
    sw_teams: list[int],
    start: dt.date,
    as_of: dt.date,
) -> list[DemoChild]:
    """The 60 children: most known to the service before the history starts, the rest
    arriving during it (each at least two months before ``as_of``, so every child has had
    a review)."""
    has_cp = "cp" in policy.tracks
    span = (as_of - start).days
    children = []
    for n in range(1, CHILDREN + 1):
        first, last = names.next()
        team = (n - 1) % len(sw_teams)
        team_id = sw_teams[team]
        child_protection = has_cp and n % 3 == 0
        reviewer_role = "cp_chair" if child_protection else "iro"
        reviewer = rng.choice(people.by_role[reviewer_role])
        social_worker = rng.choice(people.by_team[team_id]["social_worker"])
        age_days = rng.randint(200, (15 if child_protection else 17) * 365)
        born = as_of - dt.timedelta(days=age_days)
        if rng.random() < 0.75:
            since = start - dt.timedelta(days=rng.randint(30, 4 * 365))
        else:
            since = start + dt.timedelta(days=rng.randint(0, span - 60))
        since = min(max(since, born + dt.timedelta(days=rng.randint(1, 90))),
                    as_of - dt.timedelta(days=60))
        since = store.calendar.add_working_days(since, 0)
        case_ref = f"DEMO-{n:04d}"
        name = f"{first} {last}"
        child_id = insert_child(
            store.db,
            case_ref=case_ref,
            name=name,
            date_of_birth=born,
            legal_status="child_protection" if child_protection else "looked_after",
            team_id=team_id,
            social_worker_id=social_worker,
            reviewer_id=reviewer,
        )
        append_event(
            store.db,
            kind="child_added",
            occurred_on=since,
            actor_role="admin",
            child_id=child_id,
            data={"case_ref": case_ref, "name": name, "date_of_birth": born.isoformat(),
                  "legal_status": "child_protection" if child_protection else "looked_after",
                  "team_id": team_id, "social_worker_id": social_worker,
                  "reviewer_id": reviewer},
            reason="Demo data: synthetic child added.",
        )
        children.append(DemoChild(
            id=child_id, ref=case_ref, name=name, team=team, team_id=team_id,
            track=policy.track("cp" if child_protection else "iro"), reviewer_id=reviewer,
            worker_id=social_worker, since=since))
    return children


def _add_placements_and_practice_concern(
    store: Store, rng: random.Random, as_of: dt.date
) -> None:
    """Placement facts for a few looked-after children and (where the policy has the
    procedure) a concern about an IRO's practice, so those screens have something to show."""
    db, calendar = store.db, store.calendar
    looked_after = list(db.query(
        "SELECT c.id, c.case_ref, c.social_worker_id FROM children c "
        "WHERE c.legal_status = 'looked_after' ORDER BY c.id"))
    for child in looked_after[:6:2]:
        long_ago = as_of - dt.timedelta(days=rng.randint(300, 420))
        record_placement(store, child_ref=child["case_ref"],
                         placed_with_parents_since=long_ago if child is looked_after[0] else None,
                         permanence_plan=None if child is looked_after[0] else "adoption",
                         permanence_decision_on=None if child is looked_after[0] else long_ago,
                         permanence_placed_on=None,
                         user=person(store, staff_id=child["social_worker_id"]), on=as_of,
                         now=demo_moment(as_of))
    reviewer = next(iter(db.query("SELECT id FROM staff WHERE role = 'iro' ORDER BY id "
                                  "LIMIT 1")), None)
    if store.policy.practice_concerns is not None and reviewer is not None:
        worker = looked_after[1]
        referred_on = calendar.add_working_days(as_of - dt.timedelta(days=25), 0)
        refer_concern(store, about_staff_id=reviewer["id"], child_ref=worker["case_ref"],
                      concern="Demo concern: the review was rescheduled twice at short notice.",
                      user=person(store, staff_id=worker["social_worker_id"]), on=referred_on,
                      now=demo_moment(referred_on))
