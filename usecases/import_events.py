"""Importing alert histories from CSV: all of it, or none of it.

Columns: ``alert,child,track,date,event,level,outcome,by,until,note,category``. Every row
is first checked on its own (dates, words, levels), then every alert's rows are played
through the same engine the screens use, in date order, with the clock run between rows,
inside one transaction. Any problem is reported by line number and column, and then the
transaction is rolled back: nothing is imported.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field

from db.alerts import alert_by_ref
from db.connection import write_transaction
from db.events import append_event
from db.people import child_by_ref, insert_child, staff_by_email
from rules.alert_state import INFORMAL, OUTCOMES, USER_EVENTS, AlertState
from rules.alert_transitions import Command, informal_addressee
from rules.roles import ROLES
from usecases.alerts import AlertRefused, act_in_transaction, raise_in_transaction
from usecases.errors import UserError
from usecases.store import Store

COLUMNS = ("alert", "child", "track", "date", "event", "level", "outcome", "by", "until",
           "note", "category")
TRACK_STATUS = {"iro": "looked_after", "cp": "child_protection"}
REVIEWER_EVENTS = ("raised", "satisfied", "not_satisfied", "escalated", "extension_agreed",
                   "extension_refused", "withdrawn", "hos_notified", "cafcass_referral",
                   "legal_advice")


@dataclass(frozen=True)
class Problem:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class ImportRefused(UserError):
    """The file has problems; ``problems`` lists every one. Nothing was imported."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        lines = "\n".join(str(p) for p in problems)
        super().__init__(f"Nothing was imported: the file has {len(problems)} {noun}.\n{lines}")


@dataclass
class Row:
    line: int
    alert: str
    child: str
    track: str
    date: dt.date
    event: str
    level: str
    outcome: str
    by: str
    until: dt.date | None
    note: str
    category: str


@dataclass
class ImportResult:
    alerts: int = 0
    events: int = 0
    derived: int = 0
    children_created: list[str] = field(default_factory=list)


def _date(text: str, line: int, column: str, problems: list[Problem]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems.append(Problem(line, column, f"'{text}' is not a date: write it as "
                                              "YYYY-MM-DD, for example 2026-12-21."))
        return None


def parse_rows(store: Store, text: str) -> tuple[list[Row], list[Problem], set[str]]:
    """Read and check each row on its own; every problem is reported, not just the first.

    Returns the good rows, the problems, and the alerts that had a bad row (their
    histories cannot be played through the rules).
    """
    problems: list[Problem] = []
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        problems.append(Problem(1, "", "the header is missing the column"
                                + ("s " if len(missing) > 1 else " ")
                                + ", ".join(missing) + f". Expected: {','.join(COLUMNS)}."))
        return [], problems, set()
    rows: list[Row] = []
    broken: set[str] = set()
    for line, raw in enumerate(reader, start=2):
        values = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(values.values()):
            continue
        row = _check_row(store, line, values, problems)
        if row is not None:
            rows.append(row)
        else:
            broken.add(values.get("alert", ""))
    if not rows and not problems:
        problems.append(Problem(1, "", "the file has a header but no rows to import."))
    return rows, problems, broken


def _check_row(store: Store, line: int, v: dict[str, str], problems: list[Problem]) -> Row | None:
    before = len(problems)

    def need(column: str, what: str) -> None:
        if not v.get(column):
            problems.append(Problem(line, column, f"{what} is missing."))

    need("alert", "the alert reference")
    need("child", "the child's case reference")
    track = v.get("track", "")
    if track not in store.policy.tracks:
        problems.append(Problem(line, "track", f"'{track}' is not a track of "
                                f"{store.policy.id}: use {' or '.join(store.policy.tracks)}."))
    day = _date(v.get("date", ""), line, "date", problems)
    event = v.get("event", "")
    if event not in USER_EVENTS:
        problems.append(Problem(line, "event", f"'{event}' is not an event this import knows. "
                                f"Use one of: {', '.join(USER_EVENTS)}."))
    level = v.get("level", "")
    if event in ("raised", "escalated") and track in store.policy.tracks:
        ladder = store.policy.track(track).roles_on_ladder
        allowed = ((INFORMAL,) if event == "raised" else ()) + ladder
        if level not in allowed:
            problems.append(Problem(line, "level", f"'{level}' is not a level of the {track} "
                                    f"ladder. Use one of: {', '.join(allowed)}."))
    outcome = v.get("outcome", "")
    if event == "responded" and outcome not in OUTCOMES:
        problems.append(Problem(line, "outcome", f"'{outcome}' is not an outcome. Use one of: "
                                f"{', '.join(OUTCOMES)}."))
    until = None
    if v.get("until"):
        until = _date(v["until"], line, "until", problems)
    elif event == "extension_requested":
        problems.append(Problem(line, "until", "a request for more time needs the date asked "
                                "for."))
    by = v.get("by", "")
    if by and by not in ROLES and "@" not in by:
        problems.append(Problem(line, "by", f"'{by}' is neither a role (such as iro or "
                                "service_manager) nor a staff e-mail address."))
    category = v.get("category", "")
    if event == "raised" and track in store.policy.tracks:
        ids = [c.id for c in store.policy.track(track).categories]
        if category not in ids:
            problems.append(Problem(line, "category", f"'{category}' is not a concern "
                                    f"category of the {track} track. Use one of: "
                                    f"{', '.join(ids)}."))
    if len(problems) > before or day is None:
        return None
    return Row(line=line, alert=v["alert"], child=v["child"], track=track, date=day,
               event=event, level=level, outcome=outcome, by=by, until=until,
               note=v.get("note", ""), category=category)


def _actor(store: Store, row: Row, state: AlertState | None,
           problems: list[Problem]) -> tuple[str, int | None]:
    """The role (and staff id) behind a row; an empty ``by`` means the expected person."""
    if "@" in row.by:
        person = staff_by_email(store.db, row.by)
        if person is None:
            problems.append(Problem(row.line, "by", f"no member of staff has the e-mail "
                                    f"address {row.by}."))
            return "", None
        return person["role"], person["id"]
    if row.by:
        return row.by, None
    track = store.policy.track(row.track)
    if row.event in REVIEWER_EVENTS:
        return track.raised_by[0], None
    if state is not None and state.awaiting not in ("", "iro"):
        return state.awaiting, None
    if state is not None and state.level == INFORMAL:
        return informal_addressee(track), None
    return "", None


def _command(row: Row, role: str, staff_id: int | None) -> Command:
    gate = row.note if row.event in ("raised", "escalated") else ""
    return Command(
        kind=row.event, on=row.date, actor_role=role, actor_id=staff_id, level=row.level,
        outcome=row.outcome, until=row.until, note=row.note, gate=gate,
        emergency=gate.lower().startswith("emergency"), category=row.category,
    )


def import_events(store: Store, text: str) -> ImportResult:
    """Append the histories in ``text``; raises ImportRefused listing every problem."""
    rows, problems, broken = parse_rows(store, text)
    if not rows:
        raise ImportRefused(problems)
    by_alert: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        if row.alert not in broken:
            by_alert[row.alert].append(row)
    result = ImportResult()
    with write_transaction(store.db):  # raising inside rolls everything back
        for ref, alert_rows in by_alert.items():
            alert_rows.sort(key=lambda r: r.date)  # stable: same-day rows keep file order
            _import_alert(store, ref, alert_rows, problems, result)
        if problems:
            raise ImportRefused(sorted(problems, key=lambda p: p.line))
    return result


def _import_alert(store: Store, ref: str, rows: list[Row], problems: list[Problem],
                  result: ImportResult) -> None:
    first = rows[0]
    for row in rows[1:]:
        if row.child != first.child:
            problems.append(Problem(row.line, "child", f"alert {ref} is for child "
                                    f"{first.child} (line {first.line}), not {row.child}."))
        if row.track != first.track:
            problems.append(Problem(row.line, "track", f"alert {ref} is on the {first.track} "
                                    f"track (line {first.line}), not {row.track}."))
    existing = alert_by_ref(store.db, ref)
    state = AlertState.from_json(existing.state) if existing else None
    child_id = existing.child_id if existing else _child_id(store, first, result)
    result.alerts += 1
    for row in rows:
        before = len(problems)
        role, staff_id = _actor(store, row, state, problems)
        if len(problems) > before:
            return
        command = _command(row, role, staff_id)
        try:
            if state is None:
                if row.event != "raised":
                    problems.append(Problem(row.line, "event", f"alert {ref} must start with a "
                                            f"'raised' row, not '{row.event}'."))
                    return
                recorded = raise_in_transaction(store, child_id=child_id, child_ref=row.child,
                                                track=row.track, command=command, ref=ref,
                                                concern=row.note)
            else:
                recorded = act_in_transaction(store, ref, command)
        except AlertRefused as refused:
            for message in refused.messages:
                problems.append(Problem(row.line, "event", message))
            if row is not rows[-1]:
                problems.append(Problem(row.line, "", f"the later rows of alert {ref} were not "
                                        "checked, as they follow this one."))
            return
        result.events += 1
        result.derived += sum(1 for e in recorded.events if e.rule is not None)
        updated = alert_by_ref(store.db, ref)
        assert updated is not None
        state = AlertState.from_json(updated.state)


def _child_id(store: Store, row: Row, result: ImportResult) -> int:
    child = child_by_ref(store.db, row.child)
    if child is not None:
        return child["id"]
    result.children_created.append(row.child)
    child_id = insert_child(store.db, case_ref=row.child, name=row.child, date_of_birth=None,
                            legal_status=TRACK_STATUS[row.track], team_id=None,
                            social_worker_id=None, reviewer_id=None)
    append_event(store.db, kind="child_added", occurred_on=row.date, actor_role="admin",
                 child_id=child_id,
                 reason=f"Child {row.child} added by an import of alert histories (line "
                        f"{row.line}); name and details to be completed.")
    return child_id
