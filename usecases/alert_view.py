"""Everything the alert screen shows, worked out once: ladder, deadlines, timeline, actions.

The page only lays this out; it never computes a date. The same view makes the case-note
text an IRO pastes into the authority's case management system, and the printable page.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field

from db.alerts import alert_by_ref
from db.queries import alert_detail, staff_names
from rules.alert_state import INFORMAL, REVIEWER
from rules.alert_transitions import level_name, reviewer_word
from rules.dates import uk_date
from rules.roles import role_name
from usecases.errors import UserError
from usecases.export_alerts import alert_as_of, summary
from usecases.store import Store

EVENT_WORDS = {
    "raised": "Alert raised",
    "responded": "Response",
    "satisfied": "Reviewer satisfied",
    "not_satisfied": "Reviewer not satisfied",
    "escalated": "Escalated",
    "extension_requested": "More time asked for",
    "extension_agreed": "More time agreed",
    "extension_refused": "More time refused",
    "withdrawn": "Withdrawn",
    "hos_notified": "Head of Service told",
    "cafcass_referral": "Referred to CAFCASS",
    "legal_advice": "Legal advice sought",
    "complaint": "Complaint noted",
    "acknowledged": "Acknowledged",
    "overdue": "Overdue",
    "formal_at_risk": "20-day limit at risk",
    "formal_breached": "20-day limit passed",
    "cafcass_prompt": "Consider CAFCASS",
    "raised_late": "Raised later than the policy asks",
}


@dataclass(frozen=True)
class TimelineEntry:
    on: dt.date
    what: str
    who: str
    reason: str
    derived: bool
    rule: str | None
    pending: bool = False  # made by the clock for today, not yet written by a sweep


@dataclass(frozen=True)
class Rung:
    label: str
    who: str
    days: str
    position: str  # "passed", "here" or "ahead"


@dataclass
class AlertView:
    ref: str
    child_ref: str
    child_name: str
    team: str
    track: str
    track_label: str
    reviewer: str  # "the IRO" or "the CP chair"
    category: str
    theme: str
    concern: str
    outcome_sought: str
    raised_on: dt.date
    raised_by: str
    status: str
    level: str
    level_label: str
    awaiting: str  # role slug, "iro" or ""
    awaiting_name: str
    due: dt.date | None
    overdue: bool
    days_left: int | None  # working days left (negative: late)
    formal_started: dt.date | None
    formal_due: dt.date | None
    formal_at_risk: bool
    formal_breached: bool
    cafcass_referred: bool
    hos_notified: bool
    extension_until: dt.date | None
    ladder: list[Rung] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def what_next(self) -> str:
        """One sentence: who must do what, by when."""
        if self.status == "resolved":
            return f"Resolved: {self.reviewer} was satisfied."
        if self.status == "withdrawn":
            return "Withdrawn."
        if self.awaiting == REVIEWER:
            return (f"Waiting for {self.reviewer} to decide: satisfied, not satisfied, or "
                    "escalate.")
        text = f"Waiting for the {self.awaiting_name} to respond by {uk_date(self.due)}"
        if self.days_left is not None:
            if self.days_left < 0:
                text += f" ({-self.days_left} working days late)"
            elif self.days_left == 0:
                text += " (due today)"
            else:
                text += f" ({self.days_left} working days left)"
        return text + "."

    def case_note(self) -> str:
        """Plain text for the child's record in Liquidlogic, Mosaic or similar."""
        lines = [
            f"ALERT OF CONCERN {self.ref} - {self.track_label}",
            f"Child: {self.child_name} ({self.child_ref})",
            f"Raised: {uk_date(self.raised_on)} by {self.raised_by}",
            f"Category: {self.category} (theme: {self.theme})",
            f"Issue of concern: {self.concern or '-'}",
            f"Outcome sought: {self.outcome_sought or '-'}",
            f"Current stage: {self.level_label}",
            f"Status: {self.what_next()}",
        ]
        if self.formal_started:
            lines.append(f"Formal process: started {uk_date(self.formal_started)}, must finish "
                         f"by {uk_date(self.formal_due)}"
                         + (" - limit passed" if self.formal_breached else ""))
        lines += ["", "History:"]
        for entry in self.timeline:
            who = f" ({entry.who})" if entry.who else ""
            lines.append(f"{uk_date(entry.on)}  {entry.what}{who}: {entry.reason}")
        return "\n".join(lines)

    def printable_html(self) -> str:
        """A self-contained page to print or save; everything escaped."""
        e = html.escape
        rows = "".join(
            f"<tr><td>{e(uk_date(t.on))}</td><td>{e(t.what)}</td><td>{e(t.who)}</td>"
            f"<td>{e(t.reason)}</td></tr>" for t in self.timeline)
        facts = [
            ("Child", f"{self.child_name} ({self.child_ref})"),
            ("Track", self.track_label), ("Category", f"{self.category} ({self.theme})"),
            ("Raised", f"{uk_date(self.raised_on)} by {self.raised_by}"),
            ("Issue of concern", self.concern), ("Outcome sought", self.outcome_sought),
            ("Current stage", self.level_label), ("Next", self.what_next()),
        ]
        fact_rows = "".join(f"<tr><th>{e(k)}</th><td>{e(v or '-')}</td></tr>" for k, v in facts)
        return (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>Alert {e(self.ref)}</title><style>body{{font-family:sans-serif;"
            "margin:2em}table{border-collapse:collapse;width:100%}th,td{border:1px solid #999;"
            "padding:4px;text-align:left;vertical-align:top}th{width:12em}</style></head><body>"
            f"<h1>Alert of concern {e(self.ref)}</h1><p>OFFICIAL-SENSITIVE: a child's record."
            f"</p><table>{fact_rows}</table><h2>History</h2><table><tr><th>Date</th>"
            f"<th>What</th><th>Who</th><th>Details</th></tr>{rows}</table></body></html>"
        )


def alert_view(store: Store, ref: str, as_of: dt.date) -> AlertView:
    row = alert_by_ref(store.db, ref)
    detail = alert_detail(store.db, ref)
    if row is None or detail is None:
        raise UserError(f"There is no alert {ref}.")
    replay = alert_as_of(store, row, as_of)
    if replay is None:
        raise UserError(f"Alert {ref} was raised after {uk_date(as_of)}.")
    state, logged, pending = replay
    facts = summary(store, state, as_of)
    track = store.policy.track(state.track)
    names = staff_names(store.db)
    category = next((c for c in track.categories if c.id == state.category), None)
    timeline = [
        TimelineEntry(on=e.occurred_on, what=EVENT_WORDS.get(e.kind, e.kind),
                      who=_who(e.actor_id, e.actor_role, names), reason=e.reason,
                      derived=e.rule is not None, rule=e.rule)
        for e in logged
    ] + [
        TimelineEntry(on=e.on, what=EVENT_WORDS.get(e.kind, e.kind), who="Automatic",
                      reason=e.reason, derived=True, rule=e.rule, pending=True)
        for e in pending
    ]
    days_left = None
    if state.awaiting_manager and state.due is not None:
        days_left = store.calendar.working_days_between(as_of, state.due)
    current = 0 if state.level == INFORMAL else track.level(state.level).number
    ladder = [Rung(track.informal.label, ", ".join(role_name(r) for r in track.informal.with_roles),
                   f"{track.informal.response_days} working days unless agreed",
                   "here" if current == 0 else "passed")]
    for level in track.levels:
        position = "here" if level.number == current else (
            "passed" if level.number < current else "ahead")
        ladder.append(Rung(level.label, role_name(level.role),
                           f"{level.response_days} working days", position))
    return AlertView(
        ref=ref, child_ref=detail["child_ref"], child_name=detail["child_name"],
        team=detail["team"] or "-", track=state.track, track_label=track.label,
        reviewer=reviewer_word(state.track),
        category=category.label if category else state.category,
        theme=category.theme if category else "-",
        concern=detail["concern"], outcome_sought=detail["outcome_sought"],
        raised_on=state.raised_on or as_of,
        raised_by=names.get(detail["raised_by"], "-") if detail["raised_by"] else "-",
        status=state.status, level=state.level, level_label=level_name(track, state.level),
        awaiting=state.awaiting,
        awaiting_name=(reviewer_word(state.track) if state.awaiting == REVIEWER
                       else role_name(state.awaiting) if state.awaiting else ""),
        due=state.due, overdue=bool(facts["overdue"]), days_left=days_left,
        formal_started=state.formal_started, formal_due=state.formal_due,
        formal_at_risk=bool(facts["formal_at_risk"]),
        formal_breached=bool(facts["formal_breached"]),
        cafcass_referred=state.cafcass_referred, hos_notified=state.hos_notified,
        extension_until=state.extension_until, ladder=ladder, timeline=timeline,
    )


def _who(actor_id: int | None, actor_role: str | None, names: dict[int, str]) -> str:
    if actor_role == "system":
        return "Automatic"
    name = names.get(actor_id, "") if actor_id is not None else ""
    role = role_name(actor_role) if actor_role else ""
    if name and role:
        return f"{name}, {role}"
    return name or role
