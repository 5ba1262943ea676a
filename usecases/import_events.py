"""Importing alert histories: the import's own CSV, or an authority's old spreadsheet.

Columns: ``alert,child,track,date,event,level,outcome,by,until,note,category`` and,
optionally, ``concern,outcome_sought,impact_note,actions,follows`` (see README.md, "Alert
histories: the import format"), read from CSV or from an Excel ``.xlsx`` sheet; a map
(``usecases.importing.mapping``) turns a spreadsheet's own headings and words into these.
The file is read once, a row at a time: each row is checked on its own and kept in a
scratch file on disk (``db.import_staging``), so memory does not grow with the file. Then
every alert's rows are played through the same engine the screens use, in date order, with
the clock run up to each row's date before the row is applied: an empty ``by`` means
whoever the alert is waiting for *then*. That is done first on a private copy of the
store, where any problem is found and reported by line and column, and nothing is
imported; then again on the store, in short chunks that let other people save in between
(``usecases.import_runs``: rolled back by the import's id if it fails part-way).

What older records lack is recorded, not invented (``rules.legacy``): a concern with no
category is imported under "Not recorded", and a formal step with no record of the
consultation the policy asks for is imported with its event flagged ``gate_not_recorded``.
Each is a warning with its line. Recording history tells nobody: no message or e-mail is
left behind for an imported event.

What resolving changed for the child (issue 16) comes back as it was entered: a
``satisfied`` row's ``outcome`` (the difference), ``impact_note`` and ``actions``; an
``impact_followed_up`` row (whether the change lasted, and the note); and a ``raised`` row's
``follows`` (the alert, earlier in the file, whose change did not last). No follow-up is
ever asked for an imported resolution (``follow_up_on`` is never set), and the sweep's
prompt, a derived event, is neither exported nor imported.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from db.alert_impacts import impact_of
from db.alerts import AlertRow, alert_by_ref
from db.connection import write_transaction
from db.events import append_event
from db.import_chunks import CHUNK_KIND, DONE_KIND, created_since, high_water
from db.import_staging import Staging
from db.imports import alerts_with_flag, discard_messages_since, flagged_events, message_marks
from db.people import child_by_ref, insert_child, staff_by_email
from db.settings import get_setting, set_setting
from rules.alert_rules import advance
from rules.alert_state import INFORMAL, OUTCOMES, USER_EVENTS, AlertState
from rules.alert_transitions import (
    Command,
    followed_up,
    informal_addressee,
    level_name,
)
from rules.dates import uk_date
from rules.impact import (
    FOLLOWED_UP,
    FOLLOWED_UP_KIND,
    IMPACT_WORDS,
    IMPACTS,
    MAX_ACTION_CHARS,
    MAX_ACTIONS,
    SUSTAINED,
)
from rules.legacy import (
    GATE_FLAG,
    GATE_NOT_RECORDED,
    NOT_RECORDED,
    NOT_RECORDED_LABEL,
    gates_needed,
    with_not_recorded,
)
from rules.roles import ROLES, role_name
from usecases.accounts import SignedInUser
from usecases.alerts import AlertRefused, act_in_transaction, raise_in_transaction
from usecases.errors import UserError
from usecases.event_log import write_events
from usecases.import_runs import (
    chunk_data,
    import_turn,
    let_others_in,
    private_copy,
    roll_back_unfinished,
)
from usecases.importing.mapping import ColumnMap, fold, layout, parse_map, read_map_file
from usecases.importing.problems import ImportRefused, Problem, ProblemList
from usecases.importing.reader import ImportFile, Spreadsheet
from usecases.policy_versions import alert_version, store_under
from usecases.report_files import FORMULA_STARTS
from usecases.store import Store

__all__ = ["COLUMNS", "ImportRefused", "ImportResult", "Problem", "import_events"]

COLUMNS = ("alert", "child", "track", "date", "event", "level", "outcome", "by", "until",
           "note", "category", "concern", "outcome_sought", "impact_note", "actions", "follows")
#: What a map can fill: the columns, and ``gate`` (who was consulted, where a spreadsheet
#: keeps that apart from its notes).
MAP_COLUMNS = (*COLUMNS, "gate")
REQUIRED = ("alert", "child", "date", "event")
#: Columns added to the format later: a file without them (an older export) still reads.
OPTIONAL = ("concern", "outcome_sought", "impact_note", "actions", "follows")
#: The events a file may hold: what people record on the ladder, and the answer to a
#: resolution's follow-up (whether the change for the child lasted).
EVENTS = (*USER_EVENTS, FOLLOWED_UP_KIND)
#: Columns whose words a map can translate.
VALUE_COLUMNS = ("track", "event", "level", "outcome", "by", "category")
TRACK_STATUS = {"iro": "looked_after", "cp": "child_protection"}
STATUS_TRACK = {status: track for track, status in TRACK_STATUS.items()}
STATUS_WORDS = {"looked_after": "looked after", "child_protection": "on a child protection plan"}
REVIEWER_EVENTS = ("raised", "satisfied", "not_satisfied", "escalated", "extension_agreed",
                   "extension_refused", "withdrawn", "hos_notified", "cafcass_referral",
                   "legal_advice", FOLLOWED_UP_KIND)
#: No imported date may be earlier (the calendar counts working days from 1970; no IRO
#: record is older than the role, and a year 0001 or 1900 is a mistake).
EARLIEST_DATE = dt.date(1990, 1, 1)
#: Nor later (the working-day calendar ends in 2100), whatever the import's date.
LATEST_DATE = dt.date(2099, 12, 31)
#: An agreed date or a new due date more than this after its row is taken to be a typo.
MAX_UNTIL_DAYS = 366
MAX_REF_CHARS = 64
#: Rows per chunk of the import's writing pass: about half a second of the rules' work,
#: so nobody else waits longer than that for the store (``bench/bench_import.py``).
CHUNK_ROWS = 400
#: How many warnings an ImportResult keeps (all are counted, and all are passed to
#: ``on_warning`` as they are found).
WARNINGS_KEPT = 1_000
CATEGORY_WARNING = "category_not_recorded"
GATE_WARNING = "gate_not_recorded"
WARNING_WORDS = {
    CATEGORY_WARNING: "alerts with no concern category, imported under 'Not recorded'",
    GATE_WARNING: "formal steps with no record of the consultation the policy asks for, "
                  "flagged 'gate not recorded'",
}
#: Notes that say the consultation was not recorded (what an export writes for such a step).
_NOT_RECORDED_NOTES = {fold(GATE_NOT_RECORDED), "not recorded"}
MAP_SETTING = "import_events_map"
#: An action agreed on resolving may be dated this far either side of the resolution (the
#: app's form allows the same: ``rules.impact.impact_problems``).
MAX_ACTION_DAYS = 366 * 2
#: Between two actions in the ``actions`` cell; a semicolon in an action's words is
#: written twice.
ACTION_SEPARATOR = ";"
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UK = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")

#: What a spreadsheet-safe export puts before text a spreadsheet would run as a formula
#: (``usecases.report_files.neutralise``); the import takes it off again.
INERT_MARK = "'"

#: progress(stage, done, total): stage "check" (bytes or rows read) or "apply" (rows).
Progress = Callable[[str, int, int | None], None]


@dataclass
class Row:
    line: int
    alert: str
    child: str
    track: str  # "" when the file leaves it to the child's legal status
    date: dt.date
    event: str
    level: str
    outcome: str
    by: str
    until: dt.date | None
    note: str
    category: str
    gate: str | None  # None: the note is the gate record (the import's own format)
    concern: str = ""  # a raised row: the issue of concern and the outcome sought
    outcome_sought: str = ""
    impact_note: str = ""  # a satisfied row: the sentence on what changed for the child
    actions: list[dict[str, str]] = field(default_factory=list)  # and the actions agreed
    follows: str = ""  # a raised row: the alert whose change did not last


@dataclass
class ImportResult:
    alerts: int = 0
    events: int = 0
    derived: int = 0
    rows: int = 0
    children_created: list[str] = field(default_factory=list)
    #: The first WARNINGS_KEPT warnings, by line.
    warnings: list[Problem] = field(default_factory=list)
    warning_counts: Counter = field(default_factory=Counter)
    import_id: str = ""
    dry_run: bool = False
    #: Sentences about unfinished imports this one rolled back before it began.
    rolled_back: list[str] = field(default_factory=list)

    @property
    def warnings_total(self) -> int:
        return sum(self.warning_counts.values())

    def summary(self) -> list[str]:
        """What happened, in sentences (the command prints these; the page shows them)."""
        verb = "Would import" if self.dry_run else "Imported"
        lines = [f"{verb} {self.events:,} events on {self.alerts:,} alerts from {self.rows:,} "
                 f"rows; the rules {'would add' if self.dry_run else 'added'} "
                 f"{self.derived:,} events of their own."]
        if self.children_created:
            shown = ", ".join(self.children_created[:20])
            more = len(self.children_created) - 20
            lines.append(f"{'Would create' if self.dry_run else 'Created'} "
                         f"{len(self.children_created):,} children not in the store before: "
                         f"{shown}{f' and {more:,} more' if more > 0 else ''}. "
                         "Complete their details.")
        if self.warnings_total:
            parts = [f"{n:,} {WARNING_WORDS.get(kind, kind)}"
                     for kind, n in sorted(self.warning_counts.items())]
            lines.append(f"{self.warnings_total:,} warning"
                         f"{'' if self.warnings_total == 1 else 's'}: " + "; ".join(parts) + ".")
        else:
            lines.append("No warnings.")
        if self.dry_run:
            lines.append("This was a dry run: nothing was written.")
        return [*self.rolled_back, *lines]


# ---------------------------------------------------------------------------- dates


def _parse_date(text: str, date_format: str) -> dt.date | None:
    """``YYYY-MM-DD`` (and ``DD/MM/YYYY`` when the map says so), strictly; else None."""
    try:
        if _ISO.match(text):
            return dt.date.fromisoformat(text)
        uk = _UK.match(text) if date_format == "DD/MM/YYYY" else None
        if uk:
            return dt.date(int(uk.group(3)), int(uk.group(2)), int(uk.group(1)))
    except ValueError:
        return None
    return None


def _example(date_format: str) -> str:
    return "DD/MM/YYYY, for example 21/12/2026" if date_format == "DD/MM/YYYY" else \
        "YYYY-MM-DD, for example 2026-12-21"


# ---------------------------------------------------------------------------- the import


@dataclass
class _Import:
    store: Store  # the store, with the policy as an import sees it (rules.legacy)
    real_policy_categories: dict[str, tuple[str, ...]]
    as_of: dt.date | None
    column_map: ColumnMap | None
    file_name: str
    on_warning: Callable[[Problem], None] | None
    actor_id: int | None
    problems: ProblemList = field(default_factory=ProblemList)
    result: ImportResult = field(default_factory=ImportResult)
    latest: dt.date | None = None
    staff: dict[str, dict | None] = field(default_factory=dict)
    sheet: str | None = None
    #: The file has a ``concern`` column: a raised row's concern is there, not in its note
    #: (older files, and the old export, wrote the concern, or the gate record, as the note).
    concern_column: bool = False
    #: The alerts whose rows have been played so far, in file order (a new alert may follow
    #: only one of these).
    played: set[str] = field(default_factory=set)

    @property
    def date_format(self) -> str:
        return self.column_map.date_format if self.column_map else "YYYY-MM-DD"

    def problem(self, line: int, column: str, message: str) -> None:
        self.problems.add(Problem(line, column, message))

    def warn(self, kind: str, line: int, column: str, message: str) -> None:
        warning = Problem(line, column, message)
        self.result.warning_counts[kind] += 1
        if len(self.result.warnings) < WARNINGS_KEPT:
            self.result.warnings.append(warning)
        if self.on_warning is not None:
            self.on_warning(warning)


def import_events(
    store: Store,
    source: str | ImportFile,
    *,
    as_of: dt.date | None = None,
    column_map: ColumnMap | None = None,
    sheet: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    on_warning: Callable[[Problem], None] | None = None,
    actor_id: int | None = None,
    on_wait: Callable[[], None] | None = None,
) -> ImportResult:
    """Append the histories in ``source`` (CSV text, or a file); all of them or none.

    ``as_of`` is today (or the date the operator gives): a row dated after it is refused.
    ``sheet`` names the sheet of an Excel workbook (else the map's, else the first).
    With ``dry_run`` everything is checked and played through the rules, then rolled back.
    Raises ImportRefused listing every problem (up to a limit), or FileRefused when the
    file cannot be read at all.
    """
    file = ImportFile.from_text(source) if isinstance(source, str) else source
    if as_of is not None and not EARLIEST_DATE <= as_of <= LATEST_DATE:
        raise UserError(f"The import's date, {as_of.isoformat()}, is out of range.")
    policy = with_not_recorded(store.policy)
    ctx = _Import(
        store=replace(store, policy=policy),
        real_policy_categories={t: tuple(c.id for c in store.policy.track(t).categories)
                                for t in store.policy.tracks},
        as_of=as_of, column_map=column_map, file_name=file.name, on_warning=on_warning,
        actor_id=actor_id, sheet=sheet or (column_map.sheet if column_map else None),
    )
    ctx.result.dry_run = dry_run

    def step(stage: str) -> Callable[[int, int | None], None] | None:
        if progress is None:
            return None
        return lambda done, total: progress(stage, done, total)

    with Staging() as staging:
        _read(ctx, file, staging, step("check"))
        if ctx.problems.full:
            raise ctx.problems.refusal()
        if not ctx.result.rows and not ctx.problems:
            ctx.problem(1, "", "the file has a header but no rows to import.")
        if staging.rows == 0:
            raise ctx.problems.refusal()
        ctx.result.import_id = file.sha256()[:16]
        with import_turn(store, on_wait=on_wait):
            if not dry_run:
                ctx.result.rolled_back = [r.sentence() for r in roll_back_unfinished(
                    store, as_of=ctx.as_of or EARLIEST_DATE, actor_id=actor_id)]
            live = ctx.store
            with private_copy(live) as copy:
                ctx.store = copy
                _rehearse(ctx, staging, step("rehearse" if not dry_run else "apply"))
            ctx.store = live
            if not dry_run:
                _apply_in_chunks(ctx, staging, step("apply"))
    return ctx.result


def _read(ctx: _Import, file: ImportFile, staging: Staging,
          progress: Callable[[int, int | None], None] | None) -> None:
    """Pass one: read every row, check it on its own, and stage the good ones."""
    column_map = ctx.column_map
    with Spreadsheet(file, progress, column_map.header_row if column_map else None) as book:
        sheet = book.sheet(ctx.sheet)
        columns = MAP_COLUMNS if column_map else COLUMNS
        where, header_problems = layout(sheet.header, columns, REQUIRED, column_map,
                                        all_required_without_map=True, optional=OPTIONAL)
        ctx.concern_column = where.positions.get("concern") is not None
        for message in header_problems:
            ctx.problem(sheet.header_line, "", message)
        if header_problems:
            raise ctx.problems.refusal()
        for cells in sheet.rows():
            ctx.result.rows += 1
            values = {c: restored_cell(where.value(c, cells.values)) for c in columns}
            for position, message in cells.problems:
                ctx.problem(cells.line, where.column_of(position, sheet.header), message)
            row = _check_row(ctx, cells.line, values, bad_cells=bool(cells.problems))
            if row is None:
                staging.mark_broken(values["alert"])
            else:
                staging.add(_staged(row))
            if ctx.problems.full:
                ctx.problems.more = True
                return


def restored_cell(text: str) -> str:
    """A cell as it was before an export made it inert: one leading apostrophe taken off
    when a formula character (or another apostrophe) follows it; anything else unchanged.

    ``export-events`` writes ``=SUM(A1)`` as ``'=SUM(A1)`` so that a spreadsheet shows it
    as text; reading it back must give the note that was written, not one with an
    apostrophe added (``usecases.export_alerts.import_cell`` is the other half).
    """
    if text.startswith(INERT_MARK) and text[1:2] and text[1] in (*FORMULA_STARTS, INERT_MARK):
        return text[1:]
    return text


def _check_row(ctx: _Import, line: int, v: dict[str, str], bad_cells: bool) -> Row | None:
    policy = ctx.store.policy
    before = len(ctx.problems)
    warnings: list[tuple[str, str, str]] = []

    def need(column: str, what: str) -> None:
        if not v.get(column):
            ctx.problem(line, column, f"{what} is missing.")
        elif len(v[column]) > MAX_REF_CHARS:
            ctx.problem(line, column, f"{what} is {len(v[column])} characters long; the "
                                      f"longest allowed is {MAX_REF_CHARS}.")

    need("alert", "the alert reference")
    need("child", "the child's case reference")
    track = v.get("track", "")
    # A map may leave the track to the child's legal status (checked in pass two).
    if (ctx.column_map is None or track) and track not in policy.tracks:
        ctx.problem(line, "track", f"'{track}' is not a track of {policy.id}: use "
                                   f"{' or '.join(policy.tracks)}.")
    day = _check_date(ctx, line, "date", v.get("date", ""))
    if day is not None and ctx.as_of is not None and day > ctx.as_of:
        ctx.problem(line, "date", f"{uk_date(day)} is after {uk_date(ctx.as_of)}, the date of "
                                  "this import: a history cannot hold events yet to happen.")
    event = v.get("event", "")
    if event not in EVENTS:
        ctx.problem(line, "event", f"'{event}' is not an event this import knows. "
                                   f"Use one of: {', '.join(EVENTS)}.")
    outcome = v.get("outcome", "")
    if event == "responded" and outcome not in OUTCOMES:
        ctx.problem(line, "outcome", f"'{outcome}' is not an outcome. Use one of: "
                                     f"{', '.join(OUTCOMES)}.")
    if event == "satisfied" and outcome and outcome not in IMPACTS:
        ctx.problem(line, "outcome", f"'{outcome}' is not a difference for the child that a "
                                     "resolved alert can record. Use one of: "
                                     f"{', '.join(IMPACTS)}, or leave it empty when the "
                                     "record does not say.")
    if event == FOLLOWED_UP_KIND and outcome not in SUSTAINED:
        ctx.problem(line, "outcome", (f"'{outcome}' is not an answer to a follow-up" if outcome
                                      else "a follow-up needs its answer")
                    + ": say whether the change for the child lasted, with one of: "
                    f"{', '.join(SUSTAINED)}.")
    impact_note, actions, follows = _check_impact_cells(ctx, line, event, v, day)
    until = None
    if v.get("until"):
        until = _check_date(ctx, line, "until", v["until"])
        if until is not None and day is not None and until > day + dt.timedelta(MAX_UNTIL_DAYS):
            ctx.problem(line, "until", f"{uk_date(until)} is more than a year after the row's "
                                       f"date ({uk_date(day)}); check the year.")
    elif event == "extension_requested":
        ctx.problem(line, "until", "a request for more time needs the date asked for.")
    by = _check_by(ctx, line, v.get("by", ""))
    level = v.get("level", "")
    category = v.get("category", "")
    if track in policy.tracks:
        level, category = _check_track_fields(ctx, line, track, event, level, category,
                                              v.get("alert", ""), warnings)
    gate = None if ctx.column_map is None else v.get("gate", "")
    if len(ctx.problems) > before or day is None or bad_cells:
        return None
    for kind, column, message in warnings:
        ctx.warn(kind, line, column, message)
    if ctx.latest is None or day > ctx.latest:
        ctx.latest = day
    return Row(line=line, alert=v["alert"], child=v["child"], track=track, date=day,
               event=event, level=level, outcome=outcome, by=by, until=until,
               note=v.get("note", ""), category=category, gate=gate,
               concern=v.get("concern", ""), outcome_sought=v.get("outcome_sought", ""),
               impact_note=impact_note, actions=actions, follows=follows)


def _check_impact_cells(ctx: _Import, line: int, event: str, v: dict[str, str],
                        day: dt.date | None) -> tuple[str, list[dict[str, str]], str]:
    """A row's ``impact_note``, ``actions`` (parsed) and ``follows``: each only where it
    belongs (a resolution; a new alert), the actions in their written form."""
    impact_note, text, follows = v.get("impact_note", ""), v.get("actions", ""), \
        v.get("follows", "")
    known = event in EVENTS  # an unknown event is reported once, as that
    if impact_note and known and event != "satisfied":
        ctx.problem(line, "impact_note", "the sentence on what changed for the child belongs "
                                         f"on the alert's satisfied row, not on a '{event}' "
                                         "row.")
    actions: list[dict[str, str]] = []
    if text and known and event != "satisfied":
        ctx.problem(line, "actions", "the actions agreed belong on the alert's satisfied row, "
                                     f"not on a '{event}' row.")
    elif text and event == "satisfied":
        actions, problems = parse_actions(text, ctx.date_format, day)
        for message in problems:
            ctx.problem(line, "actions", message)
    if follows and known and event != "raised":
        ctx.problem(line, "follows", "only a raised row can follow an earlier alert, not a "
                                     f"'{event}' row.")
    elif len(follows) > MAX_REF_CHARS:
        ctx.problem(line, "follows", f"the alert it follows is {len(follows)} characters "
                                     f"long; the longest allowed is {MAX_REF_CHARS}.")
    return impact_note, actions, follows


def actions_text(actions: list[dict[str, str]]) -> str:
    """The actions agreed on resolving, as the ``actions`` cell writes them: each
    ``YYYY-MM-DD: what was agreed``, separated by ``; `` (a semicolon in the words is
    written twice). :func:`parse_actions` reads it back exactly."""
    return "; ".join(f"{a['by']}: {a['action'].replace(';', ';;')}" for a in actions)


def _action_parts(text: str) -> list[str]:
    """The cell cut at each single semicolon; a doubled one is a semicolon in the words."""
    parts, current, i = [], [], 0
    while i < len(text):
        if text[i] == ACTION_SEPARATOR:
            if text[i + 1:i + 2] == ACTION_SEPARATOR:
                current.append(ACTION_SEPARATOR)
                i += 2
                continue
            parts.append("".join(current))
            current = []
        else:
            current.append(text[i])
        i += 1
    parts.append("".join(current))
    return parts


def parse_actions(text: str, date_format: str = "YYYY-MM-DD", resolved_on: dt.date | None = None,
                  ) -> tuple[list[dict[str, str]], list[str]]:
    """The ``actions`` cell read strictly: the actions (``{"action", "by"}``, as a
    resolution's event keeps them) and what is wrong, in sentences (empty when all is well).

    Each action is its date, a colon and its words (``2026-12-07: Visits booked``); actions
    are separated by ``;``, and a semicolon inside an action's words is written ``;;``.
    """
    how = (f"write each action as its date ({_example(date_format)}), a colon and what was "
           "agreed, and separate actions with ';' (a ';' in an action's words is written "
           "';;').")
    parts = _action_parts(text)
    problems: list[str] = []
    if len(parts) > MAX_ACTIONS:
        problems.append(f"{len(parts)} actions are given; a resolution records at most "
                        f"{MAX_ACTIONS} (the rest belong in the plan itself).")
        return [], problems
    actions: list[dict[str, str]] = []
    for n, part in enumerate(parts, start=1):
        where = f"action {n}" if len(parts) > 1 else "the action"
        part = part.strip()
        if not part:
            problems.append(f"{where} is empty (two separators together, or one at the "
                            f"end): {how}")
            continue
        written, colon, words = part.partition(":")
        by = _parse_date(written.strip(), date_format)
        words = words.strip()
        if not colon:
            problems.append(f"{where}, '{_clip(part)}', does not begin with a date and a colon: "
                            f"{how}")
        elif by is None:
            problems.append(f"{where} begins with '{_clip(written.strip())}', which is not a "
                            f"date: {how}")
        elif not words:
            problems.append(f"{where} has a date but no words: say what was agreed.")
        elif len(words) > MAX_ACTION_CHARS:
            problems.append(f"{where} is {len(words)} characters long; the longest allowed is "
                            f"{MAX_ACTION_CHARS} (the detail belongs in the plan).")
        elif not EARLIEST_DATE <= by <= LATEST_DATE:
            problems.append(f"{where} is dated {uk_date(by)}, outside the years this import "
                            f"takes ({EARLIEST_DATE.year} to {LATEST_DATE.year}); check the "
                            "year.")
        elif resolved_on is not None and abs((by - resolved_on).days) > MAX_ACTION_DAYS:
            problems.append(f"{where} is dated {uk_date(by)}, more than two years from the "
                            f"row's date ({uk_date(resolved_on)}); check the year.")
        else:
            actions.append({"action": words, "by": by.isoformat()})
    return ([] if problems else actions), problems


def _clip(text: str, most: int = 40) -> str:
    return text if len(text) <= most else text[:most - 1] + "…"


def _check_date(ctx: _Import, line: int, column: str, text: str) -> dt.date | None:
    day = _parse_date(text, ctx.date_format)
    if day is None:
        ctx.problem(line, column, f"'{text}' is not a date: write it as "
                                  f"{_example(ctx.date_format)}.")
        return None
    if day < EARLIEST_DATE:
        ctx.problem(line, column, f"'{text}' is before {uk_date(EARLIEST_DATE)}, earlier "
                                  "than any record this import takes; check the year.")
        return None
    if day > LATEST_DATE:
        ctx.problem(line, column, f"'{text}' is after {uk_date(LATEST_DATE)}, later than "
                                  "the working-day calendar reaches; check the year.")
        return None
    return day


def _check_by(ctx: _Import, line: int, by: str) -> str:
    if not by or by in ROLES or "@" in by:
        return by
    for slug, name in ROLES.items():
        if fold(name) == fold(by):
            return slug
    ctx.problem(line, "by", f"'{by}' is neither a role (such as iro or service_manager) nor a "
                            "staff e-mail address.")
    return by


def _check_track_fields(ctx: _Import, line: int, track_id: str, event: str, level: str,
                        category: str, alert: str,
                        warnings: list[tuple[str, str, str]]) -> tuple[str, str]:
    """The level and category of a row, which depend on its track; (level, category id)."""
    track = ctx.store.policy.track(track_id)
    if event in ("raised", "escalated"):
        ladder = track.roles_on_ladder
        allowed = ((INFORMAL,) if event == "raised" else ()) + ladder
        if level not in allowed:
            ctx.problem(line, "level", f"'{level}' is not a level of the {track_id} ladder. "
                                       f"Use one of: {', '.join(allowed)}.")
    if event != "raised":
        return level, category
    if not category or fold(category) in (NOT_RECORDED, fold(NOT_RECORDED_LABEL)):
        warnings.append((CATEGORY_WARNING, "category",
                         f"no concern category recorded; alert {alert} is imported under "
                         f"'{NOT_RECORDED_LABEL}'."))
        return level, NOT_RECORDED
    for found in track.categories:
        if category == found.id or fold(category) == fold(found.label):
            return level, found.id
    own = ctx.real_policy_categories.get(track_id, ())
    ctx.problem(line, "category", f"'{category}' is not a concern category of the {track_id} "
                                  f"track. Use one of: {', '.join(own)}.")
    return level, category


def _rehearse(ctx: _Import, staging: Staging,
              progress: Callable[[int, int | None], None] | None) -> None:
    """Pass two, on a private copy of the store: play every alert's rows through the rules
    and collect every problem (up to the limit). Nothing here touches the store itself."""
    total = staging.good_rows()
    done = 0
    with write_transaction(ctx.store.db):
        for ref, records in staging.alerts():
            rows = [_row(r) for r in records]
            _import_alert(ctx, ref, rows)
            done += len(rows)
            if progress is not None:
                progress(done, total)
            if ctx.problems.full:
                ctx.problems.more = True
                break
        if ctx.problems:
            raise ctx.problems.refusal()


def _apply_in_chunks(ctx: _Import, staging: Staging,
                     progress: Callable[[int, int | None], None] | None) -> None:
    """Pass three, on the store: the rehearsed rows again, a chunk of whole alerts per short
    transaction (``usecases.import_runs``), then the event that says the import is done.

    Counts come from this pass; warnings from the rehearsal (the same rows give the same
    warnings, and the person has already been told them). A chunk the store now refuses
    (it changed since the rehearsal) rolls back every chunk before it, by the import id.
    """
    rehearsed = ctx.result
    ctx.result = ImportResult(import_id=rehearsed.import_id, rows=rehearsed.rows)
    ctx.on_warning = None
    ctx.staff.clear()
    ctx.played.clear()
    db = ctx.store.db
    total = staging.good_rows()
    done = number = 0
    try:
        for chunk in _chunks(staging):
            number += 1
            with write_transaction(db):
                marks, messages = high_water(db), message_marks(db)
                for ref, rows in chunk:
                    _import_alert(ctx, ref, rows)
                if ctx.problems:
                    raise ctx.problems.refusal()
                discard_messages_since(db, messages)
                span, alerts, children = created_since(db, marks)
                rows_done = sum(len(rows) for _, rows in chunk)
                append_event(
                    db, kind=CHUNK_KIND, occurred_on=ctx.as_of or ctx.latest or EARLIEST_DATE,
                    actor_id=ctx.actor_id, actor_role="admin",
                    data=chunk_data(ctx.result.import_id, ctx.file_name, number, rows_done,
                                    span, alerts, children),
                    reason=f"Part {number} of the import of {ctx.file_name}: {rows_done:,} rows.")
            done += rows_done
            if progress is not None:
                progress(done, total)
            let_others_in()
    except ImportRefused as refused:
        _roll_back_after(ctx, refused)
    except BaseException:
        _roll_back_after(ctx, None)
        raise
    result = ctx.result
    result.warnings, result.warning_counts = rehearsed.warnings, rehearsed.warning_counts
    result.rolled_back = rehearsed.rolled_back
    with write_transaction(db):
        append_event(
            db, kind=DONE_KIND, occurred_on=ctx.as_of or ctx.latest or EARLIEST_DATE,
            actor_id=ctx.actor_id, actor_role="admin",
            data={"import_id": result.import_id, "file": ctx.file_name, "rows": result.rows,
                  "alerts": result.alerts, "events": result.events, "derived": result.derived,
                  "children_created": len(result.children_created), "chunks": number,
                  "warnings": dict(result.warning_counts)},
            reason=f"Alert histories imported from {ctx.file_name}: {result.rows:,} rows, "
                   f"{result.alerts:,} alerts, {result.events:,} events; "
                   f"{result.warnings_total:,} warnings.")


def _chunks(staging: Staging) -> Iterator[list[tuple[str, list[Row]]]]:
    """Whole alerts, about CHUNK_ROWS rows at a time (an alert longer than that alone)."""
    chunk: list[tuple[str, list[Row]]] = []
    size = 0
    for ref, records in staging.alerts():
        rows = [_row(r) for r in records]
        if chunk and size + len(rows) > CHUNK_ROWS:
            yield chunk
            chunk, size = [], 0
        chunk.append((ref, rows))
        size += len(rows)
    if chunk:
        yield chunk


def _roll_back_after(ctx: _Import, refused: ImportRefused | None) -> None:
    """A chunk failed: undo the chunks already written, then say why, plainly."""
    undone = roll_back_unfinished(ctx.store, as_of=ctx.as_of or EARLIEST_DATE,
                                  actor_id=ctx.actor_id, import_id=ctx.result.import_id,
                                  why="the store changed while it ran." if refused else
                                  "it stopped with an error.")
    if refused is not None:
        raise ImportRefused(
            refused.problems, refused.more,
            head="Nothing was imported: the store changed while the file was being imported"
                 + (", and what was already written has been rolled back" if undone else "")
                 + ". Check these and import again.") from None


def _staged(row: Row) -> dict:
    """A checked row as the scratch file keeps it (``db.import_staging.FIELDS``; the
    agreed actions as JSON)."""
    return {**vars(row), "date": row.date.isoformat(),
            "until": row.until.isoformat() if row.until else None,
            "actions": json.dumps(row.actions)}


def _row(record: dict) -> Row:
    return Row(line=record["line"], alert=record["alert"], child=record["child"],
               track=record["track"], date=dt.date.fromisoformat(record["date"]),
               event=record["event"], level=record["level"], outcome=record["outcome"],
               by=record["by"],
               until=dt.date.fromisoformat(record["until"]) if record["until"] else None,
               note=record["note"], category=record["category"], gate=record["gate"],
               concern=record.get("concern") or "",
               outcome_sought=record.get("outcome_sought") or "",
               impact_note=record.get("impact_note") or "",
               actions=json.loads(record.get("actions") or "[]"),
               follows=record.get("follows") or "")


def _alert_track(ctx: _Import, ref: str, rows: list[Row], existing, child: dict | None) -> str:
    """The alert's track, and whether the rows agree with each other and with the store."""
    first = rows[0]
    policy = ctx.store.policy
    track = first.track or (existing.track if existing else "") or (
        STATUS_TRACK[child["legal_status"]] if child else "")
    before = len(ctx.problems)
    for row in rows[1:]:
        if row.child != first.child:
            ctx.problem(row.line, "child", f"alert {ref} is for child {first.child} (line "
                                           f"{first.line}), not {row.child}.")
        if row.track and row.track != track:
            ctx.problem(row.line, "track", f"alert {ref} is on the {track} track (line "
                                           f"{first.line}), not {row.track}.")
    if existing is not None:
        if existing.child_ref != first.child:
            ctx.problem(first.line, "child", f"alert {ref} is already in the store, for child "
                                             f"{existing.child_ref}, not {first.child}.")
        elif existing.track != track:
            ctx.problem(first.line, "track", f"alert {ref} is already in the store on the "
                                             f"{existing.track} track, not {track}.")
    elif not track:
        ctx.problem(first.line, "track", f"say which track alert {ref} is on: child "
                                         f"{first.child} is not in the store, so its legal "
                                         "status cannot tell.")
    elif child is not None and TRACK_STATUS[track] != child["legal_status"]:
        expected = STATUS_TRACK[child["legal_status"]]
        ctx.problem(first.line, "track", f"child {first.child} is "
                                         f"{STATUS_WORDS[child['legal_status']]}, so alert {ref} "
                                         f"belongs on the {expected} track, not {track}.")
    if track and track not in policy.tracks and len(ctx.problems) == before:
        ctx.problem(first.line, "track", f"child {first.child} is "
                                         f"{STATUS_WORDS[TRACK_STATUS[track]]}, but {policy.id} "
                                         f"has no {track} track for alert {ref}.")
    return track if len(ctx.problems) == before else ""


def _import_alert(ctx: _Import, ref: str, rows: list[Row]) -> None:
    store = ctx.store
    existing = alert_by_ref(store.db, ref)
    child = child_by_ref(store.db, rows[0].child)
    track = _alert_track(ctx, ref, rows, existing, child)
    ctx.played.add(ref)
    if not track:
        return
    before = len(ctx.problems)
    for row in rows:
        if not row.track:  # its level and category could not be checked without the track
            warnings: list[tuple[str, str, str]] = []
            row.level, row.category = _check_track_fields(
                ctx, row.line, track, row.event, row.level, row.category, ref, warnings)
            for kind, column, message in warnings:
                ctx.warn(kind, row.line, column, message)
            row.track = track
    if len(ctx.problems) > before:
        return
    state = AlertState.from_json(existing.state) if existing else None
    child_id = existing.child_id if existing else (
        child["id"] if child else _create_child(ctx, rows[0], track))
    ctx.result.alerts += 1
    for row in rows:
        if state is None and row.event != "raised":
            ctx.problem(row.line, "event", f"alert {ref} must start with a 'raised' row, not "
                                           f"'{row.event}'.")
            return
        # The clock first: the row meets the alert where time has taken it by then.
        now = (AlertState(ref=ref, child=row.child, track=track) if state is None
               else advance(store.policy, store.calendar, state, row.date)[0])
        before = len(ctx.problems)
        role, staff_id = _actor(ctx, row, now)
        if len(ctx.problems) > before:
            return
        if row.event == FOLLOWED_UP_KIND:
            if not _follow_up(ctx, ref, row, role, staff_id, now):
                _unchecked_after(ctx, ref, row, rows)
                return
            ctx.result.events += 1
            continue  # about the child after the alert closed: the alert's state stays
        followed = _followed(ctx, ref, row) if row.follows else None
        if len(ctx.problems) > before:
            _unchecked_after(ctx, ref, row, rows)
            return
        command = _command(ctx, row, role, staff_id, now, followed)
        try:
            if state is None:
                recorded = raise_in_transaction(store, child_id=child_id, child_ref=row.child,
                                                track=track, command=command, ref=ref,
                                                concern=(row.concern if ctx.concern_column
                                                         else row.note),
                                                outcome_sought=row.outcome_sought)
            else:
                recorded = act_in_transaction(store, ref, command)
        except AlertRefused as refused:
            for message in refused.messages:
                ctx.problem(row.line, "event", message)
            _unchecked_after(ctx, ref, row, rows)
            return
        if command.details.get(GATE_FLAG):
            _warn_gate(ctx, row, now, command)
        ctx.result.events += 1
        ctx.result.derived += sum(1 for e in recorded.events if e.rule is not None)
        updated = alert_by_ref(store.db, ref)
        assert updated is not None
        state = AlertState.from_json(updated.state)


def _unchecked_after(ctx: _Import, ref: str, row: Row, rows: list[Row]) -> None:
    if row is not rows[-1]:
        ctx.problem(row.line, "", f"the later rows of alert {ref} were not checked, as they "
                                  "follow this one.")


def _follow_up(ctx: _Import, ref: str, row: Row, role: str, staff_id: int | None,
               now: AlertState) -> bool:
    """An ``impact_followed_up`` row: whether the change for the child lasted, written as
    the app's follow-up form writes it (``usecases.impact.record_follow_up``), once the
    alert has been resolved as improved or partly improved and not yet followed up. No
    follow-up was asked for (an import never sets ``follow_up_on``): the answer is the
    record's, and lands in ``alert_impacts`` all the same. False, with the problem, if not."""
    store = ctx.store
    alert = alert_by_ref(store.db, ref)
    assert alert is not None
    found = impact_of(store.db, alert.id)
    if found is None:
        ctx.problem(row.line, "event", f"alert {ref} has not been resolved by "
                                       f"{uk_date(row.date)}: a follow-up comes after the "
                                       "alert's satisfied row (an earlier date, or the same "
                                       "date higher up the file).")
        return False
    if found["impact"] not in FOLLOWED_UP:
        ctx.problem(row.line, "event", f"alert {ref} was resolved "
                                       + (f"as '{IMPACT_WORDS[found['impact']].lower()}'"
                                          if found["impact"] else
                                          "without a difference for the child recorded")
                                       + ": only an alert resolved as improved or partly "
                                       "improved is followed up.")
        return False
    if found["sustained"]:
        ctx.problem(row.line, "event", f"the follow-up of alert {ref} was already recorded, "
                                       f"on {uk_date(found['followed_up_on'])}: an alert is "
                                       "followed up once.")
        return False
    if row.date < dt.date.fromisoformat(found["resolved_on"]):
        ctx.problem(row.line, "date", f"the follow-up cannot be before alert {ref} was "
                                      f"resolved ({uk_date(found['resolved_on'])}).")
        return False
    under = store_under(store, alert_version(store, alert.id))
    event = followed_up(now.track, ref, row.outcome, row.date,
                        data={"note": row.note, "import_id": ctx.result.import_id,
                              "import_line": row.line},
                        actor_role=role, actor_id=staff_id)
    write_events(under, [event], child_id=alert.child_id, alert_id=alert.id,
                 alert_states=[now])
    return True


def _followed(ctx: _Import, ref: str, row: Row) -> AlertRow | None:
    """The alert a ``raised`` row's ``follows`` names, checked as the app's raise form
    checks it (``usecases.impact.alert_to_follow``): this child's, its change recorded as
    not lasting by the new alert's date. It must also be higher up the same file: rolling
    an unfinished import back puts right only the alerts the import wrote to, so a link
    to an alert the file does not hold could outlive the alert that made it."""
    followed = alert_by_ref(ctx.store.db, row.follows) if row.follows in ctx.played else None
    if followed is None or row.follows == ref:
        ctx.problem(row.line, "follows", f"alert {row.follows} is not higher up this file: a "
                                         "new alert can follow only an alert imported with "
                                         "it, above it in the file.")
        return None
    if followed.child_ref != row.child:
        ctx.problem(row.line, "follows", f"alert {followed.ref} is about child "
                                         f"{followed.child_ref}, not {row.child}: a new alert "
                                         "can follow only an alert about the same child.")
        return None
    found = impact_of(ctx.store.db, followed.id)
    if (found is None or found["sustained"] != "not_sustained"
            or dt.date.fromisoformat(found["followed_up_on"]) > row.date):
        ctx.problem(row.line, "follows", f"alert {followed.ref}'s change for the child was "
                                         f"not recorded as not lasting by {uk_date(row.date)} "
                                         f"(an {FOLLOWED_UP_KIND} row with not_sustained), so "
                                         "this alert cannot follow it.")
        return None
    return followed


def _actor(ctx: _Import, row: Row, now: AlertState) -> tuple[str, int | None]:
    """The role (and staff id) behind a row; an empty ``by`` means whoever the alert is
    waiting for on the row's date, the clock having run up to it."""
    if "@" in row.by:
        key = row.by.lower()
        if key not in ctx.staff:
            ctx.staff[key] = staff_by_email(ctx.store.db, row.by)
        person = ctx.staff[key]
        if person is None:
            ctx.problem(row.line, "by", f"no member of staff has the e-mail address {row.by}.")
            return "", None
        return person["role"], person["id"]
    if row.by:
        return row.by, None
    track = ctx.store.policy.track(now.track)
    if row.event in REVIEWER_EVENTS:
        return track.raised_by[0], None
    if now.awaiting not in ("", "iro"):
        return now.awaiting, None
    if now.level == INFORMAL and now.raised_on is not None:
        return informal_addressee(track), None
    return "", None


def _command(ctx: _Import, row: Row, role: str, staff_id: int | None,
             now: AlertState, followed: AlertRow | None = None) -> Command:
    """The row as the command the screens would give the rules.

    A ``satisfied`` row's ``outcome`` is the difference resolving made for the child
    (``rules.impact.IMPACTS``), kept as the event's ``impact`` as the app's own form keeps
    it; its ``note`` stays the note. No ``follow_up_on`` is set, so the sweep never asks
    whether the change lasted: an imported history is the past, and asking reviewers to
    follow up alerts closed years ago would bury today's follow-ups in their lists. Its
    ``impact_note`` and ``actions`` are kept as the form keeps them; a ``raised`` row's
    ``follows`` names the alert (checked by :func:`_followed`) as the raise form does.
    """
    details: dict = {"import_id": ctx.result.import_id, "import_line": row.line}
    if row.event == "satisfied":
        if row.outcome:
            details["impact"] = row.outcome
        if row.impact_note:
            details["impact_note"] = row.impact_note
        if row.actions:
            details["actions"] = row.actions
    if followed is not None:
        details.update(follows=followed.ref, follows_alert_id=followed.id)
    gate = ""
    if row.event in ("raised", "escalated"):
        text = row.note if row.gate is None else row.gate
        if text and fold(text) not in _NOT_RECORDED_NOTES:
            gate = text
        else:
            probe = Command(kind=row.event, on=row.date, actor_role=role, level=row.level)
            if gates_needed(ctx.store.policy, ctx.store.calendar, now, probe):
                gate = GATE_NOT_RECORDED
                details[GATE_FLAG] = True
    return Command(
        kind=row.event, on=row.date, actor_role=role, actor_id=staff_id, level=row.level,
        outcome=row.outcome, until=row.until, note=row.note, gate=gate,
        emergency=gate.lower().startswith("emergency"), category=row.category, details=details,
    )


def _warn_gate(ctx: _Import, row: Row, now: AlertState, command: Command) -> None:
    policy = ctx.store.policy
    gates = gates_needed(policy, ctx.store.calendar, now, replace(command, gate=""))
    who = " or ".join(dict.fromkeys(role_name(r) for g in gates for r in g.consult))
    target = level_name(policy.track(now.track), row.level)
    column = "note" if row.gate is None else (
        "gate" if ctx.column_map is not None and "gate" in ctx.column_map.columns else "")
    ctx.warn(GATE_WARNING, row.line, column,
             f"no record that {who} was consulted before {target}, as {policy.id} asks; "
             f"alert {row.alert} is imported with this step flagged 'gate not recorded'.")


def _create_child(ctx: _Import, row: Row, track: str) -> int:
    db = ctx.store.db
    ctx.result.children_created.append(row.child)
    child_id = insert_child(db, case_ref=row.child, name=row.child, date_of_birth=None,
                            legal_status=TRACK_STATUS[track], team_id=None,
                            social_worker_id=None, reviewer_id=None)
    append_event(db, kind="child_added", occurred_on=row.date, actor_role="admin",
                 actor_id=ctx.actor_id, child_id=child_id,
                 data={"import_id": ctx.result.import_id, "import_line": row.line,
                       "case_ref": row.child, "name": row.child, "date_of_birth": None,
                       "legal_status": TRACK_STATUS[track], "team_id": None,
                       "social_worker_id": None, "reviewer_id": None},
                 reason=f"Child {row.child} added by an import of alert histories (line "
                        f"{row.line}); name and details to be completed.")
    return child_id


# ---------------------------------------------------------------------------- for pages


@dataclass(frozen=True)
class GateNotRecorded:
    """A formal step imported without a record of the consultation its policy asks for."""

    on: dt.date
    kind: str  # raised or escalated
    level: str
    level_name: str
    import_line: int | None


def gates_not_recorded(store: Store, ref: str) -> list[GateNotRecorded]:
    """The steps of alert ``ref`` whose gate was not recorded (empty for almost every
    alert). Ask only about an alert the person has already been allowed to see."""
    row = alert_by_ref(store.db, ref.strip())
    if row is None:
        return []
    track = store.policy.track(row.track)
    found = []
    for event in flagged_events(store.db, row.id, GATE_FLAG):
        data = json.loads(event["data"])
        level = data.get("level", "")
        found.append(GateNotRecorded(
            on=dt.date.fromisoformat(event["occurred_on"]), kind=event["kind"], level=level,
            level_name=level_name(track, level) if level else "",
            import_line=data.get("import_line")))
    return found


def alerts_with_gate_not_recorded(store: Store, user: SignedInUser) -> list[dict]:
    """Every alert imported with a step flagged 'gate not recorded' (the administrator's
    import report): reference, child's case reference, track and status."""
    _require_admin(user, "The import report")
    return alerts_with_flag(store.db, GATE_FLAG)


def _require_admin(user: SignedInUser, what: str) -> None:
    if user.role != "admin":
        raise UserError(f"{what} is for the system administrator.")


def read_map(path: str) -> ColumnMap:
    """The map file at ``path`` (``--map``), checked; MapInvalid lists every problem."""
    return read_map_file(path, MAP_COLUMNS, VALUE_COLUMNS)


def map_from_text(text: str, name: str = "the map") -> ColumnMap:
    return parse_map(text, name, MAP_COLUMNS, VALUE_COLUMNS)


def saved_map(store: Store) -> ColumnMap | None:
    """The mapping saved in the app's mapping step, if any."""
    text = get_setting(store.db, MAP_SETTING)
    return map_from_text(text, "the saved mapping") if text else None


def save_map(store: Store, user: SignedInUser, column_map: ColumnMap, *,
             as_of: dt.date) -> None:
    """Keep ``column_map`` for the next import (one per store); the administrator only."""
    _require_admin(user, "Saving an import mapping")
    with write_transaction(store.db):
        set_setting(store.db, MAP_SETTING, column_map.to_yaml())
        append_event(store.db, kind="import_map_saved", occurred_on=as_of,
                     actor_id=user.staff_id, actor_role="admin",
                     data={"yaml": column_map.to_yaml()},
                     reason=f"{user.name} saved the column mapping for importing alert "
                            "histories.")


def sheets_of(file: ImportFile) -> list[str]:
    """The sheets of an Excel workbook (a CSV file has one, named after the file)."""
    with Spreadsheet(file) as book:
        return list(book.sheet_names)


@dataclass(frozen=True)
class Outline:
    """What the mapping step shows of a file: its sheets, headings and some of its words."""

    sheets: list[str]
    sheet: str
    header: list[str]
    samples: dict[str, list[str]]
    rows: int


def outline(file: ImportFile, *, sheet: str | None = None, header_row: int | None = None,
            words: int = 40, progress: Callable[[int, int | None], None] | None = None,
            ) -> Outline:
    """Read the file once for its headings and up to ``words`` distinct values of each
    (flat memory: the rest of each column is only counted)."""
    with Spreadsheet(file, progress, header_row) as book:
        found = book.sheet(sheet)
        samples: dict[str, dict[str, None]] = {h: {} for h in found.header if h}
        rows = 0
        for cells in found.rows():
            rows += 1
            for heading, value in zip(found.header, cells.values, strict=False):
                bucket = samples.get(heading)
                if bucket is not None and value and len(bucket) < words:
                    bucket.setdefault(value[:80], None)
        return Outline(sheets=list(book.sheet_names), sheet=found.name, header=found.header,
                       samples={h: list(v) for h, v in samples.items()}, rows=rows)
