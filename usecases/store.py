"""Creating and opening a store: a SQLite file governed by one authority's policy."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from db.connection import connection_for, open_db, write_transaction
from db.events import append_event
from db.schema import MIGRATIONS, migrate
from db.settings import CREATED_ON, POLICY_ID, get_setting, set_setting
from rules.policy import Policy, load_preset, preset_path
from rules.policy_yaml import with_version
from rules.working_days import WorkingCalendar, calendar_for
from usecases.errors import UserError
from usecases.policy_versions import (
    COMMAND_LINE,
    ensure_versions,
    policy_in_store,
    read_policy_source,
    record_first_version,
)


@dataclass(frozen=True)
class Store:
    """An open store and the policy that governs it: the version in force (see
    ``usecases.policy_versions`` for the others, and for the version an alert runs under)."""

    db: sqlite_utils.Database
    policy: Policy
    path: Path

    @property
    def calendar(self) -> WorkingCalendar:
        return calendar_for(self.policy.closure_days)


def _check_policy_id(policy_id: str) -> Policy:
    try:
        return load_preset(policy_id)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def create_store(
    path: str | os.PathLike[str],
    policy_id: str | None = None,
    *,
    demo: bool,
    as_of: dt.date,
    policy_file: str | os.PathLike[str] | None = None,
    adopted_by: str = COMMAND_LINE,
) -> Store:
    """Create a new store under the preset ``policy_id``, or under the policy in
    ``policy_file`` (checked first: PolicyInvalid listing every problem, and nothing is
    created); with ``demo``, fill it with synthetic data.

    The policy becomes the store's version 1, in force from ``as_of``. Refuses a file that
    already holds a store, so an operator cannot overwrite an authority's records by
    retyping a command.
    """
    if (policy_id is None) == (policy_file is None):
        raise UserError("Give either a policy preset (--policy ID) or a policy file "
                        "(--policy-file FILE.yaml), not both.")
    if policy_file is not None:
        text, policy = read_policy_source(policy_file)
        source = f"the policy file {Path(policy_file).name}"
    else:
        policy = _check_policy_id(policy_id or "")
        text = preset_path(policy.id).read_text(encoding="utf-8")
        source = f"the preset {policy.id}"
    path = Path(path)
    _create_private_file(path)
    db = open_db(path)
    try:
        migrate(db)
        existing = get_setting(db, POLICY_ID)
        if existing is not None:
            raise UserError(
                f"{path} already holds a store (governed by {existing}). "
                "Choose another path, or move that file away first."
            )
        with write_transaction(db):
            set_setting(db, POLICY_ID, policy.id)
            set_setting(db, CREATED_ON, as_of.isoformat())
            event_id = append_event(
                db,
                kind="store_created",
                occurred_on=as_of,
                actor_role="admin",
                # version 1 whole (the YAML as kept, who adopted it and why): the log is
                # the record, and the policy_versions table only its projection
                data={"policy_id": policy.id, "policy_version": 1,
                      "yaml": with_version(text, 1), "adopted_by": adopted_by,
                      "version_reason": f"Created from {source}."},
                reason=f"Store created under policy {policy.id} version 1, from {source}.",
            )
            record_first_version(db, policy_id=policy.id, text=text, created_on=as_of,
                                 adopted_by=adopted_by, reason=f"Created from {source}.",
                                 event_id=event_id)
        store = Store(db=db, policy=policy_in_store(db, path, as_of), path=path)
        if demo:
            from usecases.demo import add_demo_data

            add_demo_data(store, as_of=as_of)
        return store
    except BaseException:
        db.close()
        raise


def _create_private_file(path: Path) -> None:
    """Make an empty store file readable and writable by its owner only (0600).

    SQLite gives the WAL and shared-memory files the database file's permissions, so the
    whole store stays private to the account the app runs as.
    """
    if str(path) == ":memory:" or path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def prepare_store(path: str | os.PathLike[str]) -> None:
    """Apply pending migrations: once per process at start-up, before any store is opened."""
    path = _require_file(path)
    db = open_db(path)
    try:
        tables = set(db.table_names())
        if tables and MIGRATIONS.migrations_table not in tables:
            raise UserError(
                f"{path} is not a store made by this application (it names no policy). "
                "Point IRO_DB or --db at a store, or create one with "
                f"'python manage.py init --db NEW.db --policy seed-001'."
            )
        migrate(db)
        ensure_versions(db)
    finally:
        db.close()


def open_store(path: str | os.PathLike[str], as_of: dt.date | None = None) -> Store:
    """This thread's connection to an existing store, with the policy in force.

    Pass ``as_of`` (today, from the page or command) wherever it is known: the policy is
    then the version in force that day. Without it, the version the store's settings say
    is in force (kept up to date when a version is adopted, and by the sweep).
    """
    path = _require_file(path)
    db = connection_for(path)
    from db.integrity import require_guard_when_kept  # refuse an unguarded event log

    require_guard_when_kept(db)
    return Store(db=db, policy=policy_in_store(db, path, as_of), path=path)


def _require_file(path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    if not path.exists():
        raise UserError(
            f"There is no store at {path}. Create one with "
            f"'python manage.py init --db {path} --policy seed-001'."
        )
    return path
