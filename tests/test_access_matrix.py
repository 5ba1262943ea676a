"""The whole access matrix, generated: every role x every relationship to a child x every
screen and action, each its own test.

The expected answer is worked out by :func:`expected` below from the table "Who may see
and do what" in README.md, written independently of ``usecases.access``; each cell checks
the module's decision AND that the use case itself refuses (AccessRefused, recorded in the
audit, nothing else changed) or lets the person through (the process may still say no
for its own reasons, but never the access module).

One synthetic store (policy seed-001) is built once for the module. Each person ("P") is
put in one relationship with one child; a refused cell runs on that store (and must leave
it as it was), an allowed cell on an in-memory copy, so cells never disturb each other.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlite_utils

from db.changes import insert_change
from db.connection import write_transaction
from db.people import insert_child, insert_staff, insert_team
from db.reviews import insert_review_form, send_decisions
from rules.alert_state import INFORMAL
from rules.alert_transitions import Command
from rules.policy import Access, load_preset
from rules.roles import ROLES
from usecases import access
from usecases.access import AccessRefused, person
from usecases.alert_forms import RaiseAlertForm, act_from_form, raise_from_form
from usecases.alert_view import alert_view
from usecases.alerts import act_in_transaction, raise_in_transaction
from usecases.changes import decide_change, notify_change
from usecases.children import child_record, review_of
from usecases.errors import UserError
from usecases.permanence import record_placement
from usecases.reviews import ReviewForm, record_review, reply_to_decisions
from usecases.store import Store, create_store

AS_OF = dt.date(2026, 11, 23)  # a Monday
NOW = dt.datetime(2026, 11, 23, 10, 30, tzinfo=dt.UTC)
POLICY = load_preset("seed-001")
TRACK = POLICY.track("iro")
#: The managers above a social worker, nearest first (as the demo builds a line).
SENIORITY = (
    "practice_manager", "team_manager", "operations_manager", "service_manager",
    "strategic_manager", "deputy_head_of_service", "head_of_service", "qa_head_of_service",
    "service_director", "assistant_director", "divisional_director", "director",
    "executive_director", "deputy_chief_executive", "chief_executive",
)

# -- the table, read independently of the code --------------------------------------------------

RELATIONSHIPS = (
    "reviewer",          # P is the child's IRO or CP chair
    "other_reviewer",    # P reviews another child, not this one
    "social_worker",     # P is the child's social worker
    "other_team_worker",  # P is the social worker of a child of another team
    "line_manager",      # P is in the line management above the child's social worker
    "other_team_manager",  # P line-manages a social worker of another team
    "same_team",         # P is in the child's team, with no other tie
    "addressee",         # the alert was addressed to P (P is not in the line above the SW)
    "copied",            # P was copied on the alert at a level it reached
    "authority_wide",    # the policy names P's role authority-wide
    "none",              # no tie at all
)
#: Roles the seed-001 ladder addresses (the child's social worker aside: that is a
#: relationship of its own) and copies.
ADDRESSED = ("team_manager", "service_manager", "head_of_service", "divisional_director",
             "director")
COPIED = {"head_of_service": INFORMAL, "divisional_director": "head_of_service",
          "director": "divisional_director"}  # role -> the level that copies it

ACTIONS = (
    "view child", "view alert", "view review", "raise alert", "record review", "respond",
    "ask for more time", "acknowledge", "satisfied", "not satisfied", "escalate",
    "withdraw", "tell of a change", "record placement", "reply to decisions",
    "decide on a change",
)
VIEWS = ("view child", "view alert", "view review")


def alert_level(role: str, relationship: str) -> str:
    """Where the cell's alert stands: copying P, or waiting for P's role where the ladder
    has it (the informal stage is held with the social worker and team manager), else at
    level 1."""
    if relationship == "copied":
        return COPIED[role]
    if role in TRACK.informal.with_roles:
        return INFORMAL
    return role if role in TRACK.roles_on_ladder else TRACK.levels[0].role


def waiting_roles(level: str) -> set[str]:
    return set(TRACK.informal.with_roles) if level == INFORMAL else {level}


def expected(role: str, relationship: str, action: str) -> tuple[bool, bool]:
    """(allowed, summary only) for a cell, from README's table."""
    wide_roles = {role} if relationship == "authority_wide" else set(
        POLICY.access.authority_wide)
    if role == "admin":  # sees no child's record, no alert, no review
        return False, False
    reviewer = relationship == "reviewer" or role in POLICY.access.act_for_reviewer
    care = relationship in ("social_worker", "line_manager")
    wide = role in wide_roles
    sent = relationship in ("addressee", "copied")
    team_support = role == "business_support" and relationship in (
        "social_worker", "line_manager", "same_team")  # P sits in the child's team
    whole = reviewer or care or wide
    waits = role in waiting_roles(alert_level(role, relationship))
    answers = waits and (care or wide or relationship == "addressee")
    allowed = {
        "view child": whole or sent or team_support,
        "view alert": whole or sent,
        "view review": whole,
        "respond": answers, "ask for more time": answers, "acknowledge": answers,
        "tell of a change": care or team_support,
        "record placement": care,
        "reply to decisions": care,
    }.get(action, reviewer)  # the rest are the reviewer's
    summary = action == "view child" and not whole and (sent or team_support)
    return allowed, summary


def possible(role: str, relationship: str) -> bool:
    if relationship == "addressee":
        return role in ADDRESSED
    if relationship == "copied":
        return role in COPIED
    return True


CELLS = [(role, rel, action) for role in ROLES for rel in RELATIONSHIPS if possible(role, rel)
         for action in ACTIONS]


# -- the store ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """The child a cell is about, with the alert waiting at the cell's level, an alert
    waiting for the reviewer, a review whose decisions wait for a reply, and a change."""

    case_ref: str
    child_id: int
    alert: str
    alert_for_reviewer: str
    review_id: int
    change_id: int


@dataclass
class Built:
    path: Path
    store: Store
    people: dict[tuple[str, str], int]
    subjects: dict[tuple[str, str], Subject]


class _Maker:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db
        self.n = 0
        self.teams = {name: insert_team(self.db, f"Test {name}") for name in "ABR"}

    def staff(self, role: str, team: str | None = None, manager: int | None = None) -> int:
        self.n += 1
        return insert_staff(self.db, name=f"Test Person {self.n}", role=role,
                            email=f"person{self.n}@access-test.invalid",
                            team_id=self.teams[team] if team else None,
                            line_manager_id=manager)

    def line(self, skip: str | None = None) -> int:
        """A social worker in team A with a manager for every senior role above (but
        ``skip``); returns the social worker."""
        above = None
        for role in reversed(SENIORITY):
            if role != skip:
                above = self.staff(role, "A" if role in ("practice_manager", "team_manager")
                                   else None, above)
        return self.staff("social_worker", "A", above)

    def manager_of(self, worker: int) -> int:
        return self.db.execute("SELECT line_manager_id FROM staff WHERE id = ?",
                               [worker]).fetchone()[0]

    def child(self, *, worker: int | None, reviewer: int | None, team: str = "A") -> tuple:
        self.n += 1
        ref = f"T-{self.n:04d}"
        child_id = insert_child(self.db, case_ref=ref, name=f"Child Number {self.n}",
                                date_of_birth=None, legal_status="looked_after",
                                team_id=self.teams[team], social_worker_id=worker,
                                reviewer_id=reviewer)
        return ref, child_id

    def subject(self, *, worker: int, reviewer: int, level: str) -> Subject:
        ref, child_id = self.child(worker=worker, reviewer=reviewer)
        gate = "" if level == INFORMAL else "Agreed with the Head of Service (test)."
        alert = raise_in_transaction(
            self.store, child_id=child_id, child_ref=ref, track="iro",
            command=Command(kind="raised", on=AS_OF, actor_role="iro", actor_id=reviewer,
                            level=level, gate=gate, category=TRACK.categories[0].id),
            concern="Test concern.", outcome_sought="Test outcome.")
        decide = raise_in_transaction(
            self.store, child_id=child_id, child_ref=ref, track="iro",
            command=Command(kind="raised", on=AS_OF, actor_role="iro", actor_id=reviewer,
                            level=INFORMAL, category=TRACK.categories[0].id),
            concern="Test concern.", outcome_sought="Test outcome.")
        act_in_transaction(self.store, decide.ref, Command(
            kind="responded", on=AS_OF, actor_role="social_worker", actor_id=worker,
            outcome="agree", note="Test response."))
        review_id = insert_review_form(
            self.db, child_id=child_id, kind="lac_review", held_on=AS_OF - dt.timedelta(3),
            reviewer_id=reviewer, rag="amber", summary="Test review.",
            data={"decisions": "Test decisions."}, recorded_on=AS_OF - dt.timedelta(3))
        send_decisions(self.db, review_id, sent_on=AS_OF - dt.timedelta(3),
                       reply_due=AS_OF + dt.timedelta(7), reply_status="awaiting",
                       next_check_on=AS_OF + dt.timedelta(8))
        change_id = insert_change(
            self.db, child_id=child_id, change_type="court_order", happened_on=AS_OF,
            notified_on=AS_OF, description="Test change.", notified_by=worker, late=False,
            review_before=False, status="awaiting_decision")
        return Subject(ref, child_id, alert.ref, decide.ref, review_id, change_id)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    path = tmp_path_factory.mktemp("access") / "matrix.db"
    store = create_store(path, "seed-001", demo=False, as_of=AS_OF)
    people: dict[tuple[str, str], int] = {}
    subjects: dict[tuple[str, str], Subject] = {}
    with write_transaction(store.db):
        make = _Maker(store)
        worker = make.line()  # the line most children share
        principal = make.staff("principal_iro", "R")
        reviewer = make.staff("iro", "R", principal)
        shared: dict[str, Subject] = {}
        for role in ROLES:
            for rel in RELATIONSHIPS:
                if not possible(role, rel):
                    continue
                level = alert_level(role, rel)
                if rel == "reviewer":
                    p = make.staff(role)
                    subject = make.subject(worker=worker, reviewer=p, level=level)
                elif rel == "social_worker":
                    p = make.staff(role, "A", make.manager_of(worker))
                    subject = make.subject(worker=p, reviewer=reviewer, level=level)
                elif rel == "line_manager":
                    p = make.staff(role, "A", make.manager_of(worker))
                    theirs = make.staff("social_worker", "A", p)
                    subject = make.subject(worker=theirs, reviewer=reviewer, level=level)
                elif rel in ("addressee", "copied"):
                    # the line above the child's social worker has no one in P's role, so
                    # the alert goes to P, the holder of it above the child's reviewer
                    p = make.staff(role)
                    subject = make.subject(worker=make.line(skip=role),
                                           reviewer=make.staff("iro", "R", p), level=level)
                else:
                    if rel == "other_reviewer":
                        p = make.staff(role)
                        make.child(worker=worker, reviewer=p)
                    elif rel == "other_team_worker":
                        p = make.staff(role, "B")
                        make.child(worker=p, reviewer=reviewer, team="B")
                    elif rel == "other_team_manager":
                        p = make.staff(role, "B")
                        make.staff("social_worker", "B", p)
                    elif rel == "same_team":
                        p = make.staff(role, "A")
                    else:  # authority_wide (by the policy, see _store_for) and none
                        p = make.staff(role)
                    if level not in shared:
                        shared[level] = make.subject(worker=worker, reviewer=reviewer,
                                                     level=level)
                    subject = shared[level]
                people[(role, rel)] = p
                subjects[(role, rel)] = subject
    return Built(path, store, people, subjects)


def _store_for(store: Store, role: str, rel: str) -> Store:
    if rel != "authority_wide":
        return store
    wide = dataclasses.replace(POLICY, access=Access(
        authority_wide=(role,), act_for_reviewer=POLICY.access.act_for_reviewer))
    return dataclasses.replace(store, policy=wide)


def _copy(store: Store) -> Store:
    """The store in memory, to let an allowed action write without disturbing the rest."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    store.db.conn.backup(conn)
    conn.execute("PRAGMA foreign_keys = ON")
    return dataclasses.replace(store, db=sqlite_utils.Database(conn))


def _fingerprint(store: Store) -> tuple:
    """Everything a use case could change, but the access audit."""
    one = store.db.execute
    return (
        one("SELECT count(*), max(id) FROM events").fetchone(),
        one("SELECT count(*), group_concat(state) FROM alerts").fetchone(),
        one("SELECT count(*), group_concat(reply_status) FROM reviews").fetchone(),
        one("SELECT count(*), group_concat(status) FROM significant_changes").fetchone(),
        one("SELECT group_concat(coalesce(placed_with_parents_since, '-')) FROM children"
            ).fetchone(),
        one("SELECT count(*) FROM notifications").fetchone(),
        one("SELECT count(*) FROM outbox").fetchone(),
    )


def _refusals(store: Store, staff_id: int) -> int:
    return store.db.execute("SELECT count(*) FROM access_audit WHERE staff_id = ? AND "
                            "kind = 'refused' AND allowed = 0", [staff_id]).fetchone()[0]


# -- one cell ----------------------------------------------------------------------------------


def _decision(store: Store, user, s: Subject, action: str) -> access.Decision:
    if action == "view child":
        return access.child_access(store, user, s.case_ref)
    if action == "view alert":
        return access.alert_access(store, user, s.alert, AS_OF)
    if action in ("view review", "reply to decisions"):
        return access.review_access(store, user, s.review_id)
    alert_kinds = {"respond": ("responded", s.alert), "ask for more time":
                   ("extension_requested", s.alert), "acknowledge": ("acknowledged", s.alert),
                   "satisfied": ("satisfied", s.alert_for_reviewer),
                   "not satisfied": ("not_satisfied", s.alert_for_reviewer),
                   "escalate": ("escalated", s.alert_for_reviewer),
                   "withdraw": ("withdrawn", s.alert_for_reviewer)}
    if action in alert_kinds:
        kind, ref = alert_kinds[action]
        return access.may_act_on_alert(store, user, ref, kind, AS_OF)
    child_actions = {"raise alert": "raise_alert", "record review": "record_review",
                     "tell of a change": "tell_change", "record placement": "record_placement",
                     "decide on a change": "decide_change"}
    return access.may_act_on_child(store, user, s.case_ref, child_actions[action])


def _use_case(store: Store, user, s: Subject, action: str) -> object:
    common = {"user": user, "now": NOW}
    if action == "view child":
        return child_record(store, user, s.case_ref, NOW)
    if action == "view alert":
        return alert_view(store, user, s.alert, AS_OF, NOW)
    if action == "view review":
        return review_of(store, user, s.review_id, NOW)
    if action == "raise alert":
        form = RaiseAlertForm(child_ref=s.case_ref, category=TRACK.categories[0].id,
                              concern="A new concern.", outcome_sought="A plan by Friday.",
                              level=INFORMAL)
        return raise_from_form(store, form, on=AS_OF, **common)
    if action == "record review":
        form = ReviewForm(
            child_id=s.child_id, kind="lac_review", held_on=AS_OF, rag="green",
            documents={d.id: {"present": True, "up_to_date": True, "adequate": True}
                       for d in POLICY.key_documents},
            participation="attended", decisions="The plan continues.")
        return record_review(store, form, recorded_on=AS_OF, **common)
    alert_actions = {
        "respond": (s.alert, "responded", {"outcome": "agree", "note": "We agree."}),
        "ask for more time": (s.alert, "extension_requested",
                              {"until": AS_OF + dt.timedelta(14), "note": "Panel first."}),
        "acknowledge": (s.alert, "acknowledged", {}),
        "satisfied": (s.alert_for_reviewer, "satisfied",
                      {"impact": "not_improved", "impact_note": "The decision was upheld."}),
        "not satisfied": (s.alert_for_reviewer, "not_satisfied", {"note": "Not enough."}),
        "escalate": (s.alert_for_reviewer, "escalated",
                     {"level": TRACK.levels[0].role, "gate": "Agreed with the HoS."}),
        "withdraw": (s.alert_for_reviewer, "withdrawn", {"note": "Resolved another way."}),
    }
    if action in alert_actions:
        ref, kind, fields = alert_actions[action]
        return act_from_form(store, ref, kind, on=AS_OF, **fields, **common)
    if action == "tell of a change":
        return notify_change(store, child_ref=s.case_ref, change_type="court_order",
                             happened_on=AS_OF, description="An order was made.", on=AS_OF,
                             **common)
    if action == "record placement":
        return record_placement(store, child_ref=s.case_ref,
                                placed_with_parents_since=AS_OF - dt.timedelta(30),
                                permanence_plan=None, permanence_decision_on=None,
                                permanence_placed_on=None, on=AS_OF, **common)
    if action == "reply to decisions":
        return reply_to_decisions(store, s.review_id, agree=True, note="", on=AS_OF, **common)
    assert action == "decide on a change"
    return decide_change(store, s.change_id, review_needed=True, reasons="", on=AS_OF,
                         **common)


@pytest.mark.parametrize(("role", "rel", "action"), CELLS,
                         ids=[f"{r}-{rel}-{a.replace(' ', '_')}" for r, rel, a in CELLS])
def test_cell(built: Built, role: str, rel: str, action: str) -> None:
    allowed, summary = expected(role, rel, action)
    store = _store_for(built.store, role, rel)
    user = person(store, staff_id=built.people[(role, rel)])
    s = built.subjects[(role, rel)]

    decision = _decision(store, user, s, action)
    said = decision.may_view if action in VIEWS else decision.may_act
    assert said is allowed, decision.rule
    if action == "view child":
        assert decision.summary_only is summary, decision.rule
    assert decision.rule.endswith(".") and (user.name in decision.rule), decision.rule

    if allowed:
        copy = _copy(store)
        try:
            result = _use_case(copy, user, s, action)
        except AccessRefused as refused:
            pytest.fail(f"refused though allowed: {refused} ({refused.decision.rule})")
        except UserError:
            assert action not in VIEWS  # the process may still say no; a view may not
        else:
            if action == "view child":
                assert result.summary_only is summary
                if summary:
                    assert result.reviews == [] and result.chronology == []
        finally:
            copy.db.close()
        return
    before, refusals = _fingerprint(store), _refusals(store, user.staff_id)
    with pytest.raises(AccessRefused) as refused:
        _use_case(store, user, s, action)
    message = str(refused.value)
    assert "Child Number" not in message and s.case_ref not in message
    assert _fingerprint(store) == before
    assert _refusals(store, user.staff_id) == refusals + 1


def test_the_matrix_covers_every_role_relationship_and_action():
    assert {r for r, _, _ in CELLS} == set(ROLES)
    assert {rel for _, rel, _ in CELLS} == set(RELATIONSHIPS)
    assert {a for _, _, a in CELLS} == set(ACTIONS)
    allowed = sum(expected(*cell)[0] for cell in CELLS)
    assert 0 < allowed < len(CELLS)
