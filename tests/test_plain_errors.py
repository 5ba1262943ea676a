"""Whatever goes wrong, the command line answers in plain sentences and a non-zero exit.

The operator is promised that a stack trace is never shown: a fault the command could not
foresee (a file that is not a store, a read-only store, a bug) is told in one sentence,
with the details appended to a log file the message names. A store that is busy is not a
fault at all: the command waits its turn. Two people adding the same e-mail at once get
the same plain refusal as someone adding it a second time later.
"""

from __future__ import annotations

import io
import os
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import db.connection
import manage
from db.connection import open_db
from tests.support import D, new_store, run_in_threads
from usecases.accounts import AccountInvalid, add_user
from usecases.store import open_store

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"


def run(capsys, *argv: str, stdin: str | None = None,
        monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = manage.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_plain_failure(code: int, out: str, err: str, log: Path, *, says: str) -> str:
    """Non-zero, one plain message naming the log, no trace on screen; the trace is logged."""
    assert code != 0
    assert "Traceback" not in out + err
    assert err.startswith("Something went wrong: "), err
    assert err.rstrip().endswith(f"The details are in {log}."), err
    assert says in err, err
    assert len(err.strip().splitlines()) == 1, err
    details = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in details
    assert stat.S_IMODE(log.stat().st_mode) == 0o600  # may name children and staff
    return details


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    store = new_store(tmp_path, "seed-001")
    store.db.close()
    db.connection.close_thread_connections()
    return store.path


# -- faults: a plain sentence, the details in the log ------------------------------------------


def test_a_file_that_is_not_a_database(capsys, tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("These are my notes, not a store.\n" * 50)
    code, out, err = run(capsys, "sweep", "--db", str(path))
    details = assert_plain_failure(code, out, err, tmp_path / "iro-errors.log",
                                   says=f"{path} is not a store")
    assert "file is not a database" in details
    assert "manage.py sweep --db" in details


def test_a_file_that_is_not_a_database_from_a_real_process(tmp_path):
    """End to end: nothing Python prints on its way out reaches the terminal either."""
    path = tmp_path / "notes.db"
    path.write_bytes(os.urandom(8192))
    env = {k: v for k, v in os.environ.items() if k != manage.LOG_FILE_ENV}
    done = subprocess.run([sys.executable, "manage.py", "users", "list", "--db", str(path)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    log = tmp_path / "iro-errors.log"
    assert done.stderr == (f"Something went wrong: {path} is not a store: it is not a SQLite "
                           f"database file. The details are in {log}.\n")
    assert "Traceback" in log.read_text(encoding="utf-8")


def test_a_read_only_store(capsys, monkeypatch, store_path):
    store_path.chmod(0o444)
    if os.geteuid() == 0:  # root may write to any file: have SQLite open it read-only instead
        connect = sqlite3.connect

        def read_only(database: str, *args, **kwargs):
            return connect(f"file:{database}?mode=ro", *args, uri=True, **kwargs)

        monkeypatch.setattr(sqlite3, "connect", read_only)
    code, out, err = run(capsys, "users", "add", "--db", str(store_path), "--name", "Ann Other",
                         "--email", "ann@example.org", "--role", "iro", "--password-stdin",
                         stdin=PASSWORD + "\n", monkeypatch=monkeypatch)
    details = assert_plain_failure(code, out, err, store_path.parent / "iro-errors.log",
                                   says="can be read but not changed")
    assert "readonly database" in details


def test_an_unexpected_error_in_a_command(capsys, monkeypatch, store_path, tmp_path):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("something nobody foresaw")

    monkeypatch.setattr(manage, "sweep_all", broken)
    log = tmp_path / "elsewhere" / "errors.txt"
    log.parent.mkdir()
    monkeypatch.setenv(manage.LOG_FILE_ENV, str(log))
    code, out, err = run(capsys, "sweep", "--db", str(store_path), "--as-of", "2027-01-20")
    assert code == 1
    assert err == ("Something went wrong: the command stopped on an error it was not written "
                   f"to expect. The details are in {log}.\n")
    details = assert_plain_failure(code, out, err, log, says="not written to expect")
    assert "ZeroDivisionError: something nobody foresaw" in details
    run(capsys, "sweep", "--db", str(store_path), "--as-of", "2027-01-20")
    assert log.read_text(encoding="utf-8").count("ZeroDivisionError: something") == 2  # appended


def test_ctrl_c_stops_plainly(capsys, monkeypatch, store_path):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(manage, "sweep_all", interrupted)
    code, out, err = run(capsys, "sweep", "--db", str(store_path))
    assert (code, out, err) == (130, "", "Stopped.\n")
    assert not (store_path.parent / "iro-errors.log").exists()


def test_a_users_own_mistake_is_still_told_as_it_was(capsys, monkeypatch, store_path):
    args = ["users", "add", "--db", str(store_path), "--name", "Ann Other", "--email",
            "ann@example.org", "--role", "iro", "--password-stdin"]
    assert run(capsys, *args, stdin=PASSWORD + "\n", monkeypatch=monkeypatch)[0] == 0
    code, out, err = run(capsys, *args, stdin=PASSWORD + "\n", monkeypatch=monkeypatch)
    assert (code, out, err) == (2, "", "Error: ann@example.org already has an account.\n")
    assert not (store_path.parent / "iro-errors.log").exists()


# -- a busy store: wait, then succeed -----------------------------------------------------------


def _hold_write_lock(path: Path, seconds: float, held: threading.Event) -> threading.Thread:
    """Another connection takes the store's write lock and keeps it for ``seconds``."""

    def hold() -> None:
        other = sqlite3.connect(str(path), isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        held.set()
        time.sleep(seconds)
        other.execute("COMMIT")
        other.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(10)
    return thread


def test_a_locked_store_is_waited_for_then_the_command_succeeds(capsys, monkeypatch, store_path):
    # each statement waits only 0.2 s, so outlasting the lock needs the retries as well
    monkeypatch.setattr(db.connection, "BUSY_TIMEOUT_MS", 200)
    holder = _hold_write_lock(store_path, 1.5, threading.Event())
    began = time.monotonic()
    try:
        code, out, err = run(capsys, "users", "add", "--db", str(store_path), "--name",
                             "Ann Other", "--email", "ann@example.org", "--role", "iro",
                             "--password-stdin", stdin=PASSWORD + "\n", monkeypatch=monkeypatch)
    finally:
        holder.join()
    assert (code, err) == (0, ""), err
    assert "they can sign in as ann@example.org" in out
    assert time.monotonic() - began >= 1.0  # it waited for the lock rather than failing


def test_a_store_locked_for_too_long_is_reported_plainly(capsys, monkeypatch, store_path):
    monkeypatch.setattr(db.connection, "BUSY_TIMEOUT_MS", 200)
    monkeypatch.setattr(db.connection, "WRITE_WAIT_SECONDS", 0.8)
    holder = _hold_write_lock(store_path, 3.0, threading.Event())
    try:
        code, out, err = run(capsys, "sweep", "--db", str(store_path), "--as-of", "2027-01-20")
    finally:
        holder.join()
    details = assert_plain_failure(code, out, err, store_path.parent / "iro-errors.log",
                                   says="busy with other work for too long")
    assert "StoreBusy" in details


# -- the same e-mail added at once --------------------------------------------------------------


def test_eight_people_adding_the_same_email_at_once(store_path):
    outcomes: list[object] = []

    def add() -> None:
        try:
            outcomes.append(add_user(open_store(store_path), name="Ann Other",
                                     email="Ann@Example.org", role="iro", password=PASSWORD,
                                     as_of=D(2027, 1, 4)))
        except AccountInvalid as exc:
            outcomes.append(exc.errors)

    run_in_threads(8, add)
    added = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if not isinstance(o, int)]
    assert len(added) == 1
    with pytest.raises(AccountInvalid) as sequential:  # the same e-mail again, later
        add_user(open_store(store_path), name="Ann Other", email="Ann@Example.org", role="iro",
              password=PASSWORD, as_of=D(2027, 1, 4))
    assert refused == [sequential.value.errors] * 7
    assert sequential.value.errors == {"email": "Ann@Example.org already has an account."}
    check = open_db(store_path)
    try:
        assert check.execute("SELECT count(*) FROM staff WHERE email = 'ann@example.org'"
                             ).fetchone()[0] == 1
        assert check.execute("SELECT count(*) FROM events WHERE kind = 'staff_added'"
                             ).fetchone()[0] == 1
    finally:
        check.close()


def test_a_page_that_finds_the_store_busy_says_so_plainly(monkeypatch):
    """The pages run inside ``ui.context.friendly_errors``: a store busy for longer than the
    wait allowed is a plain sentence, never a traceback."""
    import ui.context as context
    from db.retry import StoreBusy

    shown: list[str] = []
    monkeypatch.setattr(context.st, "error", shown.append)
    with context.friendly_errors():
        raise StoreBusy("The store stayed busy.")
    assert shown == ["The service is very busy: nothing was saved. Wait a minute, then try "
                     "again."]
