"""Everything the alert screen shows, worked out once: ladder, deadlines, the exchange, actions.

The page only lays this out; it never computes a date. The exchange is the whole
conversation: who said what, when, at which level, each response's outcome and words,
every reason and record of consultation, and what the rules did and why (derived events
with their rule). The same view makes the case-note text an IRO pastes into the
authority's case management system (absolute dates only: a note must not go stale), and
the printable page. Only someone ``usecases.access`` lets see the alert gets a view (and
the opening is audited), so the case note and the printable page go no further than the
alert does.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from db.alert_impacts import impact_of
from db.alerts import alert_by_id, alert_by_ref
from db.queries import alert_detail, staff_names
from rules.alert_state import INFORMAL, REVIEWER, AlertState
from rules.alert_transitions import level_name, reviewer_word, sentence
from rules.conversation import Said, outcome_words, said, without_typed
from rules.dates import uk_date
from rules.deadline_text import Deadline, deadline
from rules.impact import (
    FOLLOW_UP_DUE,
    FOLLOWED_UP_KIND,
    IMPACT_EVENTS,
    IMPACT_WORDS,
    SUSTAINED_WORDS,
)
from rules.legacy import category_labels
from rules.policy import Track
from rules.roles import role_name
from usecases.access import Decision, require_view_alert
from usecases.accounts import SignedInUser
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
    FOLLOW_UP_DUE: "Follow-up due: did the change last?",
    FOLLOWED_UP_KIND: "Follow-up recorded",
}
#: Events that put the alert at a level: the timeline says "to" that level, not "at".
MOVES = ("raised", "escalated")
#: Labels of what a person chose from the form's list (see :func:`chosen`).
IMPACT_LABEL = "Difference for the child"
SUSTAINED_LABEL = "Did the change last"
FOLLOWS_LABEL = "Follows alert"


def chosen(kind: str, data: Mapping[str, Any]) -> tuple[Said, ...]:
    """What a person picked rather than typed, in words: the difference resolving made for
    the child, whether the change lasted, and the alert a new one follows (issue 16).

    The timeline puts these before what they typed (``rules.conversation.said``) so the
    exchange, the case note, the printable page and the child's chronology all say them in
    the same words; a slug never reaches a reader. An empty or unknown value (an alert
    resolved before the impact was asked, or imported without it) gives nothing here.
    """
    found: list[Said] = []
    impact = data.get("impact")
    if kind == "satisfied" and isinstance(impact, str) and impact and impact in IMPACT_WORDS:
        found.append(Said(IMPACT_LABEL, IMPACT_WORDS[impact]))
    sustained = data.get("sustained")
    if (kind == FOLLOWED_UP_KIND and isinstance(sustained, str) and sustained
            and sustained in SUSTAINED_WORDS):
        found.append(Said(SUSTAINED_LABEL, SUSTAINED_WORDS[sustained]))
    follows = data.get("follows")
    if kind == "raised" and isinstance(follows, str) and follows.strip():
        found.append(Said(FOLLOWS_LABEL,
                          f"{follows.strip()}, whose change for the child did not last"))
    return tuple(found)


@dataclass(frozen=True)
class ImpactSummary:
    """What resolving the alert changed for the child and whether it lasted, as known on
    the view's date: a follow-up asked for or answered later, or a new alert raised later,
    is not known yet on a page printed as at an earlier day. The words anyone typed are in
    the exchange, once; this is the summary an inspector reads first."""

    impact: str  # a slug of IMPACT_WORDS; "" when not recorded (imported, or older)
    resolved_on: dt.date
    follow_up_on: dt.date | None  # None: nothing to follow up (not improved, or imported)
    asked_on: dt.date | None
    sustained: str
    followed_up_on: dt.date | None
    linked_ref: str
    linked_on: dt.date | None

    def lines(self) -> list[tuple[str, str]]:
        """(label, words) rows, the same on the case note and the printable page."""
        rows = [(IMPACT_LABEL, f"{IMPACT_WORDS.get(self.impact, IMPACT_WORDS[''])} "
                               f"(resolved {uk_date(self.resolved_on)})")]
        if self.followed_up_on is not None and self.sustained:
            rows.append((SUSTAINED_LABEL, f"{SUSTAINED_WORDS.get(self.sustained, '')} "
                                          f"(followed up {uk_date(self.followed_up_on)})"))
        elif self.asked_on is not None:
            rows.append((SUSTAINED_LABEL, "Not yet known: the follow-up was asked for on "
                                          f"{uk_date(self.asked_on)}"))
        elif self.follow_up_on is not None:
            rows.append((SUSTAINED_LABEL, "Not yet known: to be asked on "
                                          f"{uk_date(self.follow_up_on)}, or at the child's "
                                          "next review if that is sooner"))
        if self.linked_ref:
            rows.append(("Followed by", f"alert {self.linked_ref}, raised on "
                                        f"{uk_date(self.linked_on)} because the change did "
                                        "not last"))
        return rows


@dataclass(frozen=True)
class TimelineEntry:
    on: dt.date
    what: str
    who: str
    reason: str  # the rules' sentence, without the typed words it may quote (see ``said``)
    derived: bool
    rule: str | None
    pending: bool = False  # made by the clock for today, not yet written by a sweep
    kind: str = ""
    level: str = ""  # the level's name: where it happened, or where the alert moved to
    outcome: str = ""  # a response's outcome, in words
    #: What the person chose, in words (:func:`chosen`), then what they typed, labelled,
    #: exactly as typed.
    said: tuple[Said, ...] = ()
    policy: str = ""  # "seed-001 version 1": the policy a rule applied

    @property
    def where(self) -> str:
        """"at Level 1: Service Manager", or "to Level 2: Head of Service" for a move."""
        if not self.level:
            return ""
        return f"{'to' if self.kind in MOVES else 'at'} {self.level}"

    @property
    def rule_words(self) -> str:
        """Why the rules made it: which rule, under which policy ("" for a person's event)."""
        if not self.derived:
            return ""
        text = f"Made by the rule \"{self.rule}\" of {self.policy or 'the policy'}"
        if self.pending:
            text += " (worked out for today; the next sweep records it)"
        return text + "."

    def note_lines(self, indent: str = "  ") -> list[str]:
        """The entry as plain text lines, for the case note."""
        who = f" - {self.who}" if self.who else ""
        where = f" ({self.where})" if self.where else ""
        lines = [f"{uk_date(self.on)}  {self.what}{where}{who}"]
        if self.outcome:
            lines.append(f"{indent}Outcome: {self.outcome}")
        for item in self.said:
            text = item.text.replace("\r\n", "\n").replace("\n", "\n" + indent + "  ")
            lines.append(f"{indent}{item.label}: {text}")
        if self.reason:
            lines.append(f"{indent}{self.reason}")
        if self.rule_words:
            lines.append(f"{indent}{self.rule_words}")
        return lines


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
    #: What the access module decided about the person viewing it.
    access: Decision | None = None
    #: The day the view is of.
    as_of: dt.date | None = None
    #: Where the response's deadline stands today, with what silence leads to.
    deadline: Deadline | None = None
    #: The last response recorded, and whether it answers the alert where it is now.
    latest_response: TimelineEntry | None = None
    response_is_current: bool = False
    #: What resolving changed for the child, as known on ``as_of`` (None: not resolved).
    impact: ImpactSummary | None = None

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def what_next(self) -> str:
        """One sentence: who must do what, by when (an absolute date)."""
        if self.status == "resolved":
            return f"Resolved: {self.reviewer} was satisfied."
        if self.status == "withdrawn":
            return "Withdrawn."
        if self.awaiting == REVIEWER:
            return (f"Waiting for {self.reviewer} to decide: satisfied, not satisfied, or "
                    "escalate.")
        return f"Waiting for the {self.awaiting_name} to respond by {uk_date(self.due)}."

    def deadline_words(self) -> str:
        """Where the deadline stands today, counted in working days: "Overdue: was due Fri
        27 Nov 2026; escalates Mon 30 Nov 2026 if there is no reply." ("" when none)."""
        if self.deadline is None or not self.is_open:
            return ""
        return sentence(self.deadline.words()) + "."

    def status_on_the_day(self) -> str:
        """Where the alert stands, in absolute dates only, for the case note: it must read
        the same next week (never "due today" or "2 days left")."""
        on = uk_date(self.as_of)
        if not self.is_open or self.awaiting == REVIEWER or self.deadline is None:
            what = self.what_next()
            return f"As at {on}: {what[:1].lower()}{what[1:]}"
        d = self.deadline
        who = self.awaiting_name
        if d.overdue:
            text = (f"As at {on}: the {who}'s response was due by {uk_date(d.due)} and has not "
                    "been recorded")
        else:
            text = f"As at {on}: the {who}'s response is due by {uk_date(d.due)}"
        then = {"escalate": "it escalates", "agree": "it is taken as agreed",
                "prompt": f"{self.reviewer} is asked to decide the next step"}.get(
                    d.on_silence or "")
        if then and d.as_of <= d.consequence_on:
            text += f"; if there is no reply, {then} on {uk_date(d.consequence_on)}"
        return text + "."

    def case_note(self) -> str:
        """Plain text for the child's record in Liquidlogic, Mosaic or similar: the whole
        exchange, as typed, with absolute dates."""
        lines = [
            f"ALERT OF CONCERN {self.ref} - {self.track_label}",
            f"Child: {self.child_name} ({self.child_ref})",
            f"Raised: {uk_date(self.raised_on)} by {self.raised_by}",
            f"Category: {self.category} (theme: {self.theme})",
            f"Issue of concern: {self.concern or '-'}",
            f"Outcome sought: {self.outcome_sought or '-'}",
            f"Current stage: {self.level_label}",
            f"Status: {self.status_on_the_day()}",
        ]
        if self.formal_started:
            lines.append(f"Formal process: started {uk_date(self.formal_started)}, must finish "
                         f"by {uk_date(self.formal_due)}"
                         + (" - limit passed" if self.formal_breached else ""))
        if self.impact is not None:
            lines += ["", "Impact for the child:"]
            lines += [f"  {label}: {words}" for label, words in self.impact.lines()]
        lines += ["", "History (oldest first):"]
        for entry in self.timeline:
            lines += entry.note_lines()
        return "\n".join(lines)

    def printable_html(self) -> str:
        """The alert as a print-ready fragment of a page: facts and the whole exchange, every
        piece of text escaped (nothing anyone typed becomes markup or fetches anything)."""
        e = html.escape
        facts = [
            ("Child", f"{self.child_name} ({self.child_ref})"),
            ("Track", self.track_label), ("Category", f"{self.category} ({self.theme})"),
            ("Raised", f"{uk_date(self.raised_on)} by {self.raised_by}"),
            ("Issue of concern", self.concern), ("Outcome sought", self.outcome_sought),
            ("Current stage", self.level_label), ("Status", self.status_on_the_day()),
        ]
        if self.formal_started:
            facts.append(("Formal process", f"started {uk_date(self.formal_started)}, must "
                          f"finish by {uk_date(self.formal_due)}"))
        fact_rows = "".join(f"<tr><th scope='row'>{e(k)}</th><td>{e(v or '-')}</td></tr>"
                            for k, v in facts)
        impact_table = ""
        if self.impact is not None:
            impact_table = ("<table><caption>Impact for the child</caption>" + "".join(
                f"<tr><th scope='row'>{e(k)}</th><td>{e(v)}</td></tr>"
                for k, v in self.impact.lines()) + "</table>")
        entries = []
        for t in self.timeline:
            said_rows = "".join(f"<dt>{e(s.label)}</dt><dd class='typed'>{e(s.text)}</dd>"
                                for s in t.said)
            if t.outcome:
                said_rows = f"<dt>Outcome</dt><dd>{e(t.outcome)}</dd>" + said_rows
            head = " - ".join(x for x in (uk_date(t.on), t.what, t.where, t.who) if x)
            entries.append(
                f"<li><p class='head'><strong>{e(head)}</strong></p>"
                + (f"<dl>{said_rows}</dl>" if said_rows else "")
                + (f"<p>{e(t.reason)}</p>" if t.reason else "")
                + (f"<p class='rule'>{e(t.rule_words)}</p>" if t.rule_words else "")
                + "</li>")
        return (
            f"<style>{PRINT_CSS}</style><article class='iro-print'>"
            f"<h1>Alert of concern {e(self.ref)}</h1>"
            "<p class='marking'>OFFICIAL-SENSITIVE: a child's record. Printed from IRO "
            f"alerts as at {e(uk_date(self.as_of))}.</p>"
            f"<table><caption>The alert</caption>{fact_rows}</table>{impact_table}"
            "<h2>The exchange, oldest first</h2>"
            f"<ol class='exchange'>{''.join(entries)}</ol></article>"
        )


#: The printable page's own styles, and what printing leaves out of the app around it.
PRINT_CSS = (
    ".iro-print{font-size:11pt;line-height:1.4}"
    ".iro-print table{border-collapse:collapse;width:100%;margin:0 0 1em}"
    ".iro-print caption{text-align:left;font-weight:bold;padding:0 0 .3em}"
    ".iro-print th,.iro-print td{border:1px solid #555;padding:4px 6px;text-align:left;"
    "vertical-align:top}"
    ".iro-print th{width:11em}"
    ".iro-print ol.exchange{padding-left:1.4em}"
    ".iro-print ol.exchange li{margin:0 0 .8em;break-inside:avoid}"
    ".iro-print p{margin:.2em 0}"
    ".iro-print dl{margin:.2em 0}"
    ".iro-print dt{font-weight:bold}"
    ".iro-print dd{margin:0 0 .3em 1em}"
    ".iro-print .typed{white-space:pre-wrap}"
    ".iro-print .rule{font-style:italic}"
    "@media print{"
    "[data-testid=stSidebar],[data-testid=stSidebarCollapsedControl],header,"
    "[data-testid=stHeader],[data-testid=stToolbar],[data-testid=stDecoration],"
    "[data-testid=stStatusWidget],.iro-no-print,.st-key-print_controls{display:none!important}"
    "html,body,.stApp,[data-testid=stAppViewContainer],[data-testid=stMain],"
    "[data-testid=stMainBlockContainer],section.main{overflow:visible!important;"
    "height:auto!important;position:static!important}"
    "[data-testid=stMainBlockContainer]{padding:0!important;max-width:none!important}"
    "}"
)


def _silence(track: Track, state: AlertState) -> str | None:
    """What the policy makes of silence at the alert's level, as ``deadline_text`` says it
    (the same conditions as the clock rules in ``rules.alert_rules``)."""
    if not state.awaiting_manager or state.due is None:
        return None
    if state.level != INFORMAL:
        level = track.level(state.level)
        nxt = track.next_level(level)
        if level.on_silence == "escalate" and nxt is not None and not nxt.exceptional:
            return "escalate"
    return None if state.overdue_flagged else "prompt"


def alert_view(store: Store, user: SignedInUser, ref: str, as_of: dt.date,
               now: dt.datetime) -> AlertView:
    """The alert as of ``as_of``, for someone who may see it (the opening is audited).

    Raises AccessRefused (audited; naming nothing of the child) when they may not, and
    UserError for an unknown reference.
    """
    ref = ref.strip()
    if alert_by_ref(store.db, ref) is None:
        raise UserError(f"There is no alert {ref}.")
    _, decision = require_view_alert(store, user, ref, now, on=as_of)
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
    category = category_labels(store.policy).get(state.category)
    this_policy = f"{store.policy.id} version {store.policy.version}"
    reviewer = reviewer_word(state.track).removeprefix("the ")  # "IRO" or "CP chair"
    timeline: list[TimelineEntry] = []
    level = INFORMAL
    items = [(e.occurred_on, e.kind, e.data, e.reason, e.rule,
              _who(e.actor_id, e.actor_role, names),
              f"{e.policy_id} version {e.policy_version}" if e.policy_id else this_policy,
              False) for e in logged]
    items += [(e.on, e.kind, e.data, e.reason, e.rule, "Automatic", this_policy, True)
              for e in pending]
    for on, kind, data, reason, rule, who, policy, is_pending in items:
        at = data.get("level") or level
        if kind in MOVES and data.get("level"):
            level = data["level"]
        timeline.append(TimelineEntry(
            on=on, what=EVENT_WORDS.get(kind, kind).replace("Reviewer", reviewer), who=who,
            reason=without_typed(reason, data, "(see above)"),
            derived=rule is not None, rule=rule, pending=is_pending, kind=kind,
            # the follow-up comes after the alert closed: it is at no level of the ladder
            level="" if kind in IMPACT_EVENTS else _level_label(track, at),
            outcome=outcome_words(kind, data),
            said=chosen(kind, data) + said(kind, data, concern=detail["concern"] or "",
                                            outcome_sought=detail["outcome_sought"] or ""),
            policy=policy))
    latest, current = _latest_response(timeline)
    days_left = None
    due_words = None
    if state.awaiting_manager and state.due is not None:
        days_left = store.calendar.working_days_between(as_of, state.due)
        due_words = deadline(state.due, as_of, store.calendar, _silence(track, state))
    position = 0 if state.level == INFORMAL else track.level(state.level).number
    ladder = [Rung(track.informal.label, ", ".join(role_name(r) for r in track.informal.with_roles),
                   f"{track.informal.response_days} working days unless agreed",
                   "here" if position == 0 else "passed")]
    for rung in track.levels:
        where = "here" if rung.number == position else (
            "passed" if rung.number < position else "ahead")
        ladder.append(Rung(rung.label, role_name(rung.role),
                           f"{rung.response_days} working days", where))
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
        access=decision, as_of=as_of, deadline=due_words, latest_response=latest,
        response_is_current=current and state.awaiting == REVIEWER,
        impact=_impact(store, row.id, as_of) if state.status == "resolved" else None,
    )


def _impact(store: Store, alert_id: int, as_of: dt.date) -> ImpactSummary | None:
    """The alert's impact from ``alert_impacts``, with only what had happened by ``as_of``
    (the table holds today's answer; a view of an earlier day must not know it yet)."""
    row = impact_of(store.db, alert_id)
    day = as_of.isoformat()
    if row is None or row["resolved_on"] > day:
        return None

    def by_then(value: str | None) -> dt.date | None:
        return dt.date.fromisoformat(value) if value and value <= day else None

    followed_up_on = by_then(row["followed_up_on"])
    linked_ref, linked_on = "", None
    linked = alert_by_id(store.db, row["linked_alert_id"]) if row["linked_alert_id"] else None
    if linked is not None:
        linked_on = by_then(linked.state.get("raised_on"))
        linked_ref = linked.ref if linked_on else ""
    return ImpactSummary(
        impact=row["impact"], resolved_on=dt.date.fromisoformat(row["resolved_on"]),
        follow_up_on=dt.date.fromisoformat(row["follow_up_on"]) if row["follow_up_on"] else None,
        asked_on=by_then(row["prompted_on"]),
        sustained=row["sustained"] if followed_up_on else "", followed_up_on=followed_up_on,
        linked_ref=linked_ref, linked_on=linked_on)


def _level_label(track: Track, slug: str) -> str:
    try:
        return level_name(track, slug)
    except KeyError:  # a level the policy no longer has: say what the record says
        return role_name(slug)


def _latest_response(timeline: list[TimelineEntry]) -> tuple[TimelineEntry | None, bool]:
    """The last response, and whether it answers the alert where it is now (no move to
    another level, and no decision on it, since)."""
    latest = None
    current = False
    for entry in timeline:
        if entry.kind == "responded":
            latest, current = entry, True
        elif entry.kind in (*MOVES, "not_satisfied", "satisfied", "withdrawn"):
            current = False
    return latest, current


def _who(actor_id: int | None, actor_role: str | None, names: dict[int, str]) -> str:
    if actor_role == "system":
        return "Automatic"
    name = names.get(actor_id, "") if actor_id is not None else ""
    role = role_name(actor_role) if actor_role else ""
    if name and role:
        return f"{name}, {role}"
    return name or role
