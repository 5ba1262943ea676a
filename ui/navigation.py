"""The screens each role sees. Only screens that work are listed."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from rules.roles import ACTS_AS_REVIEWER
from usecases.accounts import SignedInUser
from usecases.audit import AUDIT_READERS
from usecases.dashboard import DASHBOARD_ROLES
from usecases.permanence import PLACEMENT_ROLES

SIGN_IN = "pages/sign_in.py"
ACCESSIBILITY = "pages/accessibility.py"


@dataclass(frozen=True)
class Screen:
    path: str
    title: str
    visible: bool = True
    default: bool = False


def screens_for(user: SignedInUser | None, unread: int = 0, *,
                manages_policy: bool = False) -> list[Screen]:
    """This person's screens; hidden ones are reached through links, not the menu.
    ``manages_policy``: the procedure names them its editor (``usecases.access``)."""
    messages_title = f"Messages ({unread})" if unread else "Messages"
    if user is None:
        return [Screen(SIGN_IN, "Sign in", default=True)]
    screens = [Screen("pages/home.py", "Home", default=True)]
    if user.role in ACTS_AS_REVIEWER:
        screens += [
            Screen("pages/alerts.py", "Alerts"),
            Screen("pages/children.py", "Children"),
            Screen("pages/record_review.py", "Record a review"),
            Screen("pages/raise_alert.py", "Raise an alert"),
            Screen("pages/good_practice.py", "Note good practice"),
            Screen("pages/changes.py", "Significant changes"),
        ]
    elif user.role != "admin":  # the administrator runs the service: no child's record
        screens += [
            Screen("pages/inbox.py", "Inbox"),
            Screen("pages/children.py", "Children"),
        ]
    if user.role in ("social_worker", "business_support"):
        screens.append(Screen("pages/tell_iro.py", "Tell the IRO of a change"))
    if user.role in PLACEMENT_ROLES:
        screens.append(Screen("pages/placement.py", "Placement and permanence"))
    if user.role == "principal_iro":
        screens.append(Screen("pages/inbox.py", "Inbox"))
    if user.role in DASHBOARD_ROLES:
        screens.append(Screen("pages/dashboard.py", "Dashboard"))
        screens.append(Screen("pages/reports.py", "Reports"))
    if user.role == "admin":
        screens.append(Screen("pages/outbox.py", "Mail outbox"))
        screens.append(Screen("pages/import_people.py", "Import teams, staff and children"))
        screens.append(Screen("pages/import_events.py", "Import alert histories"))
    if manages_policy:
        screens.append(Screen("pages/policy.py", "The procedure"))
        screens.append(Screen("pages/what_if.py", "Try a procedure on past alerts"))
    if user.role in AUDIT_READERS:
        screens.append(Screen("pages/audit.py", "Access audit"))
    if user.role != "admin":
        screens.append(Screen("pages/practice_concerns.py",
                              "Concerns about an IRO's practice"))
    screens.append(Screen("pages/messages.py", messages_title))
    screens.append(Screen(ACCESSIBILITY, "Accessibility statement"))
    return [
        *screens,
        Screen("pages/child.py", "Child", visible=False),
        Screen("pages/alert.py", "Alert", visible=False),
    ]


#: Every screen's address, so a link opened while signed out finds the sign-in form
#: (not "page not found") and comes back to the same address afterwards.
EVERY_SCREEN = ("home", "alerts", "children", "record_review", "raise_alert", "good_practice",
                "changes", "inbox", "tell_iro", "placement", "dashboard", "reports", "outbox",
                "practice_concerns", "messages", "child", "alert", "audit", "import_people",
                "import_events", "policy", "what_if")


def _sign_in_here() -> None:
    from ui.auth import current_session
    from ui.context import current_store
    from ui.sign_in_form import show_sign_in

    check, method = current_session()
    show_sign_in(current_store(), notice=check.notice, sso_refused=method == "sso-refused")


def pages_for(user: SignedInUser | None, unread: int = 0, *,
              manages_policy: bool = False) -> list[st.Page]:
    if user is None:
        return [st.Page(SIGN_IN, title="Sign in", default=True),
                st.Page(ACCESSIBILITY, title="Accessibility statement")] + [
            st.Page(_sign_in_here, title="Sign in", url_path=name, visibility="hidden")
            for name in EVERY_SCREEN
        ]
    return [
        st.Page(s.path, title=s.title, default=s.default,
                visibility="visible" if s.visible else "hidden")
        for s in screens_for(user, unread, manages_policy=manages_policy)
    ]
