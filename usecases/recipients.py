"""Turning a role into people for one child: "the Service Manager" of this child's team.

The line-management chain above the child's social worker says who the team manager,
service manager and head of service are for this child; above the child's reviewer it
says who the principal IRO is. Only when nobody in the chain holds the role is everyone
with that role told, so a message is never lost for want of a tidy staff list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from db.recipients import (
    active_staff_with_role,
    child_people,
    line_managers_above,
    staff_by_id,
)
from usecases.store import Store

REVIEWERS = ("iro", "cp_chair")


def people_for_role(store: Store, child_id: int, role: str) -> list[dict]:
    return people_for_role_of(store, child_people(store.db, child_id), role)


def people_for_role_of(store: Store, child: Mapping[str, Any], role: str,
                       chains: dict[int, list[dict]] | None = None) -> list[dict]:
    """The same for a child row already read (with ``social_worker_id`` and
    ``reviewer_id``): the answer depends on those two alone, so callers going through many
    children can ask once per pair. ``chains``: a dict the caller keeps to remember each
    person's line managers between calls (a head of service's ten years of alerts have
    thousands of pairs, but a few hundred social workers and reviewers)."""
    db = store.db
    if role in REVIEWERS and child["reviewer_id"]:
        reviewer = staff_by_id(db, child["reviewer_id"])
        if reviewer and reviewer["role"] == role:
            return [reviewer]
    if role == "social_worker" and child["social_worker_id"]:
        worker = staff_by_id(db, child["social_worker_id"])
        return [worker] if worker else []
    for start in (child["social_worker_id"], child["reviewer_id"]):
        if start:
            if chains is None:
                above = line_managers_above(db, start)
            elif start in chains:
                above = chains[start]
            else:
                above = chains[start] = line_managers_above(db, start)
            found = [p for p in above if p["role"] == role]
            if found:
                return found[:1]
    return active_staff_with_role(db, role)


def reviewer_of(store: Store, child_id: int) -> list[dict]:
    """The child's IRO or CP chair."""
    child = child_people(store.db, child_id)
    if not child["reviewer_id"]:
        return []
    reviewer = staff_by_id(store.db, child["reviewer_id"])
    return [reviewer] if reviewer else []
