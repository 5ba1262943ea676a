"""Proof that the event log is what was written: its guard and its hash chain.

The log is the record; every other table is a projection of it. Two things keep it so:

* **The guard**: triggers on the table named ``events`` that refuse UPDATE, DELETE, and
  any INSERT reusing an event's id or dedupe key. ``INSERT OR REPLACE`` deletes the row
  it collides with *without* firing DELETE triggers (unless ``recursive_triggers`` is on),
  so refusing the colliding INSERT is the only way to stop REPLACE rewriting history.
  :func:`guard_problems` checks every trigger is there, on ``events``, as written: after
  ``ALTER TABLE events RENAME`` the triggers follow the renamed table and
  ``CREATE TRIGGER IF NOT EXISTS`` would never put them back.
* **The hash chain**: each event's ``hash`` is SHA-256 over its content and the previous
  event's hash (``prev_hash``). Someone who can drop the triggers can edit an event, but
  cannot do so without breaking the chain at that event, or (if they recompute hashes) at
  the next one. :func:`chain_breaks` walks it and says where and what kind of change.

The chain has no secret key: it shows accidental and casual changes, and a deliberate one
needs the whole tail rewritten. Record the head (:func:`chain_head`) somewhere else to
notice that too, and the removal of the newest events.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import sqlite3
import threading
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from usecases.errors import UserError

#: ``prev_hash`` of the first event: nothing came before it.
GENESIS = "0" * 64
#: Names the canonical form, so a future form can be told from this one. Never change
#: what ``v1`` hashes: migration m011 sealed existing stores with it.
CHAIN_FORMAT = "iro-event-log/v1"
#: Every column that says what happened, when, by whom, about what and why. Not
#: ``recorded_at``: it is the server's clock at the moment of writing, not the history, and
#: leaving it out makes the chain a function of the history alone (two stores holding the
#: same history end on the same hash, as two demos built for the same day do).
HASHED_COLUMNS = (
    "id", "occurred_on", "kind", "actor_id", "actor_role", "child_id", "alert_id",
    "review_id", "data", "reason", "rule", "policy_id", "policy_version", "dedupe_key",
    "submission",
)
#: The migration that added ``hash``/``prev_hash``: until it has run, there is no chain.
CHAIN_MIGRATION = "m011_event_log_hash_chain"
_MIGRATIONS_TABLE = "_sqlite_migrations"
_MIGRATION_SET = "iro"

#: What each guard trigger refuses, in words for the messages.
GUARD_PURPOSES = {
    "events_are_append_only_update": "changing an event",
    "events_are_append_only_delete": "deleting an event",
    "events_are_append_only_insert_id": "an insert that reuses an event's id (REPLACE)",
    "events_are_append_only_insert_key": "an insert that reuses an event's dedupe key (REPLACE)",
}


# -- the hash ------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A stored value as JSON can carry it; a BLOB (never written by the app) as hex."""
    if isinstance(value, bytes | bytearray | memoryview):
        return {"blob": bytes(value).hex()}
    return value


def canonical_event(row: Mapping[str, Any], prev_hash: str | None) -> bytes:
    """The bytes an event's hash is taken over: its columns as stored, and the link.

    JSON with sorted keys, no spaces and ASCII escapes is one text for one content: the
    ``data`` column is hashed as the stored text (not re-serialised), so any byte of it
    changed shows; 5 and '5' differ, as SQLite keeps them.
    """
    body = {column: _plain(row[column]) for column in HASHED_COLUMNS}
    body["prev_hash"] = prev_hash
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return f"{CHAIN_FORMAT}\n{text}".encode("ascii")


def event_hash(row: Mapping[str, Any], prev_hash: str | None) -> str:
    """SHA-256 (hex) of :func:`canonical_event`."""
    return hashlib.sha256(canonical_event(row, prev_hash)).hexdigest()


@dataclass(frozen=True)
class NextLink:
    """What the next event appended must carry: its id and the hash it follows."""

    id: int
    prev_hash: str


def next_link(db: sqlite_utils.Database) -> NextLink:
    """Read, inside the caller's write transaction, where the next event joins the chain.

    One statement: the last row through the primary key, and AUTOINCREMENT's high-water
    mark (so an id is never reused, as AUTOINCREMENT promises).
    """
    row = db.execute(
        """SELECT last.id, last.hash, (SELECT seq FROM sqlite_sequence WHERE name = 'events')
           FROM (SELECT 1) LEFT JOIN (SELECT id, hash FROM events ORDER BY id DESC LIMIT 1)
                AS last"""
    ).fetchone()
    last_id, last_hash, seq = row
    if last_id is not None and last_hash is None:  # an event put in by hand: chain past it
        found = db.execute("SELECT hash FROM events WHERE hash IS NOT NULL "
                           "ORDER BY id DESC LIMIT 1").fetchone()
        last_hash = found[0] if found else None
    return NextLink(id=max(last_id or 0, seq or 0) + 1, prev_hash=last_hash or GENESIS)


def _rows(db: sqlite_utils.Database, sql: str, batch: int = 2000) -> Iterator[dict[str, Any]]:
    """The events in id order, a batch at a time (a long log never sits in memory whole)."""
    after = None
    while True:
        where = "" if after is None else "WHERE id > ?"
        cursor = db.execute(f"{sql} {where} ORDER BY id LIMIT {batch}",
                            [] if after is None else [after])
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
        if not rows:
            return
        yield from rows
        after = rows[-1]["id"]


def seal_existing_events(db: sqlite_utils.Database) -> int:
    """Give every event its hash, in id order (migration m011; the update trigger must be
    off, and ``migrate`` puts it back). Returns how many were sealed."""
    prev, count = GENESIS, 0
    sealed: list[tuple[str, str, int]] = []
    for row in _rows(db, "SELECT * FROM events"):
        digest = event_hash(row, prev)
        sealed.append((digest, prev, row["id"]))
        prev = digest
        if len(sealed) >= 2000:  # a batch at a time: the next batch is read by id after it
            db.conn.executemany("UPDATE events SET hash = ?, prev_hash = ? WHERE id = ?", sealed)
            count, sealed = count + len(sealed), []
    db.conn.executemany("UPDATE events SET hash = ?, prev_hash = ? WHERE id = ?", sealed)
    return count + len(sealed)


# -- the chain -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainBreak:
    """One place the chain does not hold: the event, the kind of change, in words."""

    event_id: int
    change: str  # "altered", "inserted" or "removed"
    text: str


def _about(row: Mapping[str, Any], starts: bool = False) -> str:
    """``event 3 (note on 2026-12-14)``; ``Event ...`` when it ``starts`` a sentence."""
    return f"{'E' if starts else 'e'}vent {row['id']} ({row['kind']} on {row['occurred_on']})"


def chain_breaks(db: sqlite_utils.Database) -> list[ChainBreak]:
    """Every break in the hash chain, oldest first (the first is where history changed).

    An event whose content no longer gives its hash was **altered**. A link that does not
    hold names the likeliest change: the event before it was **inserted** (skipping it
    mends the link), events were **removed** (ids are missing), or the event before was
    **altered** and its hash recomputed to hide it. Events without a hash were
    **inserted** around the application; the chain is followed past them.
    """
    found: list[ChainBreak] = []
    before: tuple[int, str, str] | None = None  # id, hash, prev_hash of the last sealed event
    for row in _rows(db, "SELECT * FROM events"):
        if row["hash"] is None:
            found.append(ChainBreak(row["id"], "inserted",
                                    f"{_about(row, starts=True)} has no hash: it was put into "
                                    "the log directly, not by the application."))
            continue
        if event_hash(row, row["prev_hash"]) != row["hash"]:
            found.append(ChainBreak(row["id"], "altered",
                                    f"{_about(row, starts=True)} was altered after it was "
                                    "written: its content no longer matches its hash."))
        expected = before[1] if before else GENESIS
        if row["prev_hash"] != expected:
            found.append(_broken_link(row, before))
        before = (row["id"], row["hash"], row["prev_hash"])
    seq = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
    last = before[0] if before else 0
    if seq and seq[0] and seq[0] > last:
        found.append(ChainBreak(last + 1, "removed", _removed(
            last + 1, seq[0], " (the newest: the store's id counter has passed them)")))
    return found


def _removed(first: int, last: int, where: str = "") -> str:
    ids = f"Event {first} was" if first == last else f"Events {first} to {last} were"
    return f"{ids} removed from the log{where}."


def _broken_link(row: Mapping[str, Any], before: tuple[int, str, str] | None) -> ChainBreak:
    if before is None:
        if row["id"] > 1:
            return ChainBreak(1, "removed", _removed(1, row["id"] - 1, " (the oldest)"))
        return ChainBreak(row["id"], "altered", f"{_about(row, starts=True)} does not start "
                                                "the chain: it was altered or replaced.")
    before_id, _, before_prev = before
    if row["prev_hash"] == before_prev:
        return ChainBreak(before_id, "inserted",
                          f"Event {before_id} was inserted into the log after the fact: "
                          f"{_about(row)} follows the event before it.")
    if row["id"] - before_id > 1:
        return ChainBreak(before_id + 1, "removed",
                          _removed(before_id + 1, row["id"] - 1,
                                   f": {_about(row)} was chained to the last of them"))
    return ChainBreak(before_id, "altered",
                      f"Event {before_id} was altered and its hash recomputed (or it was put "
                      f"in place of the original): {_about(row)} was chained to another "
                      "version of it.")


@dataclass(frozen=True)
class ChainHead:
    """How long the log is and the hash it ends on: write it down elsewhere to compare."""

    events: int
    last_id: int | None
    last_hash: str | None


def chain_head(db: sqlite_utils.Database) -> ChainHead:
    count = db.execute("SELECT count(*) FROM events").fetchone()[0]
    last = db.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    return ChainHead(count, last[0] if last else None, last[1] if last else None)


# -- the guard -----------------------------------------------------------------------------


def _normalised(sql: str) -> str:
    """Trigger SQL compared as SQLite keeps it: it drops ``IF NOT EXISTS``; spacing aside."""
    text = re.sub(r"\s+", " ", sql).strip()
    return re.sub(r"^CREATE TRIGGER IF NOT EXISTS ", "CREATE TRIGGER ", text, flags=re.I)


@functools.cache
def expected_guard() -> dict[str, str]:
    """Trigger name -> normalised SQL, from the statements ``migrate`` creates them with."""
    from db.schema import EVENT_LOG_GUARDS  # the schema calls back into this module

    expected = {}
    for statement in EVENT_LOG_GUARDS:
        text = _normalised(statement)
        match = re.match(r"CREATE TRIGGER (\w+)", text)
        assert match is not None, statement
        expected[match.group(1)] = text
    return expected


def has_events_table(db: sqlite_utils.Database) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'"
                      ).fetchone() is not None


def guard_problems(db: sqlite_utils.Database) -> list[str]:
    """What is wrong with the event log's guard, in plain English; empty when it is whole.

    Every trigger must be there, on the table named ``events``, saying what the
    application wrote; no other trigger may sit on ``events`` (one could, say, quietly
    drop the events the application appends).
    """
    expected = expected_guard()
    problems = []
    if not has_events_table(db):
        problems.append("There is no table named 'events': the event log was renamed or "
                        "removed.")
    found = {name: (table, sql) for name, table, sql in db.execute(
        "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' "
        "AND (tbl_name = 'events' OR name IN (SELECT value FROM json_each(?)))",
        [json.dumps(list(expected))]).fetchall()}
    for name, sql in expected.items():
        purpose = GUARD_PURPOSES.get(name, "changes to the log")
        if name not in found:
            problems.append(f"The trigger {name}, which refuses {purpose}, is missing.")
            continue
        table, actual = found[name]
        if table != "events":
            problems.append(f"The trigger {name} guards the table '{table}', not 'events' "
                            "(the event log's table was renamed).")
        elif _normalised(actual or "") != sql:
            problems.append(f"The trigger {name}, which refuses {purpose}, has been changed.")
    for name, (table, _) in sorted(found.items()):
        if name not in expected and table == "events":
            problems.append(f"An unexpected trigger, {name}, is on the event log.")
    return problems


def missing_guard_only(db: sqlite_utils.Database) -> bool:
    """True when the only fault is triggers absent altogether from an ``events`` table:
    the one case that putting the guard back (``CREATE TRIGGER IF NOT EXISTS``) mends."""
    problems = guard_problems(db)
    return bool(problems) and all(p.endswith("is missing.") for p in problems)


def chain_kept(db: sqlite_utils.Database) -> bool:
    """True when the store has been upgraded to keep the hash chain (migration m011)."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                  [_MIGRATIONS_TABLE]).fetchone() is None:
        return False
    return db.execute(f"SELECT 1 FROM {_MIGRATIONS_TABLE} WHERE migration_set = ? AND name = ?",
                      [_MIGRATION_SET, CHAIN_MIGRATION]).fetchone() is not None


def store_file(db: sqlite_utils.Database) -> str:
    """The file this connection has open (for messages that say which store)."""
    row = db.execute("PRAGMA database_list").fetchone()
    return row[2] if row and row[2] else "the store"


class EventLogUnguarded(UserError):
    """The event log's guard is not whole: the store is not opened, nothing is written."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            f"The event log in {path} is not protected, so this store will not be opened. "
            + " ".join(problems)
            + f" Run 'python manage.py verify --db {path}' to see whether its history was "
            "changed, and restore the store from a backup. If verify finds the history "
            f"intact, 'python manage.py rebuild --db {path}' puts missing triggers back.")


def require_event_log_guard(db: sqlite_utils.Database) -> None:
    """Refuse (:class:`EventLogUnguarded`) a store whose event log is not fully guarded."""
    problems = guard_problems(db)
    if problems:
        raise EventLogUnguarded(store_file(db), problems)


#: The schema version each connection's guard was last found whole at.
_checked: weakref.WeakKeyDictionary[sqlite_utils.Database, int] = weakref.WeakKeyDictionary()
_checked_lock = threading.Lock()


def require_guard_when_kept(db: sqlite_utils.Database) -> None:
    """Opening a store: refuse it unguarded, unless it has not been upgraded yet (the
    start-up migration adds the chain and the triggers, then checks them).

    Pages open the store many times a second; SQLite moves ``PRAGMA schema_version`` on
    every change to a trigger or table (a drop, a create, a rename), so the guard is only
    looked at again when that number has moved since it was last found whole.
    """
    version = db.execute("PRAGMA schema_version").fetchone()[0]
    with _checked_lock:
        if _checked.get(db) == version:
            return
    if chain_kept(db):
        require_event_log_guard(db)
    with _checked_lock:
        _checked[db] = version


# -- what projections are checked against ----------------------------------------------------


def has_table(db: sqlite_utils.Database, name: str) -> bool:
    """True when the store has a table (or view) called ``name`` (older stores lack some)."""
    return db.execute("SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') "
                      "AND name = ?", [name]).fetchone() is not None


def history_source(db: sqlite_utils.Database) -> str:
    """Where projections read history from: ``live_events``, the log without what
    rolled-back imports wrote (migration m012); ``events`` in a store older than that."""
    return "live_events" if has_table(db, "live_events") else "events"


def alert_rows(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every alert's stored projection, with its child's case reference (if any)."""
    return list(db.query(
        """SELECT a.*, c.case_ref AS child_ref FROM alerts a
           LEFT JOIN children c ON c.id = a.child_id ORDER BY a.id"""))


def subject_events(db: sqlite_utils.Database, column: str) -> Iterator[dict[str, Any]]:
    """Events about an alert (``column`` 'alert_id') or a review ('review_id'), grouped by
    subject and in the order projections fold them (business date, then log order)."""
    assert column in ("alert_id", "review_id")
    yield from db.query(
        f"""SELECT id, {column} AS subject, kind, occurred_on, actor_id, child_id, data,
                   policy_version
            FROM {history_source(db)} WHERE {column} IS NOT NULL
            ORDER BY {column}, occurred_on, id""")


def orphan_subjects(db: sqlite_utils.Database, column: str, table: str) -> list[int]:
    """Subjects events name that their table no longer holds (a row deleted by hand)."""
    assert (column, table) in (("alert_id", "alerts"), ("review_id", "reviews"))
    return [r[0] for r in db.execute(
        f"SELECT DISTINCT {column} FROM {history_source(db)} WHERE {column} IS NOT NULL "
        f"AND {column} NOT IN (SELECT id FROM {table}) ORDER BY 1").fetchall()]


def review_rows(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return list(db.query("SELECT * FROM reviews ORDER BY id"))


#: The alert columns its ``raised`` event decides (besides the folded state).
ALERT_ORIGIN_COLUMNS = ("child_id", "raised_on", "raised_by", "concern", "outcome_sought",
                        "ref", "track")


def restore_alert_origin(db: sqlite_utils.Database, alert_id: int,
                         values: Mapping[str, Any]) -> None:
    """Put back what an alert's ``raised`` event records: its child, the day and who raised
    it, what the reviewer wrote, its reference and track."""
    columns = sorted(values)
    assert set(columns) <= set(ALERT_ORIGIN_COLUMNS), columns
    if columns:
        db.execute(f"UPDATE alerts SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?",
                   [*(values[c] for c in columns), alert_id])


def save_review_projection(db: sqlite_utils.Database, review_id: int,
                           values: Mapping[str, Any]) -> None:
    """Write the review columns its events decide (rebuild only)."""
    columns = sorted(values)
    db.execute(f"UPDATE reviews SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?",
               [*(values[c] for c in columns), review_id])


# -- the other projections, read and written by rebuild ----------------------------------------

#: The tables verify and rebuild may read and write row by row (names are never taken
#: from input: these are the only ones put into SQL).
PROJECTED_TABLES = (
    "voided_event_ranges", "voided_alerts", "teams", "staff", "children",
    "significant_changes", "practice_concerns", "good_practice", "policy_versions", "settings",
    "alerts", "reviews",
)


def _table(table: str) -> str:
    assert table in PROJECTED_TABLES, table
    return table


def logged_events(db: sqlite_utils.Database, kinds: tuple[str, ...], *,
                  whole_log: bool = False) -> list[dict[str, Any]]:
    """The events of ``kinds`` in log order, from ``live_events`` (or, with ``whole_log``,
    from ``events`` itself: what says which imports were rolled back is never voided)."""
    source = "events" if whole_log else history_source(db)
    marks = ", ".join("?" for _ in kinds)
    return list(db.query(
        f"""SELECT id, kind, occurred_on, actor_id, actor_role, child_id, alert_id, review_id,
                   data, reason, policy_id, policy_version
            FROM {source} WHERE kind IN ({marks}) ORDER BY id""", list(kinds)))


def kept_children_events(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """The ``child_added`` events of rolled-back imports whose child was kept, because a
    living event names it (``db.import_chunks.remove_unused_children`` keeps those), in log
    order. Empty in a store with no ``live_events`` (nothing was ever rolled back)."""
    if not has_table(db, "live_events"):
        return []
    return list(db.query(
        """SELECT id, kind, occurred_on, actor_id, actor_role, child_id, alert_id, review_id,
                  data, reason, policy_id, policy_version
           FROM events e
           WHERE kind = 'child_added' AND id NOT IN (SELECT id FROM live_events)
             AND EXISTS (SELECT 1 FROM live_events l WHERE l.child_id = e.child_id)
           ORDER BY id"""))


def children_named(db: sqlite_utils.Database) -> list[int]:
    """Every child a living event names (its alerts', reviews' or chronology's events)."""
    return [r[0] for r in db.execute(
        f"SELECT DISTINCT child_id FROM {history_source(db)} WHERE child_id IS NOT NULL "
        "ORDER BY 1").fetchall()]


def stored_rows(db: sqlite_utils.Database, table: str) -> list[dict[str, Any]]:
    """Every row of a projected table with its ``rowid`` (as ``_rowid``), in rowid order."""
    return list(db.query(f"SELECT rowid AS _rowid, * FROM {_table(table)} ORDER BY rowid"))


def names_of(db: sqlite_utils.Database) -> dict[str, dict[int, str]]:
    """Children's case references, staff e-mails and team names by id (for messages)."""
    return {
        "children": {r[0]: r[1] for r in db.execute("SELECT id, case_ref FROM children")},
        "staff": {r[0]: r[1] for r in db.execute("SELECT id, email FROM staff")},
        "teams": {r[0]: r[1] for r in db.execute("SELECT id, name FROM teams")},
    }


def insert_row(db: sqlite_utils.Database, table: str, values: Mapping[str, Any]) -> None:
    columns = list(values)
    db.execute(f"INSERT INTO {_table(table)} ({', '.join(columns)}) "
               f"VALUES ({', '.join('?' for _ in columns)})", [values[c] for c in columns])


def update_row(db: sqlite_utils.Database, table: str, rowid: int,
               values: Mapping[str, Any]) -> None:
    columns = list(values)
    db.execute(f"UPDATE {_table(table)} SET {', '.join(f'{c} = ?' for c in columns)} "
               "WHERE rowid = ?", [*(values[c] for c in columns), rowid])


def delete_row(db: sqlite_utils.Database, table: str, rowid: int) -> None:
    db.execute(f"DELETE FROM {_table(table)} WHERE rowid = ?", [rowid])


def rowid_of(db: sqlite_utils.Database, table: str, key: Mapping[str, Any]) -> int | None:
    """The rowid of the row whose key columns hold ``key`` (the first, if several)."""
    where = " AND ".join(f"{c} IS ?" for c in key)
    row = db.execute(f"SELECT rowid FROM {_table(table)} WHERE {where} ORDER BY rowid LIMIT 1",
                     list(key.values())).fetchone()
    return row[0] if row else None


@contextmanager
def attempt(db: sqlite_utils.Database) -> Iterator[list[str]]:
    """One row's write inside a savepoint: if SQLite refuses it (a foreign key, a unique
    name), that row alone is undone and the refusal is put in the list yielded."""
    refused: list[str] = []
    db.execute("SAVEPOINT rebuild_row")
    try:
        yield refused
    except sqlite3.IntegrityError as exc:
        db.execute("ROLLBACK TO rebuild_row")
        refused.append(str(exc))
    except BaseException:
        db.execute("ROLLBACK TO rebuild_row")
        db.execute("RELEASE rebuild_row")
        raise
    db.execute("RELEASE rebuild_row")


@contextmanager
def append_only_lifted(db: sqlite_utils.Database, table: str) -> Iterator[None]:
    """Inside the caller's transaction: the table's triggers are dropped for the body and
    put back exactly as they were (policy_versions refuses UPDATE and DELETE, which is
    what rebuilding a tampered version needs)."""
    triggers = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                          "AND tbl_name = ?", [_table(table)]).fetchall()
    for name, _ in triggers:
        db.execute(f'DROP TRIGGER "{name}"')
    try:
        yield
    finally:
        for _, sql in triggers:
            db.execute(sql)
