"""A child's placement and permanence facts, and the permanence referrals they lead to.

Seed 004, 2.4 refers a looked-after child's case to the service manager when the child has
been placed with parents under the regulations for a year, or has a permanence plan
(adoption or long-term fostering) and is not placed nine months after the permanence
decision. The social worker or a manager records the facts (:func:`record_placement`);
:func:`sweep_permanence`, run by the daily sweep, makes each referral once, dated the day
its period was reached, and tells the role the policy names. Under a policy without a
``permanence`` section the facts can still be recorded, but nothing is referred.

Each use case is one :func:`db.connection.write_transaction`, and reads the child again
inside it. Before it, the access module (``usecases.access``) says whether this person may
record facts for this child at all (the child's social worker and the managers above them);
a refusal is recorded in the access audit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import rules.permanence_rules  # noqa: F401 - registers the ruleset before the engine starts
from db.connection import write_transaction
from db.events import append_event
from db.permanence import (
    permanence_candidates,
    placement_by_id,
    placement_by_ref,
    referral_keys,
    set_placement,
)
from rules.alert_transitions import NewEvent
from rules.dates import uk_date
from rules.permanence_rules import (
    PLACED_WITH_PARENTS,
    PLANS,
    REASONS,
    RECORDED_KIND,
    PlacementFacts,
    decide_referrals,
    episode_start,
    period_words,
    referral_key,
    upcoming,
)
from rules.roles import role_name
from usecases.access import children_for_action, require_act_on_child, require_view_child
from usecases.accounts import SignedInUser
from usecases.alerts import OnCommitted
from usecases.errors import UserError
from usecases.notifications import base_url, tell
from usecases.recipients import people_for_role, reviewer_of
from usecases.store import Store

#: Who records a child's placement facts: the social worker and the child's managers
#: (which children: ``usecases.access``, the social worker and the managers above them).
PLACEMENT_ROLES: tuple[str, ...] = (
    "social_worker", "practice_manager", "team_manager", "operations_manager", "service_manager",
)


FIELDS: tuple[str, ...] = ("placed_with_parents_since", "permanence_plan",
                           "permanence_decision_on", "permanence_placed_on")


class PlacementInvalid(UserError):
    """The facts cannot be saved; ``errors`` maps each field name to what to do about it."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(" ".join(self.errors.values()))


@dataclass
class RecordedPlacement:
    """What :func:`record_placement` wrote: its own event and any referral now due."""

    child_id: int
    events: list[NewEvent] = field(default_factory=list)
    event_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class PlacementView:
    """One child's facts as a screen shows them, with what they will lead to."""

    child: dict
    facts: PlacementFacts
    outlook: list[str]


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def facts_of(row: Mapping) -> PlacementFacts:
    """A child row (from ``db.permanence``) as the facts the rules read."""
    return PlacementFacts(
        child_id=row["id"], case_ref=row["case_ref"],
        looked_after=row["legal_status"] == "looked_after",
        placed_with_parents_since=_date(row["placed_with_parents_since"]),
        permanence_plan=row["permanence_plan"] or "",
        permanence_decision_on=_date(row["permanence_decision_on"]),
        permanence_placed_on=_date(row["permanence_placed_on"]),
    )


# -- validation --------------------------------------------------------------------------------


def _not_a_date(value: object) -> bool:
    return value is not None and (not isinstance(value, dt.date) or isinstance(value, dt.datetime))


def validate_placement(
    *,
    placed_with_parents_since: dt.date | None,
    permanence_plan: str | None,
    permanence_decision_on: dt.date | None,
    permanence_placed_on: dt.date | None,
    as_of: dt.date,
) -> dict[str, str]:
    """Every problem at once, field name -> what to do (empty when the facts are fine).

    The dates cannot be after ``as_of`` (they record what has happened); a plan needs the
    date of the decision its 9-month check counts from; a decision needs its plan; a
    placement cannot come before the decision it carries out.
    """
    errors: dict[str, str] = {}
    dates = {
        "placed_with_parents_since": ("the date the child was placed with parents",
                                      placed_with_parents_since),
        "permanence_decision_on": ("the date of the permanence decision",
                                   permanence_decision_on),
        "permanence_placed_on": ("the date the child was placed for permanence",
                                 permanence_placed_on),
    }
    for key, (what, value) in dates.items():
        if _not_a_date(value):
            errors[key] = f"Enter {what} as a date, or leave it empty."
        elif value is not None and value > as_of:
            errors[key] = (f"{what[0].upper()}{what[1:]} cannot be in the future; today is "
                           f"{uk_date(as_of)}.")
    plan = permanence_plan or ""
    if plan and plan not in PLANS:
        errors["permanence_plan"] = ("Choose the permanence plan: adoption or long-term "
                                     "fostering (or no plan).")
    elif plan and permanence_decision_on is None:
        errors.setdefault("permanence_decision_on", (
            f"Enter the date of the permanence decision: a plan for {PLANS[plan]} needs it, "
            "as the check that the child is placed counts from it."))
    elif not plan and permanence_decision_on is not None:
        errors["permanence_plan"] = ("Choose the permanence plan the decision was for: "
                                     "adoption or long-term fostering.")
    if "permanence_placed_on" not in errors and permanence_placed_on is not None:
        if permanence_decision_on is None:
            errors["permanence_placed_on"] = (
                "A placement for permanence follows a permanence decision: enter the plan and "
                "the date of the decision too, or leave this date empty.")
        elif (not _not_a_date(permanence_decision_on)
              and permanence_placed_on < permanence_decision_on):
            errors["permanence_placed_on"] = (
                f"The child cannot be placed for permanence ({uk_date(permanence_placed_on)}) "
                f"before the permanence decision ({uk_date(permanence_decision_on)}); check "
                "both dates.")
    return errors


def _check_recorder(actor_role: str) -> None:
    """The process's part: which roles record these facts (which children: access)."""
    if actor_role not in PLACEMENT_ROLES:
        who = role_name(actor_role) if actor_role else "Someone without a role"
        raise UserError(
            "Only the child's social worker or a manager (Practice, Team, Operations or Service "
            f"Manager) can record placement and permanence facts; {who} cannot.")


# -- words -------------------------------------------------------------------------------------


def facts_text(facts: PlacementFacts) -> str:
    """The facts in one plain sentence, for the event and the screen."""
    parts = []
    since = facts.placed_with_parents_since
    parts.append(f"placed with parents since {uk_date(since)}" if since
                 else "not placed with parents")
    if facts.permanence_plan:
        plan = (f"permanence plan for {PLANS.get(facts.permanence_plan, facts.permanence_plan)}"
                f" decided on {uk_date(facts.permanence_decision_on)}")
        placed = facts.permanence_placed_on
        plan += f", placed on {uk_date(placed)}" if placed else ", not yet placed"
        parts.append(plan)
    else:
        parts.append("no permanence plan")
    return "; ".join(parts)


def outlook(store: Store, facts: PlacementFacts, as_of: dt.date) -> list[str]:
    """What the facts will lead to under the policy, one sentence per referral."""
    rule = store.policy.permanence
    if rule is None:
        return []
    who = role_name(rule.refer_to)
    lines = []
    for reason, due in upcoming(store.policy, facts):
        if reason == PLACED_WITH_PARENTS:
            what = f"placed with parents {period_words(rule.placed_with_parents_months)}"
            condition = "if the child is still placed with parents"
        else:
            what = (f"not placed {period_words(rule.not_placed_after_decision_months)} after "
                    "the permanence decision")
            condition = "if the child has not been placed by then"
        if due <= as_of:
            lines.append(f"Referred to the {who} on {uk_date(due)} ({what}).")
        else:
            lines.append(f"The case is referred to the {who} on {uk_date(due)} {condition} "
                         f"({what}).")
    return lines


# -- recording ---------------------------------------------------------------------------------


def record_placement(
    store: Store,
    *,
    child_ref: str,
    placed_with_parents_since: dt.date | None,
    permanence_plan: str | None,
    permanence_decision_on: dt.date | None,
    permanence_placed_on: dt.date | None,
    user: SignedInUser,
    on: dt.date,
    now: dt.datetime,
) -> RecordedPlacement:
    """Record a looked-after child's placement and permanence facts: one transaction.

    Writes the facts and a ``placement_recorded`` event, then makes at once any referral the
    facts show was already due (dated the day it fell due), so a placement recorded late is
    referred without waiting for the next sweep. Raises AccessRefused (not this person's
    child), :class:`PlacementInvalid` (every field problem at once) or :class:`UserError`
    with nothing written.
    """
    actor_id, actor_role = user.staff_id, user.role
    if placement_by_ref(store.db, child_ref) is None:
        raise UserError(f"There is no child with case reference {child_ref}.")
    require_act_on_child(store, user, child_ref, "record_placement", now)
    _check_recorder(actor_role)
    errors = validate_placement(
        placed_with_parents_since=placed_with_parents_since, permanence_plan=permanence_plan,
        permanence_decision_on=permanence_decision_on,
        permanence_placed_on=permanence_placed_on, as_of=on)
    with write_transaction(store.db):
        child = placement_by_ref(store.db, child_ref)
        if child is None:
            raise UserError(f"There is no child with case reference {child_ref}.")
        if child["legal_status"] != "looked_after":
            raise UserError(
                f"{child['name']} ({child_ref}) is on a child protection plan, not looked after: "
                "placement and permanence facts are recorded for looked-after children.")
        if errors:
            raise PlacementInvalid(errors)
        before = {key: child[key] for key in FIELDS}
        after = {
            "placed_with_parents_since": _iso(placed_with_parents_since),
            "permanence_plan": permanence_plan or None,
            "permanence_decision_on": _iso(permanence_decision_on),
            "permanence_placed_on": _iso(permanence_placed_on),
        }
        if before == after:
            raise UserError("Nothing has changed: these are the facts already recorded.")
        set_placement(store.db, child["id"], placed_with_parents_since=placed_with_parents_since,
                      permanence_plan=permanence_plan or None,
                      permanence_decision_on=permanence_decision_on,
                      permanence_placed_on=permanence_placed_on)
        updated = placement_by_id(store.db, child["id"])
        assert updated is not None
        facts = facts_of(updated)
        reason = f"Placement and permanence recorded: {facts_text(facts)}."
        ahead = [line for line in outlook(store, facts, on) if not line.startswith("Referred")]
        if ahead:
            reason += " " + " ".join(ahead)
        event = NewEvent(kind=RECORDED_KIND, on=on, reason=reason, actor_id=actor_id,
                         actor_role=actor_role, data={"before": before, "after": after})
        event_id = append_event(
            store.db, kind=event.kind, occurred_on=on, actor_id=actor_id,
            actor_role=actor_role or None, child_id=child["id"], data=event.data, reason=reason)
        assert event_id is not None
        referred = _refer(store, updated, on, referral_keys(store.db))
    return RecordedPlacement(child_id=child["id"], events=[event, *(e for e, _ in referred)],
                             event_ids=[event_id, *(i for _, i in referred)])


# -- the referrals -----------------------------------------------------------------------------


def _refer(store: Store, child: Mapping, as_of: dt.date, logged: set[str]
           ) -> list[tuple[NewEvent, int]]:
    """Write and tell the referrals now due for one child, inside the caller's transaction;
    returns those this call wrote (one already logged, by any process, is skipped)."""
    facts = facts_of(child)
    keys = {reason: referral_key(facts.child_id, reason, start) for reason in REASONS
            if (start := episode_start(reason, facts)) is not None}
    if keys and all(key in logged for key in keys.values()):
        return []  # the fast path of a daily sweep: this child was referred already
    written = []
    for event in decide_referrals(store.policy, facts, as_of):
        key = keys[event.data["reason"]]
        if key in logged:
            continue
        event_id = append_event(
            store.db, kind=event.kind, occurred_on=event.on, actor_role=event.actor_role,
            child_id=facts.child_id, data=event.data, reason=event.reason, rule=event.rule,
            policy_id=store.policy.id, policy_version=store.policy.version, dedupe_key=key)
        if event_id is None:
            continue
        logged.add(key)
        written.append((event, event_id))
        _tell_referral(store, child, event, event_id)
    return written


def _tell_referral(store: Store, child: Mapping, event: NewEvent, event_id: int) -> None:
    """The role the policy names, for this child (its service manager), is told; the child's
    IRO is copied, as the service manager advises the IRO what happens next (seed 004, 2.5)."""
    rule = store.policy.permanence
    assert rule is not None
    to = people_for_role(store, child["id"], rule.refer_to)
    cc = [p for p in reviewer_of(store, child["id"]) if p["id"] not in {t["id"] for t in to}]
    link = f"{base_url()}/child?child={child['case_ref']}"
    why = ("placed with parents" if event.data["reason"] == PLACED_WITH_PARENTS
           else "not placed after the permanence decision")
    body = "\n".join([
        f"{child['name']} ({child['case_ref']}): {event.reason}", "",
        f"Open the child's record: {link}", "",
        "This message is about a child's record: do not forward it outside the authority."])
    tell(store, event_id=event_id, on=event.on, to=to, cc=cc,
         subject=f"Permanence referral for {child['case_ref']}: {why}", body=body, link=link)


def _record(store: Store, child: Mapping, event: NewEvent) -> dict:
    """A referral as the sweep prints it (the shape of the other sweeps' records)."""
    return {
        "child": child["case_ref"],
        "date": event.on.isoformat(),
        "event": event.kind,
        "level": "",
        "due": event.data.get("due", ""),
        "rule": event.rule,
        "policy_id": store.policy.id,
        "policy_version": store.policy.version,
        "reason": event.reason,
    }


def sweep_permanence(store: Store, as_of: dt.date, batch_size: int = 500,
                     on_committed: OnCommitted | None = None) -> list[dict]:
    """Make every permanence referral due by ``as_of``; returns those this run wrote.

    Nothing at all under a policy without ``permanence``. Idempotent: each referral has a
    dedupe key per child, reason and period, so a sweep run daily, twice, late or from two
    processes at once writes (and tells) each referral once, dated the day it fell due.

    Children are swept ``batch_size`` to a transaction, each batch whole (a referral and its
    messages together), so the write lock is held briefly; ``on_committed`` is given each
    batch's referrals as soon as it commits, so a sweep stopped halfway has said all it wrote.
    """
    if store.policy.permanence is None:
        return []
    written: list[dict] = []
    ids = permanence_candidates(store.db)
    for start in range(0, len(ids), batch_size):
        batch: list[dict] = []
        with write_transaction(store.db):
            logged = referral_keys(store.db)  # re-read: another process may have referred
            for child_id in ids[start:start + batch_size]:
                child = placement_by_id(store.db, child_id)
                if child is None:
                    continue
                batch.extend(_record(store, child, e)
                             for e, _ in _refer(store, child, as_of, logged))
        written.extend(batch)
        if on_committed is not None and batch:  # committed: say so before the next batch
            on_committed(batch)
    return written


# -- reading, for the screen -------------------------------------------------------------------


def placement_children(store: Store, user: SignedInUser) -> list[dict]:
    """The looked-after children this person may record placement facts for."""
    if user.role not in PLACEMENT_ROLES:
        return []
    return [c for c in children_for_action(store, user, "record_placement")
            if c["legal_status"] == "looked_after"]


def placement_of(store: Store, user: SignedInUser, case_ref: str, as_of: dt.date,
                 now: dt.datetime) -> PlacementView:
    """One child's facts, and what they lead to under the policy, for someone who may
    record them (the opening is audited)."""
    if placement_by_ref(store.db, case_ref) is None:
        raise UserError(f"There is no child with case reference {case_ref}.")
    require_act_on_child(store, user, case_ref, "record_placement", now)
    require_view_child(store, user, case_ref, now)
    child = placement_by_ref(store.db, case_ref)
    assert child is not None
    facts = facts_of(child)
    return PlacementView(child=child, facts=facts, outlook=outlook(store, facts, as_of))
