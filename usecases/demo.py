"""Synthetic demonstration data, so that every screen has something to show.

Every person here is invented: surnames are made-up place-like words, e-mail addresses end
in ``.invalid`` (a domain that can never receive mail) and case references start with
``DEMO-``. Nothing may ever look like a real child's record. The data is a deterministic
function of the policy and ``as_of``, so two demos made the same day are identical.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import sqlite_utils

from db.accounts import set_password_hash
from db.alerts import alert_by_ref
from db.connection import write_transaction
from db.events import append_event
from db.people import insert_child, insert_staff, insert_team
from db.reviews import insert_review_form
from db.settings import get_setting, set_setting
from rules.alert_state import OUTCOMES
from rules.alert_transitions import Command
from rules.roles import role_name
from rules.working_days import WorkingCalendar
from usecases.accounts import SignedInUser, hash_password
from usecases.alerts import AlertRefused, act_in_transaction, raise_in_transaction
from usecases.changes import notify_change
from usecases.good_practice import GoodPracticeNote, note_good_practice
from usecases.permanence import record_placement
from usecases.practice_concerns import refer_concern
from usecases.reviews import PARTICIPATION, ReviewForm, record_review, reply_to_decisions
from usecases.sweeping import sweep_all

if TYPE_CHECKING:
    from rules.policy import Policy, Track
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
#: The roles whose demo accounts the README and the sign-in page suggest.
SUGGESTED_ROLES = ("iro", "cp_chair", "team_manager", "service_manager", "head_of_service")

#: Senior roles in the order each line-manages the one before it.
SENIORITY = (
    "team_manager", "operations_manager", "service_manager", "strategic_manager",
    "deputy_head_of_service", "head_of_service", "qa_head_of_service", "service_director",
    "assistant_director", "divisional_director", "director", "executive_director",
    "deputy_chief_executive", "chief_executive",
)


@dataclass(frozen=True)
class _LatestReview:
    """A child's most recent review, recorded through the monitoring form's use case."""

    child_id: int
    kind: str
    held_on: dt.date
    rag: str
    reviewer: int
    reviewer_role: str


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


def add_demo_data(store: Store, *, as_of: dt.date) -> None:
    """Teams, staff for every role the policy names, 60 children, reviews and alerts."""
    policy = store.policy
    rng = random.Random(f"{policy.id}:{as_of.isoformat()}")
    names = _Names(rng)
    calendar = store.calendar
    latest: list[_LatestReview] = []
    with write_transaction(store.db):
        set_setting(store.db, DEMO_SETTING, "1")
        people, sw_teams = _add_teams_and_staff(store, policy, names, as_of)
        _add_children_reviews_and_alerts(
            store, policy, calendar, rng, names, people, sw_teams, as_of, latest
        )
    for review in latest:
        _record_latest_review(store, rng, review, as_of)
    _add_changes_practice_and_placements(store, rng, as_of)
    sweep_all(store, as_of)


@lru_cache(maxsize=1)
def _demo_password_hash() -> str:
    """One argon2 hash shared by every demo account: hashing is slow on purpose."""
    return hash_password(DEMO_PASSWORD)


def demo_accounts(db: sqlite_utils.Database) -> list[dict[str, str]]:
    """One demo account per suggested role: who to sign in as to see each screen."""
    if get_setting(db, DEMO_SETTING) != "1":
        return []
    accounts = []
    for role in SUGGESTED_ROLES:
        rows = list(db.query("SELECT name, email FROM staff WHERE role = ? ORDER BY id LIMIT 1",
                             [role]))
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
    as_of: dt.date,
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
        occurred_on=as_of,
        actor_role="admin",
        data={"staff_id": staff_id, "role": role, "team_id": team_id},
        reason=f"Demo data: {first} {last} added as {role_name(role)}.",
    )
    return staff_id


def _add_teams_and_staff(
    store: Store, policy: Policy, names: _Names, as_of: dt.date
) -> tuple[_People, list[int]]:
    db = store.db
    people = _People()
    senior_team = insert_team(db, *SENIOR_TEAM)
    reviewing_team = insert_team(db, *REVIEWING_TEAM)

    wanted = set(policy.roles()) | {"team_manager", "service_manager", "head_of_service"}
    senior_roles = [r for r in reversed(SENIORITY) if r in wanted and r != "team_manager"]
    manager: int | None = None
    for role in senior_roles:  # most senior first, so each has a line manager to name
        manager = _staff(store, people, names, role, senior_team, manager, as_of)

    service_manager = people.first("service_manager")
    principal = _staff(store, people, names, "principal_iro", reviewing_team,
                       people.first("head_of_service"), as_of)
    for _ in range(4):
        _staff(store, people, names, "iro", reviewing_team, principal, as_of)
    if "cp" in policy.tracks:
        for _ in range(2):
            _staff(store, people, names, "cp_chair", reviewing_team, principal, as_of)
    _staff(store, people, names, "business_support", reviewing_team, principal, as_of)
    _staff(store, people, names, "admin", senior_team, None, as_of)

    sw_teams = []
    for team_name, service in SOCIAL_WORK_TEAMS:
        team_id = insert_team(db, team_name, service)
        sw_teams.append(team_id)
        team_manager = _staff(store, people, names, "team_manager", team_id, service_manager, as_of)
        practice_manager = _staff(store, people, names, "practice_manager", team_id,
                                  team_manager, as_of)
        for _ in range(3):
            _staff(store, people, names, "social_worker", team_id, practice_manager, as_of)
    return people, sw_teams


def _add_children_reviews_and_alerts(
    store: Store,
    policy: Policy,
    calendar: WorkingCalendar,
    rng: random.Random,
    names: _Names,
    people: _People,
    sw_teams: list[int],
    as_of: dt.date,
    latest: list[_LatestReview],
) -> None:
    has_cp = "cp" in policy.tracks
    alerts_made = 0
    for n in range(1, CHILDREN + 1):
        first, last = names.next()
        team_id = sw_teams[(n - 1) % len(sw_teams)]
        child_protection = has_cp and n % 3 == 0
        reviewer_role = "cp_chair" if child_protection else "iro"
        reviewer = rng.choice(people.by_role[reviewer_role])
        social_worker = rng.choice(people.by_team[team_id]["social_worker"])
        age_days = rng.randint(200, 17 * 365)
        child_id = insert_child(
            store.db,
            case_ref=f"DEMO-{n:04d}",
            name=f"{first} {last}",
            date_of_birth=as_of - dt.timedelta(days=age_days),
            legal_status="child_protection" if child_protection else "looked_after",
            team_id=team_id,
            social_worker_id=social_worker,
            reviewer_id=reviewer,
        )
        append_event(
            store.db,
            kind="child_added",
            occurred_on=as_of - dt.timedelta(days=min(age_days, 600)),
            actor_role="admin",
            child_id=child_id,
            reason="Demo data: synthetic child added.",
        )
        rags = _add_reviews(store, calendar, rng, child_id, reviewer, child_protection, as_of,
                            latest)
        track_id = "cp" if child_protection else "iro"
        if rags and rags[-1] in ("amber", "red") and rng.random() < 0.6:
            alerts_made += 1
            _add_alert(store, policy.track(track_id), calendar, rng,
                       (child_id, f"DEMO-{n:04d}"), reviewer, alerts_made, as_of)


def _add_reviews(
    store: Store,
    calendar: WorkingCalendar,
    rng: random.Random,
    child_id: int,
    reviewer: int,
    child_protection: bool,
    as_of: dt.date,
    latest: list[_LatestReview],
) -> list[str]:
    kind = "cp_conference" if child_protection else "lac_review"
    count = rng.randint(1, 4)
    held_on = calendar.add_working_days(as_of - dt.timedelta(days=rng.randint(3, 80)), 0)
    dates = []
    for _ in range(count):
        if held_on <= as_of:
            dates.append(held_on)
        gap = rng.randint(90, 180)
        held_on = calendar.add_working_days(held_on - dt.timedelta(days=gap), 0)
    rags = []
    for n, held in enumerate(sorted(dates), start=1):
        rag = rng.choices(("green", "amber", "red"), weights=(55, 30, 15))[0]
        rags.append(rag)
        if n == len(dates):  # the latest goes through the monitoring form, after the rest
            latest.append(_LatestReview(child_id, kind, held, rag, reviewer,
                                        "cp_chair" if child_protection else "iro"))
            break
        review_id = insert_review_form(
            store.db, child_id=child_id, kind=kind, held_on=held, reviewer_id=reviewer, rag=rag,
            summary=f"Demo review: plan judged {rag}.", data={}, recorded_on=held,
        )
        append_event(
            store.db,
            kind="review_recorded",
            occurred_on=held,
            actor_id=reviewer,
            actor_role="cp_chair" if child_protection else "iro",
            child_id=child_id,
            review_id=review_id,
            data={"kind": kind, "rag": rag},
            reason=f"Demo data: review recorded, plan judged {rag}.",
        )
    return rags


def _record_latest_review(
    store: Store, rng: random.Random, review: _LatestReview, as_of: dt.date
) -> None:
    track = store.policy.track("cp" if review.kind == "cp_conference" else "iro")
    worried = review.rag in ("amber", "red")
    category = rng.choice(track.categories)
    form = ReviewForm(
        child_id=review.child_id, kind=review.kind, held_on=review.held_on, rag=review.rag,
        progress=f"Demo review: the plan is judged {review.rag}.",
        concerns=(category.id,) if worried else (),
        concern_details=f"Demo concern: {category.label.lower()}." if worried else "",
        documents={d.id: {"present": rng.random() < 0.9, "up_to_date": rng.random() < 0.7,
                          "adequate": rng.random() < 0.7}
                   for d in store.policy.key_documents},
        participation=rng.choice(list(PARTICIPATION)),
        child_knows_rights=rng.random() < 0.8,
        iro_actions=(("Check the plan's actions are on track (demo).",
                      review.held_on + dt.timedelta(days=28)),),
        decisions="Demo decisions: the care plan continues; actions as listed.",
        resolution_sought="Demo: the plan put back on track within a month." if worried else "",
    )
    recorded_on = min(as_of, store.calendar.add_working_days(review.held_on, rng.randint(1, 6)))
    recorded = record_review(store, form, actor_id=review.reviewer,
                             actor_role=review.reviewer_role, recorded_on=recorded_on)
    replied_on = store.calendar.add_working_days(recorded_on, rng.randint(1, 4))
    manager = _team_manager_of(store, review.child_id)
    if manager is not None and replied_on <= as_of and rng.random() < 0.85:
        agree = rng.random() < 0.9
        reply_to_decisions(store, recorded.review_id, agree=agree,
                           note="" if agree else "Demo reply: the contact decision needs panel.",
                           actor_id=manager, actor_role="team_manager", on=replied_on)


def _add_changes_practice_and_placements(
    store: Store, rng: random.Random, as_of: dt.date
) -> None:
    """A few significant changes, notes of good practice, placement facts and (where the
    policy has the procedure) a concern about an IRO's practice, so those screens have
    something to show."""
    db, calendar = store.db, store.calendar
    kids = list(db.query(
        "SELECT c.id, c.case_ref, c.social_worker_id, c.reviewer_id, c.team_id, c.legal_status "
        "FROM children c ORDER BY c.id"))
    looked_after = [k for k in kids if k["legal_status"] == "looked_after"]
    types = store.policy.significant_changes.types
    review_first = [t for t in types if t.review_before]
    others = [t for t in types if not t.review_before]
    for n, child in enumerate(rng.sample(looked_after, min(8, len(looked_after)))):
        kind = (review_first or others)[n % len(review_first or others)] if n < 3 \
            else rng.choice(others or types)
        happened = calendar.add_working_days(as_of - dt.timedelta(days=rng.randint(3, 30)), 0)
        told = min(as_of, calendar.add_working_days(happened, rng.choice((0, 1, 1, 4))))
        notify_change(store, child_ref=child["case_ref"], change_type=kind.id,
                      happened_on=happened, description=f"Demo change: {kind.label.lower()}.",
                      actor_id=child["social_worker_id"], actor_role="social_worker", on=told)
    reviewer = next((p for p in db.query("SELECT * FROM staff WHERE role = 'iro' LIMIT 1")),
                    None)
    if reviewer is not None:
        author = SignedInUser(staff_id=reviewer["id"], name=reviewer["name"],
                              email=reviewer["email"], role="iro", team_id=reviewer["team_id"],
                              team_name=None)
        workers = [r["id"] for r in db.query("SELECT id FROM staff WHERE role = "
                                              "'social_worker' ORDER BY id")]
        for worker in rng.sample(workers, min(4, len(workers))):
            note_good_practice(store, GoodPracticeNote(
                what="Demo note: thorough, child-centred preparation for the review.",
                worker_id=worker), user=author,
                on=as_of - dt.timedelta(days=rng.randint(1, 60)))
    for child in looked_after[:6:2]:
        long_ago = as_of - dt.timedelta(days=rng.randint(300, 420))
        record_placement(store, child_ref=child["case_ref"],
                         placed_with_parents_since=long_ago if child is looked_after[0] else None,
                         permanence_plan=None if child is looked_after[0] else "adoption",
                         permanence_decision_on=None if child is looked_after[0] else long_ago,
                         permanence_placed_on=None, actor_id=child["social_worker_id"],
                         actor_role="social_worker", on=as_of)
    if store.policy.practice_concerns is not None and reviewer is not None:
        worker = looked_after[1]
        refer_concern(store, about_staff_id=reviewer["id"], child_ref=worker["case_ref"],
                      concern="Demo concern: the review was rescheduled twice at short notice.",
                      actor_id=worker["social_worker_id"], actor_role="social_worker",
                      on=calendar.add_working_days(as_of - dt.timedelta(days=25), 0))


def _team_manager_of(store: Store, child_id: int) -> int | None:
    row = store.db.execute(
        "SELECT s.id FROM children c JOIN staff s ON s.team_id = c.team_id "
        "AND s.role = 'team_manager' WHERE c.id = ? LIMIT 1", [child_id]).fetchone()
    return row[0] if row else None


def _add_alert(
    store: Store,
    track: Track,
    calendar: WorkingCalendar,
    rng: random.Random,
    child: tuple[int, str],
    reviewer: int,
    number: int,
    as_of: dt.date,
) -> None:
    """Raise an alert through the engine and play a few steps of its history."""
    child_id, child_ref = child
    raiser = track.raised_by[-1] if track.id == "cp" else track.raised_by[0]
    raised_on = min(calendar.add_working_days(as_of - dt.timedelta(days=rng.randint(2, 40)), 0),
                    as_of)
    category = rng.choice(track.categories)
    formal = track.bypass.allowed and rng.random() < 0.4
    command = Command(
        kind="raised", on=raised_on, actor_role=raiser, actor_id=reviewer,
        level=track.levels[0].role if formal else "informal", category=category.id,
        gate="Discussed with my line manager, who agreed (demo data)." if formal else "",
    )
    recorded = raise_in_transaction(
        store, child_id=child_id, child_ref=child_ref, track=track.id, command=command,
        ref=f"DEMO-A{number:03d}",
        concern=f"Demo concern: {category.label.lower()}.",
        outcome_sought="Demo outcome sought: the plan is put back on track, with dates.",
    )
    day = raised_on
    for step in rng.choices(("respond", "satisfied", "not_satisfied", "stop"),
                            weights=(4, 2, 2, 3), k=3):
        day = calendar.add_working_days(day, rng.randint(1, 4))
        if day > as_of or step == "stop":
            return
        row = alert_by_ref(store.db, recorded.ref)
        assert row is not None
        state = row.state
        if state["status"] != "open":
            return
        if step == "respond" and state["awaiting"] not in ("", "iro"):
            act = Command(kind="responded", on=day, actor_role=state["awaiting"],
                          outcome=rng.choice(OUTCOMES), note="Demo response.")
        elif step in ("satisfied", "not_satisfied") and state["awaiting"] == "iro":
            act = Command(kind=step, on=day, actor_role=raiser, actor_id=reviewer)
        else:
            continue
        try:
            act_in_transaction(store, recorded.ref, act)
        except AlertRefused:
            return
