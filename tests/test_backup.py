"""Backups taken while people work, and restores that check before they touch anything."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat
import sys
import threading
import time
import types
from pathlib import Path

import pytest

import manage
from db.connection import close_thread_connections
from tests.support import new_store, raise_at
from usecases.backup import BackupFailed, backup_store, check_copy, restore_store
from usecases.store import open_store

D = dt.date
NOW = dt.datetime(2026, 11, 23, 14, 15, 0, tzinfo=dt.UTC)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = manage.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _event_ids(path: Path) -> set[int]:
    conn = sqlite3.connect(path)
    try:
        return {row[0] for row in conn.execute("SELECT id FROM events")}
    finally:
        conn.close()


def _store(tmp_path: Path, name: str = "store.db", alerts: int = 2) -> Path:
    """A small store with a few alerts in it, closed again."""
    store = new_store(tmp_path, "seed-001", name=name)
    for n in range(alerts):
        raise_at(store, D(2026, 1, 6), ref=f"{name}-A{n}", child=f"C-{n}")
    store.db.close()  # the last connection out writes the WAL back into the file
    return store.path


def _stray_files(folder: Path) -> list[str]:
    """Hidden part-copies or SQLite companions a command should not have left behind."""
    return sorted(p.name for p in folder.iterdir()
                  if p.name.endswith(".partial") or p.name.endswith(("-journal",)))


# -- taken while people work -------------------------------------------------------------------


def test_a_backup_taken_while_alerts_are_raised_holds_everything_committed_before_it(tmp_path):
    primary = _store(tmp_path, alerts=40)  # enough pages for a copy of several steps
    stop = threading.Event()
    raised: list[float] = []
    failures: list[BaseException] = []

    def keep_raising() -> None:
        try:
            store = open_store(primary)
            n = 0
            while not stop.is_set():
                raise_at(store, D(2026, 1, 7), ref=f"W{n}", child=f"C-W{n % 7}")
                raised.append(time.monotonic())
                n += 1
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
        finally:
            close_thread_connections()

    writer = threading.Thread(target=keep_raising)
    writer.start()
    steps: list[int] = []

    def while_copying(remaining: int, total: int) -> None:
        # Let the writer commit while the copy is half-way, whatever the machine's speed.
        if not steps:
            seen = len(raised)
            deadline = time.monotonic() + 10
            while len(raised) < seen + 3 and time.monotonic() < deadline and not failures:
                time.sleep(0.005)
        steps.append(remaining)

    try:
        deadline = time.monotonic() + 10
        while len(raised) < 3 and time.monotonic() < deadline and not failures:
            time.sleep(0.005)
        committed_before = _event_ids(primary)
        began = time.monotonic()
        copied = backup_store(primary, tmp_path / "backup.db", pages_per_step=2,
                              on_step=while_copying)
        ended = time.monotonic()
    finally:
        stop.set()
        writer.join(timeout=30)
    assert not failures, failures
    assert len(steps) > 3, "the copy should have been made in several steps"
    assert any(began < t < ended for t in raised), "alerts were raised during the copy"

    restored = tmp_path / "restored.db"
    restore_store(tmp_path / "backup.db", restored, now=NOW)
    in_restored = _event_ids(restored)
    assert committed_before <= in_restored
    assert len(in_restored) == copied.events
    everything = _event_ids(primary)
    assert in_restored <= everything
    assert len(everything) > len(in_restored), "writes after the copy began are not in it"
    store = open_store(restored)
    assert store.policy.id == "seed-001"


def test_the_copy_holds_the_wal_of_a_store_still_open(tmp_path):
    primary = _store(tmp_path, alerts=1)
    app = open_store(primary)  # the app holds the store open: recent commits sit in -wal
    raise_at(app, D(2026, 1, 8), ref="LATE", child="C-LATE")
    assert primary.with_name(primary.name + "-wal").stat().st_size > 0
    copied = backup_store(primary, tmp_path / "b.db")
    assert copied.events == len(_event_ids(primary))
    conn = sqlite3.connect(tmp_path / "b.db")
    assert conn.execute("SELECT count(*) FROM alerts WHERE ref = 'LATE'").fetchone()[0] == 1
    conn.close()


# -- private files -----------------------------------------------------------------------------


def test_backups_restores_and_kept_stores_are_readable_by_their_owner_only(tmp_path):
    primary = _store(tmp_path)
    other = _store(tmp_path, name="other.db")
    old = os.umask(0)  # even where every new file would otherwise be world-readable
    try:
        backup_store(primary, tmp_path / "b.db")
        restore_store(tmp_path / "b.db", tmp_path / "new.db", now=NOW)
        os.chmod(other, 0o644)
        restored = restore_store(tmp_path / "b.db", other, now=NOW, force=True)
    finally:
        os.umask(old)
    assert _mode(tmp_path / "b.db") == 0o600
    assert _mode(tmp_path / "new.db") == 0o600
    assert _mode(other) == 0o600
    assert restored.kept is not None and _mode(restored.kept) == 0o600


def test_the_hidden_part_copy_is_private_from_the_moment_it_exists(tmp_path, monkeypatch):
    """Checked while the copy is being made, not only at the end."""
    primary = _store(tmp_path)
    seen: list[int] = []

    def look(remaining: int, total: int) -> None:
        seen.extend(_mode(p) for p in tmp_path.iterdir() if p.name.endswith(".partial"))

    old = os.umask(0)
    try:
        backup_store(primary, tmp_path / "b.db", pages_per_step=1, on_step=look)
    finally:
        os.umask(old)
    assert seen and set(seen) == {0o600}


# -- refusing to overwrite ---------------------------------------------------------------------


def test_backup_refuses_an_existing_file_unless_forced(tmp_path, capsys):
    primary = _store(tmp_path)
    target = tmp_path / "b.db"
    target.write_text("yesterday's notes")
    code, out, err = run(capsys, "backup", "--db", str(primary), "--to", str(target))
    assert code == 2
    assert f"Error: {target} already exists. Choose another name, or add --force" in err
    assert "Traceback" not in err and out == ""
    assert target.read_text() == "yesterday's notes"
    assert _stray_files(tmp_path) == []

    code, out, err = run(capsys, "backup", "--db", str(primary), "--to", str(target), "--force")
    assert (code, err) == (0, "")
    assert check_copy(target).events == len(_event_ids(primary))


def test_backup_will_not_rename_over_a_database_in_use(tmp_path, capsys):
    primary = _store(tmp_path)
    live = _store(tmp_path, name="live.db")
    app = open_store(live)
    app.db.execute("CREATE TABLE IF NOT EXISTS scratch (x)")  # leaves live.db-wal
    code, _, err = run(capsys, "backup", "--db", str(primary), "--to", str(live), "--force")
    assert code == 2
    assert "There is a live.db-wal beside" in err and "database in use" in err
    assert app.db.execute("SELECT count(*) FROM alerts").fetchone()[0] == 2


def test_restore_refuses_an_existing_store_unless_forced_and_then_keeps_it(tmp_path, capsys):
    backup = _store(tmp_path, name="backup.db", alerts=3)
    target = _store(tmp_path, name="live.db", alerts=1)
    before = _event_ids(target)

    code, _, err = run(capsys, "restore", "--db", str(target), "--from", str(backup))
    assert code == 2
    assert f"{target} already exists. Choose another name, or add --force" in err
    assert _event_ids(target) == before

    restored = restore_store(backup, target, now=NOW, force=True)
    kept = tmp_path / "live.db.before-restore-20261123T141500Z"
    assert restored.kept == kept and restored.kept_by == "copied"
    assert _event_ids(kept) == before
    assert _event_ids(target) == _event_ids(backup)
    assert _stray_files(tmp_path) == []


def test_a_forced_restore_reaches_a_connection_the_app_still_holds(tmp_path):
    """Written through the backup API, the app's open connection sees the restored store
    (a rename would have left it reading the old file)."""
    backup = _store(tmp_path, name="backup.db", alerts=3)
    target = _store(tmp_path, name="live.db", alerts=1)
    app = open_store(target)
    assert app.db.execute("SELECT count(*) FROM alerts").fetchone()[0] == 1
    restore_store(backup, target, now=NOW, force=True)
    assert app.db.execute("SELECT count(*) FROM alerts").fetchone()[0] == 3


def test_a_store_sqlite_cannot_read_is_kept_by_renaming_it(tmp_path, capsys):
    backup = _store(tmp_path, name="backup.db")
    target = tmp_path / "live.db"
    target.write_bytes(b"\x00" * 8192)  # what a failed disk leaves
    code, out, err = run(capsys, "restore", "--db", str(target), "--from", str(backup),
                         "--force")
    assert (code, err) == (0, "")
    kept = next(tmp_path.glob("live.db.before-restore-*"))
    assert kept.read_bytes() == b"\x00" * 8192
    assert f"is kept as {kept}" in out
    assert _event_ids(target) == _event_ids(backup)


def test_restore_refuses_a_leftover_wal_beside_a_missing_store(tmp_path, capsys):
    backup = _store(tmp_path, name="backup.db")
    (tmp_path / "gone.db-wal").write_bytes(b"old changes")
    code, _, err = run(capsys, "restore", "--db", str(tmp_path / "gone.db"), "--from",
                       str(backup))
    assert code == 2
    assert "gone.db-wal" in err and "left over" in err
    assert not (tmp_path / "gone.db").exists()


# -- what restore refuses ----------------------------------------------------------------------


def test_restore_refuses_a_damaged_backup_with_a_plain_message(tmp_path, capsys):
    backup = _store(tmp_path, name="backup.db", alerts=20)
    data = bytearray(backup.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data), page):  # scribble over every page but the first
        data[offset + 8: offset + 200] = b"\xff" * 192
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(bytes(data))
    target = tmp_path / "live.db"
    code, out, err = run(capsys, "restore", "--db", str(target), "--from", str(damaged))
    assert code == 1
    assert err.startswith("Error: ")
    assert "damaged.db" in err and ("is damaged" in err or "cannot be" in err)
    assert "Traceback" not in err and out == ""
    assert not target.exists()
    assert _stray_files(tmp_path) == []


def test_restore_refuses_a_sqlite_file_that_is_not_a_store(tmp_path, capsys):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE things (x)")
    conn.commit()
    conn.close()
    code, _, err = run(capsys, "restore", "--db", str(tmp_path / "live.db"), "--from",
                       str(other))
    assert code == 1
    assert f"Error: {other} is not a store made by this application" in err
    assert not (tmp_path / "live.db").exists()


def test_restore_refuses_a_file_that_is_not_a_database(tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n" * 100)
    code, _, err = run(capsys, "restore", "--db", str(tmp_path / "live.db"), "--from",
                       str(notes))
    assert code == 1
    assert f"Error: {notes} is not a SQLite database" in err


def test_restore_from_a_missing_file_says_so(tmp_path, capsys):
    code, _, err = run(capsys, "restore", "--db", str(tmp_path / "live.db"), "--from",
                       str(tmp_path / "nope.db"))
    assert code == 2
    assert f"Error: There is no backup at {tmp_path / 'nope.db'}." in err


def test_restore_leaves_the_backup_file_as_it_found_it(tmp_path):
    backup = _store(tmp_path, name="backup.db")
    before = sorted(p.name for p in tmp_path.iterdir())
    restore_store(backup, tmp_path / "live.db", now=NOW)
    after = sorted(p.name for p in tmp_path.iterdir())
    assert sorted(set(after) - set(before)) == ["live.db"]


# -- the command line --------------------------------------------------------------------------


def test_backup_command_says_what_it_copied(tmp_path, capsys):
    primary = _store(tmp_path, alerts=3)
    target = tmp_path / "b.db"
    code, out, err = run(capsys, "backup", "--db", str(primary), "--to", str(target))
    assert (code, err) == (0, "")
    events = len(_event_ids(primary))
    assert f"Copied {primary} to {target}: {events:,} events, 3 alerts, 3 children (" in out
    assert "policy seed-001" in out
    assert "Checked: SQLite integrity check; opens as a store under policy seed-001" in out


def test_backup_uses_the_environment_path_when_no_db_flag(tmp_path, capsys, monkeypatch):
    primary = _store(tmp_path)
    monkeypatch.setenv("IRO_DB", str(primary))
    code, out, _ = run(capsys, "backup", "--to", str(tmp_path / "b.db"))
    assert code == 0 and f"Copied {primary}" in out


def test_backup_of_a_missing_store_or_into_a_missing_folder(tmp_path, capsys):
    code, _, err = run(capsys, "backup", "--db", str(tmp_path / "nope.db"), "--to",
                       str(tmp_path / "b.db"))
    assert code == 2 and "There is no store at" in err
    primary = _store(tmp_path)
    code, _, err = run(capsys, "backup", "--db", str(primary), "--to",
                       str(tmp_path / "no-such-folder" / "b.db"))
    assert code == 2 and "does not exist; create it first" in err
    code, _, err = run(capsys, "backup", "--db", str(primary), "--to", str(primary), "--force")
    assert code == 2 and "are the same file" in err


def test_restore_command_says_what_it_restored_and_where_the_old_store_is(tmp_path, capsys):
    backup = _store(tmp_path, name="backup.db", alerts=2)
    target = _store(tmp_path, name="live.db", alerts=1)
    code, out, err = run(capsys, "restore", "--db", str(target), "--from", str(backup),
                         "--force")
    assert (code, err) == (0, "")
    assert f"Restored {target} from {backup}: " in out and "2 alerts" in out
    assert f"The store that was at {target} is kept as {target}.before-restore-" in out
    kept_name = out.split("is kept as ")[1].split("\n")[0].removesuffix(".")
    stamp = kept_name.rsplit("before-restore-", 1)[1]
    assert len(stamp) == len("20261123T141500Z") and stamp.endswith("Z")
    assert "Restart the app" in out


def test_a_backup_restores_through_the_command_line(tmp_path, capsys):
    primary = _store(tmp_path, alerts=4)
    assert run(capsys, "backup", "--db", str(primary), "--to", str(tmp_path / "b.db"))[0] == 0
    assert run(capsys, "restore", "--db", str(tmp_path / "r.db"), "--from",
               str(tmp_path / "b.db"))[0] == 0
    assert _event_ids(tmp_path / "r.db") == _event_ids(primary)
    assert open_store(tmp_path / "r.db").db["alerts"].count == 4


# -- the store's own check (usecases.integrity) ------------------------------------------------


def _fake_integrity(monkeypatch, verify_db) -> None:
    """Stand in for ``usecases.integrity`` so these tests say what the hook does whatever
    that module finds in today's stores."""
    module = types.ModuleType("usecases.integrity")
    module.verify_db = verify_db  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "usecases.integrity", module)


def _finding(text: str) -> types.SimpleNamespace:
    return types.SimpleNamespace(area="chain", text=text)


def test_a_store_failing_its_own_check_is_copied_and_reported(tmp_path, capsys, monkeypatch):
    """The copy is faithful to the store as it is, so it is kept; the command fails so that
    whoever reads cron's mail looks at the store."""
    primary = _store(tmp_path)
    found = types.SimpleNamespace(findings=[_finding("event 7 was altered")])
    _fake_integrity(monkeypatch, lambda db, path: found)
    code, out, err = run(capsys, "backup", "--db", str(primary), "--to", str(tmp_path / "b.db"))
    assert code == 1
    assert f"Copied {primary} to {tmp_path / 'b.db'}" in out
    assert "the copy was kept, but the store's own check found 1 problem(s)" in err
    assert "  - event 7 was altered" in err
    assert f"'python manage.py verify --db {primary}'" in err
    assert _mode(tmp_path / "b.db") == 0o600
    assert _stray_files(tmp_path) == []


def test_restore_refuses_a_backup_failing_the_stores_own_check(tmp_path, capsys, monkeypatch):
    backup = _store(tmp_path, name="backup.db")
    target = _store(tmp_path, name="live.db", alerts=1)
    before = _event_ids(target)
    found = types.SimpleNamespace(findings=[_finding("event 7 was altered")])
    _fake_integrity(monkeypatch, lambda db, path: found)
    code, out, err = run(capsys, "restore", "--db", str(target), "--from", str(backup),
                         "--force")
    assert code == 1 and out == ""
    assert f"Error: {backup} fails the store's own check: event 7 was altered. Nothing was " \
           "restored." in err
    assert _event_ids(target) == before
    assert list(tmp_path.glob("live.db.before-restore-*")) == []
    assert _stray_files(tmp_path) == []


def test_the_stores_own_check_is_run_on_the_copy(tmp_path, capsys, monkeypatch):
    primary = _store(tmp_path)
    seen: list[tuple[int, str]] = []

    def verify_db(db, path):
        seen.append((db["events"].count, str(path)))
        return types.SimpleNamespace(findings=[])

    _fake_integrity(monkeypatch, verify_db)
    code, out, _ = run(capsys, "backup", "--db", str(primary), "--to", str(tmp_path / "b.db"))
    assert code == 0
    assert seen == [(len(_event_ids(primary)), str(tmp_path / "b.db"))]
    assert "the store's own check" in out


def test_a_broken_own_check_is_reported_plainly(tmp_path, capsys, monkeypatch):
    primary = _store(tmp_path)

    def verify_db(db, path):
        raise KeyError("no such column")

    _fake_integrity(monkeypatch, verify_db)
    code, _, err = run(capsys, "backup", "--db", str(primary), "--to", str(tmp_path / "b.db"))
    assert code == 1
    assert "could not be run" in err and "Traceback" not in err
    assert not (tmp_path / "b.db").exists()


def test_the_real_check_passes_a_sound_store_and_catches_a_changed_history(tmp_path, capsys):
    pytest.importorskip("usecases.integrity")
    primary = _store(tmp_path, alerts=3)
    code, out, err = run(capsys, "backup", "--db", str(primary), "--to", str(tmp_path / "b.db"))
    assert (code, err) == (0, "")
    assert "the store's own check" in out

    conn = sqlite3.connect(primary)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                "AND tbl_name = 'events'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("UPDATE events SET reason = 'rewritten' WHERE id = (SELECT max(id) FROM events)")
    conn.commit()
    conn.close()
    code, _, err = run(capsys, "backup", "--db", str(primary), "--to", str(tmp_path / "c.db"))
    assert code == 1 and "the store's own check found" in err
    code, _, err = run(capsys, "restore", "--db", str(tmp_path / "r.db"), "--from",
                       str(tmp_path / "c.db"))
    assert code == 1 and "fails the store's own check" in err
    assert not (tmp_path / "r.db").exists()
    assert run(capsys, "restore", "--db", str(tmp_path / "r.db"), "--from",
               str(tmp_path / "b.db"))[0] == 0


def test_a_backup_from_before_the_hash_chain_can_still_be_restored(tmp_path, capsys):
    """Backups taken before the event log kept a hash chain (and the REPLACE guard) are
    not damaged: the app adds both when it starts on the restored store."""
    pytest.importorskip("usecases.integrity")
    integrity = pytest.importorskip("db.integrity")
    older = _store(tmp_path, name="older.db")
    conn = sqlite3.connect(older)
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = ?", [integrity.CHAIN_MIGRATION])
    for trigger in ("events_are_append_only_insert_id", "events_are_append_only_insert_key"):
        conn.execute(f'DROP TRIGGER IF EXISTS "{trigger}"')
    conn.commit()
    conn.close()
    code, out, err = run(capsys, "restore", "--db", str(tmp_path / "r.db"), "--from",
                         str(older))
    assert (code, err) == (0, "")
    assert "an older store" in out


def test_check_copy_names_the_file_the_administrator_gave(tmp_path):
    notes = tmp_path / "x.db"
    conn = sqlite3.connect(notes)
    conn.execute("CREATE TABLE settings (key, value)")
    conn.commit()
    conn.close()
    with pytest.raises(BackupFailed, match=r"backup-2026\.db is not a store"):
        check_copy(notes, label=tmp_path / "backup-2026.db")
