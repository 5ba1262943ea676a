"""The command line for operators: create stores, check policies, and (later) run the sweep.

Every command takes ``--db PATH`` (or ``$IRO_DB``; default ``data/iro.db``). Errors are
printed as plain sentences and the exit code is non-zero; a stack trace is never shown.
This is one of the two places (with the pages) that may read today's date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import socket
import sys
from collections.abc import Callable, Sequence
from typing import ClassVar

from tabulate import tabulate

from db.accounts import staff_list
from db.connection import DB_PATH_ENV, resolve_db_path
from db.queries import store_counts
from rules.ladder_text import ladder_rows
from rules.policy import PolicyInvalid, check_policy_file, load_preset, preset_ids, preset_path
from rules.roles import role_name
from usecases.accounts import add_user, set_password
from usecases.audit import audit_csv, audit_entries
from usecases.demo import DEMO_PASSWORD, demo_accounts
from usecases.errors import UserError
from usecases.export_alerts import (
    alert_records,
    export_events_csv,
    write_alerts_csv,
    write_alerts_json_lines,
)
from usecases.import_events import COLUMNS as IMPORT_COLUMNS
from usecases.import_events import import_events, read_map
from usecases.import_people import KINDS as PEOPLE_KINDS
from usecases.import_people import import_people
from usecases.importing.problems import Problem
from usecases.importing.reader import ImportFile
from usecases.mail import MailSettings, send_pending
from usecases.policy_versions import (
    COMMAND_LINE,
    apply_policy_version,
    policy_text,
    version_in_force,
)
from usecases.store import Store, create_store, open_store, prepare_store
from usecases.sweeping import sweep_all

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def _as_of(text: str | None, option: str = "--as-of") -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{option} '{text}' is not a date; write it as YYYY-MM-DD.") from None


def cmd_init(args: argparse.Namespace) -> int:
    path = resolve_db_path(args.db)
    if args.exist_ok and path.exists():
        existing = open_store(path)
        print(f"{path} already holds a store (governed by {existing.policy.id}); left as it is.")
        return EXIT_OK
    store = create_store(path, args.policy, demo=args.demo, as_of=_as_of(args.as_of),
                         policy_file=args.policy_file)
    counts = store_counts(store.db)
    print(f"Created {path} under policy {store.policy.id} ({store.policy.authority}).")
    if args.policy_file:
        print(f"The policy from {args.policy_file} is the store's version 1; see it with "
              f"'python manage.py policy export --db {path}'.")
    if args.demo:
        print(
            f"Demo data: {counts.teams} teams, {counts.staff} staff, {counts.children} children, "
            f"{counts.reviews} reviews, {counts.alerts_open} open alerts. "
            "Everyone in it is invented."
        )
        print(f"Sign in with the password '{DEMO_PASSWORD}' as, for example:")
        for account in demo_accounts(store.db):
            print(f"  {account['role']}: {account['email']}")
    store.db.close()
    return EXIT_OK


def _open(args: argparse.Namespace) -> Store:
    path = resolve_db_path(args.db)
    prepare_store(path)
    return open_store(path)


class _Counter:
    """A progress counter on a terminal (standard error, rewritten in place); silent when
    standard error is not a terminal (cron, a pipe, the tests)."""

    WORDS: ClassVar[dict[str, str]] = {"check": "Checking", "rehearse": "Trying the rows",
                                       "apply": "Writing"}

    def __init__(self) -> None:
        self.live = sys.stderr.isatty()
        self.shown = ""

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if not self.live:
            return
        if stage == "check" and total:
            text = f"{self.WORDS.get(stage, stage)} the file: {min(done * 100 // total, 100)}%"
        elif total:
            text = f"{self.WORDS.get(stage, stage)}: {done:,} of {total:,} rows"
        else:
            text = f"{self.WORDS.get(stage, stage)}: {done:,}"
        if text != self.shown:
            self.shown = text
            sys.stderr.write("\r" + text.ljust(48))
            sys.stderr.flush()

    def end(self) -> None:
        if self.live and self.shown:
            sys.stderr.write("\r" + " " * 48 + "\r")
            sys.stderr.flush()
            self.shown = ""


def _import_date(text: str | None) -> dt.date:
    """An import's --as-of: strictly YYYY-MM-DD (not 20261102), within the calendar."""
    if text is None:
        return dt.date.today()
    try:
        if len(text) != 10 or text[4] != "-" or text[7] != "-":
            raise ValueError
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"--as-of '{text}' is not a date; write it as YYYY-MM-DD.") from None
    if not dt.date(1990, 1, 1) <= day <= dt.date(2099, 12, 31):
        raise UserError(f"--as-of '{text}' is outside 1990-2099.")
    return day


def cmd_import_events(args: argparse.Namespace) -> int:
    store = _open(args)
    column_map = read_map(args.map) if args.map else None
    counter = _Counter()

    def warn(problem: Problem) -> None:
        counter.end()
        print(f"warning: {problem}")

    try:
        result = import_events(store, ImportFile.from_path(args.file),
                               as_of=_import_date(args.as_of), column_map=column_map,
                               dry_run=args.dry_run, progress=counter, on_warning=warn,
                               on_wait=lambda: print("Another import into this store is "
                                                     "running: waiting for it to finish.",
                                                     file=sys.stderr, flush=True))
    finally:
        counter.end()
    for line in result.summary():
        print(line)
    return EXIT_OK


def cmd_import_people(args: argparse.Namespace) -> int:
    store = _open(args)
    counter = _Counter()
    try:
        result = import_people(store, ImportFile.from_path(args.file), kind=args.kind,
                               as_of=_import_date(args.as_of), dry_run=args.dry_run,
                               progress=counter)
    finally:
        counter.end()
    for line in result.report():
        print(line)
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace) -> int:
    """Print each event as soon as it is committed, not all at the end: a sweep that is
    stopped (killed, timed out) has then printed everything it wrote."""
    store = _open(args)

    def show(records: list[dict]) -> None:
        for record in records:
            print(json.dumps(record))
        sys.stdout.flush()

    sweep_all(store, _as_of(args.as_of), on_committed=show)
    return EXIT_OK


def cmd_send_mail(args: argparse.Namespace) -> int:
    """Deliver the outbox; with no mail server set, send nothing and leave it as it is."""
    from usecases.mail import mail_server_set, nothing_sent_summary, waiting_mail

    store = _open(args)
    settings = MailSettings.from_env()  # a mistyped setting is reported either way
    if not mail_server_set():  # not localhost:25 by default: the README promises no mail
        print(nothing_sent_summary(waiting_mail(store)))
        return EXIT_OK
    worker = f"{socket.gethostname()}:{os.getpid()}"
    report = send_pending(store, settings, now=dt.datetime.now(dt.UTC), worker=worker,
                          batch=args.batch)
    print(report.summary())
    return EXIT_OK


def cmd_export_alerts(args: argparse.Namespace) -> int:
    """Each record is written as it is produced, so memory stays flat however many alerts."""
    store = _open(args)
    records = alert_records(store, _as_of(args.as_of), with_events=args.format == "json")
    write = write_alerts_json_lines if args.format == "json" else write_alerts_csv
    write(records, sys.stdout)
    return EXIT_OK


def cmd_export_events(args: argparse.Namespace) -> int:
    sys.stdout.write(export_events_csv(_open(args)))
    return EXIT_OK


def cmd_export_summary(args: argparse.Namespace) -> int:
    """The year's anonymised counts (``usecases.export_summary``), to standard output or
    ``--out``; the year is checked before the store is opened."""
    from usecases.export_summary import parse_year, summary_csv

    year = parse_year(args.year)
    as_of = _as_of(args.as_of)
    text = summary_csv(_open(args), year, as_of)
    if not args.out:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        with open(args.out, "w", encoding="utf-8", newline="") as out:
            out.write(text)
    except OSError as exc:
        raise UserError(f"Could not write {args.out}: {exc.strerror or exc}.") from None
    print(f"Wrote the summary of alerts raised from 1 Apr {year} to 31 Mar {year + 1} "
          f"to {args.out}.")
    return EXIT_OK


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise UserError("Give the password on standard input with --password-stdin.")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise UserError("The two passwords differ; nothing was changed.")
    return first


def cmd_users_add(args: argparse.Namespace) -> int:
    store = _open(args)
    password = _read_password(args)
    add_user(store, name=args.name, email=args.email, role=args.role, password=password,
             team=args.team, line_manager_email=args.line_manager, as_of=dt.date.today())
    print(f"Added {args.name} ({role_name(args.role)}); they can sign in as {args.email}.")
    return EXIT_OK


def cmd_users_list(args: argparse.Namespace) -> int:
    rows = [[r["name"], r["email"], role_name(r["role"]), r["team"] or "-",
             "yes" if r["can_sign_in"] else "no"] for r in staff_list(_open(args).db)]
    print(tabulate(rows, headers=["Name", "E-mail", "Role", "Team", "Can sign in"]))
    return EXIT_OK


def cmd_users_set_password(args: argparse.Namespace) -> int:
    store = _open(args)
    set_password(store, args.email, _read_password(args), as_of=dt.date.today())
    print(f"Password set for {args.email}.")
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    since = _as_of(args.since, "--since") if args.since else None
    entries = audit_entries(_open(args), email=args.user, child_ref=args.child, since=since)
    sys.stdout.write(audit_csv(entries))
    return EXIT_OK


def cmd_access_explain(args: argparse.Namespace) -> int:
    """Whether a person may see and act on a child or an alert, and the rule that decides."""
    from usecases.access import ALERT_ACTION_WORDS, explain

    try:
        store = _open(args)
        found = explain(store, args.user, child_ref=args.child, alert_ref=args.alert)
    except UserError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    who, decision = found.person, found.decision
    print(f"{who.name} ({role_name(who.role)}, {who.email})"
          + ("" if found.active else ": inactive, cannot sign in"))
    print(f"About {found.subject}:")
    view = "no"
    if decision.may_view:
        view = "yes, the summary only" if decision.summary_only else "yes"
    print(f"  May view: {view}")
    print(f"  May act:  {'yes' if decision.may_act else 'no'}")
    if found.subject.startswith("alert") and decision.may_view:
        words = [ALERT_ACTION_WORDS[kind] for kind in found.actions]
        print(f"  Allowed now: {'; '.join(words) if words else 'nothing'}")
    print(f"  Why: {decision.rule}")
    return EXIT_OK


def cmd_policy_list(args: argparse.Namespace) -> int:
    rows = []
    for policy_id in preset_ids():
        policy = load_preset(policy_id)
        rows.append([policy.id, policy.version, policy.authority, ", ".join(policy.tracks)])
    print(tabulate(rows, headers=["Policy", "Version", "Authority", "Tracks"]))
    return EXIT_OK


def cmd_policy_show(args: argparse.Namespace) -> int:
    try:
        policy = load_preset(args.policy_id)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    print(f"{policy.id} (version {policy.version}): {policy.authority}")
    print(policy.summary)
    for track in policy.tracks.values():
        print()
        print(f"{track.label}: raised by {', '.join(role_name(r) for r in track.raised_by)}; "
              f"formal process capped at {track.formal_cap_days} working days")
        print(tabulate([list(r.values()) for r in ladder_rows(track)],
                       headers=list(ladder_rows(track)[0].keys())))
    if policy.cafcass_gate is not None:
        print()
        print("Before a CAFCASS referral: tell "
              + " or ".join(role_name(r) for r in policy.cafcass_gate.notify))
    if policy.assumptions:
        print()
        print("Where the procedure is silent, this policy assumes:")
        for assumption in policy.assumptions:
            print(f"- {assumption}")
    print()
    print(f"File: {preset_path(policy.id)}")
    return EXIT_OK


def cmd_policy_check(args: argparse.Namespace) -> int:
    problems = check_policy_file(args.file)
    if not problems:
        print(f"{args.file}: no problems found.")
        return EXIT_OK
    for problem in problems:
        print(problem)
    noun = "problem" if len(problems) == 1 else "problems"
    print(f"{len(problems)} {noun} found.", file=sys.stderr)
    return EXIT_PROBLEMS


def _strict_date(text: str, option: str) -> dt.date:
    """A date given as YYYY-MM-DD exactly (not 20270401, not 1/4/2027), within 1990-2099."""
    try:
        if len(text) != 10 or text[4] != "-" or text[7] != "-":
            raise ValueError
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{option} '{text}' is not a date; write it as YYYY-MM-DD.") from None
    if not dt.date(1990, 1, 1) <= day <= dt.date(2099, 12, 31):
        raise UserError(f"{option} '{text}' is outside 1990-2099.")
    return day


def cmd_policy_export(args: argparse.Namespace) -> int:
    store = _open(args)
    version = args.version or version_in_force(store, dt.date.today())
    text = policy_text(store, version)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return EXIT_OK


def cmd_policy_apply(args: argparse.Namespace) -> int:
    from pathlib import Path

    effective = _strict_date(args.effective_from, "--from")
    as_of = _strict_date(args.as_of, "--as-of") if args.as_of else dt.date.today()
    file = Path(args.file)
    problems = check_policy_file(file)
    if problems:
        for problem in problems:
            print(problem)
        noun = "problem" if len(problems) == 1 else "problems"
        print(f"{len(problems)} {noun} found; nothing was changed.", file=sys.stderr)
        return EXIT_PROBLEMS
    store = _open(args)
    adopted = apply_policy_version(store, file.read_text(encoding="utf-8"),
                                   file_name=file.name, effective_from=effective,
                                   reason=args.reason, as_of=as_of, adopted_by=COMMAND_LINE)
    when = ("in force now" if adopted.in_force
            else f"in force from {adopted.effective_from.isoformat()}")
    print(f"Adopted version {adopted.version} of policy {adopted.policy.id}, taking effect on "
          f"{adopted.effective_from.isoformat()} ({when}).")
    for note in adopted.notes:
        print(note)
    print("Alerts keep the version they were raised under; alerts raised from "
          f"{adopted.effective_from.isoformat()} use version {adopted.version}.")
    return EXIT_OK


def cmd_what_if(args: argparse.Namespace) -> int:
    from usecases.what_if import draft_from_file, what_if

    end = _strict_date(args.to, "--to") if args.to else dt.date.today()
    start = _strict_date(args.start, "--from") if args.start else None
    draft = draft_from_file(args.policy_file)
    store = open_store(resolve_db_path(args.db))  # read only: no migration, nothing written
    live = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if live:
            sys.stderr.write(f"\rReplaying: {done:,} of {total:,} alerts".ljust(48))
            sys.stderr.flush()

    try:
        report = what_if(store, draft, start=start, end=end, progress=progress,
                         workers=args.workers or os.cpu_count() or 1)
    finally:
        if live:
            sys.stderr.write("\r" + " " * 48 + "\r")
    if args.format == "json":
        print(json.dumps(report.as_json(), indent=1))
        return EXIT_OK
    print(f"{report.alerts} alerts raised {start or 'up'} to {end}; {report.changed} would "
          f"have gone differently under {report.draft_policy}.")
    keys = [k for k in report.actual if k != "reached_level"]
    rows = [[k.replace("_", " "), report.actual[k], report.draft[k]] for k in keys]
    rows += [[f"reached {role_name(role)}", n, report.draft["reached_level"].get(role, 0)]
             for role, n in report.actual["reached_level"].items()]
    print(tabulate(rows, headers=["", "Actual", "Draft"]))
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    """A consistent, checked copy of the store, taken while people go on working."""
    from usecases.backup import BackupFailed, backup_store

    source = resolve_db_path(args.db)
    try:
        copied = backup_store(source, args.to, force=args.force, as_of=dt.date.today())
    except BackupFailed as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"Copied {source} to {copied.path}: {copied.summary()}.")
    print(f"Checked: {'; '.join(copied.checks)}. Readable by its owner only.")
    if copied.problems:  # the store's own problems, faithfully copied: say them, fail cron
        print(f"Error: the copy was kept, but the store's own check found "
              f"{len(copied.problems)} problem(s) in {source}:", file=sys.stderr)
        for problem in copied.problems[:5]:
            print(f"  - {problem}", file=sys.stderr)
        print(f"See them all with 'python manage.py verify --db {source}'.", file=sys.stderr)
        return EXIT_PROBLEMS
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    """Put a checked backup in place of the store; the store it replaces is kept."""
    from usecases.backup import BackupFailed, restore_store

    target = resolve_db_path(args.db)
    try:
        restored = restore_store(args.backup_file, target, now=dt.datetime.now(dt.UTC),
                                 force=args.force, as_of=dt.date.today())
    except BackupFailed as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"Restored {target} from {args.backup_file}: {restored.store.summary()}.")
    print(f"Checked: {'; '.join(restored.store.checks)}. Readable by its owner only.")
    if restored.kept is not None:
        print(f"The store that was at {target} is kept as {restored.kept}.")
    print("Restart the app (and Litestream, if it replicates this store) to use it.")
    return EXIT_OK


def cmd_roll_back_import(args: argparse.Namespace) -> int:
    """Undo an import that stopped part-way (its process was killed): its chunks stop
    counting and the tables are put back. Refused while an import is running."""
    from usecases.import_runs import import_turn, roll_back_unfinished

    store = _open(args)
    with import_turn(store, wait_seconds=0):
        undone = roll_back_unfinished(store, as_of=_as_of(args.as_of), import_id=args.import_id,
                                      why="rolled back with 'manage.py roll-back-import'.")
    if not undone:
        which = f"import {args.import_id} is" if args.import_id else "no import is"
        print(f"Nothing to roll back: {which} unfinished.")
    for rolled in undone:
        print(rolled.sentence())
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    """Whether the store is what its event log says: the guard, the hash chain, the tables.
    Reads only; exit 0 only when all is well."""
    from usecases.integrity import verify_store

    try:
        result = verify_store(resolve_db_path(args.db))
    except UserError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    print("\n".join(result.lines()))
    return EXIT_OK if result.ok else EXIT_PROBLEMS


def cmd_rebuild(args: argparse.Namespace) -> int:
    """Write the projections again from the event log (one transaction), then verify."""
    from usecases.integrity import rebuild_store

    try:
        rebuilt = rebuild_store(resolve_db_path(args.db))
    except UserError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    print("\n".join(rebuilt.lines()))
    return EXIT_OK if rebuilt.verification.ok else EXIT_PROBLEMS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="manage.py",
        description="Operate the IRO alerts store: create it, import and export alert "
        "histories, run the sweep, check policies.",
    )
    db_help = f"the store's SQLite file (default: ${DB_PATH_ENV}, else data/iro.db)"
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = commands.add_parser("init", help="create a new store governed by a policy")
    init.add_argument("--db", help=db_help)
    governed = init.add_mutually_exclusive_group(required=True)
    governed.add_argument(
        "--policy", help="policy id, e.g. seed-001 (see 'policy list')"
    )
    governed.add_argument(
        "--policy-file", metavar="FILE.yaml",
        help="your own policy file (checked first, as 'policy check' does)"
    )
    init.add_argument("--demo", action="store_true", help="add synthetic demonstration data")
    init.add_argument("--exist-ok", action="store_true",
                      help="if a store is already there, leave it and succeed")
    init.add_argument(
        "--as-of", help="the date to build the demo around (YYYY-MM-DD; default today)"
    )
    init.set_defaults(handler=cmd_init)

    importer = commands.add_parser(
        "import-events",
        help="append alert histories from a CSV or .xlsx file (all or nothing)"
    )
    importer.add_argument("--db", help=db_help)
    importer.add_argument("file", help=".csv (UTF-8) or .xlsx with columns "
                          + ",".join(IMPORT_COLUMNS) + ", or the spreadsheet's own (--map)")
    importer.add_argument("--map", metavar="FILE.yaml",
                          help="map the spreadsheet's own headings and words to the import's")
    importer.add_argument("--as-of", help="the import's date: later rows are refused "
                          "(YYYY-MM-DD; default today)")
    importer.add_argument("--dry-run", action="store_true",
                          help="check and play everything through the rules; write nothing")
    importer.set_defaults(handler=cmd_import_events)

    people = commands.add_parser(
        "import-people",
        help="add or update teams, staff and children from a .xlsx or CSV file (all or nothing)"
    )
    people.add_argument("--db", help=db_help)
    people.add_argument("file", help=".xlsx with sheets teams, staff and children, or a .csv "
                        "of one of them (with --kind)")
    people.add_argument("--kind", choices=PEOPLE_KINDS,
                        help="what a .csv file holds (not needed for .xlsx)")
    people.add_argument("--as-of", help="the date the changes are recorded on (YYYY-MM-DD; "
                        "default today)")
    people.add_argument("--dry-run", action="store_true",
                        help="print what would be added and changed; write nothing")
    people.set_defaults(handler=cmd_import_people)

    sweeper = commands.add_parser(
        "sweep", help="apply every time-driven rule up to a date; prints derived events"
    )
    sweeper.add_argument("--db", help=db_help)
    sweeper.add_argument("--as-of", help="YYYY-MM-DD (default today)")
    sweeper.set_defaults(handler=cmd_sweep)

    mailer = commands.add_parser(
        "send-mail", help="deliver the e-mail waiting in the outbox (SMTP settings from IRO_SMTP_*)"
    )
    mailer.add_argument("--db", help=db_help)
    mailer.add_argument("--batch", type=int, default=50, help="most messages in one run")
    mailer.set_defaults(handler=cmd_send_mail)

    exporter = commands.add_parser("export-alerts", help="one record per alert, as of a date")
    exporter.add_argument("--db", help=db_help)
    exporter.add_argument("--as-of", help="YYYY-MM-DD (default today)")
    exporter.add_argument("--format", choices=("json", "csv"), default="json",
                          help="json: one object per line, with events; csv: one row per alert")
    exporter.set_defaults(handler=cmd_export_alerts)

    history = commands.add_parser(
        "export-events", help="every alert's recorded events as CSV in the import's format"
    )
    history.add_argument("--db", help=db_help)
    history.set_defaults(handler=cmd_export_events)

    summary = commands.add_parser(
        "export-summary", help="a year's alerts as anonymised counts (CSV) to compare "
                               "authorities: no child, person or free text; small counts <5")
    summary.add_argument("--db", help=db_help)
    summary.add_argument("--year", required=True, metavar="YYYY",
                         help="the financial year starting 1 April YYYY (2026: 1 Apr 2026 "
                              "to 31 Mar 2027)")
    summary.add_argument("--out", metavar="FILE", help="write to FILE (default: standard "
                                                       "output)")
    summary.add_argument("--as-of", help="count what had happened by this day (YYYY-MM-DD; "
                                         "default today)")
    summary.set_defaults(handler=cmd_export_summary)

    users = commands.add_parser("users", help="add people who can sign in; set passwords")
    users_commands = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    add = users_commands.add_parser("add", help="add a member of staff who can sign in")
    add.add_argument("--db", help=db_help)
    add.add_argument("--name", required=True)
    add.add_argument("--email", required=True)
    add.add_argument("--role", required=True, help="a role slug, e.g. iro or team_manager")
    add.add_argument("--team", help="the team's name")
    add.add_argument("--line-manager", help="the line manager's e-mail")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from standard input (else it is asked for)")
    add.set_defaults(handler=cmd_users_add)
    listing_users = users_commands.add_parser("list", help="everyone on the staff list")
    listing_users.add_argument("--db", help=db_help)
    listing_users.set_defaults(handler=cmd_users_list)
    password = users_commands.add_parser("set-password", help="set someone's password")
    password.add_argument("--db", help=db_help)
    password.add_argument("--email", required=True)
    password.add_argument("--password-stdin", action="store_true")
    password.set_defaults(handler=cmd_users_set_password)

    audit = commands.add_parser(
        "audit", help="the access audit as CSV: sign-ins, failures, locks, sign-outs and "
                      "every opening of a child's record, alert or review")
    audit.add_argument("--db", help=db_help)
    audit.add_argument("--user", help="only this person (their e-mail address)")
    audit.add_argument("--child", help="only this child (case reference)")
    audit.add_argument("--since", help="only from this date (YYYY-MM-DD)")
    audit.set_defaults(handler=cmd_audit)

    policy = commands.add_parser("policy", help="list, show and check policy files")
    policy_commands = policy.add_subparsers(dest="policy_command", required=True, metavar="ACTION")
    listing = policy_commands.add_parser("list", help="list the policy presets")
    listing.set_defaults(handler=cmd_policy_list)
    show = policy_commands.add_parser("show", help="print a preset's ladder as a table")
    show.add_argument("policy_id")
    show.set_defaults(handler=cmd_policy_show)
    check = policy_commands.add_parser(
        "check", help="validate a policy file and list every problem"
    )
    check.add_argument("file")
    check.set_defaults(handler=cmd_policy_check)
    export = policy_commands.add_parser(
        "export", help="print the store's policy as YAML (the version in force, or --version)"
    )
    export.add_argument("--db", help=db_help)
    export.add_argument("--version", type=int, help="a version number (default: the one in force)")
    export.set_defaults(handler=cmd_policy_export)
    apply = policy_commands.add_parser(
        "apply", help="check a changed policy file and adopt it as the store's next version"
    )
    apply.add_argument("--db", help=db_help)
    apply.add_argument("file", help="the policy file (its id must be the store's)")
    apply.add_argument("--from", dest="effective_from", required=True, metavar="YYYY-MM-DD",
                       help="the day the new version takes effect")
    apply.add_argument("--reason", required=True, help="why the policy changes")
    apply.add_argument("--as-of", help="the day it is recorded (YYYY-MM-DD; default today)")
    apply.set_defaults(handler=cmd_policy_apply)

    whatif = commands.add_parser(
        "what-if", help="replay the store's alert histories under a draft policy; writes nothing"
    )
    whatif.add_argument("--db", help=db_help)
    whatif.add_argument("--policy-file", required=True, metavar="FILE.yaml",
                        help="the draft policy (checked first, as 'policy check' does)")
    whatif.add_argument("--from", dest="start", metavar="YYYY-MM-DD",
                        help="alerts raised on or after this day (default: all)")
    whatif.add_argument("--to", metavar="YYYY-MM-DD",
                        help="alerts raised up to this day, replayed up to it (default today)")
    whatif.add_argument("--format", choices=("json", "text"), default="json",
                        help="json: totals and every difference; text: the totals as a table")
    whatif.add_argument("--workers", type=int,
                        help="processes to replay in (default: one per core)")
    whatif.set_defaults(handler=cmd_what_if)

    access = commands.add_parser("access", help="explain who may see and do what")
    access_commands = access.add_subparsers(dest="access_command", required=True,
                                            metavar="ACTION")
    explain = access_commands.add_parser(
        "explain", help="whether a person may view and act on a child or an alert, and why")
    explain.add_argument("--db", help=db_help)
    explain.add_argument("--user", required=True, help="the person's e-mail address")
    subject = explain.add_mutually_exclusive_group(required=True)
    subject.add_argument("--child", help="a child's case reference")
    subject.add_argument("--alert", help="an alert's reference")
    explain.set_defaults(handler=cmd_access_explain)

    backup = commands.add_parser(
        "backup", help="copy the store while people work, then check the copy")
    backup.add_argument("--db", help=db_help)
    backup.add_argument("--to", required=True, metavar="FILE",
                        help="the backup file to write (created readable by its owner only)")
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")
    backup.set_defaults(handler=cmd_backup)

    restore = commands.add_parser(
        "restore", help="check a backup and put it in place of the store")
    restore.add_argument("--db", help=db_help)
    restore.add_argument("--from", dest="backup_file", required=True, metavar="FILE",
                         help="the backup (from 'backup', or from 'litestream restore -o')")
    restore.add_argument("--force", action="store_true",
                         help="replace a store already there; it is kept as "
                              "PATH.before-restore-<time>")
    restore.set_defaults(handler=cmd_restore)

    roll_back = commands.add_parser(
        "roll-back-import", help="undo an import of alert histories that stopped part-way "
                                 "(the next import does this by itself)")
    roll_back.add_argument("--db", help=db_help)
    roll_back.add_argument("--import-id", help="only this import (default: every unfinished one)")
    roll_back.add_argument("--as-of", help="the day it is recorded (YYYY-MM-DD; default today)")
    roll_back.set_defaults(handler=cmd_roll_back_import)

    verify = commands.add_parser(
        "verify", help="check the event log's guard and hash chain, and that every projected "
                       "table is what replaying the log gives, listing each difference; reads "
                       "only (exit 0 only when all is well)")
    verify.add_argument("--db", help=db_help)
    verify.set_defaults(handler=cmd_verify)

    rebuild = commands.add_parser(
        "rebuild", help="write every projected table again from the event log, "
                        "then verify (refused if the log's history was changed)")
    rebuild.add_argument("--db", help=db_help)
    rebuild.set_defaults(handler=cmd_rebuild)
    return parser


#: The log of unexpected errors' details, when ``$IRO_LOG_FILE`` does not name one.
ERROR_LOG_NAME = "iro-errors.log"
LOG_FILE_ENV = "IRO_LOG_FILE"
EXIT_INTERRUPTED = 130  # what shells report for a command stopped with Ctrl-C (128 + SIGINT)


def _error_log_path(args: argparse.Namespace) -> os.PathLike[str]:
    """Where the details of an unexpected error go: ``$IRO_LOG_FILE`` if set, else
    ``iro-errors.log`` beside the store the command was pointed at (``--db``, ``$IRO_DB``,
    else ``data/``), or in the working directory if that folder does not exist."""
    from pathlib import Path

    explicit = os.environ.get(LOG_FILE_ENV)
    if explicit:
        return Path(explicit).absolute()
    folder = resolve_db_path(getattr(args, "db", None)).absolute().parent
    return (folder if folder.is_dir() else Path.cwd()) / ERROR_LOG_NAME


def _plain_reason(exc: BaseException, args: argparse.Namespace) -> str:
    """One plain sentence (no full stop) for what went wrong, for the operator to act on;
    the traceback goes to the log, not the screen."""
    import sqlite3

    from db.retry import is_busy

    store = resolve_db_path(getattr(args, "db", None))
    text = str(exc).lower()
    if is_busy(exc):
        return ("the store stayed busy with other work for too long, so nothing was changed; "
                "try again in a minute")
    if isinstance(exc, sqlite3.DatabaseError):
        if "not a database" in text:
            return f"{store} is not a store: it is not a SQLite database file"
        if "readonly" in text or "read-only" in text:
            return (f"the store {store} can be read but not changed; check that this account "
                    "may write to the file and its folder")
        if "unable to open" in text:
            return f"the store {store} could not be opened; check the path and its folder"
        if "malformed" in text or "corrupt" in text:
            return (f"the store {store} is damaged; restore it from a backup "
                    "('python manage.py restore')")
        if "full" in text:
            return f"the disk holding the store {store} is full"
        return f"the store {store} could not be used (SQLite said: {exc})"
    if isinstance(exc, PermissionError):
        return f"this account may not use {exc.filename or 'a file the command needs'}"
    if isinstance(exc, MemoryError):
        return "the computer ran out of memory"
    if isinstance(exc, OSError):
        return f"a file could not be read or written ({exc.strerror or exc})"
    return "the command stopped on an error it was not written to expect"


def _report_unexpected(exc: BaseException, args: argparse.Namespace,
                       argv: Sequence[str] | None) -> int:
    """Print a plain message and append the details to the error log (readable by its
    owner only: an error's details can name children and staff)."""
    import traceback

    entry = (f"--- {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} pid {os.getpid()}: "
             f"manage.py {' '.join(sys.argv[1:] if argv is None else argv)}\n"
             + "".join(traceback.format_exception(exc)) + "\n")
    path = None
    try:
        path = _error_log_path(args)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as log:
            log.write(entry)
        where = f"The details are in {path}."
    except OSError as problem:
        where = (f"The details could not be written to {path or 'the error log'} "
                 f"({problem.strerror or problem}).")
    print(f"Something went wrong: {_plain_reason(exc, args)}. {where}", file=sys.stderr)
    return EXIT_PROBLEMS


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; whatever happens, the operator sees plain sentences, never a trace.

    A :class:`UserError` is printed as written (exit 2), a policy file's problems listed
    (exit 1). Anything else was not expected: the message is "Something went wrong: <one
    plain sentence>. The details are in <path>." (exit 1), and the traceback is appended
    to that file: ``$IRO_LOG_FILE`` if set, else ``iro-errors.log`` in the folder holding
    the store (from ``--db``, else ``$IRO_DB``, else ``data/``): a folder the app must be
    able to write to anyway (SQLite keeps the store's -wal file there), wherever cron or
    systemd happened to start the command, and where an operator looks first; the working
    directory if that folder does not exist. Ctrl-C prints "Stopped." and exits 130.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except UserError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except PolicyInvalid as exc:
        print(f"Error: the policy file has problems:\n{exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except BrokenPipeError:  # e.g. piped into `head`: the reader has all it wanted
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # the promise: no stack trace on screen, ever
        return _report_unexpected(exc, args, argv)


if __name__ == "__main__":
    sys.exit(main())
