"""Three years of synthetic history for the demonstration store, played through the use cases.

The demo's children have lived through three years of reviews (looked-after reviews every
six months, child protection conferences at three months and then every six), each
recorded on the monitoring form by the child's IRO or CP chair, with a Red/Amber/Green
judgement that drifts with the pressure on the child's team and recovers after an alert
is resolved. Managers reply to the review decisions and acknowledge the amber and red
judgements they are sent. Reviewers raise alerts after worrying reviews, and the alerts
climb the authority's ladder as people answer, ask for more time, stay silent or fail to
satisfy the reviewer: most are resolved informally or at the first formal level, a few go
to the top, some are withdrawn and some run past the formal time limit. Social workers,
their managers and business support tell the reviewer of significant changes, which the
reviewer decides on or books a review for; reviewers note good practice.

Everything is done as the person entitled to do it, through the same use case (and so the
same access check and rules) a person uses in the app, on the day it happened; the clock
(:func:`usecases.sweeping.sweep_all`) is run every week as the history is made, and every
use case brings what it acts on up to its date, so silence, overdue prompts and the formal
time limit are dated as they fell due. The last weeks are the work in hand: alerts waiting
at each stage of the ladder today. The history is a deterministic function of the policy,
the children and ``as_of``: a timeline of dated steps, played in date order, each drawing
from one seeded random stream. It is written in one transaction (:func:`one_commit`).
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import math
import random
import sqlite3
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from db.alerts import alert_by_ref
from rules.alert_rules import advance
from rules.alert_state import INFORMAL, REVIEWER, AlertState
from rules.change_rules import REVIEW_REQUIRED, review_first_types
from rules.dates import uk_date
from rules.impact import follow_up_on
from rules.roles import role_name
from usecases.access import person
from usecases.alert_forms import RaiseAlertForm, act_from_form, raise_from_form
from usecases.changes import book_review_for_change, decide_change, notify_change
from usecases.errors import UserError
from usecases.good_practice import GoodPracticeNote, note_good_practice
from usecases.impact import record_follow_up
from usecases.inbox import InboxRow, acknowledge
from usecases.messages import mark_messages_read
from usecases.recipients import people_for_role
from usecases.reviews import PARTICIPATION, ReviewForm, record_review, reply_to_decisions
from usecases.sweeping import sweep_all

if TYPE_CHECKING:
    from rules.policy import Gate, Level, Track
    from usecases.accounts import SignedInUser
    from usecases.store import Store

#: How far back the history goes.
HISTORY_YEARS = 3
#: Messages older than this many days before ``as_of`` have been read by their recipients.
READ_AFTER_DAYS = 14

#: Alerts raised in these last days before ``as_of`` are still being worked on: at each
#: step there is this chance the person has not got to it yet.
IN_HAND_DAYS = 70
NOT_YET = 0.3
#: The work in hand today: in the last weeks the reviewers' alerts are these, each
#: waiting at a stage of the ladder, so every screen has something to show (the track,
#: the level, who it waits for, and how many working days ago it was raised). They take the
#: place of the alerts those weeks would otherwise bring, so the monthly figures stay level.
WORK_IN_HAND_DAYS = 45
WORK_IN_HAND: tuple[tuple[str, int, str, tuple[int, int]], ...] = (
    ("iro", 0, "reviewer", (6, 12)),
    ("cp", 0, "addressee", (1, 2)),
    ("iro", 1, "addressee", (1, 3)),
    ("iro", 0, "addressee", (1, 2)),
    ("cp", 1, "reviewer", (6, 8)),
    ("iro", 1, "extension", (3, 4)),
    ("iro", 2, "addressee", (8, 9)),
    ("cp", 0, "reviewer", (7, 14)),
    ("iro", 0, "addressee", (12, 20)),  # nobody answered: the reviewer has been prompted
)
#: A safety stop: no alert needs more steps than this.
MAX_TURNS = 200

RAGS = ("green", "amber", "red")
#: How a plan's judgement moves from one review to the next, in an ordinary period.
DRIFT = {"green": (70, 23, 7), "amber": (36, 44, 20), "red": (14, 46, 40)}
#: Where the ladder settles an alert (0: informal, 1...: formal levels), in proportion.
SETTLED_AT = (50, 28, 11, 5, 3, 1)

CONCERN_WORDS = (
    "The actions agreed at the last review have not been progressed.",
    "The care plan has not been updated since the placement changed.",
    "The health assessment is overdue and no date has been set.",
    "Contact arrangements agreed at the review have not started.",
    "The personal education plan has not been reviewed this term.",
    "Visits have not taken place at the frequency the plan sets.",
)
OUTCOME_WORDS = (
    "The plan updated and shared before the next review, with dates.",
    "A date for the overdue assessment within four weeks.",
    "Contact to start within two weeks, as the review decided.",
    "A written timetable for the outstanding actions within ten working days.",
)
RESPONSE_WORDS = {
    "agree": "Agreed: the actions are now allocated, with dates, and the plan will be updated.",
    "alternative": "We propose a different route: a planning meeting next week to agree dates.",
    "uphold": "The service's decision stands: the current arrangements meet the child's needs.",
    "no_action": "No action will be taken at present; resources do not allow it this month.",
}
GOOD_PRACTICE_WORDS = (
    "Thorough, child-centred preparation for the review; the child's views were clear.",
    "Creative direct work that helped the child take part in their own review.",
    "Excellent multi-agency coordination that kept the plan on track through a move.",
    "Timely, well-written reports shared with the family in good time before the meeting.",
    "Persistent advocacy that secured the school place the plan needed.",
    "Sensitive life-story work that the child spoke about warmly at the review.",
)


@dataclass
class DemoChild:
    """A child of the demo, with who looks after them and what the history has done."""

    id: int
    ref: str
    name: str
    team: int  # the team's position among the social-work teams (its pressure curve)
    team_id: int
    track: Track
    reviewer_id: int
    worker_id: int
    since: dt.date  # came into care, or onto a child protection plan
    rag: str = ""  # the plan's judgement at the latest review held
    last_rag: str = ""  # ... and at the latest review recorded
    helped: bool = False  # an alert was settled since the last review
    alert: _AlertRun | None = None


@dataclass
class _LevelPlan:
    """What the person an alert is addressed to does at one level."""

    responder: int
    silent: bool
    outcome: str
    respond_on: dt.date | None
    ack_on: dt.date | None = None
    ask_on: dt.date | None = None
    ask_until: dt.date | None = None
    hand_on: dt.date | None = None  # silent and only prompted: the reviewer moves it on


@dataclass
class _AlertRun:
    """One alert's script: where it settles and how it gets there."""

    child: DemoChild
    settle_at: int
    withdraw: bool
    slow: bool
    cafcass: bool
    ref: str = ""
    plans: dict[tuple[str, str], _LevelPlan] = field(default_factory=dict)
    decide_on: dt.date | None = None
    turns: int = 0
    in_hand: bool = False  # raised lately: people may not have got to their next step yet
    stop_at: tuple[int, str] | None = None  # work in hand: (level, who) it waits at today


#: The difference resolved alerts made, in about these shares (chosen by reference).
IMPACT_MIX = ("improved",) * 6 + ("partly",) * 3 + ("not_improved",)
IMPACT_NOTES = {
    "improved": "Demo: the plan is back on track and the child's needs are being met.",
    "partly": "Demo: some of what was sought has happened; the rest is in the plan.",
    "not_improved": "Demo: the service's decision was upheld; nothing changed for the child.",
}
ACTION_WORDS = (
    "Demo: statutory visits booked every four weeks.",
    "Demo: the care plan updated and shared with the child.",
    "Demo: the school place confirmed in writing.",
    "Demo: the health assessment booked.",
)
LASTED_MIX = ("sustained",) * 7 + ("not_sustained",) * 3
FOLLOW_UP_NOTES = {
    "sustained": "Demo: the change has held since the alert was resolved.",
    "not_sustained": "Demo: visits have slipped again since the alert was resolved.",
}


def _by_ref(ref: str, choices: tuple[str, ...]) -> str:
    """One of ``choices``, always the same for the same reference."""
    return choices[zlib.crc32(ref.encode()) % len(choices)]


@dataclass
class HistoryReport:
    """What playing the history did: steps the rules or the access module refused (none,
    while the demo and the rules agree) and how many use cases it called."""

    refused: list[str] = field(default_factory=list)
    steps: int = 0


def history_start(as_of: dt.date) -> dt.date:
    """The first day of the demo's history: ``HISTORY_YEARS`` before ``as_of``."""
    try:
        return as_of.replace(year=as_of.year - HISTORY_YEARS)
    except ValueError:  # 29 February
        return as_of.replace(year=as_of.year - HISTORY_YEARS, day=28)


#: The transaction control statements the use cases and sqlite-utils issue, as they write them.
_CONTROL = {
    **dict.fromkeys(("BEGIN", "BEGIN;", "BEGIN IMMEDIATE", "BEGIN IMMEDIATE;", "BEGIN DEFERRED",
                     "BEGIN EXCLUSIVE"), "begin"),
    **dict.fromkeys(("COMMIT", "COMMIT;", "END", "END;"), "commit"),
    **dict.fromkeys(("ROLLBACK", "ROLLBACK;"), "rollback"),
}
_CONTROL_LENGTH = max(map(len, _CONTROL))


class _OneCommit:
    """The store's connection as the use cases see it while the demo is built: each use
    case's transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK``) becomes a
    savepoint inside one transaction for the whole demo. Every use case, its checks and its
    all-or-nothing step are unchanged; three years are written with one commit instead of
    thousands."""

    _STEP = "demo_use_case"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._open = False

    @property
    def in_transaction(self) -> bool:
        return self._open

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        # only these exact (short) statements are transaction control
        control = _CONTROL.get(sql) if len(sql) <= _CONTROL_LENGTH else None
        if control is None:
            return self._conn.execute(sql, *args)
        if control == "begin":
            if self._open:
                raise sqlite3.OperationalError("cannot start a transaction within a transaction")
            self._open = True
            return self._conn.execute(f"SAVEPOINT {self._STEP}")
        if control == "commit":
            self.commit()
        else:
            self.rollback()
        return self._conn.execute("SELECT 1")

    def commit(self) -> None:
        if self._open:
            self._open = False
            self._conn.execute(f"RELEASE {self._STEP}")

    def rollback(self) -> None:
        if self._open:
            self._open = False
            self._conn.execute(f"ROLLBACK TO {self._STEP}")
            self._conn.execute(f"RELEASE {self._STEP}")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


@contextmanager
def one_commit(store: Store) -> Iterator[None]:
    """Build the demo in one transaction: all of it, or (on an error) none of it."""
    db = store.db
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    db.conn = _OneCommit(conn)  # type: ignore[assignment]
    try:
        yield
    except BaseException:
        db.conn = conn
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    db.conn = conn
    conn.execute("COMMIT")


def demo_moment(day: dt.date) -> dt.datetime:
    """The time the demo says something was done on ``day`` (for the access audit)."""
    return dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)


class _Timeline:
    """Dated steps, played in date order (ties in the order they were planned), with the
    clock run at the start of each week, as a scheduled sweep would (every use case also
    brings what it acts on up to its date first, so nothing waits for the sweep)."""

    def __init__(self, store: Store, as_of: dt.date) -> None:
        self._store = store
        self._as_of = as_of
        self._heap: list[tuple[dt.date, int, Callable[..., None], tuple[Any, ...]]] = []
        self._seq = itertools.count()
        self.today = dt.date.min
        self._week: tuple[int, int] | None = None

    def at(self, day: dt.date, step: Callable[..., None], *args: Any) -> None:
        day = max(day, self.today)
        if day <= self._as_of:
            heapq.heappush(self._heap, (day, next(self._seq), step, args))

    def run(self) -> None:
        while self._heap:
            day, _, step, args = heapq.heappop(self._heap)
            self.today = day
            week = day.isocalendar()[:2]
            if week != self._week:
                self._week = week
                sweep_all(self._store, day)
            step(day, *args)


class History:
    """Plays three years of the demo's children's lives through the use cases."""

    def __init__(self, store: Store, children: list[DemoChild], *, seed: str,
                 as_of: dt.date) -> None:
        self.store = store
        self.policy = store.policy
        self.cal = store.calendar
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.start = history_start(as_of)
        self.children = children
        self.timeline = _Timeline(store, as_of)
        self.report = HistoryReport()
        self._users: dict[int, SignedInUser] = {}
        self._team_staff: dict[tuple[int, str], list[int]] = {}
        for row in store.db.query("SELECT id, role, team_id FROM staff ORDER BY id"):
            self._team_staff.setdefault((row["team_id"], row["role"]), []).append(row["id"])
        # one alert per level of each track is settled there, so every rung shows
        self._showcase = {t.id: list(range(len(t.levels), 0, -1)) for t in
                          self.policy.tracks.values()}

    # -- helpers ---------------------------------------------------------------------------

    def _user(self, staff_id: int) -> SignedInUser:
        if staff_id not in self._users:
            self._users[staff_id] = person(self.store, staff_id=staff_id)
        return self._users[staff_id]

    def _wd(self, day: dt.date, n: int) -> dt.date:
        return self.cal.add_working_days(day, n)

    def _wd_before(self, day: dt.date, n: int) -> dt.date:
        """The nth working day before ``day``."""
        while n > 0:
            day -= dt.timedelta(days=1)
            n -= self.cal.is_working_day(day)
        return day

    def _staff(self, team_id: int, role: str) -> int | None:
        ids = self._team_staff.get((team_id, role))
        return ids[0] if ids else None

    def _do(self, what: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call a use case; a refusal is noted in the report (the demo goes on)."""
        self.report.steps += 1
        try:
            return call(*args, **kwargs)
        except UserError as refused:
            self.report.refused.append(f"{what}: {refused}")
            return None

    # -- the plan ----------------------------------------------------------------------------

    def play(self) -> HistoryReport:
        rng = self.rng
        for child in self.children:
            self._plan_reviews(child)
            self._plan_changes(child)
            self._plan_concerns(child)
        for track, level, who, ago in WORK_IN_HAND:
            track = track if track in self.policy.tracks else "iro"
            self.timeline.at(self._wd_before(self.as_of, rng.randint(*ago)), self._work_in_hand,
                             track, level, who)
        day = self._wd(self.start + dt.timedelta(days=rng.randint(5, 25)), 0)
        while day <= self.as_of:
            self.timeline.at(day, self._good_practice)
            day = self._wd(day + dt.timedelta(days=rng.randint(14, 34)), 0)
        self.timeline.run()
        sweep_all(self.store, self.as_of)
        self._read_old_messages()
        return self.report

    def _plan_reviews(self, child: DemoChild) -> None:
        """The first review in the history; each review plans the next."""
        if child.since < self.start:
            first, number = self.start + dt.timedelta(days=self.rng.randint(0, 182)), 3
        else:
            initial = 15 if child.track.id == "cp" else 20  # working days from the start
            first, number = self._wd(child.since, initial), 1
        self.timeline.at(self._wd(first, 0), self._review_held, child, number)

    def _plan_changes(self, child: DemoChild) -> None:
        day = max(self.start, child.since)
        while True:
            day = day + dt.timedelta(days=int(self.rng.expovariate(1 / 480)) + 20)
            if day > self.as_of:
                return
            happened = self._wd(day, 0)
            told = self._wd(happened, self.rng.choice((0, 0, 0, 1, 1, 1, 1, 2, 4)))
            self.timeline.at(told, self._tell_change, child, happened)

    def _plan_concerns(self, child: DemoChild) -> None:
        """Concerns the reviewer picks up between reviews (monitoring the plan's actions),
        where the policy does not ask for alerts to follow a review within days."""
        if child.track.raise_within_days is not None:
            return
        day = max(self.start, child.since)
        while True:
            day = day + dt.timedelta(days=int(self.rng.expovariate(1 / 1100)) + 30)
            if day > self.as_of:
                return
            self.timeline.at(self._wd(day, 0), self._raise, child)

    # -- reviews -----------------------------------------------------------------------------

    def _pressure(self, day: dt.date, team: int) -> float:
        """How hard-pressed a team is (0 to 1): a slow wave, out of step between teams, a bad
        patch for one team in the second year and a shorter one for another in the third,
        each recovered from."""
        years = (day - self.start).days / 365.25
        wave = 0.22 * math.sin(2 * math.pi * years / 1.6 + team * 1.3)
        bump = 0.35 if team == 3 and 0.9 <= years <= 1.7 else 0.0
        bump += 0.2 if team == 1 and 2.3 <= years <= 2.6 else 0.0
        return min(1.0, max(0.0, 0.35 + wave + bump))

    def _next_rag(self, child: DemoChild, day: dt.date) -> str:
        rng = self.rng
        if not child.rag:
            return rng.choices(RAGS, weights=(55, 30, 15))[0]
        start = child.rag
        if child.helped:  # an alert was settled: the plan is back on track, or nearer it
            start = RAGS[max(0, RAGS.index(start) - 1)]
            child.helped = False
        pressure = self._pressure(day, child.team)
        g, a, r = DRIFT[start]
        weights = (g * (1.3 - pressure), a * (0.7 + pressure), r * (0.5 + 1.5 * pressure))
        return rng.choices(RAGS, weights=weights)[0]

    def _review_held(self, held: dt.date, child: DemoChild, number: int) -> None:
        """A review (or conference) is held; the form follows within days; the next is
        planned: the second three months after the first, then every six months."""
        rng = self.rng
        rag = child.rag = self._next_rag(child, held)
        if rag != "green" and child.track.raise_within_days is not None:
            delay = rng.choice((1, 1, 2))  # a worried reviewer records it first, to raise in time
        else:
            delay = rng.choice((1, 1, 2, 2, 2, 3, 3, 4, 5, 7))
        recorded = min(self.as_of, self._wd(held, delay))
        self.timeline.at(recorded, self._record_review, child, held, rag)
        if number > 0:
            gap = 91 if number == 1 else rng.randint(170, 190)
            self.timeline.at(self._wd(held + dt.timedelta(days=gap), 0), self._review_held,
                             child, number + 1)

    def _record_review(self, day: dt.date, child: DemoChild, held: dt.date, rag: str) -> None:
        rng = self.rng
        track = child.track
        worried = rag != "green"
        concerns = tuple(c.id for c in rng.sample(list(track.categories),
                                                    min(len(track.categories),
                                                        rng.choice((1, 1, 2)))))
        labels = ", ".join(c.label.lower() for c in track.categories if c.id in concerns)
        form = ReviewForm(
            child_id=child.id, kind=track.review_kind, held_on=held, rag=rag,
            progress=f"Demo review: the plan is judged {rag}.",
            concerns=concerns if worried else (),
            concern_details=f"Demo concern: {labels}." if worried else "",
            documents={d.id: {"present": rng.random() < 0.92,
                              "up_to_date": rng.random() < (0.8 if rag == "green" else 0.55),
                              "adequate": rng.random() < (0.8 if rag == "green" else 0.6)}
                       for d in self.policy.key_documents},
            participation=rng.choice(list(PARTICIPATION)),
            child_knows_rights=rng.random() < 0.85,
            iro_actions=(("Check the plan's actions are on track (demo).",
                          held + dt.timedelta(days=28)),),
            decisions="Demo decisions: the plan continues; actions as listed, with dates.",
            resolution_sought=("Demo: the plan put back on track before the next review."
                               if worried else ""),
            answers=self._answers(child, track.review_kind, held, rag),
        )
        recorded = self._do("record a review", record_review, self.store, form,
                            user=self._user(child.reviewer_id), recorded_on=day,
                            now=demo_moment(day))
        previous, child.last_rag = child.last_rag, rag
        if recorded is None:
            return
        self._plan_reply(day, child, recorded.review_id)
        for event, event_id in zip(recorded.events, recorded.event_ids, strict=False):
            if event.kind == "rag_routed":
                self._plan_acknowledgements(day, child, recorded.review_id, held, event_id)
        if worried and child.alert is None:
            chance = {"amber": 0.32, "red": 0.68}[rag] + (0.15 if previous in ("amber", "red")
                                                           else 0.0)
            delay = rng.choice((0, 0, 1, 1, 2))
            if track.raise_within_days is not None:  # raised from reviews only, and at once
                chance, delay = chance * 1.3, 0
            if rng.random() < chance:
                self.timeline.at(self._wd(day, delay), self._raise, child)

    def _answers(self, child: DemoChild, kind: str, held: dt.date, rag: str) -> dict[str, Any]:
        """Synthetic answers to the policy's own questions: every one the form needs, most
        of the rest. From a stream of their own, so a policy's questions leave the rest of
        the demo as it would be without them."""
        rng = random.Random(f"answers-{child.id}-{held.isoformat()}")
        found: dict[str, Any] = {}
        for question in self.policy.questions_for(kind):
            if not question.required_for(rag) and rng.random() < 0.3:
                continue
            if question.kind == "yes_no":
                found[question.id] = rng.choice(("Yes", "Yes", "Yes", "No"))
            elif question.kind == "choice":
                found[question.id] = rng.choice(question.options)
            elif question.kind == "date":
                found[question.id] = held - dt.timedelta(days=rng.randint(0, 28))
            else:
                found[question.id] = "Demo answer."
        return found

    def _plan_reply(self, day: dt.date, child: DemoChild, review_id: int) -> None:
        rng = self.rng
        if rng.random() < 0.93:
            replied = self._wd(day, rng.randint(1, 4))
        elif self.policy.review_decisions.on_silence == "prompt":
            replied = self._wd(day, rng.randint(7, 12))  # after the reviewer chased
        else:
            return  # silence, and the decisions are taken as agreed
        self.timeline.at(replied, self._reply, child, review_id, rng.random() < 0.9)

    def _reply(self, day: dt.date, child: DemoChild, review_id: int, agree: bool) -> None:
        manager = (self._staff(child.team_id, "practice_manager") if self.rng.random() < 0.15
                   else None) or self._staff(child.team_id, "team_manager")
        if manager is None:
            return
        self._do("reply to review decisions", reply_to_decisions, self.store, review_id,
                 agree=agree, note="" if agree else "Demo reply: the contact decision needs "
                                                    "to go to panel first.",
                 user=self._user(manager), on=day, now=demo_moment(day))

    def _plan_acknowledgements(self, day: dt.date, child: DemoChild, review_id: int,
                               held: dt.date, event_id: int) -> None:
        told = self.store.db.execute(
            "SELECT id, staff_id, subject FROM notifications WHERE event_id = ? ORDER BY id",
            [event_id]).fetchall()
        for notification_id, staff_id, subject in told:
            self.timeline.at(self._wd(day, self.rng.randint(1, 6)), self._acknowledge_review,
                                 child, review_id, held, notification_id, staff_id, subject)

    def _acknowledge_review(self, day: dt.date, child: DemoChild, review_id: int,
                            held: dt.date, notification_id: int, staff_id: int,
                            subject: str) -> None:
        row = InboxRow(kind="review", key=str(review_id), child_ref=child.ref,
                       child_name=child.name, asked=subject, by_whom="", due=None,
                       days_left=None, notification_id=notification_id, held_on=held)
        self.report.steps += 1
        results = acknowledge(self.store, self._user(staff_id), [row], day, demo_moment(day))
        self.report.refused.extend(r for r in results if "not acknowledged" in r)

    # -- alerts ------------------------------------------------------------------------------

    def _work_in_hand(self, day: dt.date, track_id: str, level: int, who: str) -> None:
        """One of today's open alerts: for a child of the track with no alert open, the
        latest review worrying if there is one."""
        free = [c for c in self.children if c.alert is None and c.track.id == track_id
                and c.since < day]
        worried = [c for c in free if c.last_rag in ("amber", "red")]
        if free:
            self._raise(day, self.rng.choice(worried or free),
                        (min(level, len(self.policy.track(track_id).levels)), who))

    def _raise(self, day: dt.date, child: DemoChild,
               stop_at: tuple[int, str] | None = None) -> None:
        if child.alert is not None:
            return
        if stop_at is None and (self.as_of - day).days < WORK_IN_HAND_DAYS:
            return  # the last weeks' alerts are the work in hand
        rng = self.rng
        track = child.track
        top = len(track.levels)
        showcase = self._showcase[track.id]
        if stop_at is not None:
            settle_at = stop_at[0]
        elif showcase and day < self.as_of - dt.timedelta(days=200) and rng.random() < 0.5:
            settle_at = showcase.pop()
        else:
            settle_at = rng.choices(range(top + 1), weights=SETTLED_AT[:top + 1])[0]
        scripted = stop_at is not None
        run = _AlertRun(child=child, settle_at=settle_at,
                        withdraw=not scripted and rng.random() < 0.09,
                        slow=not scripted and settle_at >= 2 and rng.random() < 0.3,
                        cafcass=(not scripted and track.id == "iro" and settle_at == top
                                 and rng.random() < 0.5),
                        stop_at=stop_at)
        formal = settle_at >= 1 and track.bypass.allowed and (scripted or rng.random() < 0.2)
        level = track.levels[0] if formal else None
        gates = ([track.informal.gate_to_formal, track.bypass.gate, track.levels[0].gate]
                 if formal else [])
        category = rng.choice(track.categories)
        agreed = (self._wd(day, track.informal.response_days + rng.randint(2, 6))
                  if not formal and not scripted and rng.random() < 0.35 else None)
        form = RaiseAlertForm(
            child_ref=child.ref, category=category.id,
            concern=f"Demo concern ({category.label.lower()}): {rng.choice(CONCERN_WORDS)}",
            outcome_sought=f"Demo: {rng.choice(OUTCOME_WORDS)}",
            level=level.role if level else INFORMAL, agreed_date=agreed,
            gate=self._gate_text(gates, day), child_knows_rights=rng.random() < 0.85)
        recorded = self._do("raise an alert", raise_from_form, self.store, form,
                            user=self._user(child.reviewer_id), on=day, now=demo_moment(day))
        if recorded is None:
            return
        run.ref = recorded.ref
        run.in_hand = not scripted and (self.as_of - day).days <= IN_HAND_DAYS
        child.alert = run
        self.timeline.at(day, self._turn, run)

    def _gate_text(self, gates: list[Gate | None], day: dt.date) -> str:
        found = [g for g in gates if g is not None]
        if not found:
            return ""
        who = " and ".join(dict.fromkeys(role_name(r) for g in found for r in g.consult))
        return f"Discussed with the {who} on {uk_date(day)}, who agreed (demo)."

    def _state(self, run: _AlertRun, day: dt.date) -> AlertState | None:
        """The alert as it stands on ``day``: what silence has done since it was last
        written counts (the next use case, or the sweep, writes it, dated when it fell)."""
        row = alert_by_ref(self.store.db, run.ref)
        if row is None:
            return None
        state, _ = advance(self.policy, self.cal, AlertState.from_json(row.state), day)
        return state

    def _act(self, day: dt.date, run: _AlertRun, kind: str, staff_id: int,
             **kwargs: Any) -> bool:
        done = self._do(f"{kind} on {run.ref}", act_from_form, self.store, run.ref, kind,
                        user=self._user(staff_id), on=day, now=demo_moment(day), **kwargs)
        return done is not None

    def _not_yet(self, run: _AlertRun) -> bool:
        """Whether the next step of an alert in hand is still to be taken at ``as_of`` (then
        nothing more is planned for it: it waits where it is, and only the clock moves it)."""
        return run.in_hand and self.rng.random() < NOT_YET

    def _waits_here(self, run: _AlertRun, state: AlertState, at: int) -> bool:
        if run.stop_at is None or run.stop_at[0] != at:
            return False
        who = run.stop_at[1]
        if who == "reviewer":
            return state.awaiting == REVIEWER
        if who == "extension":
            return state.extension_until is not None
        return state.awaiting_manager

    def _turn(self, day: dt.date, run: _AlertRun) -> None:
        """Whoever the alert waits for on ``day`` takes their next step, as planned."""
        state = self._state(run, day)
        run.turns += 1
        if state is None or not state.is_open:
            run.child.alert = None
            return
        if run.turns > MAX_TURNS:  # a script that goes round in circles: stop, and say so
            self.report.refused.append(f"{run.ref}: more than {MAX_TURNS} steps")
            return
        track = run.child.track
        at = 0 if state.level == INFORMAL else track.level(state.level).number
        if self._waits_here(run, state, at):
            return  # work in hand: it waits here today
        if state.awaiting == REVIEWER:
            self._reviewer_decides(day, run, state, at)
            return
        if not state.awaiting_manager:
            return
        reviewer = run.child.reviewer_id
        key = (state.level, (state.level_since or day).isoformat())
        plan = run.plans.get(key) or run.plans.setdefault(key, self._plan_level(run, state, at))
        if state.extension_until is not None:  # the reviewer answers a request for more time
            if self._not_yet(run):
                return
            agreed = self.rng.random() < 0.85
            self._act(day, run, "extension_agreed" if agreed else "extension_refused", reviewer)
            if (not agreed and state.due is not None and plan.respond_on is not None
                    and plan.respond_on > state.due and self._moves_on_silence(track, at)):
                plan.respond_on = max(day, state.due)  # no more time: answer by the date set
            self.timeline.at(self._wd(day, 1), self._turn, run)
            return
        waiting: list[dt.date] = []
        if plan.ack_on is not None:
            if day >= plan.ack_on and not state.acknowledged:
                plan.ack_on = None
                self._act(day, run, "acknowledged", plan.responder)
            elif plan.ack_on > day:
                waiting.append(plan.ack_on)
        if plan.ask_on is not None:
            if day >= plan.ask_on:
                if self._not_yet(run):
                    return
                plan.ask_on = None
                if plan.ask_until is not None and plan.ask_until > day:
                    self._act(day, run, "extension_requested", plan.responder,
                              until=plan.ask_until,
                              note="Demo: the information needed is with another agency.")
                self.timeline.at(self._wd(day, 1), self._turn, run)
                return
            waiting.append(plan.ask_on)
        if plan.respond_on is not None:
            if day >= plan.respond_on:
                if self._not_yet(run):
                    return
                plan.respond_on = None
                self._act(day, run, "responded", plan.responder, outcome=plan.outcome,
                          note=f"Demo response: {RESPONSE_WORDS[plan.outcome]}")
                self.timeline.at(day, self._turn, run)
                return
            waiting.append(plan.respond_on)
        else:
            plan.silent = True  # nothing more will come at this level: silence it is
        if plan.silent and state.due is not None:
            silence = self.cal.next_working_day(state.due)
            if state.overdue_flagged:  # prompted, not moved on by the clock: the reviewer does
                plan.hand_on = plan.hand_on or self._wd(day, self.rng.choice((0, 1, 2)))
                if day >= plan.hand_on:
                    if self._not_yet(run):
                        return
                    if self._escalate(day, run, at):
                        self.timeline.at(day, self._turn, run)
                    return  # (at the top of the ladder it stays open, past its time)
                waiting.append(plan.hand_on)
            else:
                waiting.append(max(silence, self._wd(day, 1)))
        later = [d for d in waiting if d > day]
        self.timeline.at(min(later) if later else self._wd(day, 1), self._turn, run)

    def _plan_level(self, run: _AlertRun, state: AlertState, at: int) -> _LevelPlan:
        """How the person addressed at this level will answer: when, and what."""
        rng, track, child = self.rng, run.child.track, run.child
        since = state.level_since or state.raised_on or self.start
        roles = track.informal.with_roles if at == 0 else (state.awaiting,)
        role = ("social_worker" if "social_worker" in roles and rng.random() < 0.6
                else rng.choice([r for r in roles if r != "social_worker"] or list(roles)))
        if role == "social_worker":
            responder = child.worker_id
        else:
            people = people_for_role(self.store, child.id, role)
            responder = people[0]["id"] if people else child.worker_id
        below = at < run.settle_at
        outcome = (rng.choice(("uphold", "uphold", "no_action")) if below
                   else rng.choice(("agree", "agree", "agree", "alternative")))
        due = state.due or self._wd(since, 5)
        days = max(1, self.cal.working_days_between(since, due))
        first = max(1, days - 1) if rng.random() < 0.6 else 1  # most answer near the deadline
        plan = _LevelPlan(responder=responder, silent=False, outcome=outcome,
                          respond_on=self._wd(since, rng.randint(first, days)))
        if at > 0 and rng.random() < 0.45:
            plan.ack_on = self._wd(since, 1)
        if run.stop_at is not None:  # work in hand: brisk, to be where it waits today
            plan.respond_on = self._wd(since, 1)
            if run.stop_at == (at, "extension"):
                plan.ask_on, plan.ask_until = self._wd(since, 1), self._wd(due, 3)
        elif below and rng.random() < 0.35:
            plan.silent, plan.respond_on = True, None
        elif at > 0 and (run.slow or rng.random() < 0.12):
            plan.ask_on = self._wd(since, rng.randint(1, 2))
            plan.ask_until = self._wd(due, rng.randint(8, 12) if run.slow else rng.randint(2, 5))
            plan.respond_on = plan.ask_until
        elif (run.slow or rng.random() < 0.1) and not self._moves_on_silence(track, at):
            plan.respond_on = self._wd(due, rng.randint(1, 3))  # late, after a prompt
        return plan

    def _moves_on_silence(self, track: Track, at: int) -> bool:
        """Whether the clock takes an alert up from this level when its answer is late."""
        if at == 0:
            return False
        level = track.levels[at - 1]
        return (level.on_silence == "escalate" and at < len(track.levels)
                and not track.levels[at].exceptional)

    def _reviewer_decides(self, day: dt.date, run: _AlertRun, state: AlertState,
                          at: int) -> None:
        rng = self.rng
        if run.decide_on is None:
            run.decide_on = self._wd(day, 0 if run.stop_at else rng.choice((0, 1, 1, 2, 2, 3)))
        if day < run.decide_on:
            self.timeline.at(run.decide_on, self._turn, run)
            return
        run.decide_on = None
        if self._not_yet(run):
            return
        child, track = run.child, run.child.track
        reviewer = child.reviewer_id
        if at >= 2 and rng.random() < 0.08:
            self._act(day, run, "legal_advice", reviewer,
                      note="Demo: independent legal advice sought on the plan.")
        if at >= run.settle_at:
            if run.cafcass and at == len(track.levels):
                if self.policy.cafcass_gate is not None:
                    self._act(day, run, "hos_notified", reviewer,
                              note="Demo: the Head of Service was told of the intended referral.")
                self._act(day, run, "cafcass_referral", reviewer,
                          note="Demo: referred to CAFCASS as the dispute remains unresolved.")
                self._act(day, run, "withdrawn", reviewer,
                          note="Demo: the matter is now with the CAFCASS officer.")
            elif run.withdraw:
                self._act(day, run, "withdrawn", reviewer,
                          note="Demo: the child's circumstances changed; the concern is "
                               "being picked up at the next review.")
            else:
                self._resolve(day, run, reviewer)
                child.helped = True
            child.alert = None
            return
        if rng.random() < 0.03:
            self._act(day, run, "complaint", reviewer,
                      note="Demo: the child asked for their view to be heard.")
        self._act(day, run, "not_satisfied", reviewer)
        after = self._state(run, day)
        if after is not None and after.is_open and after.level == state.level \
                and after.awaiting == REVIEWER and not self._escalate(day, run, at):
            return  # the reviewer decides the next step; none could be taken
        self.timeline.at(day, self._turn, run)

    def _resolve(self, day: dt.date, run: _AlertRun, reviewer: int) -> None:
        """Satisfied, with the difference it made for the child; the change's follow-up
        answered a week after it falls due. Chosen from the alert's reference, not the
        random stream, so adding impact left the rest of the demo as it was."""
        impact = _by_ref(run.ref, IMPACT_MIX)
        actions = [] if impact == "not_improved" else [
            (_by_ref(run.ref, ACTION_WORDS), self._wd(day, 10))]
        if self._act(day, run, "satisfied", reviewer, confirmed=True, impact=impact,
                     impact_note=IMPACT_NOTES[impact], actions=actions) and actions:
            due = follow_up_on(day, self.policy.impact_follow_up_months)
            self.timeline.at(due + dt.timedelta(days=7), self._follow_up, run, reviewer)

    def _follow_up(self, day: dt.date, run: _AlertRun, reviewer: int) -> None:
        lasted = _by_ref(run.ref + "/follow-up", LASTED_MIX)
        self._do(f"follow-up on {run.ref}", record_follow_up, self.store, self._user(reviewer),
                 run.ref, lasted, FOLLOW_UP_NOTES[lasted], on=day, now=demo_moment(day))

    def _escalate(self, day: dt.date, run: _AlertRun, at: int) -> bool:
        """The reviewer takes the alert to the next level; False when it could not go."""
        track = run.child.track
        if at >= len(track.levels):
            return False
        target: Level = track.levels[at]
        gates = [track.informal.gate_to_formal if at == 0 else None, target.gate]
        return self._act(day, run, "escalated", run.child.reviewer_id, level=target.role,
                         gate=self._gate_text(gates, day))

    # -- significant changes and good practice ---------------------------------------------------

    def _tell_change(self, day: dt.date, child: DemoChild, happened: dt.date) -> None:
        rng = self.rng
        types = self.policy.significant_changes.types
        first = review_first_types(self.policy)
        others = [t for t in types if t not in first] or list(types)
        kind = rng.choice(first) if first and rng.random() < 0.15 else rng.choice(others)
        who = rng.random()
        teller = (self._staff(child.team_id, "business_support") if who < 0.15
                  else self._staff(child.team_id, "team_manager") if who < 0.25
                  else None) or child.worker_id
        told = self._do("tell of a change", notify_change, self.store, child_ref=child.ref,
                        change_type=kind.id, happened_on=happened,
                        description=f"Demo change: {kind.label.lower()}.",
                        user=self._user(teller), on=day, now=demo_moment(day))
        if told is None:
            return
        self.timeline.at(self._wd(day, rng.randint(1, 7)), self._decide_change, child,
                         told.change_id, told.status)
        if (child.alert is None and child.track.raise_within_days is None
                and rng.random() < 0.1):
            self.timeline.at(self._wd(day, 2), self._raise, child)

    def _decide_change(self, day: dt.date, child: DemoChild, change_id: int,
                       status: str) -> None:
        rng = self.rng
        reviewer = self._user(child.reviewer_id)
        if status != REVIEW_REQUIRED:
            needed = rng.random() < 0.3
            decided = self._do(
                "decide about a change", decide_change, self.store, change_id,
                review_needed=needed,
                reasons="" if needed else "Demo reasons: the plan already covers this; "
                                          "discussed with the social worker.",
                user=reviewer, on=day, now=demo_moment(day))
            if decided is None or not needed:
                return
        review_on = self._wd(day, rng.randint(6, 15))
        booked = self._do("book a review for a change", book_review_for_change, self.store,
                          change_id, review_date=review_on, user=reviewer, on=day,
                          now=demo_moment(day))
        if booked is not None:
            self.timeline.at(review_on, self._review_held, child, 0)

    def _good_practice(self, day: dt.date) -> None:
        rng = self.rng
        known = [c for c in self.children if c.since <= day]
        if not known:
            return
        child = rng.choice(known)
        what = f"Demo note: {rng.choice(GOOD_PRACTICE_WORDS)}"
        about = rng.random()
        if about < 0.15:
            note = GoodPracticeNote(what=what, team_id=child.team_id)
        else:
            worker = (self._staff(child.team_id, "team_manager") if about < 0.25
                      else child.worker_id) or child.worker_id
            note = GoodPracticeNote(what=what, worker_id=worker,
                                    child_ref=child.ref if rng.random() < 0.5 else None)
        self._do("note good practice", note_good_practice, self.store, note,
                 user=self._user(child.reviewer_id), on=day, now=demo_moment(day))

    # -- messages ----------------------------------------------------------------------------

    def _read_old_messages(self) -> None:
        """People have read their older messages (amber and red judgements excepted: those
        are acknowledged from the inbox, and were as they came)."""
        before = (self.as_of - dt.timedelta(days=READ_AFTER_DAYS)).isoformat()
        unread: dict[int, list[int]] = {}
        for staff_id, notification_id in self.store.db.execute(
                "SELECT n.staff_id, n.id FROM notifications n JOIN events e ON e.id = n.event_id "
                "WHERE n.read_at IS NULL AND n.created_on < ? AND e.kind != 'rag_routed' "
                "ORDER BY n.staff_id, n.id", [before]).fetchall():
            unread.setdefault(staff_id, []).append(notification_id)
        at = demo_moment(self.as_of).isoformat(timespec="seconds")
        for staff_id, ids in unread.items():
            mark_messages_read(self.store, self._user(staff_id), ids, at)
