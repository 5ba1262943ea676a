"""A store is created only on purpose, and only its owner can read it."""

from __future__ import annotations

import datetime as dt
import stat

import manage
from usecases.store import create_store

AS_OF = dt.date(2026, 11, 23)


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_store_files_are_readable_by_their_owner_only(tmp_path):
    store = create_store(tmp_path / "private.db", "seed-001", demo=False, as_of=AS_OF)
    store.db.execute("CREATE TABLE IF NOT EXISTS scratch (x)")  # makes the WAL file too
    assert _mode(store.path) == 0o600
    for suffix in ("-wal", "-shm"):
        companion = store.path.with_name(store.path.name + suffix)
        if companion.exists():
            assert _mode(companion) == 0o600


def test_init_refuses_an_existing_store_unless_told_it_may_exist(tmp_path, capsys):
    path = tmp_path / "x.db"
    assert manage.main(["init", "--db", str(path), "--policy", "seed-002"]) == 0
    assert manage.main(["init", "--db", str(path), "--policy", "seed-001"]) == 2
    assert "already holds a store" in capsys.readouterr().err
    assert manage.main(["init", "--db", str(path), "--policy", "seed-001", "--exist-ok"]) == 0
    assert "governed by seed-002); left as it is" in capsys.readouterr().out
