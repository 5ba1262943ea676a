"""Who must hear of an event, by role, and what they are told.

The policy names the addressee and the copies of every level and who hears of an amber or
red review; these rules turn an event into those roles, plus the child's reviewer where
the procedure puts the next move with them. Pure: roles in, roles out; the use case turns
roles into people for the child concerned.

What people typed (a response's words, the reasons for being not satisfied, for more time,
for withdrawing, the record of who was consulted) goes into the in-app message, where only
the people told can read it; the e-mail says only what kind of thing happened and links to
the app (:func:`mail_body`), so no free text about a child travels by e-mail.
"""

from __future__ import annotations

from dataclasses import dataclass

from rules.alert_state import INFORMAL, REVIEWER
from rules.alert_transitions import reviewer_word, sentence
from rules.conversation import said_lines, typed_values, without_typed
from rules.dates import uk_date
from rules.policy import Policy
from rules.roles import role_name


@dataclass(frozen=True)
class Subject:
    """What the event is about, as the message names it."""

    policy: Policy
    kind: str  # the event's kind
    data: dict
    reason: str
    child_ref: str
    ref: str = ""  # the alert's reference ("" for a review)
    track: str = ""
    level: str = ""  # the alert's level after the event
    awaiting: str = ""  # who must act after the event
    due: str = ""  # by when (ISO), after the event
    actor: str = ""  # who did it, as the message names them ("" for the rules)


@dataclass(frozen=True)
class Audience:
    to_roles: tuple[str, ...] = ()
    cc_roles: tuple[str, ...] = ()
    to_reviewer: bool = False
    cc_reviewer: bool = False
    subject: str = ""

    @property
    def anyone(self) -> bool:
        return bool(self.to_roles or self.cc_roles or self.to_reviewer or self.cc_reviewer)


def _level_roles(s: Subject) -> tuple[tuple[str, ...], tuple[str, ...]]:
    track = s.policy.track(s.track)
    if s.level == INFORMAL:
        return track.informal.with_roles, track.informal.copy
    level = track.level(s.level)
    return (level.role,), level.copy


def _alert_subject(s: Subject, words: str) -> str:
    return f"Alert {s.ref} ({s.child_ref}): {words}"


def audience(s: Subject) -> Audience | None:
    """The roles to tell of this event, or None when nobody needs a message."""
    if s.ref:
        return _alert_audience(s)
    return _review_audience(s)


def _alert_audience(s: Subject) -> Audience | None:
    kind = s.kind
    due = f" by {uk_date(s.due)}" if s.due else ""
    if kind in ("raised", "escalated"):
        to, cc = _level_roles(s)
        return Audience(to_roles=to, cc_roles=cc,
                        subject=_alert_subject(s, f"your response is needed{due}"))
    awaiting = () if s.awaiting in ("", REVIEWER) else (s.awaiting,)
    if kind == "responded":
        return Audience(to_reviewer=True, subject=_alert_subject(s, "a response to consider"))
    if kind == "not_satisfied":
        to, _ = _level_roles(s)  # whoever answered at this level hears why it was not enough
        return Audience(to_roles=to, subject=_alert_subject(
            s, f"{reviewer_word(s.track)} is not satisfied with the response"))
    if kind == "extension_requested":
        return Audience(to_reviewer=True, subject=_alert_subject(s, "more time asked for"))
    if kind in ("extension_agreed", "extension_refused"):
        word = "agreed" if kind == "extension_agreed" else "refused"
        return Audience(to_roles=awaiting, subject=_alert_subject(s, f"more time {word}"))
    if kind == "overdue":
        return Audience(to_reviewer=True, cc_roles=awaiting,
                        subject=_alert_subject(s, "no response in time: decide the next step"))
    if kind == "formal_at_risk":
        return Audience(to_roles=awaiting, cc_reviewer=True,
                        subject=_alert_subject(s, "the 20-working-day limit is close"))
    if kind == "formal_breached":
        return Audience(to_roles=awaiting, to_reviewer=True, cc_roles=("principal_iro",),
                        subject=_alert_subject(s, "the 20-working-day limit has passed"))
    if kind == "cafcass_prompt":
        return Audience(to_reviewer=True, cc_roles=("principal_iro",),
                        subject=_alert_subject(s, "consider a referral to CAFCASS"))
    if kind == "impact_follow_up_due":
        return Audience(to_reviewer=True, subject=_alert_subject(
            s, "did the change for the child last? Record the follow-up"))
    if kind in ("satisfied", "withdrawn"):
        to = () if s.level == INFORMAL else (s.policy.track(s.track).level(s.level).role,)
        word = "resolved" if kind == "satisfied" else "withdrawn"
        return Audience(to_roles=to, subject=_alert_subject(s, word))
    return None


def _review_audience(s: Subject) -> Audience | None:
    kind = s.kind
    if kind == "rag_routed":
        rag = str(s.data.get("rag", "")).capitalize()
        return Audience(to_roles=tuple(s.data.get("notify", ())),
                        subject=f"Review of {s.child_ref}: plan judged {rag}")
    if kind == "review_recorded" and s.data.get("reply_due"):
        return Audience(to_roles=("team_manager",),
                        subject=f"Review of {s.child_ref}: decisions to agree by "
                                f"{uk_date(s.data['reply_due'])}")
    if kind in ("decisions_agreed_by_silence", "decisions_reply_overdue", "decisions_disputed",
                "drift_prompt"):
        words = {"decisions_agreed_by_silence": "decisions taken as agreed",
                 "decisions_reply_overdue": "no reply to the decisions",
                 "decisions_disputed": "decisions disputed",
                 "drift_prompt": "two concerning reviews in a row"}[kind]
        return Audience(to_reviewer=True, subject=f"Review of {s.child_ref}: {words}")
    return None


def _next_line(s: Subject) -> list[str]:
    if s.kind == "not_satisfied":
        return []  # what follows (an escalation, or the reviewer's choice) is told on its own
    if s.ref and s.awaiting and s.awaiting != REVIEWER:
        who = role_name(s.awaiting)
        return [f"Next: the {who} to respond" + (f" by {uk_date(s.due)}." if s.due else ".")]
    if s.ref and s.awaiting == REVIEWER:
        return [f"Next: {reviewer_word(s.track)} decides what happens next."]
    return []


FOOTER = ("This message is about a child's record: do not forward it outside the "
          "authority.")


def body(s: Subject, link: str) -> str:
    """The in-app message in plain English: what happened, what was said, what to do next,
    where to look."""
    lines = [without_typed(s.reason, s.data, "(see below)"), ""]
    spoken = said_lines(s.kind, s.data, sentence(s.actor) if s.actor else "They")
    if spoken:
        lines += [*spoken, ""]
    lines += _next_line(s)
    lines += [f"Open it: {link}", "", FOOTER]
    return "\n".join(lines)


def mail_body(s: Subject, link: str) -> str:
    """The e-mail: what kind of thing happened and the link, never what anyone typed."""
    lines = [without_typed(s.reason, s.data, "(in the app)"), ""]
    if typed_values(s.data):
        lines += ["What was written is in the app: open the link to read it.", ""]
    lines += _next_line(s)
    lines += [f"Open it: {link}", "", FOOTER]
    return "\n".join(lines)
