"""A synthetic child placed in a demo store's line management, and alerts raised for it by
its own reviewer, for the tests of whose move an alert waits for."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from db.connection import write_transaction
from db.people import insert_child
from rules.alert_transitions import Command
from usecases.access import person
from usecases.accounts import SignedInUser
from usecases.alerts import raise_alert
from usecases.recipients import people_for_role
from usecases.store import Store


@dataclass(frozen=True)
class Line:
    """A child and the people its alerts go to."""

    case_ref: str
    child_id: int
    name: str
    reviewer: SignedInUser
    social_worker: SignedInUser

    def holder(self, store: Store, role: str) -> SignedInUser:
        """The person messages for ``role`` about this child go to."""
        return person(store, staff_id=people_for_role(store, self.child_id, role)[0]["id"])


def child_in_line(store: Store, case_ref: str, name: str) -> Line:
    """A new looked-after child with the team, social worker and IRO of a demo child."""
    like = next(store.db.query(
        "SELECT c.team_id, c.social_worker_id, c.reviewer_id FROM children c JOIN staff r "
        "ON r.id = c.reviewer_id WHERE c.legal_status = 'looked_after' AND r.role = 'iro' "
        "AND c.social_worker_id IS NOT NULL ORDER BY c.case_ref LIMIT 1"))
    with write_transaction(store.db):
        child_id = insert_child(store.db, case_ref=case_ref, name=name, date_of_birth=None,
                                legal_status="looked_after", team_id=like["team_id"],
                                social_worker_id=like["social_worker_id"],
                                reviewer_id=like["reviewer_id"])
    return Line(case_ref=case_ref, child_id=child_id, name=name,
                reviewer=person(store, staff_id=like["reviewer_id"]),
                social_worker=person(store, staff_id=like["social_worker_id"]))


def raise_for(store: Store, line: Line, ref: str, on: dt.date, level: str = "informal", *,
              outcome_sought: str = "A plan for the child's education, with dates.") -> None:
    """The child's IRO raises alert ``ref`` on ``on`` at ``level``."""
    track = store.policy.track("iro")
    command = Command(kind="raised", on=on, actor_role=line.reviewer.role,
                      actor_id=line.reviewer.staff_id, level=level,
                      gate="" if level == "informal" else "Agreed with the Head of Service.",
                      category=track.categories[0].id)
    raise_alert(store, child_id=line.child_id, child_ref=line.case_ref, track="iro",
                command=command, ref=ref, concern="The plan has drifted.",
                outcome_sought=outcome_sought)
