"""Importing an authority's teams, staff and children: checked whole, then all or nothing.

One Excel workbook with sheets ``teams``, ``staff`` and ``children`` (any of them), or one
CSV file of one kind. Rows are matched by team name, staff e-mail address and child's case
reference: new ones are added, known ones updated where the file differs, and nothing else
is touched (a person or child missing from the file stays as they are). The whole file is
checked first, every problem reported by sheet, line and column; if there is any, nothing
is written. Line managers may come later in the file than the people they manage, and are
resolved once every row is read; a chain of line managers that comes back on itself is
refused.

Every change is an event: a team, member of staff or child added or changed, and, on the
child's chronology, a new reviewer (IRO or CP chair) or social worker. Imported staff have
no password: they sign in through single sign-on, or an administrator sets a password with
``manage.py users set-password``. Re-importing the same file changes nothing and writes
nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from db.connection import write_transaction
from db.events import append_event
from db.people import (
    all_children,
    all_staff,
    all_teams,
    insert_child,
    insert_staff,
    insert_team,
    update_child,
    update_staff,
)
from rules.dates import uk_date
from rules.roles import REVIEWER_ROLES, ROLES, role_name
from usecases.accounts import SignedInUser
from usecases.errors import UserError
from usecases.importing.mapping import fold, layout
from usecases.importing.problems import Problem, ProblemList
from usecases.importing.reader import FileRefused, ImportFile, Spreadsheet
from usecases.store import Store

KINDS = ("teams", "staff", "children")
COLUMNS = {
    "teams": ("name",),
    "staff": ("name", "email", "role", "team", "line_manager_email", "active"),
    "children": ("case_ref", "name", "date_of_birth", "legal_status", "team",
                 "social_worker_email", "reviewer_email"),
}
REQUIRED = {"teams": ("name",), "staff": ("name", "email", "role"),
            "children": ("case_ref", "name", "legal_status")}
LEGAL_STATUSES = {"looked_after": "Looked after", "child_protection": "Child protection plan"}
_STATUS_WORDS = {"looked after": "looked_after", "child protection": "child_protection",
                 "child protection plan": "child_protection"}
STATUS_TRACK = {"looked_after": "iro", "child_protection": "cp"}
#: Who can hold a child's case as their social worker.
CASE_HOLDERS = ("social_worker", "practice_manager", "team_manager")
YES, NO = ("yes", "y", "true"), ("no", "n", "false")
#: The most rows one sheet may hold: far more than any authority's staff or caseload.
MAX_PEOPLE_ROWS = 50_000
EARLIEST_BIRTH = dt.date(1990, 1, 1)
MAX_NAME_CHARS = 200
MAX_REF_CHARS = 64
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UK = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")

#: progress(stage, done, total): "check" while reading, "apply" while writing.
Progress = Callable[[str, int, int | None], None]


@dataclass
class TeamRow:
    line: int
    name: str


@dataclass
class StaffRow:
    line: int
    name: str
    email: str
    role: str
    team: str | None
    manager: str | None
    active: bool
    given: frozenset[str]  # the columns the file has (an absent column changes nothing)


@dataclass
class ChildRow:
    line: int
    case_ref: str
    name: str
    date_of_birth: dt.date | None
    legal_status: str
    team: str | None
    social_worker: str | None
    reviewer: str | None
    given: frozenset[str]


@dataclass
class Change:
    """A known record the file changes: what, where in the file, and each field's before and
    after in words."""

    sheet: str
    line: int
    key: str
    fields: dict[str, tuple[str, str]]

    def __str__(self) -> str:
        parts = "; ".join(f"{name}: {old or '-'} -> {new or '-'}"
                          for name, (old, new) in self.fields.items())
        return f"{self.key} ({self.sheet}, line {self.line}): {parts}"


@dataclass
class PeopleImport:
    """What the file adds and changes (the preview), and after applying, what was done."""

    file_name: str
    teams_added: list[TeamRow] = field(default_factory=list)
    staff_added: list[StaffRow] = field(default_factory=list)
    staff_changed: list[tuple[StaffRow, Change]] = field(default_factory=list)
    children_added: list[ChildRow] = field(default_factory=list)
    children_changed: list[tuple[ChildRow, Change]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    dry_run: bool = True
    applied: bool = False

    @property
    def nothing_to_do(self) -> bool:
        return not (self.teams_added or self.staff_added or self.staff_changed
                    or self.children_added or self.children_changed)

    def counts(self) -> dict[str, int]:
        return {"teams added": len(self.teams_added), "staff added": len(self.staff_added),
                "staff changed": len(self.staff_changed),
                "children added": len(self.children_added),
                "children changed": len(self.children_changed)}

    @property
    def fingerprint(self) -> str:
        """Identifies exactly these changes: applying checks the store still gives them."""
        text = "\n".join([
            *(f"team+{t.name}" for t in self.teams_added),
            *(f"staff+{s.email}|{s.name}|{s.role}|{s.team}|{s.manager}|{s.active}"
              for s in self.staff_added),
            *(f"staff~{c}" for _, c in self.staff_changed),
            *(f"child+{c.case_ref}|{c.name}|{c.date_of_birth}|{c.legal_status}|{c.team}|"
              f"{c.social_worker}|{c.reviewer}" for c in self.children_added),
            *(f"child~{c}" for _, c in self.children_changed),
        ])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def report(self, limit: int = 50) -> list[str]:
        """What would happen (a dry run) or happened, in sentences, with up to ``limit`` of
        each kind of addition and change listed (none with 0)."""
        read = ", ".join(f"{n:,} {kind}" for kind, n in self.rows.items())
        lines = [f"{self.file_name}: read {read or 'no rows'}."]
        if self.nothing_to_do:
            lines.append("Nothing to change: the store already holds what the file says.")
            return lines
        verb = "Added" if self.applied else "Would add"
        change = "Changed" if self.applied else "Would change"
        lines.append(f"{verb} {len(self.teams_added):,} teams, {len(self.staff_added):,} staff "
                     f"and {len(self.children_added):,} children; {change.lower()} "
                     f"{len(self.staff_changed):,} staff and {len(self.children_changed):,} "
                     "children.")
        sections = [
            (f"{verb} teams", [t.name for t in self.teams_added]),
            (f"{verb} staff", [f"{s.name} <{s.email}>, {role_name(s.role)}"
                               for s in self.staff_added]),
            (f"{change} staff", [str(c) for _, c in self.staff_changed]),
            (f"{verb} children", [f"{c.case_ref} {c.name}" for c in self.children_added]),
            (f"{change} children", [str(c) for _, c in self.children_changed]),
        ]
        for title, items in sections if limit else []:
            if items:
                lines.append(f"{title}:")
                lines += [f"  {item}" for item in items[:limit]]
                if len(items) > limit:
                    lines.append(f"  ... and {len(items) - limit:,} more")
        if not self.applied:
            lines.append("This was a dry run: nothing was written.")
        else:
            lines.append("Imported staff have no password: they sign in through single "
                         "sign-on, or an administrator sets one with 'manage.py users "
                         "set-password'.")
        return lines


def require_admin(user: SignedInUser) -> None:
    if user.role != "admin":
        raise UserError("Importing teams, staff and children is for the system administrator.")


# ------------------------------------------------------------------------- reading


@dataclass
class _Read:
    teams: list[TeamRow] = field(default_factory=list)
    staff: list[StaffRow] = field(default_factory=list)
    children: list[ChildRow] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)


def _read(file: ImportFile, kind: str | None, as_of: dt.date, problems: ProblemList,
          progress: Progress | None) -> _Read:
    out = _Read()

    def tick(_done: int, total: int | None) -> None:
        if progress is not None:
            progress("check", _done, total)

    with Spreadsheet(file, tick) as book:
        if book.kind == "csv":
            if kind is None:
                raise FileRefused(f"Say what {file.name} holds: --kind teams, staff or "
                                  "children (an .xlsx workbook names its sheets instead).")
            sheets = [(kind, None)]
        else:
            if kind is not None and book.find_sheet(kind) is None:
                raise FileRefused(f"{file.name} has no sheet called '{kind}'. Its sheets are: "
                                  f"{', '.join(book.sheet_names)}.")
            sheets = [(k, book.find_sheet(k)) for k in KINDS if book.find_sheet(k)
                      and (kind is None or k == kind)]
            unknown = [s for s in book.sheet_names if fold(s) not in KINDS]
            for name in unknown if kind is None else []:
                problems.add(Problem(1, "", f"the sheet '{name}' is not one this import reads "
                                            "(teams, staff, children): rename or remove it.",
                                     sheet=name))
            if not sheets:
                raise FileRefused(f"{file.name} has none of the sheets teams, staff and "
                                  f"children. Its sheets are: {', '.join(book.sheet_names)}.")
        for sheet_kind, sheet_name in sheets:
            sheet = book.sheet(sheet_name)
            where, header_problems = layout(sheet.header, COLUMNS[sheet_kind],
                                            REQUIRED[sheet_kind], None)
            for message in header_problems:
                problems.add(Problem(sheet.header_line, "",
                                     message.replace(" (--map)", "").replace(
                                         ", or describe the spreadsheet's own columns in a "
                                         "map", ""), sheet=sheet_kind))
            if header_problems:
                continue
            given = frozenset(c for c, at in where.positions.items() if at is not None)
            n = 0
            for cells in sheet.rows():
                n += 1
                if n > MAX_PEOPLE_ROWS:
                    raise FileRefused(f"The {sheet_kind} sheet of {file.name} has more than "
                                      f"{MAX_PEOPLE_ROWS:,} rows; split it.")
                values = {c: where.value(c, cells.values) for c in COLUMNS[sheet_kind]}
                for position, message in cells.problems:
                    problems.add(Problem(cells.line, where.column_of(position, sheet.header),
                                         message, sheet=sheet_kind))
                # A row with problems is kept too, so that rows naming it (a line manager,
                # a child's reviewer) are not also reported as naming nobody.
                getattr(out, sheet_kind).append(_ROW_READERS[sheet_kind](
                    cells.line, values, given, as_of, _Problems(problems, sheet_kind, cells.line)))
                if problems.full:
                    problems.more = True
                    return out
            out.rows[sheet_kind] = n
    return out


class _Problems:
    """Problems of one row of one sheet."""

    def __init__(self, problems: ProblemList, sheet: str, line: int) -> None:
        self.problems, self.sheet, self.line = problems, sheet, line

    def __call__(self, column: str, message: str, line: int | None = None) -> None:
        self.problems.add(Problem(line or self.line, column, message, sheet=self.sheet))


def _name(values: dict[str, str], column: str, what: str, problem: _Problems,
          limit: int = MAX_NAME_CHARS) -> str:
    value = values.get(column, "")
    if not value:
        problem(column, f"{what} is missing.")
    elif len(value) > limit:
        problem(column, f"{what} is {len(value):,} characters long; the longest allowed is "
                        f"{limit}.")
    return value


def _email(values: dict[str, str], column: str, problem: _Problems,
           required: bool = False) -> str | None:
    value = values.get(column, "").strip().lower()
    if not value:
        if required:
            problem(column, "the e-mail address is missing.")
        return None
    if not _EMAIL.match(value) or len(value) > 254:
        problem(column, f"'{values[column]}' is not an e-mail address.")
    return value


def _team_row(line: int, v: dict[str, str], given: frozenset[str], as_of: dt.date,
              problem: _Problems) -> TeamRow:
    return TeamRow(line, _name(v, "name", "the team's name", problem))


def _staff_row(line: int, v: dict[str, str], given: frozenset[str], as_of: dt.date,
               problem: _Problems) -> StaffRow:
    name = _name(v, "name", "the person's name", problem)
    email = _email(v, "email", problem, required=True) or ""
    role = v.get("role", "")
    if role not in ROLES:
        slug = next((s for s, words in ROLES.items() if fold(words) == fold(role)), None)
        if slug is None:
            problem("role", f"'{role}' is not a role. Use a role slug: {', '.join(ROLES)} (see "
                            "README, 'Roles').")
        role = slug or role
    active_text = fold(v.get("active", ""))
    active = True
    if active_text in NO:
        active = False
    elif active_text and active_text not in YES:
        problem("active", f"'{v['active']}' is neither yes nor no.")
    manager = _email(v, "line_manager_email", problem)
    if manager and manager == email:
        problem("line_manager_email", "a person cannot be their own line manager.")
    return StaffRow(line, name, email, role, v.get("team") or None, manager, active, given)


def _birth(text: str, as_of: dt.date, problem: _Problems) -> dt.date | None:
    if not text:
        return None
    day = None
    try:
        if _ISO.match(text):
            day = dt.date.fromisoformat(text)
        elif _UK.match(text):
            d, m, y = (int(x) for x in _UK.match(text).groups())  # type: ignore[union-attr]
            day = dt.date(y, m, d)
    except ValueError:
        day = None
    if day is None:
        problem("date_of_birth", f"'{text}' is not a date: write it as YYYY-MM-DD or "
                                 "DD/MM/YYYY, for example 2015-03-21 or 21/03/2015.")
    elif day > as_of:
        problem("date_of_birth", f"{uk_date(day)} is after {uk_date(as_of)}, the date of this "
                                 "import.")
    elif day < EARLIEST_BIRTH:
        problem("date_of_birth", f"{uk_date(day)} is before {uk_date(EARLIEST_BIRTH)}; check "
                                 "the year.")
    else:
        return day
    return None


def _child_row(line: int, v: dict[str, str], given: frozenset[str], as_of: dt.date,
               problem: _Problems) -> ChildRow:
    case_ref = _name(v, "case_ref", "the case reference", problem, MAX_REF_CHARS)
    name = _name(v, "name", "the child's name", problem)
    born = _birth(v.get("date_of_birth", ""), as_of, problem)
    status_text = v.get("legal_status", "")
    status = status_text if status_text in LEGAL_STATUSES else _STATUS_WORDS.get(
        fold(status_text).replace("_", " "), "")
    if not status:
        problem("legal_status", f"'{status_text}' is not a legal status. Use looked_after or "
                                "child_protection.")
    return ChildRow(line, case_ref, name, born, status, v.get("team") or None,
                    _email(v, "social_worker_email", problem),
                    _email(v, "reviewer_email", problem), given)


_ROW_READERS: dict[str, Callable[..., object]] = {
    "teams": _team_row, "staff": _staff_row, "children": _child_row,
}


# ------------------------------------------------------------------------- planning


@dataclass
class _World:
    """The store's people, as the file would leave them, for checking references."""

    team_ids: dict[str, int]  # folded name -> id
    team_names: dict[int, str]
    staff: dict[str, dict]  # e-mail -> store row
    staff_by_id: dict[int, dict]
    children: dict[str, dict]  # case_ref -> store row


def _world(store: Store) -> _World:
    teams = all_teams(store.db)
    staff = all_staff(store.db)
    return _World(
        team_ids={fold(t["name"]): t["id"] for t in teams},
        team_names={t["id"]: t["name"] for t in teams},
        staff={s["email"].lower(): s for s in staff},
        staff_by_id={s["id"]: s for s in staff},
        children={c["case_ref"]: c for c in all_children(store.db)},
    )


def _plan(store: Store, read: _Read, file_name: str, problems: ProblemList) -> PeopleImport:
    world = _world(store)
    plan = PeopleImport(file_name=file_name, rows=dict(read.rows))
    policy = store.policy

    # teams
    file_teams: dict[str, TeamRow] = {}
    for team in read.teams:
        key = fold(team.name)
        if key in file_teams:
            problems.add(Problem(team.line, "name", f"the team '{team.name}' is already on line "
                                                    f"{file_teams[key].line}.", sheet="teams"))
            continue
        file_teams[key] = team
        if key not in world.team_ids:
            plan.teams_added.append(team)
    known_teams = set(world.team_ids) | set(file_teams)

    def check_team(sheet: str, line: int, team: str | None) -> None:
        if team and fold(team) not in known_teams:
            problems.add(Problem(line, "team", f"there is no team called '{team}': add it to "
                                               "the teams sheet (or correct the name).",
                                 sheet=sheet))

    # staff: everyone as the file would leave them (e-mail -> role, active, manager)
    file_staff: dict[str, StaffRow] = {}
    for person in read.staff:
        if person.email in file_staff:
            problems.add(Problem(person.line, "email", f"{person.email} is already on line "
                                                       f"{file_staff[person.email].line}.",
                                 sheet="staff"))
            continue
        file_staff[person.email] = person
        check_team("staff", person.line, person.team)
    role_of = {email: s["role"] for email, s in world.staff.items()}
    active_of = {email: bool(s["active"]) for email, s in world.staff.items()}
    manager_of: dict[str, str | None] = {
        email: (world.staff_by_id[s["line_manager_id"]]["email"].lower()
                if s["line_manager_id"] in world.staff_by_id else None)
        for email, s in world.staff.items()}
    for email, person in file_staff.items():
        role_of[email] = person.role
        active_of[email] = person.active
        if "line_manager_email" in person.given or email not in world.staff:
            manager_of[email] = person.manager
    for person in file_staff.values():
        if person.manager and person.manager not in role_of:
            problems.add(Problem(person.line, "line_manager_email",
                                 f"no member of staff has the e-mail address {person.manager} "
                                 "(in this file or already in the store).", sheet="staff"))
    _check_cycles(file_staff, manager_of, problems)

    for email, person in file_staff.items():
        stored = world.staff.get(email)
        if stored is None:
            plan.staff_added.append(person)
            continue
        fields: dict[str, tuple[str, str]] = {}
        if person.name != stored["name"]:
            fields["name"] = (stored["name"], person.name)
        if person.role != stored["role"]:
            fields["role"] = (role_name(stored["role"]), role_name(person.role))
        old_team = world.team_names.get(stored["team_id"]) if stored["team_id"] else None
        if "team" in person.given and fold(old_team or "") != fold(person.team or ""):
            fields["team"] = (old_team or "", person.team or "")
        old_manager = manager_of_store(world, stored)
        if "line_manager_email" in person.given and (old_manager or None) != person.manager:
            fields["line manager"] = (old_manager or "", person.manager or "")
        if "active" in person.given and person.active != bool(stored["active"]):
            fields["active"] = ("yes" if stored["active"] else "no",
                                "yes" if person.active else "no")
        if fields:
            plan.staff_changed.append((person, Change("staff", person.line, email, fields)))

    # children
    file_children: dict[str, ChildRow] = {}
    for child in read.children:
        if child.case_ref in file_children:
            problems.add(Problem(child.line, "case_ref", f"{child.case_ref} is already on line "
                                                         f"{file_children[child.case_ref].line}.",
                                 sheet="children"))
            continue
        file_children[child.case_ref] = child
        check_team("children", child.line, child.team)
        _check_worker(child, role_of, active_of, problems)
        _check_reviewer(child, role_of, active_of, policy, problems)
        stored = world.children.get(child.case_ref)
        if stored is None:
            plan.children_added.append(child)
            continue
        change = _child_change(world, stored, child)
        if change.fields:
            plan.children_changed.append((child, change))
    return plan


def manager_of_store(world: _World, stored: dict) -> str | None:
    manager = world.staff_by_id.get(stored["line_manager_id"])
    return manager["email"].lower() if manager else None


def _check_cycles(file_staff: dict[str, StaffRow], manager_of: dict[str, str | None],
                  problems: ProblemList) -> None:
    reported: set[str] = set()
    for email, person in file_staff.items():
        if manager_of.get(email) == email:
            continue  # reported already: "cannot be their own line manager"
        seen = [email]
        current = manager_of.get(email)
        while current is not None and current not in seen and len(seen) < 10_000:
            seen.append(current)
            current = manager_of.get(current)
        if current is not None and current in seen and email not in reported:
            loop = seen[seen.index(current):]
            reported.update(loop)
            problems.add(Problem(person.line, "line_manager_email",
                                 "the line managers go round in a circle: "
                                 + " -> ".join([*loop, current]) + ". Someone at the top has "
                                 "no line manager (leave it empty).", sheet="staff"))


def _check_worker(child: ChildRow, role_of: dict[str, str], active_of: dict[str, bool],
                  problems: ProblemList) -> None:
    email = child.social_worker
    if not email:
        return
    if email not in role_of:
        problems.add(Problem(child.line, "social_worker_email", f"no member of staff has the "
                                                                f"e-mail address {email}.",
                             sheet="children"))
    elif role_of[email] not in CASE_HOLDERS:
        problems.add(Problem(child.line, "social_worker_email",
                             f"{email} is {_a(role_name(role_of[email]))}; a child's social worker "
                             "is a " + " or ".join(role_name(r) for r in CASE_HOLDERS) + ".",
                             sheet="children"))
    elif not active_of.get(email, True):
        problems.add(Problem(child.line, "social_worker_email", f"{email} is not active "
                                                                "(active: no).",
                             sheet="children"))


def _check_reviewer(child: ChildRow, role_of: dict[str, str], active_of: dict[str, bool],
                    policy, problems: ProblemList) -> None:
    email = child.reviewer
    if not email or not child.legal_status:
        return
    track = policy.tracks.get(STATUS_TRACK[child.legal_status])
    allowed = tuple(track.raised_by) if track is not None else REVIEWER_ROLES
    if email not in role_of:
        problems.add(Problem(child.line, "reviewer_email", f"no member of staff has the e-mail "
                                                           f"address {email}.", sheet="children"))
    elif role_of[email] not in allowed:
        status = LEGAL_STATUSES[child.legal_status].lower()
        problems.add(Problem(child.line, "reviewer_email",
                             f"{email} is {_a(role_name(role_of[email]))}; a child whose legal "
                             f"status is '{status}' is reviewed by "
                             + _a(" or ".join(role_name(r) for r in allowed)) + ".",
                             sheet="children"))
    elif not active_of.get(email, True):
        problems.add(Problem(child.line, "reviewer_email", f"{email} is not active (active: "
                                                           "no).", sheet="children"))


def _a(words: str) -> str:
    return ("an " if words[:1].lower() in "aeiou" else "a ") + words


def _child_change(world: _World, stored: dict, child: ChildRow) -> Change:
    fields: dict[str, tuple[str, str]] = {}

    def email_of(staff_id: int | None) -> str:
        person = world.staff_by_id.get(staff_id) if staff_id else None
        return person["email"].lower() if person else ""

    if child.name != stored["name"]:
        fields["name"] = (stored["name"], child.name)
    born = child.date_of_birth.isoformat() if child.date_of_birth else None
    if "date_of_birth" in child.given and born != stored["date_of_birth"]:
        fields["date of birth"] = (stored["date_of_birth"] or "", born or "")
    if child.legal_status != stored["legal_status"]:
        fields["legal status"] = (LEGAL_STATUSES[stored["legal_status"]],
                                  LEGAL_STATUSES[child.legal_status])
    old_team = world.team_names.get(stored["team_id"], "") if stored["team_id"] else ""
    if "team" in child.given and fold(old_team) != fold(child.team or ""):
        fields["team"] = (old_team, child.team or "")
    if ("social_worker_email" in child.given
            and email_of(stored["social_worker_id"]) != (child.social_worker or "")):
        fields["social worker"] = (email_of(stored["social_worker_id"]),
                                   child.social_worker or "")
    if ("reviewer_email" in child.given
            and email_of(stored["reviewer_id"]) != (child.reviewer or "")):
        fields["reviewer"] = (email_of(stored["reviewer_id"]), child.reviewer or "")
    return Change("children", child.line, child.case_ref, fields)


# ------------------------------------------------------------------------- the use case


def import_people(
    store: Store,
    file: ImportFile,
    *,
    kind: str | None = None,
    as_of: dt.date,
    dry_run: bool = False,
    expect: str | None = None,
    progress: Progress | None = None,
    user: SignedInUser | None = None,
) -> PeopleImport:
    """Check the whole file, then (unless ``dry_run``) apply it in one transaction.

    ``expect`` is the fingerprint of a preview: the import is refused if the store has
    changed since, so what is applied is what was shown. ``user`` is the administrator
    using the app (the command line passes none); anyone else is refused.
    """
    if user is not None:
        require_admin(user)
    if kind is not None and kind not in KINDS:
        raise UserError(f"'{kind}' is not something this import reads: use teams, staff or "
                        "children.")
    problems = ProblemList()
    read = _read(file, kind, as_of, problems, progress)
    if problems.full:
        raise problems.refusal(KINDS)
    plan = _plan(store, read, file.name, problems)
    if problems:
        raise problems.refusal(KINDS)
    if dry_run or plan.nothing_to_do:
        return plan
    with write_transaction(store.db):
        again = _plan(store, read, file.name, ProblemList())
        if expect is not None and again.fingerprint != expect:
            raise UserError("The store has changed since the preview was made; nothing was "
                            "imported. Check the file again to see what it would do now.")
        _apply(store, again, as_of, user, progress)
    again.dry_run = False
    again.applied = True
    return again


def _apply(store: Store, plan: PeopleImport, as_of: dt.date, user: SignedInUser | None,
           progress: Progress | None) -> None:
    db = store.db
    actor = user.staff_id if user else None
    source = f"the import of {plan.file_name}"
    total = (len(plan.teams_added) + len(plan.staff_added) + len(plan.staff_changed)
             + len(plan.children_added) + len(plan.children_changed))
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None and (done % 100 == 0 or done == total):
            progress("apply", done, total)

    def event(kind: str, reason: str, data: dict, child_id: int | None = None) -> None:
        append_event(db, kind=kind, occurred_on=as_of, actor_id=actor, actor_role="admin",
                     child_id=child_id, data=data, reason=reason)

    for team in plan.teams_added:
        team_id = insert_team(db, team.name)
        event("team_added", f"Team {team.name} added by {source} (teams, line {team.line}).",
              {"team_id": team_id, "name": team.name, "service": None})
        tick()
    world = _world(store)
    ids = {email: s["id"] for email, s in world.staff.items()}

    def team_id_of(name: str | None) -> int | None:
        return world.team_ids[fold(name)] if name else None

    for person in plan.staff_added:
        staff_id = insert_staff(db, name=person.name, email=person.email, role=person.role,
                                team_id=team_id_of(person.team))
        if not person.active:
            update_staff(db, staff_id, active=0)
        ids[person.email] = staff_id
    # Each event after every row is in, so it can name a line manager added later in the
    # file: it carries the whole row (the staff table is a projection of the log).
    for person in plan.staff_added:
        manager = ids[person.manager] if person.manager else None
        if manager is not None:
            update_staff(db, ids[person.email], line_manager_id=manager)
        event("staff_added", f"{person.name} added as {role_name(person.role)} by {source} "
                             f"(staff, line {person.line}); no password (single sign-on, or "
                             "one set by an administrator).",
              {"staff_id": ids[person.email], "role": person.role,
               "team_id": team_id_of(person.team), "name": person.name,
               "email": person.email, "line_manager_id": manager,
               "active": 1 if person.active else 0})
        tick()
    for person, change in plan.staff_changed:
        values: dict[str, object] = {"name": person.name, "role": person.role}
        if "team" in person.given:
            values["team_id"] = team_id_of(person.team)
        if "line_manager_email" in person.given:
            values["line_manager_id"] = ids[person.manager] if person.manager else None
        if "active" in person.given:
            values["active"] = 1 if person.active else 0
        update_staff(db, ids[person.email], **values)
        event("staff_changed", f"{person.name}'s details changed by {source} (staff, line "
                               f"{person.line}): " + _words(change) + ".",
              {"staff_id": ids[person.email], "changes": change.fields, "values": values})
        tick()
    for child in plan.children_added:
        child_id = insert_child(
            db, case_ref=child.case_ref, name=child.name, date_of_birth=child.date_of_birth,
            legal_status=child.legal_status, team_id=team_id_of(child.team),
            social_worker_id=ids.get(child.social_worker or ""),
            reviewer_id=ids.get(child.reviewer or ""))
        event("child_added", f"Child {child.case_ref} added by {source} (children, line "
                             f"{child.line}).",
              {"case_ref": child.case_ref, "name": child.name,
               "date_of_birth": (child.date_of_birth.isoformat() if child.date_of_birth
                                 else None),
               "legal_status": child.legal_status, "team_id": team_id_of(child.team),
               "social_worker_id": ids.get(child.social_worker or ""),
               "reviewer_id": ids.get(child.reviewer or "")}, child_id=child_id)
        tick()
    names = {email: s["name"] for email, s in world.staff.items()}
    names.update({p.email: p.name for p in plan.staff_added})
    for child, change in plan.children_changed:
        child_id = world.children[child.case_ref]["id"]
        values = {"name": child.name, "legal_status": child.legal_status}
        if "date_of_birth" in child.given:
            values["date_of_birth"] = (child.date_of_birth.isoformat() if child.date_of_birth
                                       else None)
        if "team" in child.given:
            values["team_id"] = team_id_of(child.team)
        if "social_worker_email" in child.given:
            values["social_worker_id"] = ids.get(child.social_worker or "")
        if "reviewer_email" in child.given:
            values["reviewer_id"] = ids.get(child.reviewer or "")
        update_child(db, child_id, **values)
        where = f"(children, line {child.line})"
        # each event carries the columns it set ("values"): the children table is a
        # projection of the log
        for key, kind, word, column in (
                ("reviewer", "reviewer_changed", "Reviewer", "reviewer_id"),
                ("social worker", "social_worker_changed", "Social worker", "social_worker_id")):
            if key in change.fields:
                old, new = change.fields[key]
                event(kind, f"{word} changed from {names.get(old, old) or 'nobody'} to "
                            f"{names.get(new, new) or 'nobody'} by {source} {where}.",
                      {"from": old, "to": new, "values": {column: values[column]}},
                      child_id=child_id)
        rest = {k: v for k, v in change.fields.items() if k not in ("reviewer", "social worker")}
        if rest:
            event("child_changed", f"Child's details changed by {source} {where}: "
                                   + _words(Change("children", child.line, child.case_ref, rest))
                                   + ".",
                  {"changes": rest,
                   "values": {k: v for k, v in values.items()
                              if k not in ("reviewer_id", "social_worker_id")}},
                  child_id=child_id)
        tick()
    counts = plan.counts()
    event("people_imported", f"Teams, staff and children imported from {plan.file_name}: "
                             + ", ".join(f"{n:,} {what}" for what, n in counts.items()) + ".",
          {"file": plan.file_name, **{k.replace(" ", "_"): v for k, v in counts.items()}})


def _words(change: Change) -> str:
    return "; ".join(f"{name} from {old or 'none'} to {new or 'none'}"
                     for name, (old, new) in change.fields.items())
