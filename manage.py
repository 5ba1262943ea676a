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
    alerts_as_csv,
    alerts_as_json_lines,
    export_alerts,
    export_events_csv,
)
from usecases.import_events import COLUMNS as IMPORT_COLUMNS
from usecases.import_events import import_events
from usecases.mail import MailSettings, send_pending
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
    store = create_store(path, args.policy, demo=args.demo, as_of=_as_of(args.as_of))
    counts = store_counts(store.db)
    print(f"Created {path} under policy {store.policy.id} ({store.policy.authority}).")
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


def cmd_import_events(args: argparse.Namespace) -> int:
    store = _open(args)
    try:
        with open(args.file, encoding="utf-8-sig", newline="") as f:
            text = f.read()
    except OSError as exc:
        raise UserError(f"Cannot read {args.file}: {exc.strerror or exc}.") from None
    except UnicodeDecodeError:
        raise UserError(f"{args.file} is not UTF-8 text; save it as CSV UTF-8.") from None
    result = import_events(store, text)
    print(f"Imported {result.events} events on {result.alerts} alerts; the rules added "
          f"{result.derived} events of their own.")
    if result.children_created:
        print(f"Created {len(result.children_created)} children not in the store before: "
              + ", ".join(result.children_created) + ". Complete their details.")
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace) -> int:
    store = _open(args)
    for record in sweep_all(store, _as_of(args.as_of)):
        print(json.dumps(record))
    return EXIT_OK


def cmd_send_mail(args: argparse.Namespace) -> int:
    store = _open(args)
    settings = MailSettings.from_env()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    report = send_pending(store, settings, now=dt.datetime.now(dt.UTC), worker=worker,
                          batch=args.batch)
    print(report.summary())
    return EXIT_OK


def cmd_export_alerts(args: argparse.Namespace) -> int:
    store = _open(args)
    records = export_alerts(store, _as_of(args.as_of), with_events=args.format == "json")
    text = alerts_as_json_lines(records) if args.format == "json" else alerts_as_csv(records)
    sys.stdout.write(text)
    return EXIT_OK


def cmd_export_events(args: argparse.Namespace) -> int:
    sys.stdout.write(export_events_csv(_open(args)))
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
    init.add_argument(
        "--policy", required=True, help="policy id, e.g. seed-001 (see 'policy list')"
    )
    init.add_argument("--demo", action="store_true", help="add synthetic demonstration data")
    init.add_argument("--exist-ok", action="store_true",
                      help="if a store is already there, leave it and succeed")
    init.add_argument(
        "--as-of", help="the date to build the demo around (YYYY-MM-DD; default today)"
    )
    init.set_defaults(handler=cmd_init)

    importer = commands.add_parser(
        "import-events", help="append alert histories from a CSV file (all or nothing)"
    )
    importer.add_argument("--db", help=db_help)
    importer.add_argument("file", help="CSV with columns " + ",".join(IMPORT_COLUMNS))
    importer.set_defaults(handler=cmd_import_events)

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
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


if __name__ == "__main__":
    sys.exit(main())
