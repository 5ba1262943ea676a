"""The command line for operators: create stores, check policies, and (later) run the sweep.

Every command takes ``--db PATH`` (or ``$IRO_DB``; default ``data/iro.db``). Errors are
printed as plain sentences and the exit code is non-zero; a stack trace is never shown.
This is one of the two places (with the pages) that may read today's date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable, Sequence

from tabulate import tabulate

from db.connection import DB_PATH_ENV, resolve_db_path
from db.queries import store_counts
from rules.ladder_text import ladder_rows
from rules.policy import PolicyInvalid, check_policy_file, load_preset, preset_ids, preset_path
from rules.roles import role_name
from usecases.errors import UserError
from usecases.store import create_store

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def _as_of(text: str | None) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"--as-of '{text}' is not a date; write it as YYYY-MM-DD.") from None


def cmd_init(args: argparse.Namespace) -> int:
    path = resolve_db_path(args.db)
    store = create_store(path, args.policy, demo=args.demo, as_of=_as_of(args.as_of))
    counts = store_counts(store.db)
    print(f"Created {path} under policy {store.policy.id} ({store.policy.authority}).")
    if args.demo:
        print(
            f"Demo data: {counts.teams} teams, {counts.staff} staff, {counts.children} children, "
            f"{counts.reviews} reviews, {counts.alerts_open} open alerts. "
            "Everyone in it is invented."
        )
    store.db.close()
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
        description="Operate the IRO alerts store: create it, check policies.",
    )
    db_help = f"the store's SQLite file (default: ${DB_PATH_ENV}, else data/iro.db)"
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = commands.add_parser("init", help="create a new store governed by a policy")
    init.add_argument("--db", help=db_help)
    init.add_argument(
        "--policy", required=True, help="policy id, e.g. seed-001 (see 'policy list')"
    )
    init.add_argument("--demo", action="store_true", help="add synthetic demonstration data")
    init.add_argument(
        "--as-of", help="the date to build the demo around (YYYY-MM-DD; default today)"
    )
    init.set_defaults(handler=cmd_init)

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


if __name__ == "__main__":
    sys.exit(main())
