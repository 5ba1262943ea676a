"""One click, one action: a form saved twice with the same token writes once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from db.connection import close_thread_connections, write_transaction
from db.events import append_event
from usecases.store import create_store, open_store
from usecases.submissions import ALREADY_SAVED, AlreadySaved, once

ON = dt.date(2026, 11, 23)


@pytest.fixture
def store(tmp_path):
    return create_store(tmp_path / "s.db", "seed-001", demo=False, as_of=ON)


def _save(store, note: str) -> None:
    with write_transaction(store.db):
        append_event(store.db, kind="note", occurred_on=ON, reason=note)
        append_event(store.db, kind="note", occurred_on=ON, reason=note + " (2)")


def _count(store) -> int:
    return store.db.execute("SELECT count(*) FROM events WHERE kind = 'note'").fetchone()[0]


def test_the_same_token_saves_once(store):
    with once("token-1"):
        _save(store, "first")
    with pytest.raises(AlreadySaved, match=ALREADY_SAVED), once("token-1"):
        _save(store, "again")
    assert _count(store) == 2
    tokens = [r[0] for r in store.db.execute("SELECT submission FROM events WHERE kind='note'")]
    assert tokens == ["token-1", "token-1"]


def test_a_new_token_or_none_saves_again(store):
    with once("token-1"):
        _save(store, "first")
    with once("token-2"):
        _save(store, "second")
    with once(None):
        _save(store, "third")
    assert _count(store) == 6


def test_a_failed_save_leaves_the_token_free(store):
    with pytest.raises(RuntimeError), once("token-1"), write_transaction(store.db):
        append_event(store.db, kind="note", occurred_on=ON, reason="half")
        raise RuntimeError("validation failed after the first write")
    assert _count(store) == 0
    with once("token-1"):
        _save(store, "fixed and saved")
    assert _count(store) == 2


def test_several_transactions_of_one_submission_all_count_as_it(store):
    with once("token-1"):
        _save(store, "part one")
        _save(store, "part two")
    assert _count(store) == 4


def test_three_clicks_at_once_from_three_threads_write_once(store):
    results: list[str] = []

    def click() -> None:
        mine = open_store(store.path)
        try:
            with once("same-token"):
                _save(mine, "clicked")
            results.append("saved")
        except AlreadySaved:
            results.append("already")
        finally:
            close_thread_connections()

    threads = [threading.Thread(target=click) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["already", "already", "saved"]
    assert _count(store) == 2
