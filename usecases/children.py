"""The children a person works with, and one child's record with its chronology."""

from __future__ import annotations

import json
from dataclasses import dataclass

from db.events import events_for_child
from db.queries import (
    alerts_of_child,
    child_by_case_ref,
    children_list,
    reviews_of_child,
    staff_names,
)
from rules.alert_transitions import level_name
from rules.permanence_rules import CHRONOLOGY_WORDS as PERMANENCE_WORDS
from rules.roles import REVIEWER_ROLES, role_name
from usecases.accounts import SignedInUser
from usecases.alert_view import EVENT_WORDS
from usecases.changes import CHANGE_EVENT_WORDS
from usecases.errors import UserError
from usecases.store import Store

TEAM_ROLES = frozenset({"social_worker", "practice_manager", "team_manager"})
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
    **CHANGE_EVENT_WORDS,
    **PERMANENCE_WORDS,
}


def children_for(store: Store, user: SignedInUser) -> tuple[str, list[dict]]:
    """Whose children this person sees first, and the list."""
    if user.role in REVIEWER_ROLES:
        return "The children you review", children_list(store.db, reviewer_id=user.staff_id)
    if user.role in TEAM_ROLES and user.team_id is not None:
        return (f"Children of {user.team_name}",
                children_list(store.db, team_id=user.team_id))
    return "All children", children_list(store.db)


@dataclass
class ChildRecord:
    child: dict
    status: str
    reviews: list[dict]
    alerts: list[dict]
    chronology: list[dict]

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


def child_record(store: Store, case_ref: str) -> ChildRecord:
    child = child_by_case_ref(store.db, case_ref)
    if child is None:
        raise UserError(f"There is no child with case reference {case_ref}.")
    names = staff_names(store.db)
    alerts = []
    for row in alerts_of_child(store.db, child["id"]):
        track = store.policy.track(row["track"])
        alerts.append({**row, "level_name": level_name(track, row["level"])})
    refs = {a["id"]: a["ref"] for a in alerts}
    chronology = []
    for event in events_for_child(store.db, child["id"]):
        who = "Automatic" if event.actor_role == "system" else ", ".join(
            x for x in (names.get(event.actor_id, "") if event.actor_id else "",
                        role_name(event.actor_role) if event.actor_role else "") if x)
        chronology.append({
            "on": event.occurred_on,
            "what": EVENT_WORDS.get(event.kind) or EXTRA_EVENT_WORDS.get(event.kind, event.kind),
            "alert": refs.get(event.alert_id, ""),
            "who": who,
            "details": event.reason,
        })
    return ChildRecord(child=child, status=STATUS_WORDS[child["legal_status"]],
                       reviews=reviews_of_child(store.db, child["id"]), alerts=alerts,
                       chronology=chronology)


def review_decisions_text(review: dict) -> str:
    """The decisions as the reviewer wrote them on the monitoring form."""
    data = json.loads(review.get("data") or "{}")
    return data.get("decisions") or "(No decisions were written on this review.)"
