"""The children a person works with, and one child's record with its chronology.

Both ask ``usecases.access``: the list holds only the children the person may see, and a
record is opened (and the opening audited) only for someone who may see it, whole or as
a summary.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from db.access import (
    alert_level_counts,
    children_status_counts,
    events_about,
    review_rag_counts,
    review_ties,
)
from db.events import Event, events_for_child
from db.queries import (
    alerts_of_child,
    child_by_case_ref,
    reviews_of_child,
    staff_names,
)
from rules.alert_transitions import level_name
from rules.conversation import outcome_words, said, without_typed
from rules.permanence_rules import CHRONOLOGY_WORDS as PERMANENCE_WORDS
from rules.review_questions import Answer, recorded_answers
from rules.roles import REVIEWER_ROLES, role_name
from usecases.access import (
    ADMIN,
    WHOLE_RECORD_TIES,
    AccessRefused,
    Decision,
    acts_for_reviewer,
    alert_access,
    child_ties,
    is_authority_wide,
    may_act_on_child,
    require_view_child,
    require_view_review,
    review_access,
    ties_to_every_child,
    visible_alert_ids,
    visible_children,
)
from usecases.accounts import SignedInUser
from usecases.alert_view import EVENT_WORDS, chosen
from usecases.changes import CHANGE_EVENT_WORDS
from usecases.reviews import REPLY_ROLES
from usecases.store import Store

TEAM_ROLES = frozenset({"practice_manager", "team_manager"})
ADMIN_SEES_NO_CHILD = ("As the administrator you run the service, but you see no child's "
                       "record and no alert.")
#: The child's own steps a record offers links to, when the person may take them.
RECORD_ACTIONS = ("raise_alert", "record_review", "tell_change", "record_placement")
STATUS_WORDS = {"looked_after": "Looked after", "child_protection": "Child protection plan"}
EXTRA_EVENT_WORDS = {
    "child_added": "Child added",
    "review_recorded": "Review recorded",
    "rag_routed": "Managers told of the judgement",
    "drift_prompt": "Drift: consider an alert",
    "decisions_sent_late": "Decisions sent late",
    "decisions_agreed": "Decisions agreed",
    "decisions_disputed": "Decisions disputed",
    "decisions_agreed_by_silence": "Decisions taken as agreed",
    "decisions_reply_overdue": "Reply to decisions overdue",
    "good_practice_noted": "Note of good practice",
    "reviewer_changed": "Reviewer changed",
    "social_worker_changed": "Social worker changed",
    "child_changed": "Child's details changed",
    **CHANGE_EVENT_WORDS,
    **PERMANENCE_WORDS,
}


def children_for(store: Store, user: SignedInUser) -> tuple[str, list[dict]]:
    """Whose children this person sees, and the list: only the children they may see (a
    row with ``summary_only`` shows nothing of the child's reviews or alerts)."""
    if user.role == ADMIN:
        raise AccessRefused(ADMIN_SEES_NO_CHILD, Decision(False, False, (
            f"{user.name} is the Administrator, who runs the service but sees no child's "
            "record and no alert.")))
    children = visible_children(store, user)
    if user.role in REVIEWER_ROLES:
        return "The children you review", children
    if user.role in TEAM_ROLES and user.team_id is not None:
        return f"Children of {user.team_name}", children
    if is_authority_wide(store, user) or acts_for_reviewer(store, user):
        return "All children", children
    if user.role == "social_worker":
        return "The children you work with", children
    return "The children you may see", children


@dataclass(frozen=True)
class HomeCounts:
    """What the home page counts: only the children, reviews and alerts this person may
    see."""

    children_looked_after: int
    children_child_protection: int
    reviews: int
    reviews_red: int
    reviews_amber: int
    alerts_open: int
    alerts_closed: int
    events: int
    open_by_level: dict[tuple[str, str], int]

    @property
    def children(self) -> int:
        return self.children_looked_after + self.children_child_protection


def home_counts(store: Store, user: SignedInUser) -> HomeCounts:
    """The home page's figures over what this person may see (the administrator: none).

    Counted in SQL over the children (and alerts) they may see; for someone tied to every
    child, over the whole store without listing the children first (issue 15: a head of
    service's home page on ten years of records)."""
    db = store.db
    if user.role == ADMIN:
        return HomeCounts(0, 0, 0, 0, 0, 0, 0, 0, {})
    seen: list[int] | None = None
    whole: list[int] | None = None
    if not ties_to_every_child(store, user) & WHOLE_RECORD_TIES:
        ties = child_ties(store, user)
        seen = list(ties)
        whole = [child_id for child_id, found in ties.items() if found & WHOLE_RECORD_TIES]
    statuses = children_status_counts(db, seen)
    rags = review_rag_counts(db, whole)
    by_level: dict[tuple[str, str], int] = {}
    opened = closed = 0
    for track, level, status, n in alert_level_counts(db, visible_alert_ids(store, user)):
        if status == "open":
            by_level[(track, level)] = by_level.get((track, level), 0) + n
            opened += n
        else:
            closed += n
    return HomeCounts(
        children_looked_after=statuses.get("looked_after", 0),
        children_child_protection=statuses.get("child_protection", 0),
        reviews=sum(rags.values()), reviews_red=rags.get("red", 0),
        reviews_amber=rags.get("amber", 0), alerts_open=opened, alerts_closed=closed,
        events=events_about(db, whole), open_by_level=by_level)


@dataclass
class ChildRecord:
    child: dict
    status: str
    reviews: list[dict]
    alerts: list[dict]
    chronology: list[dict]
    #: Only the child's summary may be shown (no reviews, no chronology; only the alerts
    #: that were sent to this person).
    summary_only: bool = False
    #: The rule that let this person open the record, in plain English.
    rule: str = ""
    #: The child's own steps this person may take (see RECORD_ACTIONS).
    may: frozenset[str] = frozenset()
    #: Reviews whose decisions wait for a reply this person may give, with the decisions.
    replies: list[dict] = field(default_factory=list)

    def awaiting_reply(self) -> list[dict]:
        """Reviews whose decisions still wait for the team manager's reply."""
        return [r for r in self.reviews if r["reply_status"] in ("awaiting", "overdue")]


REPLY_WORDS = {
    "awaiting": "Waiting for the team manager",
    "overdue": "Reply overdue",
    "agreed": "Agreed",
    "disputed": "Disputed",
    "agreed_by_silence": "Taken as agreed (no reply)",
    None: "-",
}


def child_record(store: Store, user: SignedInUser, case_ref: str,
                 now: dt.datetime) -> ChildRecord:
    """One child's record as this person may see it; the opening is audited.

    Raises AccessRefused (audited; its message names nothing of the child) when they may
    not see it, and UserError for an unknown case reference.
    """
    ties, decision = require_view_child(store, user, case_ref.strip(), now)
    child = child_by_case_ref(store.db, ties["case_ref"])
    assert child is not None
    may = frozenset(action for action in RECORD_ACTIONS
                    if may_act_on_child(store, user, ties, action).may_act)
    alerts = []
    for row in alerts_of_child(store.db, child["id"]):
        if decision.summary_only and not alert_access(store, user, row["ref"]).may_view:
            continue
        track = store.policy.track(row["track"])
        alerts.append({**row, "level_name": level_name(track, row["level"])})
    status = STATUS_WORDS[child["legal_status"]]
    if decision.summary_only:
        child = {**child, "last_rag": None, "last_review": None, "open_alerts": None}
        return ChildRecord(child=child, status=status, reviews=[], alerts=alerts,
                           chronology=[], summary_only=True, rule=decision.rule, may=may)
    names = staff_names(store.db)
    by_id = {a["id"]: a for a in alerts}
    chronology = []
    for event in events_for_child(store.db, child["id"]):
        who = "Automatic" if event.actor_role == "system" else ", ".join(
            x for x in (names.get(event.actor_id, "") if event.actor_id else "",
                        role_name(event.actor_role) if event.actor_role else "") if x)
        alert = by_id.get(event.alert_id)
        chronology.append({
            "on": event.occurred_on,
            "what": EVENT_WORDS.get(event.kind) or EXTRA_EVENT_WORDS.get(event.kind, event.kind),
            "alert": alert["ref"] if alert else "",
            "who": who,
            "details": _details(event, alert),
        })
    reviews = [{**review, "answers": review_answers(review)}
               for review in reviews_of_child(store.db, child["id"])]
    replies = []
    for review in reviews:
        if (review["reply_status"] in ("awaiting", "overdue") and user.role in REPLY_ROLES
                and review_access(store, user, review).may_act):
            require_view_review(store, user, review["id"], now)  # its decisions are shown
            replies.append({**review, "decisions": review_decisions_text(review)})
    return ChildRecord(child=child, status=status, reviews=reviews, alerts=alerts,
                       chronology=chronology, rule=decision.rule, may=may, replies=replies)


def _details(event: Event, alert: dict | None) -> str:
    """What happened and what was said, as typed: a response's outcome and words, what a
    resolution changed for the child and whether it lasted (in the alert page's words,
    ``usecases.alert_view.chosen``), the reasons, the record of consultation and the
    actions agreed, then the rules' sentence."""
    if alert is None:
        return event.reason
    parts = []
    if outcome := outcome_words(event.kind, event.data):
        parts.append(f"Outcome: {outcome}.")
    parts += [f"{item.label}: {item.text}." for item in chosen(event.kind, event.data)]
    parts += [f"{item.label}: \"{item.text}\"" for item in said(
        event.kind, event.data, concern=alert.get("concern") or "",
        outcome_sought=alert.get("outcome_sought") or "")]
    parts.append(without_typed(event.reason, event.data, "(see above)"))
    return " ".join(p for p in parts if p)


def review_of(store: Store, user: SignedInUser, review_id: int, now: dt.datetime) -> dict:
    """One review (the monitoring form's summary and decisions) for someone who may see the
    child's whole record; the opening is audited, AccessRefused (audited) otherwise."""
    require_view_review(store, user, review_id, now)
    row = next(r for r in reviews_of_child(store.db, review_ties(store.db, review_id)["child_id"])
               if r["id"] == review_id)
    return {**row, "decisions": review_decisions_text(row)}


def review_answers(review: dict) -> list[Answer]:
    """The answers to the procedure's own questions kept with a review, each with the
    question as it was asked (not as the policy words it now); [] when none were asked."""
    return recorded_answers(json.loads(review.get("data") or "{}"))


def review_decisions_text(review: dict) -> str:
    """The decisions as the reviewer wrote them on the monitoring form."""
    data = json.loads(review.get("data") or "{}")
    return data.get("decisions") or "(No decisions were written on this review.)"
