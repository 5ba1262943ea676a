"""The roles the procedures name, as slugs the policies use and the names people say.

Slugs are stable identifiers stored in the database and written in policy files; the
display names are what users read ("Head of Service", never ``head_of_service``).
"""

from __future__ import annotations

ROLES: dict[str, str] = {
    "iro": "Independent Reviewing Officer",
    "cp_chair": "Child Protection Chair",
    "social_worker": "Social Worker",
    "practice_manager": "Practice Manager",
    "team_manager": "Team Manager",
    "operations_manager": "Operations Manager",
    "service_manager": "Service Manager",
    "strategic_manager": "Strategic Manager",
    "head_of_service": "Head of Service",
    "deputy_head_of_service": "Deputy Head of Service",
    "qa_head_of_service": "Head of Service, Quality Assurance",
    "principal_iro": "Principal IRO",
    "service_director": "Service Director",
    "divisional_director": "Divisional Director",
    "assistant_director": "Assistant Director",
    "director": "Director of Children's Services",
    "executive_director": "Executive Director",
    "deputy_chief_executive": "Deputy Chief Executive",
    "chief_executive": "Chief Executive",
    "business_support": "Business Support",
    "admin": "Administrator",
}

#: Not a role anyone holds: in a policy gate it means "the raiser's own line manager".
LINE_MANAGER = "line_manager"

#: Roles that chair reviews or conferences and so raise alerts.
REVIEWER_ROLES: tuple[str, ...] = ("iro", "cp_chair")
#: Who works the reviewer's screens: the chairs, and the principal IRO who manages them.
ACTS_AS_REVIEWER: frozenset[str] = frozenset({"iro", "cp_chair", "principal_iro"})


def role_name(slug: str) -> str:
    """The name people use for a role; an unknown slug is shown as written, tidied."""
    if slug == LINE_MANAGER:
        return "Line Manager"
    return ROLES.get(slug, slug.replace("_", " ").title())


def is_role(slug: str) -> bool:
    return slug in ROLES
