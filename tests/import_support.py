"""Synthetic files for the import tests and the import benchmark: an invented authority's
teams, staff and children, and years of its invented escalation spreadsheet.

Everyone here is made up: names are built from invented words, e-mail addresses end in
``.invalid`` and case references start ``SYN-``. The output is a deterministic function of
the arguments, so a test can count what it expects.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass, field
from pathlib import Path

from rules.working_days import calendar_for

DOMAIN = "anytown-council.invalid"
FIRST = ("Ash", "Bay", "Cedar", "Dale", "Elm", "Fern", "Glen", "Heath", "Ivy", "Jay", "Kit",
         "Lark", "Moss", "Nell", "Oak", "Pip", "Quill", "Reed", "Sage", "Tam", "Wren", "Yew")
LAST = ("Amberfold", "Brookwick", "Copperdale", "Dunwater", "Emberly", "Foxhollow",
        "Greystoke", "Hollowmere", "Ironbridge", "Juniper", "Kettlewell", "Larchmont",
        "Millbrook", "Northcote", "Oatridge", "Pinecroft", "Quarrymoor", "Ravensholt")

TEAMS = ("Senior Leadership", "Independent Reviewing Service", "Business Support",
         "Children in Care North", "Children in Care South", "Children in Care East",
         "Children in Care West", "Safeguarding Central", "Safeguarding Rural",
         "Care Leavers", "Disabled Children", "Fostering Support")
SOCIAL_WORK_TEAMS = TEAMS[3:]

#: The legacy tracker's own headers and words (see LEGACY_MAP).
LEGACY_HEADER = ("Alert ID", "Case Number", "Date", "Action", "Stage", "Manager Response",
                 "Officer", "Date Agreed", "Comments", "Entered By")
ACTION_WORDS = {
    "raised": "Raised", "responded": "Manager replied", "satisfied": "Resolved",
    "not_satisfied": "Not resolved", "escalated": "Escalated",
    "extension_requested": "More time asked", "extension_agreed": "More time agreed",
    "withdrawn": "Closed - withdrawn", "acknowledged": "Acknowledged",
}
STAGE_WORDS = {"informal": "Informal", "operations_manager": "Stage 1 (OM)",
               "service_manager": "Stage 1 (SM)", "head_of_service": "Stage 2 (HoS)"}
RESPONSE_WORDS = {"agree": "Agreed", "uphold": "Upheld", "alternative": "Alternative plan",
                  "no_action": "No action"}

LEGACY_MAP = """\
# The Anytown tracker (2021-2026): its own headers and words, for seed-004.
columns:
  alert: Alert ID
  child: Case Number
  date: Date
  event: Action
  level: Stage
  outcome: Manager Response
  by: Officer
  until: Date Agreed
  note: Comments
ignore: [Entered By]
defaults:
  track: iro
date_format: DD/MM/YYYY
values:
  event:
""" + "".join(f"    {word}: {event}\n" for event, word in ACTION_WORDS.items()) + """\
  level:
""" + "".join(f"    {word}: {level}\n" for level, word in STAGE_WORDS.items()) + """\
  outcome:
""" + "".join(f"    {word}: {outcome}\n" for outcome, word in RESPONSE_WORDS.items())


@dataclass
class Authority:
    """The invented authority: rows for the teams, staff and children sheets."""

    teams: list[dict] = field(default_factory=list)
    staff: list[dict] = field(default_factory=list)
    children: list[dict] = field(default_factory=list)

    def by_role(self, role: str) -> list[dict]:
        return [s for s in self.staff if s["role"] == role]


def _names(rng: random.Random):
    n = 0
    while True:
        n += 1
        yield rng.choice(FIRST), rng.choice(LAST), n


def authority(staff: int = 100, children: int = 2000, seed: int = 7,
              as_of: dt.date = dt.date(2026, 11, 23)) -> Authority:
    """Teams, ``staff`` people with line managers (listed before their managers, so the
    import must resolve them after reading every row), and ``children`` children."""
    rng = random.Random(seed)
    names = _names(rng)
    out = Authority(teams=[{"name": t} for t in TEAMS])

    def person(role: str, team: str, manager: dict | None) -> dict:
        first, last, n = next(names)
        row = {"name": f"{first} {last}", "email": f"{first}.{last}.{n}@{DOMAIN}".lower(),
               "role": role, "team": team,
               "line_manager_email": manager["email"] if manager else "", "active": "yes"}
        out.staff.append(row)
        return row

    director = person("director", TEAMS[0], None)
    hos = person("head_of_service", TEAMS[0], director)
    qa = person("qa_head_of_service", TEAMS[0], director)
    service_managers = [person("service_manager", TEAMS[0], hos) for _ in range(2)]
    ops = [person("operations_manager", TEAMS[0], service_managers[i % 2]) for i in range(4)]
    principal = person("principal_iro", TEAMS[1], qa)
    iros = [person("iro", TEAMS[1], principal) for _ in range(12)]
    chairs = [person("cp_chair", TEAMS[1], principal) for _ in range(2)]
    person("business_support", TEAMS[2], principal)
    person("admin", TEAMS[2], None)
    team_managers = {team: person("team_manager", team, ops[i % 4])
                     for i, team in enumerate(SOCIAL_WORK_TEAMS)}
    workers: dict[str, list[dict]] = {team: [] for team in SOCIAL_WORK_TEAMS}
    i = 0
    while len(out.staff) < staff:
        team = SOCIAL_WORK_TEAMS[i % len(SOCIAL_WORK_TEAMS)]
        workers[team].append(person("social_worker", team, team_managers[team]))
        i += 1
    # managers after the people they manage: the file must not need to be in order
    out.staff.reverse()
    for n in range(1, children + 1):
        first, last, _ = next(names)
        team = SOCIAL_WORK_TEAMS[n % len(SOCIAL_WORK_TEAMS)]
        protection = n % 5 == 0
        born = as_of - dt.timedelta(days=rng.randint(100, 17 * 365))
        out.children.append({
            "case_ref": f"SYN-{n:05d}", "name": f"{first} {last}",
            "date_of_birth": born.strftime("%d/%m/%Y") if n % 2 else born.isoformat(),
            "legal_status": "child_protection" if protection else "looked_after",
            "team": team,
            "social_worker_email": rng.choice(workers[team])["email"],
            "reviewer_email": rng.choice(chairs if protection else iros)["email"],
        })
    return out


PEOPLE_COLUMNS = {
    "teams": ("name",),
    "staff": ("name", "email", "role", "team", "line_manager_email", "active"),
    "children": ("case_ref", "name", "date_of_birth", "legal_status", "team",
                 "social_worker_email", "reviewer_email"),
}


def people_xlsx(path: Path, data: Authority) -> Path:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for sheet, columns in PEOPLE_COLUMNS.items():
        ws = book.create_sheet(sheet)
        ws.append(list(columns))
        for row in getattr(data, sheet):
            ws.append([row.get(c, "") for c in columns])
    book.save(path)
    return path


def rows_csv(columns: tuple[str, ...], rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    return out.getvalue()


# ----------------------------------------------------------------------- the legacy tracker


def legacy_history(data: Authority, *, years: int = 5, rows: int = 20_000, seed: int = 11,
                   as_of: dt.date = dt.date(2026, 11, 23)) -> list[dict]:
    """About ``rows`` rows of the tracker, in the import's own terms (event, level ...), for
    seed-004's looked-after ladder: alerts raised informally or straight at Stage 1 (with no
    record of the line manager agreeing), answered, escalated, given more time, withdrawn or
    resolved; the last few still open. No categories, and dates only on or before ``as_of``.
    """
    rng = random.Random(seed)
    cal = calendar_for(())
    start = as_of - dt.timedelta(days=365 * years)
    looked_after = [c for c in data.children if c["legal_status"] == "looked_after"]
    ladder = ("operations_manager", "service_manager", "head_of_service")
    out: list[dict] = []
    n = 0
    while len(out) < rows:
        n += 1
        child = rng.choice(looked_after)
        day = cal.add_working_days(start + dt.timedelta(days=rng.randint(0, 365 * years - 40)), 0)
        ref = f"AT-{day.year}-{n:05d}"
        history: list[dict] = []

        def add(event: str, on: dt.date, history: list[dict] = history, ref: str = ref,
                child: dict = child, **values: str) -> None:
            history.append({"alert": ref, "child": child["case_ref"], "date": on,
                            "event": event, **values})

        formal = rng.random() < 0.25
        level = ladder[0] if formal else "informal"
        until = ""
        if not formal and rng.random() < 0.3:
            until = cal.add_working_days(day, rng.randint(3, 8)).isoformat()
        add("raised", day, level=level, until=until,
            note=rng.choice(("Plan drifting", "Visits missed", "PEP out of date", "")),
            by=child["reviewer_email"] if rng.random() < 0.3 else "")
        rung = -1 if not formal else 0
        while True:
            day = cal.add_working_days(day, rng.randint(1, 4))
            if rng.random() < 0.2:
                add("acknowledged", day)
            if rng.random() < 0.15:
                asked = cal.add_working_days(day, rng.randint(6, 9))
                add("extension_requested", day, until=asked.isoformat(), note="Panel date")
                day = cal.add_working_days(day, 1)
                add("extension_agreed", day)
            day = cal.add_working_days(day, rng.randint(1, 7))
            add("responded", day, outcome=rng.choice(tuple(RESPONSE_WORDS)))
            day = cal.add_working_days(day, rng.randint(0, 2))
            roll = rng.random()
            if roll < 0.55 or rung == len(ladder) - 1:
                add("satisfied", day)
                break
            if roll < 0.62:
                add("withdrawn", day, note="Child moved to another authority")
                break
            add("not_satisfied", day)
            rung += 1
            day = cal.add_working_days(day, rng.randint(0, 2))
            add("escalated", day, level=ladder[rung])
        if history[-1]["date"] > as_of:
            history = [h for h in history if h["date"] <= as_of]
            if history[-1]["event"] == "extension_requested":
                history.pop()
        out.extend(history)
    return out


def legacy_rows(history: list[dict]) -> list[dict]:
    """The history in the tracker's own headers and words, dates written day/month/year."""
    rows = []
    for h in history:
        until = h.get("until", "")
        rows.append({
            "Alert ID": h["alert"], "Case Number": h["child"],
            "Date": h["date"].strftime("%d/%m/%Y"),
            "Action": ACTION_WORDS[h["event"]],
            "Stage": STAGE_WORDS.get(h.get("level", ""), ""),
            "Manager Response": RESPONSE_WORDS.get(h.get("outcome", ""), ""),
            "Officer": h.get("by", ""),
            "Date Agreed": dt.date.fromisoformat(until).strftime("%d/%m/%Y") if until else "",
            "Comments": h.get("note", ""), "Entered By": "tracker",
        })
    return rows


def legacy_csv(history: list[dict]) -> str:
    return rows_csv(LEGACY_HEADER, legacy_rows(history))


def legacy_xlsx(path: Path, history: list[dict], sheet: str = "Escalations") -> Path:
    """The tracker as Excel keeps it: real date cells, the headers on row 1."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    ws.append(list(LEGACY_HEADER))
    for row, h in zip(legacy_rows(history), history, strict=True):
        values = [row[c] for c in LEGACY_HEADER]
        values[2] = dt.datetime.combine(h["date"], dt.time())
        ws.append(values)
    book.save(path)
    return path


IMPORT_COLUMNS = ("alert", "child", "track", "date", "event", "level", "outcome", "by",
                  "until", "note", "category")


def own_format_csv(history: list[dict], track: str = "iro") -> str:
    """The history in the import's own format (no categories, as the tracker had none)."""
    return rows_csv(IMPORT_COLUMNS, [{**h, "track": track, "date": h["date"].isoformat()}
                                     for h in history])


def people_of_store(source, target, as_of: dt.date) -> None:
    """Load ``source``'s teams, staff and children into ``target`` through the people
    import (what an authority moving to a fresh store would do)."""
    from usecases.import_people import import_people
    from usecases.importing.reader import ImportFile

    db = source.db
    teams = [{"name": r["name"]} for r in db.query("SELECT name FROM teams ORDER BY id")]
    staff = [dict(r) for r in db.query(
        "SELECT s.name, s.email, s.role, t.name AS team, m.email AS line_manager_email, "
        "CASE WHEN s.active THEN 'yes' ELSE 'no' END AS active FROM staff s "
        "LEFT JOIN teams t ON t.id = s.team_id LEFT JOIN staff m ON m.id = s.line_manager_id "
        "ORDER BY s.id")]
    children = [dict(r) for r in db.query(
        "SELECT c.case_ref, c.name, c.date_of_birth, c.legal_status, t.name AS team, "
        "w.email AS social_worker_email, v.email AS reviewer_email FROM children c "
        "LEFT JOIN teams t ON t.id = c.team_id LEFT JOIN staff w ON w.id = c.social_worker_id "
        "LEFT JOIN staff v ON v.id = c.reviewer_id ORDER BY c.id")]
    for kind, rows in (("teams", teams), ("staff", staff), ("children", children)):
        text = rows_csv(PEOPLE_COLUMNS[kind], [{k: ("" if v is None else v)
                                                 for k, v in row.items()} for row in rows])
        import_people(target, ImportFile.from_text(text, f"{kind}.csv"), kind=kind,
                      as_of=as_of)


#: One resolved alert's history in the import's own format: five rows, {ref} and {child}
#: filled in (a Level 1 raise with its consultation, two answers, a challenge, satisfied).
RESOLVED_ALERT_ROWS = """\
{ref},{child},iro,2026-12-14,raised,service_manager,,iro,,Agreed with HoS SARS,care_planning
{ref},{child},iro,2026-12-18,responded,,uphold,service_manager,,,
{ref},{child},iro,2026-12-21,not_satisfied,,,iro,,,
{ref},{child},iro,2026-12-30,responded,,alternative,head_of_service,,New placement search,
{ref},{child},iro,2027-01-06,satisfied,,,,,,
"""


def resolved_alerts_csv(prefix: str, alerts: int) -> str:
    """``alerts`` resolved alerts (5 rows each) on new children, refs ``{prefix}1`` ..."""
    header = ",".join(IMPORT_COLUMNS) + "\n"
    return header + "".join(RESOLVED_ALERT_ROWS.format(ref=f"{prefix}{n}", child=f"{prefix}-C{n}")
                            for n in range(1, alerts + 1))
