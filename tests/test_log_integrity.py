"""The event log's integrity: the guard refuses REPLACE and survives no rename unnoticed,
the hash chain shows any change made around the guard, and verify / rebuild prove and
restore the projections from the log."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from itertools import pairwise
from pathlib import Path

import pytest
from sqlite_utils import Migrations

import manage
from db.connection import close_thread_connections, open_db, write_transaction
from db.events import append_event, events_where
from db.integrity import (
    CHAIN_MIGRATION,
    GENESIS,
    HASHED_COLUMNS,
    EventLogUnguarded,
    chain_breaks,
    event_hash,
    guard_problems,
)
from db.schema import EVENT_LOG_GUARDS, MIGRATIONS, migrate
from db.settings import CREATED_ON, POLICY_ID, set_setting
from usecases.errors import UserError
from usecases.integrity import rebuild_store, verify_store
from usecases.store import create_store, open_store, prepare_store

DAY = dt.date(2026, 12, 14)
DEMO_AS_OF = dt.date(2026, 11, 23)
GUARD_NAMES = [s.split()[5] for s in EVENT_LOG_GUARDS]  # CREATE TRIGGER IF NOT EXISTS <name>


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = manage.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _append(db, n: int = 3) -> list[int]:
    with write_transaction(db):
        return [append_event(db, kind="note", occurred_on=DAY, reason=f"note {i}")
                for i in range(n)]


def _raw(path: Path) -> sqlite3.Connection:
    """A connection as someone with the file and the sqlite3 shell would have."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA foreign_keys = OFF")
    return conn


def tamper(path: Path, *statements: str) -> None:
    """Drop the guard, run ``statements``, put the guard back exactly as it was."""
    conn = _raw(path)
    for name in GUARD_NAMES:
        conn.execute(f"DROP TRIGGER {name}")
    for statement in statements:
        conn.execute(statement)
    for statement in EVENT_LOG_GUARDS:
        conn.execute(statement)
    conn.close()


def _breaks(path: Path):
    db = open_db(path)
    try:
        return chain_breaks(db)
    finally:
        db.close()


def _event(path: Path, event_id: int) -> dict:
    db = open_db(path)
    try:
        return dict(next(db.query("SELECT * FROM events WHERE id = ?", [event_id])))
    finally:
        db.close()


def _store(tmp_path: Path, name: str = "store.db") -> Path:
    path = tmp_path / name
    store = create_store(path, "seed-001", demo=False, as_of=DAY)
    _append(store.db, 4)  # events 2 to 5 after store_created (1)
    store.db.close()
    return path


def _tables(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(str(path))
    found = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                         "ORDER BY name").fetchall()
    tables = {n: _rows(conn, n, "WITHOUT ROWID" in (sql or "").upper()) for n, sql in found}
    conn.close()
    return tables


def _rows(conn: sqlite3.Connection, table: str, without_rowid: bool) -> list[tuple]:
    """A table's rows in rowid order (in key order for a table without rowids)."""
    if without_rowid:
        return conn.execute(f'SELECT * FROM "{table}" ORDER BY 1, 2').fetchall()
    return conn.execute(f'SELECT * FROM "{table}" ORDER BY rowid').fetchall()


@pytest.fixture(scope="module")
def demo_original(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    store = create_store(path, "seed-001", demo=True, as_of=DEMO_AS_OF)
    store.db.close()
    close_thread_connections()
    return path


@pytest.fixture
def demo(demo_original: Path, tmp_path: Path) -> Path:
    """A copy of the demo store (SQLite's backup: consistent, WAL and all)."""
    path = tmp_path / "copy.db"
    source, target = sqlite3.connect(str(demo_original)), sqlite3.connect(str(path))
    source.backup(target)
    source.close()
    target.close()
    return path


# -- the guard -----------------------------------------------------------------------------


def test_insert_or_replace_with_an_existing_id_is_refused(db):
    ids = _append(db)
    before = events_where(db)
    for verb in ("INSERT OR REPLACE", "REPLACE", "INSERT OR IGNORE"):
        with pytest.raises(sqlite3.IntegrityError, match="id cannot be reused"):
            db.execute(f"{verb} INTO events (id, occurred_on, kind, reason) "
                       "VALUES (?, '2026-12-15', 'note', 'rewritten')", [ids[1]])
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("INSERT INTO events (id, occurred_on, kind) VALUES (?, '2026-12-15', 'x') "
                   "ON CONFLICT (id) DO UPDATE SET reason = 'rewritten'", [ids[1]])
    assert events_where(db) == before
    assert chain_breaks(db) == []


def test_replace_on_the_dedupe_key_is_refused_and_dedupe_still_works(db):
    def derived() -> int | None:
        return append_event(db, kind="escalated", occurred_on=DAY, rule="silence",
                            policy_id="seed-001", policy_version=1, dedupe_key="a1:silence")

    with write_transaction(db):
        first = derived()
    with pytest.raises(sqlite3.IntegrityError, match="already logged"):
        db.execute("REPLACE INTO events (occurred_on, kind, dedupe_key) "
                   "VALUES ('2026-12-15', 'note', 'a1:silence')")
    with write_transaction(db):
        assert derived() is None  # a sweep that runs twice writes it once, as before
    assert [(e.id, e.kind) for e in events_where(db)] == [(first, "escalated")]
    assert chain_breaks(db) == []


def test_an_event_appended_outside_a_transaction_is_chained_too(db):
    first = append_event(db, kind="note", occurred_on=DAY)
    second = append_event(db, kind="note", occurred_on=DAY)
    assert not db.conn.in_transaction
    rows = list(db.query("SELECT id, hash, prev_hash FROM events ORDER BY id"))
    assert [r["id"] for r in rows] == [first, second]
    assert rows[0]["prev_hash"] == GENESIS and rows[1]["prev_hash"] == rows[0]["hash"]


def test_renaming_the_event_log_is_refused_on_opening_and_reported(capsys, tmp_path):
    path = _store(tmp_path)
    conn = _raw(path)
    conn.execute("ALTER TABLE events RENAME TO events_old")  # the triggers follow it
    conn.close()
    with pytest.raises(EventLogUnguarded) as caught:
        prepare_store(path)
    message = str(caught.value)
    assert isinstance(caught.value, UserError)
    assert "There is no table named 'events'" in message
    assert "guards the table 'events_old', not 'events'" in message
    assert f"python manage.py verify --db {path}" in message and "backup" in message
    with pytest.raises(EventLogUnguarded):
        open_store(path)
    code, _, err = run(capsys, "sweep", "--db", str(path), "--as-of", "2026-12-15")
    assert code == 2 and "is not protected" in err and "Traceback" not in err
    code, out, err = run(capsys, "verify", "--db", str(path))
    assert code == 1 and "Traceback" not in out + err
    assert "renamed" in out


def test_a_renamed_log_with_a_copy_in_its_place_is_refused(tmp_path):
    path = _store(tmp_path)
    conn = _raw(path)
    conn.execute("ALTER TABLE events RENAME TO events_old")
    conn.execute("CREATE TABLE events AS SELECT * FROM events_old")  # no guard, no key
    conn.close()
    with pytest.raises(EventLogUnguarded, match="guards the table 'events_old'"):
        prepare_store(path)


def test_a_dropped_trigger_is_refused_not_quietly_put_back(capsys, tmp_path):
    path = _store(tmp_path)
    conn = _raw(path)
    conn.execute("DROP TRIGGER events_are_append_only_insert_id")
    conn.close()
    with pytest.raises(EventLogUnguarded, match="events_are_append_only_insert_id, which "
                                                "refuses an insert that reuses an event's id"):
        prepare_store(path)
    code, out, _ = run(capsys, "verify", "--db", str(path))
    assert code == 1 and "is missing" in out
    # the history is intact, so rebuild may put the trigger back
    code, out, _ = run(capsys, "rebuild", "--db", str(path))
    assert code == 0, out
    assert "Put back the event log's guard" in out and "All is well" in out
    prepare_store(path)
    assert guard_problems(open_store(path).db) == []


def test_a_trigger_dropped_while_the_store_is_open_is_refused_at_the_next_opening(tmp_path):
    path = _store(tmp_path)
    assert open_store(path).policy.id == "seed-001"  # this thread's connection, checked
    conn = _raw(path)
    conn.execute("DROP TRIGGER events_are_append_only_update")
    conn.close()
    with pytest.raises(EventLogUnguarded, match="refuses changing an event, is missing"):
        open_store(path)


def test_a_changed_trigger_is_refused(tmp_path):
    path = _store(tmp_path)
    conn = _raw(path)
    conn.execute("DROP TRIGGER events_are_append_only_delete")
    conn.execute("CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events "
                 "BEGIN SELECT 1; END")
    conn.execute("CREATE TRIGGER quietly_drop BEFORE INSERT ON events "
                 "BEGIN SELECT RAISE(IGNORE); END")
    conn.close()
    with pytest.raises(EventLogUnguarded) as caught:
        prepare_store(path)
    assert "events_are_append_only_delete, which refuses deleting an event, has been changed" \
        in str(caught.value)
    assert "An unexpected trigger, quietly_drop, is on the event log." in str(caught.value)
    with pytest.raises(UserError, match="guard was tampered with"):
        rebuild_store(path)


# -- the hash chain ------------------------------------------------------------------------


def test_an_edit_made_around_the_guard_is_caught_and_names_the_event(capsys, tmp_path):
    path = _store(tmp_path)
    tamper(path, "UPDATE events SET reason = 'nothing happened' WHERE id = 3")
    prepare_store(path)  # the guard is whole again: only the chain can tell
    result = verify_store(path)
    assert not result.ok
    first = result.first_break()
    assert first is not None and (first.event_id, first.change) == (3, "altered")
    code, out, err = run(capsys, "verify", "--db", str(path))
    assert code == 1 and "Traceback" not in err
    assert "the first break is at event 3 (altered)" in out
    assert "Event 3 (note on 2026-12-14) was altered after it was written" in out
    code, _, err = run(capsys, "rebuild", "--db", str(path))
    assert code == 1 and "history was changed" in err and "backup" in err


def test_an_edit_with_its_hash_recomputed_is_caught_at_the_next_link(tmp_path):
    path = _store(tmp_path)
    row = _event(path, 3)
    row["reason"] = "nothing happened"
    forged = event_hash(row, row["prev_hash"])
    tamper(path, f"UPDATE events SET reason = 'nothing happened', hash = '{forged}' "
                 "WHERE id = 3")
    first = verify_store(path).first_break()
    assert first is not None and (first.event_id, first.change) == (3, "altered")
    assert "recomputed" in first.text


@pytest.mark.parametrize(("statement", "event_id", "change"), [
    ("DELETE FROM events WHERE id = 3", 3, "removed"),
    ("DELETE FROM events WHERE id IN (3, 4)", 3, "removed"),
    ("DELETE FROM events WHERE id = 5", 5, "removed"),  # the newest: the id counter says
    ("DELETE FROM events WHERE id = 1", 1, "removed"),
    ("INSERT INTO events (occurred_on, kind) VALUES ('2026-12-15', 'note')", 6, "inserted"),
])
def test_removed_and_inserted_events_are_named(tmp_path, statement, event_id, change):
    path = _store(tmp_path)
    tamper(path, statement)
    breaks = _breaks(path)
    assert (breaks[0].event_id, breaks[0].change) == (event_id, change)


def test_an_event_forged_in_place_of_another_is_named(tmp_path):
    """Ids are never reused, so a forged event can only take a removed one's place."""
    path = _store(tmp_path)
    row = _event(path, 3)
    # remove event 4, then forge one in its place, properly linked to event 3 ...
    row.update(id=4, reason="forged", prev_hash=row["hash"])
    row["hash"] = event_hash(row, row["prev_hash"])
    original = _event(path, 4)
    values = ", ".join("?" for _ in row)
    conn = _raw(path)
    for name in GUARD_NAMES:
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("DELETE FROM events WHERE id = 4")
    conn.execute(f"INSERT INTO events ({', '.join(row)}) VALUES ({values})", list(row.values()))
    conn.close()
    first = _breaks(path)[0]
    assert (first.event_id, first.change) == (4, "altered")  # in place of the original
    assert original["hash"] != row["hash"]


@pytest.mark.parametrize("column", [c for c in HASHED_COLUMNS if c != "id"])
def test_every_hashed_column_is_covered(tmp_path, column):
    path = _store(tmp_path)
    value = "2026-01-01" if column == "occurred_on" else "99"
    tamper(path, f"UPDATE events SET {column} = '{value}' WHERE id = 3")
    assert ("altered", 3) in {(b.change, b.event_id) for b in _breaks(path)}


def test_the_chain_is_filled_for_a_store_made_before_it(capsys, tmp_path):
    path = tmp_path / "old.db"
    old = Migrations(MIGRATIONS.name)
    for migration in MIGRATIONS._migrations:
        if migration.name == CHAIN_MIGRATION:
            break
        old()(migration.fn)
    db = open_db(path)
    migrate(db, old)
    assert "hash" not in db["events"].columns_dict
    set_setting(db, POLICY_ID, "seed-001")
    set_setting(db, CREATED_ON, DAY.isoformat())
    for n in range(5):  # as append_event wrote them then
        db.execute("INSERT INTO events (occurred_on, kind, reason, data) "
                   "VALUES (?, 'note', ?, '{}')", [DAY.isoformat(), f"old {n}"])
    db.close()
    assert open_store(path).policy.id == "seed-001"  # opens before the upgrade, as before
    close_thread_connections()
    code, out, _ = run(capsys, "verify", "--db", str(path))
    assert code == 1 and "has not been upgraded" in out
    prepare_store(path)
    db = open_db(path)
    rows = list(db.query("SELECT id, hash, prev_hash FROM events ORDER BY id"))
    assert len(rows) >= 5 and all(r["hash"] for r in rows)
    assert rows[0]["prev_hash"] == GENESIS
    assert all(b["prev_hash"] == a["hash"] for a, b in pairwise(rows))
    _append(db, 2)  # and new events chain on
    db.close()
    code, out, _ = run(capsys, "verify", "--db", str(path))
    assert code == 0, out


# -- verify and rebuild ----------------------------------------------------------------------


def test_a_clean_demo_store_verifies(capsys, demo):
    code, out, err = run(capsys, "verify", "--db", str(demo))
    assert (code, err) == (0, "")
    assert "All 118 alerts match" in out and "reviews' forms and decisions match" in out
    assert "All is well" in out


def test_a_tampered_alert_projection_is_caught_and_rebuilt(capsys, demo_original, demo):
    conn = _raw(demo)
    ref, state = conn.execute("SELECT ref, state FROM alerts WHERE status = 'open' "
                              "ORDER BY id LIMIT 1").fetchone()
    state = json.loads(state)
    state["due"] = "2027-06-30"
    conn.execute("UPDATE alerts SET level = 'head_of_service', state = ? WHERE ref = ?",
                 [json.dumps(state, sort_keys=True), ref])
    review = conn.execute("SELECT id FROM reviews WHERE reply_status = 'awaiting' "
                          "ORDER BY id LIMIT 1").fetchone()[0]
    conn.execute("UPDATE reviews SET reply_status = 'agreed' WHERE id = ?", [review])
    conn.close()
    code, out, _ = run(capsys, "verify", "--db", str(demo))
    assert code == 1
    assert f"Alert {ref}: its level is 'head_of_service' in the alerts table, but its events " \
           "give" in out
    assert f"Alert {ref}: its response due date is '2027-06-30' in its saved state" in out
    assert f"Review {review}: its reply status is 'agreed' in the reviews table, but its " \
           "events give 'awaiting'." in out
    code, out, _ = run(capsys, "rebuild", "--db", str(demo))
    assert code == 0, out
    assert f"1 corrected ({ref})" in out and "All is well" in out
    assert _tables(demo) == _tables(demo_original)


def test_rebuild_gives_tables_identical_to_the_originals(capsys, demo_original, demo):
    conn = _raw(demo)  # lose every projection the log decides
    conn.execute("UPDATE alerts SET state = '{}', status = 'open', level = 'informal', "
                 "awaiting = NULL, due = NULL, category = NULL, formal_due = NULL, "
                 "closed_on = NULL, next_check_on = NULL, raised_on = '2000-01-01'")
    conn.execute("UPDATE reviews SET reply_status = NULL, reply_due = NULL, "
                 "decisions_sent_on = NULL, next_check_on = NULL")
    conn.close()
    assert not verify_store(demo).ok
    code, out, _ = run(capsys, "rebuild", "--db", str(demo))
    assert code == 0, out
    assert "Rebuilt the alerts from the log: 118 corrected" in out
    assert _tables(demo) == _tables(demo_original)  # every row of every table


def test_rebuild_of_a_clean_store_changes_nothing(demo_original, demo):
    rebuilt = rebuild_store(demo)
    assert rebuilt.verification.ok and rebuilt.alerts == [] and rebuilt.reviews == []
    assert _tables(demo) == _tables(demo_original)


def test_verify_says_plainly_what_is_not_a_store(capsys, tmp_path):
    code, _, err = run(capsys, "verify", "--db", str(tmp_path / "none.db"))
    assert code == 1 and "There is no store at" in err
    junk = tmp_path / "junk.db"
    junk.write_text("not a database at all, just text " * 100)
    code, out, err = run(capsys, "verify", "--db", str(junk))
    assert code == 1 and "Traceback" not in out + err and "could not be" in err
