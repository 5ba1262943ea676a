"""An import writes in short chunks, lets others in between, and is still all or nothing.

Issue 14: a 20,000-row import held the write lock for a minute, so everyone else's saves
waited and failed. Now the file is rehearsed on a private copy, then written a chunk of
whole alerts per transaction; when it fails part-way (the store changed, the process was
killed), what it wrote is rolled back by its import id: the log keeps it (append-only),
the living history and the tables do not.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import pytest

import manage
from db.connection import open_db
from db.import_chunks import unfinished_runs
from tests.import_support import resolved_alerts_csv
from tests.support import D, new_store, raise_at
from usecases.import_events import CHUNK_ROWS, ImportRefused, import_events
from usecases.import_runs import import_turn
from usecases.integrity import verify_store
from usecases.store import Store

ROOT = Path(__file__).resolve().parent.parent
AS_OF = D(2027, 1, 20)
ALERTS = 200  # five rows each: 1,000 rows, three chunks


def _other_writer(store: Store) -> Store:
    """The same store through a connection of its own: another person, another process."""
    return replace(store, db=open_db(store.path))


def _kinds(store: Store, kind: str) -> list[dict]:
    return [json.loads(r[0]) for r in store.db.execute(
        "SELECT data FROM events WHERE kind = ? ORDER BY id", [kind])]


def _imported_alerts(store: Store) -> list[str]:
    return [r[0] for r in store.db.execute(
        "SELECT ref FROM alerts WHERE ref LIKE 'I%' ORDER BY id")]


def _states(store: Store) -> dict[str, str]:
    return {r[0]: r[1] for r in store.db.execute(
        "SELECT ref, state FROM alerts WHERE ref LIKE 'I%'")}


def test_a_long_file_goes_in_chunks_and_someone_else_saves_in_between(tmp_path):
    store = new_store(tmp_path, "seed-001")
    other = _other_writer(store)
    saved: list[int] = []

    def progress(stage: str, done: int, total: int | None) -> None:
        if stage == "apply" and not saved:  # the first chunk is committed: the lock is free
            saved.extend(raise_at(other, D(2027, 1, 4), ref="OTHER", child="C-OTHER").event_ids)

    result = import_events(store, resolved_alerts_csv("I", ALERTS), as_of=AS_OF,
                           progress=progress)
    assert (result.alerts, result.events, result.rows) == (ALERTS, ALERTS * 5, ALERTS * 5)
    chunks = _kinds(store, "import_chunk_applied")
    assert [c["rows"] for c in chunks] == [400, 400, 200]
    assert all(c["rows"] <= CHUNK_ROWS for c in chunks)
    assert sum(len(c["alerts"]) for c in chunks) == ALERTS
    done = _kinds(store, "events_imported")
    assert [(d["import_id"], d["chunks"], d["events"]) for d in done] == [
        (result.import_id, 3, ALERTS * 5)]
    # the other person's alert was saved between the first and second chunks
    assert chunks[0]["last_id"] < saved[0] < chunks[1]["first_id"]
    assert len(_imported_alerts(store)) == ALERTS
    assert unfinished_runs(store.db) == []
    other.db.close()


def test_a_refused_file_and_a_dry_run_write_nothing_at_all(tmp_path):
    store = new_store(tmp_path, "seed-001")
    before = store.db.execute("SELECT count(*) FROM events").fetchone()[0]
    # the last alert is satisfied twice: only playing it through the rules finds that
    bad = resolved_alerts_csv("I", ALERTS) + "I200,I-C200,iro,2027-01-07,satisfied,,,,,,\n"
    with pytest.raises(ImportRefused) as refused:
        import_events(store, bad, as_of=AS_OF)
    assert "line 1002, event: " in str(refused.value)
    result = import_events(store, resolved_alerts_csv("I", ALERTS), as_of=AS_OF, dry_run=True)
    assert result.summary()[-1] == "This was a dry run: nothing was written."
    assert result.events == ALERTS * 5
    assert store.db.execute("SELECT count(*) FROM events").fetchone()[0] == before
    assert _imported_alerts(store) == []


def test_the_store_changing_part_way_rolls_back_every_chunk_written(tmp_path):
    store = new_store(tmp_path, "seed-001")
    other = _other_writer(store)
    children_before = store.db.execute("SELECT count(*) FROM children").fetchone()[0]
    raised: list[bool] = []

    def progress(stage: str, done: int, total: int | None) -> None:
        if stage == "apply" and not raised:
            # the rehearsal passed and a chunk is in: someone raises I200 for another child
            raise_at(other, D(2027, 1, 4), ref="I200", child="C-ELSE")
            raised.append(True)

    with pytest.raises(ImportRefused) as refused:
        import_events(store, resolved_alerts_csv("I", ALERTS), as_of=AS_OF, progress=progress)
    message = str(refused.value)
    assert message.startswith("Nothing was imported: the store changed while the file was "
                              "being imported, and what was already written has been rolled "
                              "back. Check these and import again.")
    assert "alert I200 is already in the store, for child C-ELSE, not I-C200" in message
    # the log keeps the two chunks written; the living history and the tables do not
    rolled = _kinds(store, "import_rolled_back")
    assert len(rolled) == 1 and len(rolled[0]["alerts"]) == 160
    assert _imported_alerts(store) == ["I200"]  # only the other person's
    assert store.db.execute("SELECT count(*) FROM children").fetchone()[0] == children_before + 1
    live = store.db.execute(
        "SELECT count(*) FROM live_events WHERE json_extract(data, '$.import_id') = ? "
        "AND kind NOT IN ('import_chunk_applied', 'import_rolled_back')",
        [rolled[0]["import_id"]]).fetchone()[0]
    assert live == 0
    assert store.db.execute("SELECT count(*) FROM events WHERE json_extract(data, "
                            "'$.import_id') = ?", [rolled[0]["import_id"]]).fetchone()[0] > 800
    assert unfinished_runs(store.db) == []
    assert verify_store(store.path).ok, verify_store(store.path).lines()
    # a new alert never takes the number of one rolled back: its events still name it
    fresh = raise_at(store, D(2027, 1, 5), ref="NEW", child="C-NEW")
    new_id = store.db.execute("SELECT alert_id FROM events WHERE id = ?",
                              [fresh.event_ids[0]]).fetchone()[0]
    assert new_id > max(rolled[0]["alerts"])
    other.db.close()


KILL_AFTER_FIRST_CHUNK = """
import os, signal, sys
sys.path.insert(0, {root!r})
from tests.import_support import resolved_alerts_csv
from usecases.import_events import import_events
from usecases.store import open_store
import datetime as dt

def progress(stage, done, total):
    if stage == "apply":
        os.kill(os.getpid(), signal.SIGKILL)  # kill -9, straight after the first chunk

import_events(open_store({path!r}), resolved_alerts_csv("I", {alerts}),
              as_of=dt.date(2027, 1, 20), progress=progress)
"""


def _killed_import(path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", KILL_AFTER_FIRST_CHUNK.format(
        root=str(ROOT), path=str(path), alerts=ALERTS)], capture_output=True, text=True,
        timeout=120, check=False)
    assert done.returncode == -9, done.stderr


def test_a_killed_import_is_rolled_back_by_the_command_or_the_next_import(tmp_path, capsys):
    store = new_store(tmp_path, "seed-001")
    clean = new_store(tmp_path, "seed-001", name="clean.db")
    import_events(clean, resolved_alerts_csv("I", ALERTS), as_of=AS_OF)

    _killed_import(store.path)
    [run] = unfinished_runs(store.db)
    assert (run.rows, len(run.alerts)) == (400, 80)
    assert len(_imported_alerts(store)) == 80  # what was committed is there until undone
    assert manage.main(["verify", "--db", str(store.path)]) == 1
    assert "did not finish: 1 chunks, 400 rows written" in capsys.readouterr().out
    assert manage.main(["roll-back-import", "--db", str(store.path),
                        "--as-of", "2027-01-20"]) == 0
    said = capsys.readouterr().out
    assert "was rolled back: " in said and "80 alerts it added were removed" in said
    assert _imported_alerts(store) == [] and unfinished_runs(store.db) == []
    assert manage.main(["verify", "--db", str(store.path)]) == 0  # the tables as the log says
    capsys.readouterr()
    assert manage.main(["roll-back-import", "--db", str(store.path)]) == 0
    assert capsys.readouterr().out == "Nothing to roll back: no import is unfinished.\n"

    _killed_import(store.path)
    result = import_events(store, resolved_alerts_csv("I", ALERTS), as_of=AS_OF)
    assert result.summary()[0].startswith("The unfinished import of ")
    assert unfinished_runs(store.db) == []
    assert _states(store) == _states(clean)  # as if the killed runs had never happened


def test_imports_take_turns_and_a_roll_back_waits_for_none(tmp_path, capsys):
    store = new_store(tmp_path, "seed-001")
    waited = threading.Event()
    results: list = []

    def second() -> None:
        mine = _other_writer(store)
        results.append(import_events(mine, resolved_alerts_csv("I", 5), as_of=AS_OF,
                                     on_wait=waited.set))
        mine.db.close()

    with import_turn(store):
        worker = threading.Thread(target=second)
        worker.start()
        assert waited.wait(timeout=30), "the second import did not wait its turn"
        assert results == []
        assert manage.main(["roll-back-import", "--db", str(store.path)]) == 2
        assert "An import into this store is running now. Nothing was done" in \
            capsys.readouterr().err
    worker.join(timeout=60)
    assert results and results[0].alerts == 5
