"""Shared fixtures: every test gets its own temporary store; nothing is shared."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from db.connection import close_thread_connections, open_db
from db.schema import migrate

#: A Monday in term time, well away from bank holidays, unless a test says otherwise.
DEMO_AS_OF = dt.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("IRO_DB", str(tmp_path / "env-default.db"))
    monkeypatch.delenv("IRO_POLICY", raising=False)
    monkeypatch.delenv("IRO_AS_OF", raising=False)
    monkeypatch.setenv("IRO_BACKGROUND_JOBS", "off")  # tests drive the sweep themselves
    yield
    close_thread_connections()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def db(db_path: Path):
    database = open_db(db_path)
    migrate(database)
    yield database
    database.close()
