"""The SQLite store: pragmas, foreign keys, migrations and the append-only event log."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading

import pytest
from sqlite_utils import Migrations

from db.connection import (
    close_thread_connections,
    connection_for,
    open_db,
    resolve_db_path,
    write_transaction,
)
from db.events import append_event, events_where
from db.people import insert_child, insert_team
from db.schema import MIGRATIONS, m001_initial, migrate

DAY = dt.date(2026, 12, 14)


def test_connection_pragmas(db):
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_db_path_from_flag_then_environment_then_default(monkeypatch):
    assert str(resolve_db_path("x.db")) == "x.db"
    monkeypatch.setenv("IRO_DB", "/tmp/from-env.db")
    assert str(resolve_db_path(None)) == "/tmp/from-env.db"
    monkeypatch.delenv("IRO_DB")
    assert str(resolve_db_path(None)) == "data/iro.db"


def test_store_file_and_folder_created_on_first_use(tmp_path):
    path = tmp_path / "new" / "folder" / "iro.db"
    db = open_db(path)
    migrate(db)
    db.close()
    assert path.exists()


def test_schema_has_the_tables(db):
    assert {"settings", "teams", "staff", "children", "reviews", "alerts", "events",
            "outbox"} <= set(db.table_names())


def test_foreign_keys_are_enforced(db):
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"), write_transaction(db):
        insert_child(db, case_ref="T-1", name="Test Child", date_of_birth=None,
                     legal_status="looked_after", team_id=999, social_worker_id=None,
                     reviewer_id=None)
    assert db["children"].count == 0


def test_check_constraints_refuse_unknown_values(db):
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"), write_transaction(db):
        insert_child(db, case_ref="T-1", name="Test Child", date_of_birth=None,
                     legal_status="adopted", team_id=None, social_worker_id=None,
                     reviewer_id=None)


def test_failed_transaction_leaves_store_as_it_was(db):
    with pytest.raises(RuntimeError), write_transaction(db):
        insert_team(db, "Team A")
        append_event(db, kind="team_added", occurred_on=DAY)
        raise RuntimeError("boom")
    assert db["teams"].count == 0
    assert db["events"].count == 0


def _one_event(db) -> int:
    with write_transaction(db):
        event_id = append_event(db, kind="note", occurred_on=DAY, reason="why")
    assert event_id is not None
    return event_id


def test_events_cannot_be_updated_or_deleted(db):
    event_id = _one_event(db)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE events SET reason = 'changed' WHERE id = ?", [event_id])
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM events WHERE id = ?", [event_id])
    assert events_where(db)[0].reason == "why"


def test_event_log_guards_survive_a_migration_that_transforms_the_table(db):
    event_id = _one_event(db)
    later = Migrations(MIGRATIONS.name)
    later()(m001_initial)

    @later()
    def m900_transform_events(database):
        database["events"].transform(column_order=("id", "kind"))

    applied = migrate(db, later)
    assert applied == ["m900_transform_events"]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE events SET reason = 'changed' WHERE id = ?", [event_id])
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM events")
    assert db["events"].count == 1


def test_migrations_are_idempotent(db):
    assert migrate(db) == []
    assert migrate(db) == []
    names = [m.name for m in MIGRATIONS.applied(db)]
    assert names == [m.name for m in MIGRATIONS._migrations]


def test_derived_events_must_name_their_policy(db):
    with pytest.raises(ValueError, match="policy id and version"), write_transaction(db):
        append_event(db, kind="escalated", occurred_on=DAY, rule="silence")


def test_dedupe_key_writes_a_derived_event_once(db):
    for _ in range(2):
        with write_transaction(db):
            append_event(db, kind="escalated", occurred_on=DAY, rule="silence",
                         policy_id="seed-001", policy_version=1, dedupe_key="a1:silence:1")
    assert db["events"].count == 1


def test_write_transactions_cannot_nest(db):
    with (
        write_transaction(db),
        pytest.raises(RuntimeError, match="cannot be nested"),
        write_transaction(db),
    ):
        pass


def test_eight_threads_writing_at_once_lose_nothing(db_path, db):
    per_thread = 60
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer(n: int) -> None:
        try:
            conn = connection_for(db_path)
            start.wait()
            for i in range(per_thread):
                with write_transaction(conn):
                    # read-then-write, the pattern that breaks without BEGIN IMMEDIATE
                    count = conn.execute("SELECT count(*) FROM events").fetchone()[0]
                    append_event(conn, kind="note", occurred_on=DAY,
                                 data={"thread": n, "i": i, "seen": count})
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_thread_connections()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = list(db.query("SELECT data FROM events"))
    assert len(rows) == 8 * per_thread
    assert len({r["data"] for r in rows}) == 8 * per_thread
