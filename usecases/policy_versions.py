"""Policy versions: the store keeps every version of its policy, and which one is in force.

A policy is versioned data (DESIGN.md, "Policy versions and what-if"). A store starts at
version 1, the preset or file it was created under, in force from the day it was created.
Adopting a changed policy adds version 2, 3 ... each with the day it takes effect, who
adopted it and why, and an event in the log. Versions are never edited or removed.

Which version applies:

- **in force on a date**: the newest version whose effective date is on or before it
  (:func:`version_in_force`); ``open_store(path, as_of)`` loads that one as ``Store.policy``;
- **for an alert or review**: the version it was started under, for good
  (:func:`version_for_start` when it starts; :func:`alert_version` afterwards, read from the
  version stamped on its ``raised`` event), so a due date once given never moves by itself;
- unless an administrator moves open alerts to a newer version deliberately, after seeing
  which dates would change (:func:`due_date_changes`, then :func:`migrate_open_alerts`,
  which records a ``policy_migrated`` event on each).

The version numbers are the store's: versions are numbered 1, 2, 3 ... as adopted, and the
kept YAML's ``version:`` line says the same number (``rules.policy_yaml``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

from db.alerts import save_projection
from db.connection import write_transaction
from db.events import append_event, events_for_alert
from db.policy_versions import (
    VersionRow,
    alert_version_stamps,
    has_versions_table,
    insert_version,
    review_version_stamp,
    version_rows,
    version_text,
)
from db.settings import CREATED_ON, POLICY_ID, POLICY_VERSION, get_setting, set_setting
from rules.alert_state import AlertState
from rules.policy import (
    Policy,
    PolicyInvalid,
    load_policy_text,
    load_preset,
    preset_ids,
    preset_path,
)
from rules.policy_check import read_policy_text
from rules.policy_migration import MIGRATED, Move, apply_migration, move
from rules.policy_yaml import same_rules, with_version, written_version
from rules.working_days import calendar_for
from usecases.errors import UserError

if TYPE_CHECKING:
    from usecases.store import Store

#: Who adopted a version from ``manage.py``.
COMMAND_LINE = "command line"
#: The event logged when a version is adopted.
ADOPTED = "policy_version_adopted"
#: The earliest and latest effective dates accepted (the working-day calendar's range).
EARLIEST_EFFECTIVE = dt.date(1990, 1, 1)
LATEST_EFFECTIVE = dt.date(2099, 12, 31)


@dataclass(frozen=True)
class PolicyVersion:
    """One version as the version list shows it."""

    version: int
    policy_id: str
    effective_from: dt.date
    adopted_by: str
    reason: str
    recorded_on: dt.date
    recorded_at: str


@dataclass(frozen=True)
class Adopted:
    """What :func:`apply_policy_version` did."""

    version: int
    policy: Policy
    effective_from: dt.date
    in_force: bool  # in force on the day it was adopted
    file_version: Any  # what the file's own ``version:`` said
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DueDateChange:
    """An open alert whose dates would change if moved to a newer version."""

    ref: str
    child: str
    track: str
    level: str
    from_version: int
    to_version: int
    due_before: dt.date | None
    due_after: dt.date | None
    formal_due_before: dt.date | None
    formal_due_after: dt.date | None
    problem: str = ""  # why it cannot be moved (then the dates stay as they are)

    def as_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, dt.date) else v)
                for k, v in dataclasses.asdict(self).items()}


# -- reading versions -------------------------------------------------------------------------


def versions(store: Store) -> list[PolicyVersion]:
    """Every version of the store's policy, oldest first."""
    return [PolicyVersion(r.version, r.policy_id, r.effective_from, r.adopted_by, r.reason,
                          r.recorded_on, r.recorded_at) for r in version_rows(store.db)]


def _in_force(rows: Sequence[VersionRow], as_of: dt.date) -> VersionRow:
    """The newest version in effect on ``as_of``; the first one before the store began (an
    alert imported from older records started under the version the store began with)."""
    found = rows[0]
    for row in rows:
        if row.effective_from <= as_of:
            found = row
    return found


def version_in_force(store: Store, as_of: dt.date) -> int:
    """The number of the version in force on ``as_of``."""
    rows = version_rows(store.db)
    return _in_force(rows, as_of).version if rows else store.policy.version


def version_for_start(store: Store, started_on: dt.date) -> int:
    """The version an alert or review started on ``started_on`` runs under, for good: the one
    in force that day (version 1 for anything that started before the store did)."""
    return version_in_force(store, started_on)


def _pointer(db: sqlite_utils.Database, rows: Sequence[VersionRow]) -> VersionRow:
    """The version the store's settings say is in force (kept up to date by adopting a
    version and by :func:`refresh_policy_in_force`); the latest adopted if they say none."""
    text = get_setting(db, POLICY_VERSION)
    by_number = {row.version: row for row in rows}
    if text and text.isdigit() and int(text) in by_number:
        return by_number[int(text)]
    return rows[-1]


_parsed: OrderedDict[tuple[str, int, str, str], Policy] = OrderedDict()
_PARSED_MAX = 64


@functools.cache
def preset_text(policy_id: str) -> str:
    return preset_path(policy_id).read_text(encoding="utf-8")


def _policy_of(db: sqlite_utils.Database, row: VersionRow, store_path: str) -> Policy:
    """The Policy a kept version holds; parsed once per process (versions never change)."""
    key = (row.sha256, row.version, row.policy_id, store_path)
    found = _parsed.get(key)
    if found is not None:
        _parsed.move_to_end(key)
        return found
    text = version_text(db, row.version) or ""
    policy = _parse_kept(text, row.version, row.policy_id, store_path)
    _parsed[key] = policy
    while len(_parsed) > _PARSED_MAX:
        _parsed.popitem(last=False)
    return policy


def _parse_kept(text: str, version: int, policy_id: str, store_path: str) -> Policy:
    if policy_id in preset_ids() and text == preset_text(policy_id):
        preset = load_preset(policy_id)  # the same object the app has always used
        if preset.version == version:
            return preset
    try:
        policy = load_policy_text(text, f"{policy_id}.yaml",
                                  path=f"{store_path} (policy version {version})")
    except PolicyInvalid as exc:
        raise UserError(
            f"Version {version} of this store's policy no longer passes this installation's"
            f" checks:\n{exc}") from None
    return policy if policy.version == version else dataclasses.replace(policy, version=version)


def policy_in_store(
    db: sqlite_utils.Database, path: str | Path, as_of: dt.date | None = None
) -> Policy:
    """The policy a store is governed by on ``as_of``; without a date, the version its
    settings say is in force. A store made before versions were kept: its preset."""
    rows = version_rows(db)
    if rows:
        row = _in_force(rows, as_of) if as_of is not None else _pointer(db, rows)
        return _policy_of(db, row, str(path))
    policy_id = get_setting(db, POLICY_ID)
    if policy_id is None:
        raise UserError(
            f"{path} is not a store made by this application (it names no policy). "
            f"Create one with 'python manage.py init --db {path} --policy seed-001'.")
    if policy_id not in preset_ids():
        raise UserError(
            f"{path} is governed by policy {policy_id}, which this installation does not have.")
    return load_preset(policy_id)


def policy_for(store: Store, version: int) -> Policy:
    """Version ``version`` of the store's policy (what an alert started under it runs by)."""
    if version == store.policy.version and not has_versions_table(store.db):
        return store.policy
    rows = {row.version: row for row in version_rows(store.db)}
    if not rows and version == store.policy.version:
        return store.policy
    if version not in rows:
        known = ", ".join(str(v) for v in rows) or "none"
        raise UserError(f"This store's policy has no version {version} (it has: {known}).")
    return _policy_of(store.db, rows[version], str(store.path))


def _takes_not_recorded(policy: Policy) -> bool:
    from rules.legacy import NOT_RECORDED

    return any(c.id == NOT_RECORDED for t in policy.tracks.values() for c in t.categories)


def store_under(store: Store, version: int) -> Store:
    """The same store with version ``version`` as its policy: what a use case acting on an
    alert started under that version works with (its events are stamped with it).

    A store whose policy an import widened to accept the reserved ``not_recorded``
    category (``rules.legacy.with_not_recorded``) gets the other version widened the same
    way, so an imported history can start under an older version.
    """
    if version == store.policy.version:
        return store
    policy = policy_for(store, version)
    if _takes_not_recorded(store.policy) and not _takes_not_recorded(policy):
        from rules.legacy import with_not_recorded

        policy = with_not_recorded(policy)
    return dataclasses.replace(store, policy=policy)


def alert_version(store: Store, alert_id: int) -> int:
    """The version an alert runs under: the one it was moved to last, else the one stamped
    on its ``raised`` event, else the one in force the day it was raised."""
    raised, moved = alert_version_stamps(store.db, alert_id)
    known = {row.version for row in version_rows(store.db)} or {store.policy.version}
    if moved in known:
        return int(moved)  # type: ignore[arg-type]
    if raised in known:
        return int(raised)  # type: ignore[arg-type]
    row = store.db.execute("SELECT raised_on FROM alerts WHERE id = ?", [alert_id]).fetchone()
    if row is None:
        raise UserError(f"There is no alert with id {alert_id}.")
    return version_for_start(store, dt.date.fromisoformat(row[0]))


def review_version(store: Store, review_id: int, held_on: dt.date) -> int:
    """The version a review runs under: the one its recording was stamped with, else the
    one in force the day it was held. Its decisions' clock keeps that version's rules."""
    stamped = review_version_stamp(store.db, review_id)
    known = {row.version for row in version_rows(store.db)} or {store.policy.version}
    return int(stamped) if stamped in known else version_for_start(store, held_on)


def policy_text(store: Store, version: int | None = None) -> str:
    """The YAML of a version (default: the one in force as the store's settings say), as
    kept: ``policy export`` prints this, and a store created from it has the same policy."""
    rows = version_rows(store.db)
    if not rows:
        policy_id = get_setting(store.db, POLICY_ID) or store.policy.id
        if version not in (None, store.policy.version) or policy_id not in preset_ids():
            raise UserError("This store keeps no policy versions yet; run any command that "
                            "opens it with manage.py (which upgrades it) and try again.")
        return with_version(preset_text(policy_id), store.policy.version)
    number = _pointer(store.db, rows).version if version is None else version
    text = version_text(store.db, number)
    if text is None:
        known = ", ".join(str(r.version) for r in rows)
        raise UserError(f"This store's policy has no version {number} (it has: {known}).")
    return text


# -- keeping versions -------------------------------------------------------------------------


def read_policy_source(path: str | Path) -> tuple[str, Policy]:
    """A policy file's text and policy, checked as ``policy check`` checks it;
    PolicyInvalid listing every problem otherwise."""
    from rules.policy_check import read_policy_file

    policy, problems = read_policy_file(path)
    if problems or policy is None:
        raise PolicyInvalid(problems)
    return Path(path).read_text(encoding="utf-8"), policy


def record_first_version(
    db: sqlite_utils.Database, *, policy_id: str, text: str, created_on: dt.date,
    adopted_by: str, reason: str, event_id: int | None,
) -> None:
    """Version 1 of a new store, in force from the day it was created (inside the caller's
    transaction)."""
    insert_version(db, version=1, policy_id=policy_id, text=with_version(text, 1),
                   effective_from=created_on, adopted_by=adopted_by, reason=reason,
                   recorded_on=created_on, event_id=event_id)
    set_setting(db, POLICY_VERSION, "1")


def ensure_versions(db: sqlite_utils.Database) -> None:
    """Give a store made before versions were kept its version 1: the preset it was created
    under, in force from the day it was created. Runs with the migrations; idempotent."""
    if not has_versions_table(db):
        return
    with write_transaction(db):
        if db.execute("SELECT 1 FROM policy_versions LIMIT 1").fetchone():
            return
        policy_id = get_setting(db, POLICY_ID)
        if policy_id is None or policy_id not in preset_ids():
            return
        created = get_setting(db, CREATED_ON)
        first = db.execute("SELECT min(occurred_on) FROM live_events").fetchone()[0]
        day = dt.date.fromisoformat(created or first or EARLIEST_EFFECTIVE.isoformat())
        record_first_version(
            db, policy_id=policy_id, text=preset_text(policy_id), created_on=day,
            adopted_by="store creation",
            reason="The preset the store was created under, recorded when the store began "
                   "keeping policy versions.", event_id=None)


def _effective_problem(day: dt.date, latest: VersionRow) -> str | None:
    if not EARLIEST_EFFECTIVE <= day <= LATEST_EFFECTIVE:
        return (f"The date a version takes effect must be between "
                f"{EARLIEST_EFFECTIVE.isoformat()} and {LATEST_EFFECTIVE.isoformat()}; "
                f"{day.isoformat()} is not.")
    if day < latest.effective_from:
        return (f"Version {latest.version} takes effect on {latest.effective_from.isoformat()};"
                f" a newer version cannot take effect before it. Choose "
                f"{latest.effective_from.isoformat()} or later (the same day replaces it).")
    return None


def _still_used(store: Store, new: Policy) -> list[str]:
    """What the store's records use that ``new`` would lose (ids must never disappear)."""
    from rules.legacy import NOT_RECORDED

    problems = []
    db = store.db
    for (track,) in db.execute("SELECT DISTINCT track FROM alerts ORDER BY track").fetchall():
        if track not in new.tracks:
            problems.append(f"Alerts on the '{track}' track exist, but the new version has no "
                            f"'{track}' track. Keep it.")
    for track, category in db.execute(
            "SELECT DISTINCT track, category FROM alerts WHERE category IS NOT NULL "
            "ORDER BY track, category").fetchall():
        if track in new.tracks and category != NOT_RECORDED and category not in {
                c.id for c in new.track(track).categories}:
            problems.append(f"Alerts use the category '{category}' on the '{track}' track, "
                            "but the new version has no such category. Keep its id and "
                            "change its label instead.")
    if db["significant_changes"].exists():
        kinds = {t.id for t in new.significant_changes.types}
        for (kind,) in db.execute("SELECT DISTINCT change_type FROM significant_changes "
                                  "ORDER BY change_type").fetchall():
            if kind not in kinds:
                problems.append(f"Significant changes of type '{kind}' are recorded, but the "
                                "new version has no such type. Keep its id and change its "
                                "label instead.")
    return problems


def apply_policy_version(
    store: Store,
    text: str,
    *,
    file_name: str,
    effective_from: dt.date,
    reason: str,
    as_of: dt.date,
    adopted_by: str = COMMAND_LINE,
    actor_id: int | None = None,
    actor_role: str = "admin",
) -> Adopted:
    """Check a changed policy and keep it as the next version, taking effect on
    ``effective_from``; logs a ``policy_version_adopted`` event dated ``as_of``.

    Refuses (nothing written) a file with problems (PolicyInvalid, every problem listed),
    one for another authority's policy, one that drops an id the store's records use, one
    that changes nothing, a date before the latest version's, and an empty reason.
    """
    policy, problems = read_policy_text(text, file_name)
    if problems or policy is None:
        raise PolicyInvalid(problems)
    if not reason.strip():
        raise UserError("Say why the policy changes (--reason): it is kept with the version "
                        "and shown to everyone who asks why a date is what it is.")
    ensure_versions(store.db)
    rows = version_rows(store.db)
    if not rows:
        raise UserError("This store keeps no policy versions; it cannot take a new one.")
    latest = rows[-1]
    if policy.id != latest.policy_id:
        raise UserError(
            f"This store is governed by policy '{latest.policy_id}'; the file is policy "
            f"'{policy.id}'. A new version keeps the id: set 'id: {latest.policy_id}' and "
            f"name the file '{latest.policy_id}.yaml'.")
    problem = _effective_problem(effective_from, latest)
    if problem:
        raise UserError(problem)
    latest_text = version_text(store.db, latest.version) or ""
    if same_rules(text, latest_text):
        raise UserError(f"This file says the same as version {latest.version}: there is "
                        "nothing new to adopt.")
    lost = _still_used(store, policy)
    if lost:
        raise UserError("The new version would lose what existing records use:\n"
                        + "\n".join(f"- {p}" for p in lost))
    number = latest.version + 1
    kept = with_version(text, number)
    new = load_policy_text(kept, file_name)  # the kept text must read back the same
    notes = []
    written = written_version(text)
    if written != number:
        notes.append(f"The file says 'version: {written}'; it is kept as version {number} "
                     "(a store numbers its versions 1, 2, 3 ... as they are adopted).")
    if effective_from < as_of:
        notes.append(f"It takes effect from {effective_from.isoformat()}, before today: alerts "
                     "raised since then keep the version they were raised under unless they "
                     "are moved to this one deliberately.")
    with write_transaction(store.db):
        event_id = append_event(
            store.db, kind=ADOPTED, occurred_on=as_of, actor_id=actor_id, actor_role=actor_role,
            data={"policy_id": policy.id, "version": number, "previous_version": latest.version,
                  "effective_from": effective_from.isoformat(), "adopted_by": adopted_by,
                  "file": file_name,
                  # the version whole: the policy_versions table is this event's projection
                  "yaml": kept, "version_reason": reason.strip()},
            reason=(f"Version {number} of policy {policy.id} adopted by {adopted_by}, taking "
                    f"effect on {effective_from.isoformat()}: {reason.strip()}"),
            policy_id=policy.id, policy_version=number)
        insert_version(store.db, version=number, policy_id=policy.id, text=kept,
                       effective_from=effective_from, adopted_by=adopted_by,
                       reason=reason.strip(), recorded_on=as_of, event_id=event_id)
        now = _in_force(version_rows(store.db), as_of).version
        set_setting(store.db, POLICY_VERSION, str(now))
    return Adopted(version=number, policy=dataclasses.replace(new, version=number),
                   effective_from=effective_from, in_force=effective_from <= as_of,
                   file_version=written, notes=tuple(notes))


def refresh_policy_in_force(store: Store, as_of: dt.date) -> Store:
    """Record in the settings which version is in force on ``as_of`` (a version adopted
    ahead of its date comes into force this way; the sweep should call this first), and
    return the store governed by it."""
    rows = version_rows(store.db)
    if not rows:
        return store
    row = _in_force(rows, as_of)
    if get_setting(store.db, POLICY_VERSION) != str(row.version):
        with write_transaction(store.db):
            set_setting(store.db, POLICY_VERSION, str(row.version))
    return store_under(store, row.version)


# -- moving open alerts to a newer version ------------------------------------------------------


def _open_alerts(store: Store, refs: Sequence[str] | None) -> list[dict[str, Any]]:
    rows = store.db.execute(
        "SELECT a.id, a.ref, c.id, c.case_ref, a.track, a.state FROM alerts a "
        "JOIN children c ON c.id = a.child_id WHERE a.status = 'open' ORDER BY a.id").fetchall()
    wanted = set(refs) if refs is not None else None
    return [{"id": r[0], "ref": r[1], "child_id": r[2], "child": r[3], "track": r[4],
             "state": json.loads(r[5])} for r in rows if wanted is None or r[1] in wanted]


def _due_was_agreed(store: Store, alert_id: int, pending: list[Any]) -> bool:
    """Whether the alert's current due date was agreed by people rather than counted by the
    policy: set last by an extension, or by an informal stage's agreed date."""
    if any(e.kind == "escalated" for e in pending):
        return False
    setters = [e for e in events_for_alert(store.db, alert_id)
               if e.kind in ("raised", "escalated", "extension_agreed", MIGRATED)]
    if not setters:
        return False
    last = setters[-1]
    return last.kind == "extension_agreed" or (last.kind == "raised"
                                               and bool(last.data.get("until")))


def _planned_moves(
    store: Store, new_version: int, as_of: dt.date, refs: Sequence[str] | None
) -> list[tuple[dict[str, Any], int, AlertState, list[Any], Move]]:
    from rules.alert_rules import advance

    new = policy_for(store, new_version)
    planned = []
    for alert in _open_alerts(store, refs):
        version = alert_version(store, alert["id"])
        if version >= new_version:
            continue
        old = policy_for(store, version)
        state = AlertState.from_json(alert["state"])
        state, pending = advance(old, calendar_for(old.closure_days), state, as_of)
        agreed = _due_was_agreed(store, alert["id"], pending)
        planned.append((alert, version, state, pending,
                        move(new, state, as_of, agreed_due=agreed)))
    return planned


def due_date_changes(store: Store, new_version: int, as_of: dt.date) -> list[DueDateChange]:
    """Open alerts on older versions whose dates would change if moved to ``new_version`` on
    ``as_of``, and those that could not be moved (with why). Writes nothing."""
    return [DueDateChange(
        ref=alert["ref"], child=alert["child"], track=alert["track"], level=state.level,
        from_version=version, to_version=new_version, due_before=mv.due_before,
        due_after=mv.due_after, formal_due_before=mv.formal_due_before,
        formal_due_after=mv.formal_due_after, problem=mv.problem)
        for alert, version, state, _, mv in _planned_moves(store, new_version, as_of, None)
        if mv.changes]


def migrate_open_alerts(
    store: Store,
    new_version: int,
    as_of: dt.date,
    *,
    reason: str,
    refs: Sequence[str] | None = None,
    actor_id: int | None = None,
) -> list[DueDateChange]:
    """Move open alerts on older versions (all of them, or those in ``refs``) to
    ``new_version`` on ``as_of``: one transaction; each move is a ``policy_migrated`` event
    stamped with the new version, after the events the clock owed under the old one.

    Returns every alert considered; those with a ``problem`` were left as they were.
    """
    from rules.alert_rules import fold, next_check_on
    from usecases.event_log import write_events

    if not reason.strip():
        raise UserError("Say why the alerts are moved to the new version.")
    rows = {row.version: row for row in version_rows(store.db)}
    if new_version not in rows:
        raise UserError(f"This store's policy has no version {new_version}.")
    if rows[new_version].effective_from > as_of:
        raise UserError(
            f"Version {new_version} takes effect on "
            f"{rows[new_version].effective_from.isoformat()}; open alerts can be moved to "
            "it from that day.")
    new = policy_for(store, new_version)
    new_calendar = calendar_for(new.closure_days)
    done: list[DueDateChange] = []
    with write_transaction(store.db):
        for alert, version, state, pending, mv in _planned_moves(store, new_version, as_of,
                                                                  refs):
            done.append(DueDateChange(
                ref=alert["ref"], child=alert["child"], track=alert["track"],
                level=state.level, from_version=version, to_version=new_version,
                due_before=mv.due_before, due_after=mv.due_after,
                formal_due_before=mv.formal_due_before, formal_due_after=mv.formal_due_after,
                problem=mv.problem))
            if mv.problem:
                continue
            if pending:  # what the clock owed under the old version, first
                old_store = store_under(store, version)
                start = AlertState.from_json(alert["state"])
                states, current = [], start
                for event in pending:
                    current = fold(current, [event])
                    states.append(current)
                write_events(old_store, pending, child_id=alert["child_id"],
                             alert_id=alert["id"], alert_states=states)
            data = mv.event_data(version, new_version, state.level)
            append_event(
                store.db, kind=MIGRATED, occurred_on=as_of, actor_id=actor_id,
                actor_role="admin", child_id=alert["child_id"], alert_id=alert["id"],
                data=data, policy_id=new.id, policy_version=new_version,
                reason=(f"Moved from policy {new.id} version {version} to version "
                        f"{new_version}: {reason.strip()}" + _dates_text(mv)))
            state = apply_migration(state, as_of, data)
            save_projection(store.db, alert["id"], state.to_json(),
                            next_check_on(new, new_calendar, state))
    return done


def _dates_text(mv: Move) -> str:
    parts = []
    if mv.due_before != mv.due_after:
        parts.append(f"response due {_iso(mv.due_before)} -> {_iso(mv.due_after)}")
    if mv.formal_due_before != mv.formal_due_after:
        parts.append(f"formal limit {_iso(mv.formal_due_before)} -> "
                     f"{_iso(mv.formal_due_after)}")
    return f" ({'; '.join(parts)})." if parts else " (no date changes)."


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else "none"
