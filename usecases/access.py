"""Who may see and do what: one module decides, by the person's relationship to the child,
and every use case that reads or changes a child's record asks it.

The rules are the table "Who may see and do what" in README.md; this module and that
table are kept in step (``tests/test_access_matrix.py`` checks the module against an
independent reading of the table). In short:

- the child's reviewer (IRO or CP chair), and whoever acts for the reviewer under the
  policy (``access.act_for_reviewer``, the principal IRO by default): the whole record;
  they act as the reviewer (raise alerts, record reviews, decide, escalate, withdraw ...);
- the child's social worker and everyone in the line management above them: the whole
  record; they respond, ask for more time and acknowledge when an alert waits for their
  role, and do the social-work side (tell of a change, record placement, reply to review
  decisions), as the process allows their role;
- the people an alert was addressed or copied to at the levels it reached (as the messages
  went, through ``usecases.recipients.people_for_role``): that alert and the child's
  summary; they act when it waits for them;
- roles the policy makes authority-wide (``access.authority_wide``): every child's
  record; they act on an alert only when it waits for their role;
- business support: the summary of its own team's children, to tell the reviewer of a
  significant change;
- the administrator runs the service but sees no child's record and no alert; anyone
  else sees nothing.

Access is one question; the process is another: a use case asks here first (and records
a refusal in the access audit), then the rules engine still checks the step itself.
Nothing here reads the clock: the guards take ``now`` for the audit.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from db.access import (
    alert_ids_of_children,
    alert_ties,
    alerts_reaching,
    all_child_ids,
    child_pairs,
    child_ties_by_id,
    child_ties_by_ref,
    children_linked,
    children_of_team,
    levels_reached,
    review_ties,
    staff_person,
)
from db.queries import children_list
from db.recipients import line_managers_above
from rules.alert_rules import ADDRESSEE_ONLY, REVIEWER_ONLY, advance
from rules.alert_state import INFORMAL, REVIEWER, AlertState
from rules.policy import Policy
from rules.roles import role_name
from usecases import audit
from usecases.accounts import SignedInUser
from usecases.errors import UserError
from usecases.recipients import people_for_role, people_for_role_of
from usecases.store import Store

ADMIN = "admin"
BUSINESS_SUPPORT = "business_support"

#: What the reviewer records on an alert (and a complaint noted on it).
REVIEWER_ALERT_ACTIONS: tuple[str, ...] = (*REVIEWER_ONLY, "complaint", "impact_followed_up")
#: What the person an alert waits for records on it.
ADDRESSEE_ALERT_ACTIONS: tuple[str, ...] = ADDRESSEE_ONLY

ALERT_ACTION_WORDS: dict[str, str] = {
    "raised": "raise the alert",
    "responded": "respond to the alert",
    "extension_requested": "ask for more time on the alert",
    "acknowledged": "acknowledge the alert",
    "satisfied": "record the reviewer satisfied and resolve the alert",
    "not_satisfied": "record the reviewer not satisfied with the response",
    "escalated": "escalate the alert",
    "extension_agreed": "agree more time on the alert",
    "extension_refused": "refuse more time on the alert",
    "withdrawn": "withdraw the alert",
    "hos_notified": "record that the Head of Service was told",
    "legal_advice": "record that legal advice was sought",
    "cafcass_referral": "record a referral to CAFCASS",
    "complaint": "note a complaint on the alert",
    "impact_followed_up": "record whether the change for the child lasted",
}

#: What the reviewer does for a child.
REVIEWER_CHILD_ACTIONS: tuple[str, ...] = (
    "raise_alert", "record_review", "decide_change", "note_good_practice")
#: The social-work side: the child's social worker and the managers above them.
CARE_CHILD_ACTIONS: tuple[str, ...] = ("tell_change", "record_placement", "reply_decisions")
#: Anyone who may see the child (even only its summary) may name it in a concern.
VIEWER_CHILD_ACTIONS: tuple[str, ...] = ("refer_concern",)
#: Anyone who may see the child's whole record may note they have read a review of it.
RECORD_CHILD_ACTIONS: tuple[str, ...] = ("acknowledge_review",)

CHILD_ACTION_WORDS: dict[str, str] = {
    "raise_alert": "raise an alert for this child",
    "record_review": "record a review for this child",
    "decide_change": "decide about a significant change for this child",
    "note_good_practice": "name this child in a note of good practice",
    "tell_change": "tell the reviewer of a significant change for this child",
    "record_placement": "record this child's placement and permanence facts",
    "reply_decisions": "reply to the decisions of this child's review",
    "refer_concern": "name this child in a concern about a reviewer's practice",
    "acknowledge_review": "acknowledge a review of this child",
}

ASK = "If you need it, ask your manager or the system administrator."
CHILD_REFUSED = f"You do not have access to this child's record. {ASK}"
ALERT_REFUSED = f"You do not have access to this alert. {ASK}"
REVIEW_REFUSED = f"You do not have access to this review. {ASK}"


@dataclass(frozen=True)
class Decision:
    """What a person may do with one child, alert or review, and the rule that decided.

    ``rule`` is one plain sentence naming the person and the relationship that decided
    (never the child's name). ``summary_only``: they may see the child's summary (name,
    status, team, social worker, reviewer) but not its reviews or chronology, and of its
    alerts only those that were sent to them.
    """

    may_view: bool
    may_act: bool
    rule: str
    summary_only: bool = False


class AccessRefused(UserError):
    """The person may not see or do this; the message names no child's details."""

    def __init__(self, message: str, decision: Decision) -> None:
        self.decision = decision
        super().__init__(message)


def person(store: Store, *, staff_id: int | None = None, email: str | None = None
           ) -> SignedInUser:
    """A member of staff as the access questions see them (for the command line, the demo
    and tests); UserError if there is nobody with that id or e-mail."""
    row = staff_person(store.db, staff_id=staff_id, email=email)
    if row is None:
        raise UserError(f"No member of staff has the e-mail {email}." if email is not None
                        else f"There is no member of staff {staff_id}.")
    return SignedInUser(staff_id=row["id"], name=row["name"], email=row["email"],
                        role=row["role"], team_id=row["team_id"], team_name=row["team_name"])


# -- who the person is to the child ------------------------------------------------------------


@dataclass(frozen=True)
class _Ties:
    admin: bool
    reviewer: bool
    acts_for_reviewer: bool
    social_worker: bool
    manages_worker: bool
    authority_wide: bool
    team_support: bool

    @property
    def reviewer_side(self) -> bool:
        return not self.admin and (self.reviewer or self.acts_for_reviewer)

    @property
    def care_side(self) -> bool:
        return not self.admin and (self.social_worker or self.manages_worker)

    @property
    def whole_record(self) -> bool:
        return self.reviewer_side or self.care_side or (not self.admin and self.authority_wide)


def is_authority_wide(store: Store, user: SignedInUser) -> bool:
    """Whether the policy lets this person's role see every child."""
    return user.role != ADMIN and user.role in store.policy.access.authority_wide


def acts_for_reviewer(store: Store, user: SignedInUser) -> bool:
    """Whether the policy lets this person's role act for any child's reviewer."""
    return user.role != ADMIN and user.role in store.policy.access.act_for_reviewer


def _ties(store: Store, user: SignedInUser, child: Mapping[str, Any]) -> _Ties:
    worker = child["social_worker_id"]
    manages = bool(worker) and worker != user.staff_id and any(
        p["id"] == user.staff_id for p in line_managers_above(store.db, worker))
    support = (user.role == BUSINESS_SUPPORT and user.team_id is not None
               and user.team_id == child["team_id"])
    return _Ties(
        admin=user.role == ADMIN,
        reviewer=child["reviewer_id"] is not None and child["reviewer_id"] == user.staff_id,
        acts_for_reviewer=acts_for_reviewer(store, user),
        social_worker=worker is not None and worker == user.staff_id,
        manages_worker=manages,
        authority_wide=is_authority_wide(store, user),
        team_support=support,
    )


def _a(word: str) -> str:
    return f"an {word}" if word[:1] in "AEIOU" else f"a {word}"


def _who(user: SignedInUser) -> str:
    return f"{user.name} ({role_name(user.role)})"


def _reviewer_word(user: SignedInUser) -> str:
    return {"iro": "IRO", "cp_chair": "CP chair"}.get(user.role, "IRO or CP chair")


def _and_or(names: list[str], word: str = "or") -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" {word} " + names[-1]


def _acting_roles(policy: Policy) -> str:
    names = [f"the {role_name(r)}" for r in policy.access.act_for_reviewer]
    return f" (or {_and_or(names)} acting for them)" if names else ""


def _full_record_rule(store: Store, user: SignedInUser, ties: _Ties, tail: str) -> str:
    """The sentence for a relationship that sees the whole record; ``tail`` says what
    follows ("may see and act on the child's record." ...)."""
    role = role_name(user.role)
    if ties.reviewer:
        return f"{user.name} is this child's {_reviewer_word(user)}, so {tail}"
    if ties.acts_for_reviewer:
        return (f"{user.name} is the {role}, who acts for every child's reviewer under policy "
                f"{store.policy.id}, so {tail}")
    if ties.social_worker:
        return f"{user.name} is this child's social worker, so {tail}"
    if ties.manages_worker:
        return (f"{user.name} ({role}) is in the line management of this child's social "
                f"worker, so {tail}")
    return (f"{user.name} is the {role}, a role that sees every child under policy "
            f"{store.policy.id}, so {tail}")


def _nobody_rule(store: Store, user: SignedInUser, child: Mapping[str, Any], what: str) -> str:
    """Why someone with no tie to the child may not ``what`` ("see this child" ...)."""
    role = role_name(user.role)
    if user.role == ADMIN:
        return (f"{user.name} is the Administrator, who runs the service but sees no child's "
                f"record and no alert, so may not {what}.")
    if user.role in ("iro", "cp_chair"):
        return (f"{user.name} is {_a(_reviewer_word(user))} but not this child's reviewer, so "
                f"may not {what}.")
    other_team = (user.team_id is not None and child["team_id"] is not None
                  and user.team_id != child["team_id"])
    if user.role == "social_worker":
        where = " of another team" if other_team else ""
        return (f"{user.name} is {_a(role)}{where} but not this child's social worker, so may "
                f"not {what}.")
    if other_team:
        return (f"{user.name} is {_a(role)} of another team and not in the line management of "
                f"this child's social worker, so may not {what}.")
    return (f"{user.name} ({role}) is not this child's reviewer or social worker, nor in the "
            f"social worker's line management, and policy {store.policy.id} does not let "
            f"{_a(role)} see every child, so may not {what}.")


# -- alerts: who they wait for and whom they reached -------------------------------------------


@dataclass(frozen=True)
class _Alert:
    id: int
    ref: str
    child_id: int
    track: str
    level: str
    awaiting: str
    status: str
    reached: tuple[str, ...]


def _alert_now(store: Store, row: Mapping[str, Any], on: dt.date | None) -> _Alert:
    """The alert as the projection has it, or (given ``on``) as the clock has it that day,
    so a level that silence has already reached counts before a sweep writes it."""
    reached = levels_reached(store.db, row["id"])
    level, awaiting, status = row["level"], row["awaiting"] or "", row["status"]
    if on is not None and status == "open" and row.get("state"):
        state, _ = advance(store.policy, store.calendar,
                           AlertState.from_json(_json(row["state"])), on)
        level, awaiting, status = state.level, state.awaiting or "", state.status
        if level not in reached:
            reached.append(level)
    return _Alert(id=row["id"], ref=row["ref"], child_id=row["child_id"], track=row["track"],
                  level=level, awaiting=awaiting, status=status, reached=tuple(reached))


def _json(value: Any) -> dict:
    return json.loads(value) if isinstance(value, str) else dict(value)


def _level_roles(
    policy: Policy, track_id: str, level: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(addressed, copied) roles of one level of a track."""
    track = policy.track(track_id)
    if level == INFORMAL:
        return track.informal.with_roles, track.informal.copy
    try:
        step = track.level(level)
    except KeyError:
        return (), ()
    return (step.role,), step.copy


def _waiting_roles(store: Store, alert: _Alert) -> tuple[str, ...]:
    """The roles an open alert waits for: the informal stage's people, or its level's role."""
    if alert.status != "open" or alert.awaiting in ("", REVIEWER):
        return ()
    if alert.level == INFORMAL:
        return store.policy.track(alert.track).informal.with_roles
    return (alert.awaiting,)


def _levels_for_role(policy: Policy, role: str) -> dict[str, set[str]]:
    """{track: levels} at which the policy addresses or copies this role."""
    found: dict[str, set[str]] = {}
    for track in policy.tracks.values():
        for level in [INFORMAL, *track.roles_on_ladder]:
            addressed, copied = _level_roles(policy, track.id, level)
            if role in addressed or role in copied:
                found.setdefault(track.id, set()).add(level)
    return found


def _is_person_for(store: Store, user: SignedInUser, child_id: int, cache: dict) -> bool:
    """Whether this person is whom messages for their role about this child go to."""
    if child_id not in cache:
        cache[child_id] = any(p["id"] == user.staff_id
                              for p in people_for_role(store, child_id, user.role))
    return cache[child_id]


def _sent_to(store: Store, user: SignedInUser, alert: _Alert, cache: dict | None = None) -> bool:
    """Whether the alert was addressed or copied to this person at a level it reached."""
    if user.role == ADMIN:
        return False
    hit = any(user.role in roles for level in alert.reached
              for roles in _level_roles(store.policy, alert.track, level))
    return hit and _is_person_for(store, user, alert.child_id, {} if cache is None else cache)


def _alerts_sent_to_user(store: Store, user: SignedInUser,
                         skip_children: Collection[int] = ()) -> list[tuple[int, int]]:
    """(alert id, child id) of every alert addressed or copied to this person at a level it
    reached (but those about ``skip_children``, whom the caller already knows they may see).

    Whom a role means for a child depends only on the child's social worker and reviewer
    (``usecases.recipients``), so it is worked out once per such pair, and the children
    whose pair means this person are found first: a service manager's share of ten years
    of alerts is then read, not the whole authority's (issue 15)."""
    if user.role == ADMIN:
        return []
    levels = _levels_for_role(store.policy, user.role)
    if not levels:
        return []
    cache: dict[tuple[int | None, int | None], bool] = {}
    chains: dict[int, list[dict]] = {}

    def person_for(pair: tuple[int | None, int | None]) -> bool:
        if pair not in cache:
            child = {"social_worker_id": pair[0], "reviewer_id": pair[1]}
            cache[pair] = any(p["id"] == user.staff_id
                              for p in people_for_role_of(store, child, user.role, chains))
        return cache[pair]

    skip = set(skip_children)
    children = [child_id for child_id, worker, reviewer in child_pairs(store.db)
                if child_id not in skip and person_for((worker, reviewer))]
    return alerts_reaching(store.db, levels, children)


# -- decisions: children -----------------------------------------------------------------------


def _child_row(store: Store, child: str | Mapping[str, Any]) -> dict:
    if isinstance(child, str):
        row = child_ties_by_ref(store.db, child.strip())
        if row is None:
            raise UserError(f"There is no child with case reference {child.strip()}.")
        return row
    if {"case_ref", "team_id", "social_worker_id", "reviewer_id"} <= set(child):
        return dict(child)
    row = child_ties_by_id(store.db, child["id"])
    if row is None:
        raise UserError("There is no such child.")
    return row


def child_access(store: Store, user: SignedInUser, child: str | Mapping[str, Any]) -> Decision:
    """Whether this person may see the child's record (or only its summary), and act on it.

    ``child`` is a case reference or a child row. Acting here means the child's own steps
    (raise, review, tell of a change, placement ...); what may be done on an alert is
    :func:`may_act_on_alert`'s question.
    """
    child = _child_row(store, child)
    ties = _ties(store, user, child)
    if ties.admin:
        return Decision(False, False, _nobody_rule(store, user, child, "see this child"))
    if ties.reviewer_side:
        return Decision(True, True, _full_record_rule(
            store, user, ties, "may see and act on the child's record."))
    if ties.care_side:
        return Decision(True, True, _full_record_rule(
            store, user, ties, "may see the child's record and its alerts, and act on an "
                               f"alert when it waits for {_a(role_name(user.role))}."))
    if ties.authority_wide:
        return Decision(True, False, _full_record_rule(
            store, user, ties, "may see the child's record, and act on an alert only when it "
                               f"waits for {_a(role_name(user.role))}."))
    if ties.team_support:
        return Decision(True, True, (
            f"{user.name} is Business Support for this child's team, so may see the child's "
            "summary (not its reviews or alerts) and tell the reviewer of a significant "
            "change."), summary_only=True)
    sent = _alerts_of_child_sent_to(store, user, child["id"])
    if sent:
        refs = ", ".join(a.ref for a in sent)
        return Decision(True, False, (
            f"{_who(user)} was sent alert {refs} for this child (addressed or copied), so "
            "may see that alert and the child's summary, not the rest of the record."),
            summary_only=True)
    return Decision(False, False, _nobody_rule(store, user, child, "see this child"))


def _alerts_of_child_sent_to(store: Store, user: SignedInUser, child_id: int) -> list[_Alert]:
    if user.role == ADMIN or not _levels_for_role(store.policy, user.role):
        return []
    rows = store.db.query(
        "SELECT id, ref, child_id, track, level, awaiting, status FROM alerts "
        "WHERE child_id = ? ORDER BY id", [child_id])
    cache: dict[int, bool] = {}
    alerts = [_alert_now(store, row, None) for row in rows]
    return [a for a in alerts if _sent_to(store, user, a, cache)]


def may_act_on_child(
    store: Store, user: SignedInUser, child: str | Mapping[str, Any], action: str
) -> Decision:
    """Whether this person may take one of the child's own steps (see CHILD_ACTION_WORDS)."""
    if action not in CHILD_ACTION_WORDS:
        raise ValueError(f"Unknown action on a child: {action!r}")
    child = _child_row(store, child)
    seen = child_access(store, user, child)
    ties = _ties(store, user, child)
    words = CHILD_ACTION_WORDS[action]
    if ties.admin:
        return Decision(False, False, _nobody_rule(store, user, child, words))
    if action in REVIEWER_CHILD_ACTIONS:
        if ties.reviewer_side:
            return Decision(True, True, _full_record_rule(
                store, user, ties, f"may {words} as the reviewer."))
        return Decision(seen.may_view, False, (
            f"{_who(user)} is not this child's reviewer and does not act for the reviewer "
            f"under policy {store.policy.id}, so may not {words}."), seen.summary_only)
    if action in CARE_CHILD_ACTIONS:
        if ties.care_side:
            return Decision(True, True, _full_record_rule(store, user, ties, f"may {words}."))
        if action == "tell_change" and ties.team_support:
            return Decision(True, True, (
                f"{user.name} is Business Support for this child's team, so may {words}."),
                summary_only=True)
        return Decision(seen.may_view, False, (
            f"{_who(user)} is not this child's social worker nor in their line management"
            + (", nor Business Support for the child's team" if action == "tell_change" else "")
            + f", so may not {words}."), seen.summary_only)
    if action in RECORD_CHILD_ACTIONS:
        if seen.may_view and not seen.summary_only:
            return Decision(True, True, f"{user.name} may see this child's whole record, so "
                                        f"may {words}.")
        return Decision(seen.may_view, False, (
            f"{_who(user)} may not see this child's reviews, so may not {words}."),
            seen.summary_only)
    # VIEWER_CHILD_ACTIONS
    if seen.may_view:
        return Decision(True, True, f"{user.name} may see this child, so may {words}.",
                        seen.summary_only)
    return Decision(False, False, _nobody_rule(store, user, child, words))


# -- decisions: alerts -------------------------------------------------------------------------


def _alert_row(store: Store, alert: str | Mapping[str, Any]) -> dict:
    if isinstance(alert, str):
        row = alert_ties(store.db, alert.strip())
        if row is None:
            raise UserError(f"There is no alert {alert.strip()}.")
        return row
    return dict(alert)


def _waits_words(store: Store, alert: _Alert) -> str:
    if alert.status != "open":
        return f"nobody (it is {alert.status})"
    if alert.awaiting == REVIEWER:
        return "the reviewer's decision"
    return _and_or([_a(role_name(r)) for r in _waiting_roles(store, alert)])


def _answers(store: Store, user: SignedInUser, ties: _Ties, alert: _Alert,
             verb: str) -> Decision | None:
    """Whether this person may answer the alert (respond, ask for time, acknowledge) now;
    None when they have no tie that would let them, whatever it waited for."""
    waiting = _waiting_roles(store, alert)
    role = role_name(user.role)
    if user.role not in waiting:
        return Decision(True, False, (
            f"Alert {alert.ref} waits for {_waits_words(store, alert)}, not "
            f"{_a(role)}, so {user.name} may not {verb} now."))
    if ties.care_side:
        why = ("is this child's social worker" if ties.social_worker
               else "is in the line management of this child's social worker")
    elif _sent_to(store, user, alert):
        why = f"is the {role} it was sent to"
    elif ties.authority_wide:
        why = f"is the {role}, a role that sees every child under policy {store.policy.id}"
    else:
        return None
    return Decision(True, True, f"Alert {alert.ref} waits for {_a(role)}, and {user.name} "
                                f"{why}, so may {verb}.")


def _alert_context(store: Store, user: SignedInUser, alert: str | Mapping[str, Any],
                   on: dt.date | None) -> tuple[_Alert, dict, _Ties]:
    current = _alert_now(store, _alert_row(store, alert), on)
    child = _child_row(store, {"id": current.child_id})
    return current, child, _ties(store, user, child)


def _alert_decision(store: Store, user: SignedInUser, current: _Alert, child: dict,
                    ties: _Ties) -> Decision:
    if ties.admin:
        return Decision(False, False, _nobody_rule(store, user, child, "see this alert"))
    if ties.reviewer_side:
        if current.status == "open":
            return Decision(True, True, _full_record_rule(
                store, user, ties, "may see this alert and act on it as the reviewer."))
        return Decision(True, False, _full_record_rule(
            store, user, ties, f"may see this alert; it is {current.status}, so there is "
                               "nothing to act on."))
    if ties.whole_record or _sent_to(store, user, current):
        answer = _answers(store, user, ties, current, "respond to it")
        if answer is not None and answer.may_act:
            return answer
        if ties.whole_record:
            rule = _full_record_rule(store, user, ties, "may see this alert")
        else:
            rule = (f"{_who(user)} was sent alert {current.ref} (addressed or copied at a level it "
                    "reached), so may see it and the child's summary")
        return Decision(True, False, f"{rule}; it waits for {_waits_words(store, current)}, not "
                                     f"{_a(role_name(user.role))}, so may not act on it current.")
    if ties.team_support:
        return Decision(False, False, (
            f"{user.name} is Business Support for this child's team, who sees the child's "
            "summary but not its alerts, so may not see this alert."))
    return Decision(False, False, _nobody_rule(store, user, child, "see this alert"))


def _action_decision(store: Store, user: SignedInUser, current: _Alert, child: dict, ties: _Ties,
                     seen: Decision, action_kind: str) -> Decision:
    verb = ALERT_ACTION_WORDS.get(action_kind)
    if verb is None:
        raise ValueError(f"Unknown action on an alert: {action_kind!r}")
    if ties.admin:
        return Decision(False, False, _nobody_rule(store, user, child, verb))
    if action_kind in REVIEWER_ALERT_ACTIONS:
        if ties.reviewer_side:
            return Decision(True, True, _full_record_rule(
                store, user, ties, f"may {verb} as the reviewer."))
        if not seen.may_view:
            return Decision(False, False, seen.rule)
        return Decision(True, False, (
            f"{_who(user)} is not this child's reviewer and does not act for the reviewer "
            f"under policy {store.policy.id}, so may not {verb}."))
    if not seen.may_view:
        return Decision(False, False, seen.rule)
    answer = _answers(store, user, ties, current, verb)
    if answer is not None:
        return answer
    return Decision(True, False, (
        f"Alert {current.ref} waits for {_a(role_name(user.role))}, but {user.name} is not the "
        f"{role_name(user.role)} for this child (not in the line management of the child's "
        f"social worker, and not the one it was sent to), so may not {verb}."))


def alert_access(store: Store, user: SignedInUser, alert: str | Mapping[str, Any],
                 on: dt.date | None = None) -> Decision:
    """Whether this person may see the alert, and act on it now (anything at all).

    ``alert`` is a reference or an alert row. ``on``: the day to judge who it waits for
    (the clock is run to that day first); without it, as the store has it.
    """
    current, child, ties = _alert_context(store, user, alert, on)
    return _alert_decision(store, user, current, child, ties)


def may_act_on_alert(store: Store, user: SignedInUser, alert_ref: str | Mapping[str, Any],
                     action_kind: str, on: dt.date | None = None) -> Decision:
    """Whether this person may record ``action_kind`` on the alert (``on``: the day).

    The reviewer's steps (decide, escalate, withdraw, more time, CAFCASS, a complaint) are
    for the child's reviewer and whoever acts for them; answers (respond, ask for more
    time, acknowledge) for the person the alert waits for. The rules engine still checks
    the process (is there a response to be dissatisfied with, a higher level ...).
    """
    current, child, ties = _alert_context(store, user, alert_ref, on)
    seen = _alert_decision(store, user, current, child, ties)
    return _action_decision(store, user, current, child, ties, seen, action_kind)


def actions_allowed(store: Store, user: SignedInUser, alert_ref: str | Mapping[str, Any],
                    on: dt.date | None = None) -> list[str]:
    """Every action kind this person may record on the alert (access only, not process)."""
    current, child, ties = _alert_context(store, user, alert_ref, on)
    seen = _alert_decision(store, user, current, child, ties)
    return [kind for kind in (*ADDRESSEE_ALERT_ACTIONS, *REVIEWER_ALERT_ACTIONS)
            if kind != "raised"
            and _action_decision(store, user, current, child, ties, seen, kind).may_act]


# -- decisions: reviews ------------------------------------------------------------------------


def _review_row(store: Store, review: int | Mapping[str, Any]) -> dict:
    if isinstance(review, int):
        row = review_ties(store.db, review)
        if row is None:
            raise UserError(f"There is no review {review}.")
        return row
    return dict(review)


def review_access(store: Store, user: SignedInUser, review: int | Mapping[str, Any]) -> Decision:
    """Whether this person may see a review (the monitoring form and its decisions), and
    reply to its decisions (the social-work side; the process says which roles reply)."""
    row = _review_row(store, review)
    child = _child_row(store, {"id": row["child_id"]})
    ties = _ties(store, user, child)
    if ties.admin:
        return Decision(False, False, _nobody_rule(store, user, child, "see this review"))
    if ties.care_side:
        return Decision(True, True, _full_record_rule(
            store, user, ties, "may see this review and reply to its decisions."))
    if ties.whole_record:
        return Decision(True, False, _full_record_rule(
            store, user, ties, "may see this review; its decisions are answered by the "
                               "social worker's managers."))
    if ties.team_support or child_access(store, user, child).may_view:
        return Decision(False, False, (
            f"{_who(user)} may see only this child's summary, not its reviews, so may not "
            "see this review."))
    return Decision(False, False, _nobody_rule(store, user, child, "see this review"))


# -- guards the use cases call -----------------------------------------------------------------


def _record(store: Store, user: SignedInUser, now: dt.datetime, *, allowed: bool,
            child_id: int | None, subject: str, subject_ref: str, detail: str) -> None:
    audit.record(store, now=now, kind="opened" if allowed else "refused",
                 staff_id=user.staff_id, email=user.email, child_id=child_id, subject=subject,
                 subject_ref=subject_ref, allowed=allowed, detail=detail)


def _refuse(store: Store, user: SignedInUser, now: dt.datetime, decision: Decision, *,
            message: str, child_id: int | None, subject: str, subject_ref: str) -> None:
    _record(store, user, now, allowed=False, child_id=child_id, subject=subject,
            subject_ref=subject_ref, detail=decision.rule)
    raise AccessRefused(message, decision)


def require_view_child(store: Store, user: SignedInUser, case_ref: str,
                       now: dt.datetime) -> tuple[dict, Decision]:
    """The child (its ties) and the decision, the opening audited; AccessRefused (audited)
    when the person may not see it; UserError for an unknown case reference."""
    child = _child_row(store, case_ref)
    decision = child_access(store, user, child)
    if not decision.may_view:
        _refuse(store, user, now, decision, message=CHILD_REFUSED, child_id=child["id"],
                subject="child", subject_ref=child["case_ref"])
    _record(store, user, now, allowed=True, child_id=child["id"], subject="child",
            subject_ref=child["case_ref"], detail=decision.rule)
    return child, decision


def require_view_alert(store: Store, user: SignedInUser, ref: str, now: dt.datetime,
                       on: dt.date | None = None) -> tuple[dict, Decision]:
    """The alert row and the decision, the opening audited; AccessRefused otherwise."""
    row = _alert_row(store, ref)
    decision = alert_access(store, user, row, on)
    if not decision.may_view:
        _refuse(store, user, now, decision, message=ALERT_REFUSED, child_id=row["child_id"],
                subject="alert", subject_ref=row["ref"])
    _record(store, user, now, allowed=True, child_id=row["child_id"], subject="alert",
            subject_ref=row["ref"], detail=decision.rule)
    return row, decision


def require_view_review(store: Store, user: SignedInUser, review_id: int,
                        now: dt.datetime) -> tuple[dict, Decision]:
    """The review row and the decision, the opening audited; AccessRefused otherwise."""
    row = _review_row(store, review_id)
    decision = review_access(store, user, row)
    if not decision.may_view:
        _refuse(store, user, now, decision, message=REVIEW_REFUSED, child_id=row["child_id"],
                subject="review", subject_ref=str(row["id"]))
    _record(store, user, now, allowed=True, child_id=row["child_id"], subject="review",
            subject_ref=str(row["id"]), detail=decision.rule)
    return row, decision


def _act_message(decision: Decision, what: str, refused: str) -> str:
    return refused if not decision.may_view else what


def require_act_on_child(store: Store, user: SignedInUser, child: str | Mapping[str, Any],
                         action: str, now: dt.datetime) -> dict:
    """The child's ties when the person may take this step; AccessRefused (audited) if not."""
    row = _child_row(store, child)
    decision = may_act_on_child(store, user, row, action)
    if not decision.may_act:
        if action in REVIEWER_CHILD_ACTIONS:
            what = (f"Only this child's IRO or CP chair{_acting_roles(store.policy)} can "
                    f"{CHILD_ACTION_WORDS[action]}.")
        elif action == "tell_change":
            what = ("Only this child's social worker, the managers above them, or Business "
                    "Support for the child's team can tell the reviewer of a change for them.")
        elif action in CARE_CHILD_ACTIONS:
            what = (f"Only this child's social worker and the managers above them can "
                    f"{CHILD_ACTION_WORDS[action]}.")
        else:
            what = CHILD_REFUSED
        _refuse(store, user, now, decision, message=_act_message(decision, what, CHILD_REFUSED),
                child_id=row["id"], subject="child", subject_ref=row["case_ref"])
    return row


def require_act_on_alert(store: Store, user: SignedInUser, ref: str, action_kind: str,
                         now: dt.datetime, on: dt.date | None = None) -> dict:
    """The alert row when the person may record ``action_kind`` on it; AccessRefused if not."""
    row = _alert_row(store, ref)
    decision = may_act_on_alert(store, user, row, action_kind, on)
    if not decision.may_act:
        if action_kind in REVIEWER_ALERT_ACTIONS:
            what = (f"Only this child's IRO or CP chair{_acting_roles(store.policy)} can "
                    f"{ALERT_ACTION_WORDS[action_kind]}.")
        else:
            what = ("This alert is not waiting for your response: only the person it waits "
                    f"for can {ALERT_ACTION_WORDS[action_kind]}.")
        _refuse(store, user, now, decision, message=_act_message(decision, what, ALERT_REFUSED),
                child_id=row["child_id"], subject="alert", subject_ref=row["ref"])
    return row


def require_act_on_review(store: Store, user: SignedInUser, review_id: int,
                          now: dt.datetime) -> dict:
    """The review row when the person may reply to its decisions; AccessRefused if not."""
    row = _review_row(store, review_id)
    decision = review_access(store, user, row)
    if not decision.may_act:
        what = ("Only the managers above this child's social worker can reply to the "
                "decisions of the child's review.")
        _refuse(store, user, now, decision,
                message=_act_message(decision, what, REVIEW_REFUSED),
                child_id=row["child_id"], subject="review", subject_ref=str(row["id"]))
    return row


# -- lists -------------------------------------------------------------------------------------

#: Why a child is on someone's lists: they review it or act for its reviewer; it is theirs
#: or their reports' (the social-work side); their role sees every child; an alert about
#: it was sent to them; it is their team's (business support).
REVIEWER_TIE, CARE_TIE, WIDE_TIE, SENT_TIE, TEAM_TIE = "reviewer", "care", "wide", "sent", "team"
WHOLE_RECORD_TIES = frozenset({REVIEWER_TIE, CARE_TIE, WIDE_TIE})


def ties_to_every_child(store: Store, user: SignedInUser) -> set[str]:
    """The ties this person has to every child, whoever the child is: acting for every
    reviewer, a role that sees every child; none for anyone else (or the administrator)."""
    everyone = set()
    if user.role == ADMIN:
        return everyone
    if acts_for_reviewer(store, user):
        everyone.add(REVIEWER_TIE)
    if is_authority_wide(store, user):
        everyone.add(WIDE_TIE)
    return everyone


def child_ties(store: Store, user: SignedInUser) -> dict[int, set[str]]:
    """Every child this person may see (even only its summary): child id -> the ties."""
    if user.role == ADMIN:
        return {}
    ties: dict[int, set[str]] = {}
    everyone = ties_to_every_child(store, user)
    if everyone:
        ties = {child_id: set(everyone) for child_id in all_child_ids(store.db)}
    for child_id, found in children_linked(store.db, user.staff_id).items():
        ties.setdefault(child_id, set()).update(found)
    if not everyone:  # someone who sees every child whole gains nothing from the alerts sent
        # nor from those about the children they are already tied to
        for _, child_id in _alerts_sent_to_user(store, user, skip_children=list(ties)):
            ties.setdefault(child_id, set()).add(SENT_TIE)
    if user.role == BUSINESS_SUPPORT and user.team_id is not None:
        for child_id in children_of_team(store.db, user.team_id):
            ties.setdefault(child_id, set()).add(TEAM_TIE)
    return ties


def visible_children(store: Store, user: SignedInUser, *, only: set[str] | None = None
                     ) -> list[dict]:
    """The children this person may see, by case reference, each with ``summary_only``
    (a summary-only row shows nothing of the child's reviews or alerts) and its ``ties``.
    ``only``: just the children with one of these ties (e.g. {"reviewer"} for a picker of
    children to raise an alert for)."""
    ties = child_ties(store, user)
    if not ties:
        return []
    rows = []
    for row in children_list(store.db, ids=ties):
        found = ties.get(row["id"])
        if not found or (only is not None and not found & only):
            continue
        summary = not found & WHOLE_RECORD_TIES
        if summary:
            row = {**row, "last_rag": None, "last_review": None, "open_alerts": None}
        rows.append({**row, "summary_only": summary, "ties": found})
    return rows


#: Which children a form offers for each of the child's own steps (the picker's ties).
ACTION_TIES: dict[str, frozenset[str]] = {
    **dict.fromkeys(REVIEWER_CHILD_ACTIONS, frozenset({REVIEWER_TIE})),
    "tell_change": frozenset({CARE_TIE, TEAM_TIE}),
    "record_placement": frozenset({CARE_TIE}),
    "reply_decisions": frozenset({CARE_TIE}),
    "refer_concern": frozenset({REVIEWER_TIE, CARE_TIE, WIDE_TIE, SENT_TIE, TEAM_TIE}),
    "acknowledge_review": WHOLE_RECORD_TIES,
}


def children_for_action(store: Store, user: SignedInUser, action: str) -> list[dict]:
    """The children this person may take one of the child's own steps for (a form's
    picker): the same answer :func:`may_act_on_child` gives child by child."""
    return visible_children(store, user, only=set(ACTION_TIES[action]))


def visible_alert_ids(store: Store, user: SignedInUser) -> set[int] | None:
    """The ids of the alerts this person may see; None means every alert."""
    if user.role == ADMIN:
        return set()
    if is_authority_wide(store, user) or acts_for_reviewer(store, user):
        return None
    linked = set(children_linked(store.db, user.staff_id))
    ids = alert_ids_of_children(store.db, linked)
    return ids | {alert_id for alert_id, _ in _alerts_sent_to_user(store, user,
                                                                   skip_children=linked)}


def only_visible_alerts(store: Store, user: SignedInUser, rows: list[Any],
                        key: str = "id") -> list[Any]:
    """The rows about alerts (the alert's id under ``key``) this person may see."""
    ids = visible_alert_ids(store, user)
    return list(rows) if ids is None else [r for r in rows if _get(r, key) in ids]


def only_visible_children(store: Store, user: SignedInUser, rows: list[Any], key: str,
                          ties: set[str] | frozenset[str] = WHOLE_RECORD_TIES) -> list[Any]:
    """The rows about children (the child's id under ``key``) this person has one of these
    ties to (by default: whose whole record they may see). Someone tied so to every child
    keeps every row, without listing the authority's children (issue 15: a head of
    service's every-team inbox)."""
    if ties_to_every_child(store, user) & ties:
        return list(rows)
    found = child_ties(store, user)
    return [r for r in rows if found.get(_get(r, key), set()) & ties]


def _get(row: Any, key: str) -> Any:
    return row[key] if isinstance(row, Mapping) else getattr(row, key)


# -- explaining, for the command line ----------------------------------------------------------


@dataclass(frozen=True)
class Explanation:
    """Who was asked about, what about, and the decision (``manage.py access explain``)."""

    person: SignedInUser
    active: bool
    subject: str  # "child DEMO-0001" or "alert DEMO-A001"
    decision: Decision
    actions: tuple[str, ...] = ()  # for an alert: the action kinds allowed now


def explain(store: Store, email: str, *, child_ref: str | None = None,
            alert_ref: str | None = None) -> Explanation:
    """What this member of staff may see and do with a child or an alert, and why, as the
    store has it now (as of its last sweep). UserError for an unknown e-mail, child or
    alert."""
    row = staff_person(store.db, email=email)
    if row is None:
        raise UserError(f"No member of staff has the e-mail {email.strip()}.")
    user = person(store, staff_id=row["id"])
    if alert_ref is not None:
        alert = _alert_row(store, alert_ref)
        return Explanation(user, bool(row["active"]), f"alert {alert['ref']}",
                           alert_access(store, user, alert),
                           tuple(actions_allowed(store, user, alert)))
    if child_ref is None:
        raise UserError("Say which child (--child REF) or alert (--alert REF) to explain.")
    child = _child_row(store, child_ref)
    return Explanation(user, bool(row["active"]), f"child {child['case_ref']}",
                       child_access(store, user, child))


def may_manage_policy(store: Store, user: SignedInUser) -> bool:
    """Whether this person edits the procedure, tries drafts on past alerts and adopts new
    versions (the policy's ``access.policy_editors``: the administrator and the principal
    IRO by default). A what-if shows counts and alert references, never a child's record."""
    return user.role in store.policy.access.policy_editors


POLICY_EDITORS_ONLY = ("Only the people the procedure names as its editors (by default the "
                       "administrator and the principal IRO) can change it or try drafts of "
                       "it on past alerts.")


def require_manage_policy(store: Store, user: SignedInUser) -> None:
    """Raise AccessRefused unless this person may manage the procedure."""
    if not may_manage_policy(store, user):
        raise AccessRefused(POLICY_EDITORS_ONLY, Decision(False, False, (
            f"{user.name} is the {role_name(user.role)}, not one of the procedure's editors "
            f"({', '.join(role_name(r) for r in store.policy.access.policy_editors) or 'none'})"
            ".")))

