"""The benchmark store: ten years of a large authority, written fast, folding like the real one.

Run: ``python bench/benchmark_store.py --scale 0.1 --out /tmp/bench.db`` builds one and prints
its size; the benchmarks (``bench_dashboard.py``, ``bench_pages.py``) build theirs with
:func:`build_store`. At scale 1 it holds about 200,000 reviews and 40,000 alerts of some
31,000 children (every child the authority looked after or protected in ten years: the store
never forgets one), each alert and review with the events the application itself writes,
1.1 million events in all (1.3 GB; three to six minutes to build, 2 GB of memory).

Bulk SQL, not the use cases (which would take hours at scale 1), but the same decisions:

* every alert is played through the real engine: ``rules.alert_rules.decide_command`` for
  what people record (raise, respond, ask for more time, acknowledge, not satisfied,
  escalate, withdraw, satisfied) and ``advance`` for what time does (silence escalates or
  prompts, the formal clock goes at risk or is breached) up to the day of the store; its
  row is the fold of those events (``rules.alert_state.apply_event``) with the sweep's
  ``next_check_on``, as ``usecases.alerts`` writes it;
* every review is the real monitoring form (``usecases.reviews.ReviewForm``), its
  ``review_recorded`` event as ``record_review`` writes it, what ``decide_saved`` derives
  (amber and red routed to managers, drift prompts, decisions sent late), the managers'
  notifications of amber and red (acknowledged, mostly, as the inbox does), the team
  manager's reply or what ``decide_clock`` makes of silence;
* significant changes (``decide_notified``, then the reviewer's decision or booking) and
  notes of good practice, as ``usecases.changes`` and ``usecases.good_practice`` write them;
* teams, staff (in several service areas, every role the policy names, each with the demo
  password) and children with their ``team_added``, ``staff_added`` and ``child_added``
  events.

Events are appended in date order, each chained to the one before by its hash
(``db.integrity``), and the dashboard's facts of them filled (``db.alert_facts``), so
``python manage.py verify --db PATH`` finds the log intact and every table what its events
give. No ``ANALYZE`` (a store the application keeps has no planner
statistics) unless asked for. Left out: the outbox, and notifications other than the amber
and red judgements' (which the inbox reads; the Messages page shows only those).

One child, :data:`TEN_YEAR_CHILD`, has ten years of history: a review every six months and
alerts several times a year.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import random
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from db.alert_facts import refill as refill_alert_facts  # noqa: E402
from db.alert_impacts import refill as refill_alert_impacts  # noqa: E402
from db.connection import open_db, write_transaction  # noqa: E402
from db.integrity import HASHED_COLUMNS, event_hash, next_link  # noqa: E402
from db.settings import set_setting  # noqa: E402
from rules.alert_rules import advance, decide_command, fold, next_check_on  # noqa: E402
from rules.alert_state import INFORMAL, REVIEWER, AlertState  # noqa: E402
from rules.alert_transitions import Command, NewEvent  # noqa: E402
from rules.change_rules import NotifiedChange, decide_notified  # noqa: E402
from rules.dates import uk_date  # noqa: E402
from rules.notification_rules import Subject, audience, body  # noqa: E402
from rules.review_rules import (  # noqa: E402
    AGREED,
    AWAITING,
    DECISIONS_TO,
    DISPUTED,
    MEETING_WORDS,
    REVIEW_NAMES,
    DecisionsClock,
    SavedReview,
    clock_check_on,
    decide_clock,
    decide_saved,
    reply_due,
)
from rules.roles import role_name  # noqa: E402
from usecases.accounts import hash_password  # noqa: E402
from usecases.demo import DEMO_PASSWORD, DEMO_SETTING, FIRST_NAMES, SENIORITY, SURNAMES  # noqa: E402
from usecases.demo_history import (  # noqa: E402
    CONCERN_WORDS,
    DRIFT,
    GOOD_PRACTICE_WORDS,
    OUTCOME_WORDS,
    RAGS,
    RESPONSE_WORDS,
    SETTLED_AT,
)
from usecases.notifications import base_url  # noqa: E402
from usecases.reviews import PARTICIPATION, ReviewForm  # noqa: E402
from usecases.store import create_store  # noqa: E402

AS_OF = dt.date(2026, 11, 23)
POLICY = "seed-001"
YEARS = 10
TEN_YEAR_CHILD = "BENCH-TEN-YEARS"
DOMAIN = "bench-authority.invalid"
#: At scale 1: the reviews and alerts of ten years (children are added until the reviews
#: are there).
REVIEWS_AT_1 = 200_000
ALERTS_AT_1 = 40_000
AREAS = ("North", "South", "East", "West", "Central", "Coast", "Vale", "Moor", "Forest",
         "Downs", "Fens", "Marsh")
#: What an event column holds when nothing says: the schema's defaults, written out, as
#: the hash is taken over the values stored.
EVENT_DEFAULTS: dict[str, Any] = {**dict.fromkeys(HASHED_COLUMNS), "data": "{}", "reason": ""}
CHAIN_COLUMNS = (*HASHED_COLUMNS, "prev_hash", "hash")


# -- the hash chain --------------------------------------------------------------------------


def append_chained(db, events: Iterable[dict[str, Any]], chunk: int = 10_000) -> int:
    """Append ``events`` to the log inside the caller's write transaction, each with the
    next id and its hash over the one before (``db.integrity``), as ``append_event`` does;
    each dict is given its ``id``.

    Not ``append_event`` itself: a dedupe look-up and a read of the chain's end for each of
    a million events would make building the store several times slower. Values must be
    of the type SQLite stores (text dates, integer ids), since the hash is of those.
    Returns how many were written."""
    link = next_link(db)
    event_id, prev, written, rows = link.id, link.prev_hash, 0, []
    for values in events:
        values["id"] = event_id
        row = {**EVENT_DEFAULTS, **values, "prev_hash": prev}
        row["hash"] = prev = event_hash(row, prev)
        rows.append([row[c] for c in CHAIN_COLUMNS])
        event_id += 1
        if len(rows) >= chunk:
            written += _insert_events(db, rows)
            rows = []
    return written + _insert_events(db, rows)


def _insert_events(db, rows: list[list[Any]]) -> int:
    db.conn.executemany(f"INSERT INTO events ({', '.join(CHAIN_COLUMNS)}) "
                        f"VALUES ({', '.join('?' for _ in CHAIN_COLUMNS)})", rows)
    return len(rows)


# -- what the store holds --------------------------------------------------------------------


@dataclass(frozen=True)
class StoreInfo:
    """A benchmark store's size, and whom to sign in as to see each role's heaviest page."""

    path: Path
    children: int
    alerts: int
    open_alerts: int
    reviews: int
    events: int
    staff: int
    teams: int
    megabytes: float
    ten_year_child: str
    ten_year_events: int
    #: e-mail by what the benchmark uses it for: head_of_service, service_manager (the one
    #: with the most children), iro (the ten-year child's IRO)
    accounts: dict[str, str] = field(default_factory=dict)

    def line(self) -> str:
        return (f"store: {self.children:,} children, {self.alerts:,} alerts "
                f"({self.open_alerts:,} open), {self.reviews:,} reviews, {self.events:,} "
                f"events, {self.staff:,} staff in {self.teams} teams, "
                f"{self.megabytes:,.0f} MB")


def store_info(path: str | Path) -> StoreInfo:
    """Count what a benchmark store holds, and pick the accounts the benchmarks sign in as."""
    path = Path(path)
    db = open_db(path)
    try:
        one = lambda sql, *p: db.execute(sql, p).fetchone()[0]  # noqa: E731
        ten = db.execute("SELECT id, reviewer_id FROM children WHERE case_ref = ?",
                         [TEN_YEAR_CHILD]).fetchone()
        sm = db.execute(
            """WITH RECURSIVE up(child, id) AS (
                   SELECT c.id, s.line_manager_id FROM children c
                   JOIN staff s ON s.id = c.social_worker_id
                   UNION ALL SELECT up.child, s.line_manager_id FROM up
                   JOIN staff s ON s.id = up.id WHERE up.id IS NOT NULL)
               SELECT s.email FROM up JOIN staff s ON s.id = up.id
               WHERE s.role = 'service_manager' GROUP BY s.id ORDER BY count(*) DESC, s.id
               LIMIT 1""").fetchone()
        accounts = {
            "head_of_service": one("SELECT email FROM staff WHERE role = 'head_of_service' "
                                   "ORDER BY id LIMIT 1"),
            "service_manager": sm[0] if sm else one(
                "SELECT email FROM staff WHERE role = 'service_manager' ORDER BY id LIMIT 1"),
            "iro": one("SELECT email FROM staff WHERE id = ?", ten[1]) if ten else one(
                "SELECT email FROM staff WHERE role = 'iro' ORDER BY id LIMIT 1"),
        }
        megabytes = sum(p.stat().st_size for p in (path, Path(f"{path}-wal"))
                        if p.exists()) / 1e6
        return StoreInfo(
            path=path, children=one("SELECT count(*) FROM children"),
            alerts=one("SELECT count(*) FROM alerts"),
            open_alerts=one("SELECT count(*) FROM alerts WHERE status = 'open'"),
            reviews=one("SELECT count(*) FROM reviews"), events=one("SELECT count(*) FROM events"),
            staff=one("SELECT count(*) FROM staff"), teams=one("SELECT count(*) FROM teams"),
            megabytes=megabytes, ten_year_child=TEN_YEAR_CHILD if ten else "",
            ten_year_events=one("SELECT count(*) FROM events WHERE child_id = ?", ten[0])
            if ten else 0,
            accounts=accounts)
    finally:
        db.close()


# -- the plan ----------------------------------------------------------------------------------


@dataclass
class _Child:
    id: int
    ref: str
    name: str
    born: dt.date
    cp: bool
    team_id: int
    worker_id: int
    reviewer_id: int
    since: dt.date
    until: dt.date  # left care or the plan ended (after AS_OF: still here)
    ten_years: bool = False
    reviews: list[_Review] = field(default_factory=list)
    alerts: list[_Alert] = field(default_factory=list)
    changes: list[_Change] = field(default_factory=list)


@dataclass
class _Review:
    child: _Child
    held: dt.date
    recorded: dt.date
    rag: str
    id: int = 0


@dataclass
class _Alert:
    child: _Child
    raised: dt.date
    id: int = 0


@dataclass
class _Change:
    child: _Child
    happened: dt.date
    told: dt.date
    type_id: str
    id: int = 0


def _plain(day: dt.date) -> str:
    return day.isoformat()


class _Builder:
    """Plans ten years of an authority, then writes it: projections and events together."""

    def __init__(self, store, scale: float, seed: int, as_of: dt.date) -> None:
        self.store, self.db, self.policy = store, store.db, store.policy
        self.cal = store.calendar
        self.rng = random.Random(seed)
        self.scale, self.as_of = scale, as_of
        self.start = as_of.replace(year=as_of.year - YEARS)
        self.events: list[dict[str, Any]] = []
        self.notes: list[tuple[dict[str, Any], int, str, str, str, str, str | None]] = []
        self.staff: dict[int, dict[str, Any]] = {}
        self.chain: dict[int, dict[str, int]] = {}  # team -> role -> the person for it
        self.refused: list[str] = []
        self.url = base_url()

    # -- small helpers ----------------------------------------------------------------------

    def wd(self, day: dt.date, n: int) -> dt.date:
        return self.cal.add_working_days(day, n)

    def event(self, kind: str, on: dt.date, *, data: dict | None = None, reason: str = "",
              actor_id: int | None = None, actor_role: str | None = None,
              child_id: int | None = None, alert_id: int | None = None,
              review_id: int | None = None, rule: str | None = None,
              dedupe_key: str | None = None, stamped: bool = False) -> dict[str, Any]:
        """One event, as ``db.events.append_event`` writes its columns (the id and hash come
        when the log is written, in date order); ``stamped``: with the policy's id and
        version, as ``usecases.event_log.write_events`` writes them."""
        row = {"occurred_on": _plain(on), "kind": kind, "actor_id": actor_id,
               "actor_role": actor_role, "child_id": child_id, "alert_id": alert_id,
               "review_id": review_id,
               "data": json.dumps(data or {}, sort_keys=True, default=str), "reason": reason,
               "rule": rule, "policy_id": self.policy.id if stamped else None,
               "policy_version": self.policy.version if stamped else None,
               "dedupe_key": dedupe_key, "_n": len(self.events)}
        self.events.append(row)
        return row

    def written(self, e: NewEvent, *, child_id: int, alert_id: int | None = None,
                review_id: int | None = None, change_id: int | None = None) -> dict[str, Any]:
        """A use case's event as ``usecases.event_log.write_events`` (or the changes'
        ``_write``) appends it: the policy stamped on it, a derived one keyed."""
        data = e.data if change_id is None else {**e.data, "change_id": change_id}
        key = None
        if e.rule is not None:
            if change_id is not None:
                key = f"change:{change_id}:{e.rule}:{e.kind}"
            else:
                subject = f"alert:{alert_id}" if alert_id is not None else f"review:{review_id}"
                key = f"{subject}:{e.rule}:{e.kind}:{e.on}:{e.data.get('level', '')}"
        return self.event(e.kind, e.on, data=data, reason=e.reason, actor_id=e.actor_id,
                          actor_role=e.actor_role or None, child_id=child_id,
                          alert_id=alert_id, review_id=review_id, rule=e.rule,
                          dedupe_key=key, stamped=True)

    def person(self, child: _Child, role: str) -> int | None:
        """Whom a role means for this child, as ``usecases.recipients.people_for_role``."""
        if role in ("iro", "cp_chair"):
            return child.reviewer_id
        if role == "social_worker":
            return child.worker_id
        return self.chain[child.team_id].get(role) or self.chain[0].get(role)

    # -- people ------------------------------------------------------------------------------

    def people(self) -> None:
        rng, since = self.rng, self.start - dt.timedelta(days=400)
        names = [(f, s) for f in FIRST_NAMES for s in SURNAMES]
        teams: list[tuple[int, str, str]] = []
        staff: list[tuple] = []

        def team(name: str, service: str) -> int:
            team_id = len(teams) + 1
            teams.append((team_id, name, service))
            self.event("team_added", since, actor_role="admin",
                       data={"team_id": team_id, "name": name, "service": service},
                       reason=f"Benchmark data: team {name} added.")
            return team_id

        def person(role: str, team_id: int, manager: int | None) -> int:
            staff_id = len(staff) + 1
            first, last = rng.choice(names)
            name, email = f"{first} {last}", f"{first}.{last}.{staff_id}@{DOMAIN}".lower()
            staff.append((staff_id, name, email, role, team_id, manager))
            self.staff[staff_id] = {"name": name, "role": role, "team_id": team_id}
            self.event("staff_added", since, actor_role="admin",
                       data={"staff_id": staff_id, "role": role, "team_id": team_id,
                             "name": name, "email": email, "line_manager_id": manager,
                             "active": 1},
                       reason=f"Benchmark data: {name} added as {role_name(role)}.")
            return staff_id

        wanted = set(self.policy.roles()) | {"service_manager", "head_of_service"}
        senior = team("Senior Leadership", "Children's Services")
        top: dict[str, int] = {}
        manager = None
        for role in reversed(SENIORITY):  # most senior first, each managed by the one above
            if role in wanted and role not in ("team_manager", "service_manager",
                                               "operations_manager", "practice_manager"):
                manager = top[role] = person(role, senior, manager)
        head = top["head_of_service"]
        person("admin", senior, None)
        reviewing = team("Independent Reviewing Service", "Quality Assurance")
        principal = person("principal_iro", reviewing, head)
        top["principal_iro"] = principal
        self.iros = [person("iro", reviewing, principal)
                     for _ in range(max(4, round(30 * self.scale)))]
        self.cp_chairs = ([person("cp_chair", reviewing, principal)
                           for _ in range(max(2, round(12 * self.scale)))]
                          if "cp" in self.policy.tracks else [])
        person("business_support", reviewing, principal)
        self.chain[0] = dict(top)
        self.care_teams, self.safeguarding_teams = [], []
        workers = max(3, round(12 * self.scale))
        for area in AREAS[:max(2, round(4 * self.scale))]:
            service = f"{area} area"
            sm = person("service_manager", senior, head)
            for kind, listed in (("Children in Care", self.care_teams),
                                 ("Safeguarding", self.safeguarding_teams)):
                for n in (1, 2):
                    team_id = team(f"{kind} {area} {n}", service)
                    listed.append(team_id)
                    tm = person("team_manager", team_id, sm)
                    pm = person("practice_manager", team_id, tm)
                    self.chain[team_id] = {**top, "service_manager": sm, "team_manager": tm,
                                           "practice_manager": pm}
                    self.chain[team_id]["workers"] = [  # type: ignore[assignment]
                        person("social_worker", team_id, pm) for _ in range(workers)]
                    person("business_support", team_id, tm)
        if not self.safeguarding_teams or "cp" not in self.policy.tracks:
            self.care_teams += self.safeguarding_teams
        self.db.conn.executemany("INSERT INTO teams (id, name, service) VALUES (?, ?, ?)", teams)
        password = hash_password(DEMO_PASSWORD)
        self.db.conn.executemany(
            "INSERT INTO staff (id, name, email, role, team_id, line_manager_id, active, "
            "password_hash) VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
            [(*row, password) for row in staff])

    # -- children and their timelines ----------------------------------------------------------

    def plan(self) -> list[_Child]:
        """Children, each with their reviews, alerts and significant changes dated."""
        target = max(200, round(REVIEWS_AT_1 * self.scale))
        children: list[_Child] = [self._child(1, ten_years=True)]
        reviews = len(children[0].reviews)
        while reviews < target:
            child = self._child(len(children) + 1)
            children.append(child)
            reviews += len(child.reviews)
        self._plan_alerts(children, max(20, round(ALERTS_AT_1 * self.scale)))
        for child in children:
            self._plan_changes(child)
        # ids in the order things happened, as the application gives them
        for n, review in enumerate(sorted((r for c in children for r in c.reviews),
                                          key=lambda r: (r.recorded, r.held, r.child.id)), 1):
            review.id = n
        for n, alert in enumerate(sorted((a for c in children for a in c.alerts),
                                         key=lambda a: (a.raised, a.child.id)), 1):
            alert.id = n
        for n, change in enumerate(sorted((x for c in children for x in c.changes),
                                          key=lambda x: (x.told, x.child.id)), 1):
            change.id = n
        return children

    def _child(self, child_id: int, ten_years: bool = False) -> _Child:
        rng = self.rng
        has_cp = "cp" in self.policy.tracks
        cp = not ten_years and has_cp and rng.random() < 0.35
        if ten_years:
            since = self.wd(self.start - dt.timedelta(days=30), 0)
            until = self.as_of + dt.timedelta(days=999)
            born = since - dt.timedelta(days=2 * 365)
        else:
            since = self.wd(self.start - dt.timedelta(days=3 * 365)
                            + dt.timedelta(days=rng.randrange(13 * 365 - 45)), 0)
            since = min(since, self.as_of - dt.timedelta(days=45))
            span = rng.expovariate(1 / (1.5 * 365 if cp else 5.5 * 365))
            until = since + dt.timedelta(days=int(span) + 60)
            born = since - dt.timedelta(days=rng.randint(30, (15 if cp else 16) * 365))
        teams = self.safeguarding_teams if cp else self.care_teams
        team_id = teams[0] if ten_years else rng.choice(teams)
        worker = rng.choice(self.chain[team_id]["workers"])  # type: ignore[arg-type]
        reviewer = self.iros[0] if ten_years else rng.choice(self.cp_chairs if cp else self.iros)
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        ref = TEN_YEAR_CHILD if ten_years else f"BENCH-{child_id:06d}"
        child = _Child(child_id, ref, f"{first} {last}", born, cp, team_id, worker, reviewer,
                       since, until, ten_years)
        # the first review within 20 working days (15 for a conference), the second three
        # months after it, then every six months
        held, number, rag = self.wd(since, 15 if cp else 20), 1, ""
        last_day = min(until, self.as_of - dt.timedelta(days=1))
        while held <= last_day:
            if not rag:
                rag = rng.choices(RAGS, weights=(45, 38, 17) if ten_years else (55, 30, 15))[0]
            else:
                rag = rng.choices(RAGS, weights=DRIFT[rag])[0]
            delay = rng.choice((1, 1, 2, 2, 2, 3, 3, 4, 5, 7))
            child.reviews.append(_Review(child, held, min(self.as_of, self.wd(held, delay)),
                                         rag))
            gap = 91 if number == 1 else rng.randint(170, 190)
            held, number = self.wd(held + dt.timedelta(days=gap), 0), number + 1
        return child

    def _plan_alerts(self, children: list[_Child], target: int) -> None:
        """Alerts follow worrying reviews (and, now and then, what the reviewer picks up
        between them), one at a time for a child: at least eight weeks apart."""
        rng = self.rng
        weight = {"green": 0.0, "amber": 0.32, "red": 0.68}
        between = 0.05  # a chance at each review of a concern picked up before the next
        expected = sum(weight[r.rag] + between for c in children[1:] for r in c.reviews)
        factor = min(3.0, target / max(expected, 1.0))
        for child in children:
            last = dt.date.min
            for n, review in enumerate(child.reviews):
                nxt = child.reviews[n + 1].held if n + 1 < len(child.reviews) else self.as_of
                after = self.wd(review.recorded, rng.choice((0, 0, 1, 1, 2)))
                mid = self.wd(review.held + (nxt - review.held) / 2, 0)
                if child.ten_years:  # several a year: after most reviews, and between them
                    chances = [(after, 0.3 if review.rag == "green" else 0.9), (mid, 0.9)]
                else:
                    chances = [(after, weight[review.rag] * factor), (mid, between * factor)]
                for day, chance in chances:
                    if day > self.as_of or (day - last).days < 56 or rng.random() >= chance:
                        continue
                    child.alerts.append(_Alert(child, day))
                    last = day

    def _plan_changes(self, child: _Child) -> None:
        rng = self.rng
        types = self.policy.significant_changes.types
        if not types:
            return
        day = child.since
        end = min(child.until, self.as_of)
        while True:
            day = day + dt.timedelta(days=int(rng.expovariate(1 / 480)) + 20)
            if day > end:
                return
            happened = self.wd(day, 0)
            told = self.wd(happened, rng.choice((0, 0, 0, 1, 1, 1, 1, 2, 4)))
            if told <= self.as_of:
                child.changes.append(_Change(child, happened, told, rng.choice(types).id))

    # -- writing: children ------------------------------------------------------------------

    def children(self, children: list[_Child]) -> None:
        rows = []
        for c in children:
            status = "child_protection" if c.cp else "looked_after"
            rows.append((c.id, c.ref, c.name, _plain(c.born), status, c.team_id, c.worker_id,
                         c.reviewer_id))
            self.event("child_added", c.since, actor_role="admin", child_id=c.id,
                       data={"case_ref": c.ref, "name": c.name,
                             "date_of_birth": _plain(c.born), "legal_status": status,
                             "team_id": c.team_id, "social_worker_id": c.worker_id,
                             "reviewer_id": c.reviewer_id},
                       reason="Benchmark data: synthetic child added.")
        self.db.conn.executemany(
            "INSERT INTO children (id, case_ref, name, date_of_birth, legal_status, team_id, "
            "social_worker_id, reviewer_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    # -- writing: reviews ---------------------------------------------------------------------

    def reviews(self, children: list[_Child]) -> None:
        rows = []
        for child in children:
            previous: _Review | None = None
            for review in child.reviews:
                rows.append(self._review(child, review, previous))
                previous = review
        rows.sort()
        self.db.conn.executemany(
            "INSERT INTO reviews (id, child_id, kind, held_on, reviewer_id, rag, summary, data, "
            "recorded_on, decisions_sent_on, reply_due, reply_status, next_check_on) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def _review(self, child: _Child, review: _Review, previous: _Review | None) -> tuple:
        """One monitoring form as ``usecases.reviews.record_review`` saves it, and what
        follows: the managers told and acknowledging, the reply or the clock's verdict."""
        rng, policy, cal = self.rng, self.policy, self.cal
        track = policy.track("cp" if child.cp else "iro")
        kind, rag, held, recorded = track.review_kind, review.rag, review.held, review.recorded
        worried = rag != "green"
        concerns = tuple(c.id for c in rng.sample(list(track.categories), min(
            len(track.categories), rng.choice((1, 1, 2))))) if worried else ()
        labels = ", ".join(c.label.lower() for c in track.categories if c.id in concerns)
        form = ReviewForm(
            child_id=child.id, kind=kind, held_on=held, rag=rag,
            progress=f"Benchmark review: the plan is judged {rag}.", concerns=concerns,
            concern_details=f"Benchmark concern: {labels}." if worried else "",
            documents={d.id: {"present": rng.random() < 0.92,
                              "up_to_date": rng.random() < (0.8 if rag == "green" else 0.55),
                              "adequate": rng.random() < (0.8 if rag == "green" else 0.6)}
                       for d in policy.key_documents},
            participation=rng.choice(list(PARTICIPATION)),
            child_knows_rights=rng.random() < 0.85,
            iro_actions=(("Check the plan's actions are on track.",
                          held + dt.timedelta(days=28)),),
            decisions="Benchmark decisions: the plan continues; actions as listed, with dates.",
            resolution_sought="The plan put back on track before the next review."
            if worried else "")
        if policy.questions_for(kind):
            raise SystemExit("The benchmark store answers no review questions: "
                             f"choose a policy without them (not {policy.id}).")
        due = reply_due(policy, cal, recorded)
        of = f"the {MEETING_WORDS[kind]} of {uk_date(held)}"
        reviewer_role = self.staff[child.reviewer_id]["role"]
        reason = (f"{REVIEW_NAMES[kind]} of {uk_date(held)} recorded: plan judged {rag}. "
                  f"Decisions sent to the {role_name(DECISIONS_TO)}; reply due by "
                  f"{uk_date(due)}.")
        data = {**form.to_data(), "kind": kind, "rag": rag, "held_on": _plain(held),
                "concerns": list(concerns), "decisions_sent_on": _plain(recorded),
                "reply_due": _plain(due)}
        self.event("review_recorded", recorded, data=data, reason=reason,
                   actor_id=child.reviewer_id, actor_role=reviewer_role, child_id=child.id,
                   review_id=review.id, stamped=True)
        saved = SavedReview(
            review_id=review.id, kind=kind, track=track.id, held_on=held, recorded_on=recorded,
            rag=rag, concerns=concerns, resolution_sought=form.resolution_sought.strip(),
            previous_review_id=previous.id if previous else None,
            previous_held_on=previous.held if previous else None,
            previous_rag=previous.rag if previous else "")
        for e in decide_saved(policy, cal, saved):
            row = self.written(e, child_id=child.id, review_id=review.id)
            if e.kind == "rag_routed":
                self._routed(child, review, e, row)
        # the team manager's reply: mostly in a few days, now and then after being chased,
        # rarely never (those stay overdue in the inbox)
        status = AWAITING
        clock = DecisionsClock(review_id=review.id, kind=kind, track=track.id, held_on=held,
                               reply_due=due, reply_status=AWAITING)
        draw = rng.random()
        replied = (self.wd(recorded, rng.randint(1, 4)) if draw < 0.93
                   else self.wd(recorded, rng.randint(7, 12)) if draw < 0.995 else None)
        until = self.as_of if replied is None or replied > self.as_of else replied
        for e in decide_clock(policy, cal, clock, until):  # silence, as the sweep finds it
            self.written(e, child_id=child.id, review_id=review.id)
            status = e.data["reply_status"]
        if replied is not None and replied <= self.as_of:
            agree = rng.random() < 0.92
            note = "" if agree else "The contact arrangements cannot be resourced as decided."
            manager = self.person(child, DECISIONS_TO)
            who = role_name(DECISIONS_TO)
            words = (f"The {who} agreed the decisions of {of}"
                     + (f": {note}" if note else ".") if agree
                     else f"The {who} disputed the decisions of {of}: {note}")
            late = replied > due
            if late:
                words += ("" if words.endswith(".") else ".") + \
                    f" The reply was due by {uk_date(due)}."
            self.event("decisions_agreed" if agree else "decisions_disputed", replied,
                       data={"note": note, "reply_due": _plain(due), "late": late},
                       reason=words, actor_id=manager, actor_role=DECISIONS_TO,
                       child_id=child.id, review_id=review.id, stamped=True)
            status = AGREED if agree else DISPUTED
        check = clock_check_on(cal, dataclasses.replace(clock, reply_status=status))
        return (review.id, child.id, kind, _plain(held), child.reviewer_id, rag,
                form.progress.strip() or f"Plan judged {rag}.",
                json.dumps(form.to_data(), sort_keys=True), _plain(recorded), _plain(recorded),
                _plain(due), status, _plain(check) if check else None)

    def _routed(self, child: _Child, review: _Review, e: NewEvent, row: dict) -> None:
        """The managers told of an amber or red judgement (``usecases.notifications``); most
        acknowledge it from their inbox within days, which writes an ``acknowledged``."""
        subject = Subject(policy=self.policy, kind=e.kind, data=e.data, reason=e.reason,
                          child_ref=child.ref)
        who = audience(subject)
        if who is None:
            return
        link = f"{self.url}/child?child={child.ref}"
        text = body(subject, link)
        old = (self.as_of - review.recorded).days > 60
        for role in who.to_roles:
            staff_id = self.person(child, role)
            if staff_id is None:
                continue
            read_at = None
            if self.rng.random() < (0.99 if old else 0.5):
                on = self.wd(review.recorded, self.rng.randint(1, 5))
                if on <= self.as_of:
                    read_at = f"{_plain(on)}T09:00:00+00:00"
                    person = self.staff[staff_id]
                    self.event("acknowledged", on, actor_id=staff_id, actor_role=person["role"],
                               child_id=child.id, review_id=review.id,
                               reason=f"{person['name']}, {role_name(person['role'])}, "
                                      f"acknowledged: {who.subject}.")
            self.notes.append((row, staff_id, who.subject, text, link, _plain(e.on), read_at))

    # -- writing: alerts ----------------------------------------------------------------------

    def alerts(self, children: list[_Child]) -> None:
        rows = [self._alert(child, alert) for child in children for alert in child.alerts]
        rows.sort()
        self.db.conn.executemany(
            "INSERT INTO alerts (id, ref, child_id, track, category, concern, outcome_sought, "
            "raised_on, raised_by, status, level, awaiting, due, state, next_check_on, "
            "formal_due, closed_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows)

    def _gate(self, state: AlertState, track, target: str, on: dt.date) -> str:
        """What the reviewer records of whom they consulted, where the policy asks it."""
        levels = {lvl.role: lvl for lvl in track.levels}
        current = 0 if state.raised_on is None or state.level == INFORMAL else \
            levels[state.level].number
        gates = [track.informal.gate_to_formal] if current == 0 else []
        if state.raised_on is None or levels[target].number > current + 1:
            gates.append(track.bypass.gate)
        gates.append(levels[target].gate)
        found = [g for g in gates if g is not None]
        if not found:
            return ""
        who = " and ".join(dict.fromkeys(role_name(r) for g in found for r in g.consult))
        return f"Discussed with the {who} on {uk_date(on)}, who agreed."

    def _alert(self, child: _Child, alert: _Alert) -> tuple:
        """One alert played through the engine, as people and the clock move it up to the day
        of the store; its row is the fold of its events (``usecases.alerts``)."""
        rng, policy, cal, as_of = self.rng, self.policy, self.cal, self.as_of
        track = policy.track("cp" if child.cp else "iro")
        levels = list(track.levels)
        reviewer_role = self.staff[child.reviewer_id]["role"]
        ref = f"A-{alert.id:06d}"
        settle = rng.choices(range(len(levels) + 1),
                             weights=SETTLED_AT[:len(levels) + 1])[0]
        withdraw = rng.random() < 0.05
        concern, sought = rng.choice(CONCERN_WORDS), rng.choice(OUTCOME_WORDS)
        state = AlertState(ref=ref, child=child.ref, track=track.id)
        level = levels[0].role if settle > 0 and rng.random() < 0.15 else INFORMAL
        events: list[NewEvent] = []

        def record(command: Command) -> bool:
            nonlocal state
            decision = decide_command(policy, cal, state, command)
            if decision.refusals:
                self.refused.append(f"{ref} {command.kind}: {' '.join(decision.refusals)}")
                return False
            made = list(decision.events)
            if command.kind == "raised":
                origin = {"ref": ref, "track": track.id, "concern": concern,
                          "outcome_sought": sought}
                made = [dataclasses.replace(e, data={**e.data, **origin})
                        if e.kind == "raised" else e for e in made]
            state = fold(state, made)
            state, later = advance(policy, cal, state, command.on)
            events.extend([*made, *later])
            return True

        def catch_up(day: dt.date) -> None:
            nonlocal state
            state, later = advance(policy, cal, state, day)
            events.extend(later)

        record(Command(kind="raised", on=alert.raised, actor_role=reviewer_role,
                       actor_id=child.reviewer_id, level=level,
                       category=rng.choice(track.categories).id,
                       gate=self._gate(state, track, level, alert.raised)
                       if level != INFORMAL else "",
                       details={"concern": concern, "outcome_sought": sought,
                                "child_knows_rights": rng.random() < 0.85}))
        day, asked_more = alert.raised, set()
        for _ in range(80):
            if not state.is_open:
                break
            at = 0 if state.level == INFORMAL else track.level(state.level).number
            reviewer = dict(actor_role=reviewer_role, actor_id=child.reviewer_id)
            if state.extension_until is not None:  # the reviewer answers a request for time
                on = self.wd(day, rng.randint(0, 1))
                kind = "extension_agreed" if rng.random() < 0.8 else "extension_refused"
                step = Command(kind=kind, on=on, **reviewer)
            elif state.awaiting_manager and not state.overdue_flagged:
                role = state.awaiting
                who = dict(actor_role=role, actor_id=self.person(child, role))
                due = state.due or self.wd(day, 5)
                draw = rng.random()
                if not state.acknowledged and draw < 0.35:
                    step = Command(kind="acknowledged", on=self.wd(day, 1), **who)
                elif draw < 0.47:  # silence: the clock moves it on
                    catch_up(min(as_of, cal.next_working_day(due)))
                    day = min(as_of, cal.next_working_day(due))
                    if day >= as_of:
                        break
                    continue
                elif draw < 0.55 and (ref, state.level) not in asked_more and due > day:
                    asked_more.add((ref, state.level))
                    step = Command(kind="extension_requested", on=self.wd(day, 1),
                                   until=self.wd(due, 5),
                                   note="Waiting for the placement panel's decision.", **who)
                else:
                    on = self.wd(day, rng.randint(1, max(1, cal.working_days_between(day, due))))
                    outcome = (rng.choice(("agree", "agree", "alternative")) if at >= settle
                               else rng.choice(("uphold", "no_action", "alternative")))
                    step = Command(kind="responded", on=on, outcome=outcome,
                                   note=RESPONSE_WORDS[outcome], **who)
            else:  # the reviewer decides: satisfied, not satisfied, escalate or withdraw
                on = self.wd(day, rng.randint(1, 3))
                nxt = levels[at] if at < len(levels) else None
                if withdraw and rng.random() < 0.4:
                    step = Command(kind="withdrawn", on=on,
                                   note="The plan has changed; the concern no longer applies.",
                                   **reviewer)
                elif at >= settle or nxt is None:
                    step = Command(kind="satisfied", on=on, **reviewer)
                elif (state.awaiting == REVIEWER and at > 0
                      and track.level(state.level).on_not_satisfied == "escalate"):
                    step = Command(kind="not_satisfied", on=on, **reviewer)
                else:
                    step = Command(kind="escalated", on=on, level=nxt.role,
                                   gate=self._gate(state, track, nxt.role, on), **reviewer)
            if step.on > as_of:
                break
            before = (state.level, state.awaiting, state.overdue_flagged)
            catch_up(step.on)
            if not state.is_open:
                break
            if (state.level, state.awaiting, state.overdue_flagged) != before:
                day = step.on  # the clock moved it first: decide again where it now is
                continue
            if not record(step) and not record(Command(kind="satisfied", on=step.on,
                                                        **reviewer)):
                break
            day = step.on
        catch_up(as_of)
        for e in events:
            self.written(e, child_id=child.id, alert_id=alert.id)
        raised = next(e for e in events if e.kind == "raised")
        s = state.to_json()
        check = next_check_on(policy, cal, state)
        return (alert.id, ref, child.id, track.id, s["category"] or None, concern, sought,
                s["raised_on"], raised.actor_id, s["status"], s["level"], s["awaiting"] or None,
                s["due"], json.dumps(s, sort_keys=True), _plain(check) if check else None,
                s["formal_due"], s["closed_on"])

    # -- writing: significant changes and good practice -----------------------------------------

    def changes(self, children: list[_Child]) -> None:
        rows = []
        for child in children:
            for change in child.changes:
                rows.append(self._change(child, change))
        rows.sort()
        self.db.conn.executemany(
            "INSERT INTO significant_changes (id, child_id, change_type, happened_on, "
            "notified_on, description, notified_by, late, review_before, status, review_date, "
            "decision_reasons, decided_by, decided_on) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def _change(self, child: _Child, change: _Change) -> tuple:
        """A significant change told to the reviewer, as ``usecases.changes`` writes it, and
        the reviewer's decision (or the review booked) a few days later."""
        rng, policy = self.rng, self.policy
        kind = next(t for t in policy.significant_changes.types if t.id == change.type_id)
        track = "cp" if child.cp else "iro"
        reviewer = "the CP chair" if track == "cp" else "the IRO"
        description = f"Benchmark change: {kind.label.lower()}."
        decision = decide_notified(policy, self.cal, NotifiedChange(
            change_type=kind.id, happened_on=change.happened, told_on=change.told, track=track,
            data={"change_type": kind.id}))
        told_by = child.worker_id
        notified = NewEvent(
            kind="significant_change_notified", on=change.told, actor_id=told_by,
            actor_role="social_worker",
            data={"change_type": kind.id, "happened_on": _plain(change.happened),
                  "late": decision.late, "review_before": kind.review_before,
                  "status": decision.status, "description": description},
            reason=(f"Significant change of {uk_date(change.happened)} told to {reviewer} on "
                    f"{uk_date(change.told)}: {kind.label}. What happened: {description}"))
        for e in [notified, *decision.events]:
            self.written(e, child_id=child.id, change_id=change.id)
        status, review_date, reasons, decided_by, decided_on = (
            decision.status, None, None, None, None)
        about = f"the change of {uk_date(change.happened)} for {child.ref} ({kind.label})"
        who = dict(actor_id=child.reviewer_id, actor_role=self.staff[child.reviewer_id]["role"])
        on = self.wd(change.told, rng.randint(1, 5))
        if status == "awaiting_decision" and on <= self.as_of:
            if rng.random() < 0.65:
                reasons = "The change is in line with the care plan; no review is needed."
                status = "no_review"
                self.written(NewEvent(
                    kind="change_no_review", on=on, data={"status": status, "reasons": reasons},
                    reason=f"{reviewer.capitalize()} decided no review is needed for {about}. "
                           f"Reasons: {reasons}", **who), child_id=child.id, change_id=change.id)
            else:
                status, reasons = "review_needed", None
                self.written(NewEvent(
                    kind="change_review_needed", on=on, data={"status": status, "reasons": ""},
                    reason=f"{reviewer.capitalize()} decided a review is needed to consider "
                           f"{about}; a review date is to be booked.", **who),
                    child_id=child.id, change_id=change.id)
            decided_by, decided_on = child.reviewer_id, _plain(on)
            on = self.wd(on, rng.randint(1, 3))
        if status in ("review_needed", "review_required") and on <= self.as_of:
            review_date = self.wd(on, 20)
            before = " before the change happens" if status == "review_required" else ""
            self.written(NewEvent(
                kind="review_booked_for_change", on=on,
                data={"review_date": _plain(review_date), "was": status,
                      "status": "review_booked"},
                reason=f"Review booked for {uk_date(review_date)}{before}, to consider "
                       f"{about}.", **who), child_id=child.id, change_id=change.id)
            status, review_date = "review_booked", _plain(review_date)
            decided_by, decided_on = decided_by or child.reviewer_id, decided_on or _plain(on)
        return (change.id, child.id, kind.id, _plain(change.happened), _plain(change.told),
                description, told_by, int(decision.late), int(kind.review_before), status,
                review_date, reasons, decided_by, decided_on)

    def good_practice(self, children: list[_Child]) -> None:
        """Reviewers note good practice now and then: about one note for 40 reviews."""
        rng = self.rng
        reviews = [r for c in children for r in c.reviews]
        picked = sorted(rng.sample(reviews, len(reviews) // 40),
                        key=lambda r: (r.recorded, r.child.id))
        rows = []
        for n, review in enumerate(picked, 1):
            child = review.child
            on = self.wd(review.recorded, 1) if review.recorded < self.as_of else review.recorded
            what = rng.choice(GOOD_PRACTICE_WORDS)
            rows.append((n, child.id, child.worker_id, child.team_id, what, child.reviewer_id,
                         _plain(on)))
            self.event("good_practice_noted", on, actor_id=child.reviewer_id,
                       actor_role=self.staff[child.reviewer_id]["role"], child_id=child.id,
                       data={"good_practice_id": n, "worker_id": child.worker_id,
                             "team_id": child.team_id, "what": what},
                       reason=f"Note of good practice for {self.staff[child.worker_id]['name']}: "
                              f"{what}")
        self.db.conn.executemany(
            "INSERT INTO good_practice (id, child_id, worker_id, team_id, what, recorded_by, "
            "recorded_on) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    # -- the log ------------------------------------------------------------------------------

    def log(self) -> int:
        """Every event in date order (the order each subject's were made, within a day),
        chained; then the notifications, which name their events."""
        self.events.sort(key=lambda e: (e["occurred_on"], e["_n"]))
        for e in self.events:
            del e["_n"]
        written = append_chained(self.db, self.events)
        self.db.conn.executemany(
            "INSERT INTO notifications (event_id, staff_id, copy, subject, body, link, "
            "created_on, read_at) VALUES (?, ?, 0, ?, ?, ?, ?, ?)",
            [(row["id"], staff_id, subject, text, link, on, read_at)
             for row, staff_id, subject, text, link, on, read_at in self.notes])
        return written


def build_store(path: str | Path, scale: float = 1.0, *, seed: int = 7, as_of: dt.date = AS_OF,
                analyze: bool = False, say=print) -> StoreInfo:
    """Build the benchmark store at ``path`` (which must not exist) and return its size."""
    path = Path(path)
    started = time.perf_counter()
    store = create_store(path, POLICY, demo=False, as_of=as_of)
    try:
        builder = _Builder(store, scale, seed, as_of)
        with write_transaction(store.db):
            set_setting(store.db, DEMO_SETTING, "1")  # the sign-in page lists an account a role
            builder.people()
            children = builder.plan()
            say(f"planned {len(children):,} children in {time.perf_counter() - started:.0f} s")
            builder.children(children)
            builder.reviews(children)
            builder.alerts(children)
            builder.changes(children)
            builder.good_practice(children)
            say(f"played the history in {time.perf_counter() - started:.0f} s "
                f"({len(builder.refused)} steps refused by the rules)")
            builder.log()
            refill_alert_facts(store.db)  # as append_event keeps them, event by event
            refill_alert_impacts(store.db)
        if analyze:
            store.db.execute("ANALYZE")
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.db.close()
    if builder.refused:
        say("refused, for example: " + "; ".join(builder.refused[:3]))
    info = store_info(path)
    say(f"built in {time.perf_counter() - started:.0f} s")
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="1.0: about 200,000 reviews and 40,000 alerts (default)")
    parser.add_argument("--out", type=Path, required=True, help="where to write the store")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--analyze", action="store_true",
                        help="run ANALYZE afterwards (the application never does)")
    args = parser.parse_args()
    if args.out.exists():
        parser.error(f"{args.out} exists: choose another path or remove it first")
    info = build_store(args.out, args.scale, seed=args.seed, analyze=args.analyze)
    print(info.line())
    print(f"ten-year child: {info.ten_year_child} ({info.ten_year_events:,} events on record)")
    for use, email in info.accounts.items():
        print(f"sign in as {use}: {email} (password {DEMO_PASSWORD})")
    print(f"as of {AS_OF.isoformat()}: serve it with IRO_DB={args.out} "
          f"IRO_AS_OF={AS_OF.isoformat()} IRO_BACKGROUND_JOBS=off streamlit run serve.py")


if __name__ == "__main__":
    main()
