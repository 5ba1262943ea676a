"""What-if: the store's alert histories replayed under a draft policy, counted by hand.

The store runs seed-001 (looked-after track: informal 3 working days, prompting when
silent; Level 1 Service Manager 5, Level 2 Head of Service 5, Level 3 Divisional Director 5,
Level 4 Director 5, each escalating at once when silent; formal cap 20). The draft gives
the informal stage 5 working days and Level 1 only 3. Every alert is raised on Monday
12 January 2026 (no bank holidays until Easter) and the replay runs to Friday 27 February.

Under seed-001 Level 1 is due Mon 19 Jan (silence Tue 20); under the draft Thu 15 Jan
(silence Fri 16). The informal stage is due Thu 15 Jan under seed-001, Mon 19 under the
draft.

- A1: Level 1 answers Wed 14 Jan; satisfied. Same under both.
- A2: Level 1 answers Mon 19 Jan (on time); satisfied Tue 20. Under the draft silence took
  it to Level 2 on Fri 16, so the Level 1 answer is refused (counted) and the alert is
  resolved at Level 2: one more escalation by silence, highest level Head of Service.
- A3: nobody answers. Both climb to Level 4 by silence (three escalations, an overdue
  prompt at the top, over the 20-day cap); the Director's due date is Thu 12 Feb actually,
  Tue 10 Feb under the draft.
- A6: informal; the team manager answers Fri 16 Jan: late (overdue prompt that morning)
  actually, on time under the draft.
- A7: Level 1 silent; Level 2 reached Tue 20 (actual) or Fri 16 (draft) answers Wed 21;
  satisfied. Same under both: one escalation by silence, on time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

import manage
from db.connection import open_db
from rules.policy import PRESETS_DIR
from tests.support import act, new_store, raise_at
from usecases.alerts import sweep
from usecases.what_if import draft_from_file, draft_from_text, what_if

D = dt.date
END = D(2026, 2, 27)
GATE = "Head of Service for SARS agreed"


def _draft_text() -> str:
    lines = (PRESETS_DIR / "seed-001.yaml").read_text().splitlines(keepends=True)
    # the informal stage (line 27) and Level 1 (line 50) of the looked-after track; the CP
    # track repeats both through YAML anchors
    assert lines[26].strip() == "response_days: 3" and lines[49].strip() == "response_days: 5"
    lines[26] = lines[26].replace("3", "5")
    lines[49] = lines[49].replace("5", "3")
    return "".join(lines)


@pytest.fixture
def draft_file(tmp_path: Path) -> Path:
    folder = tmp_path / "draft"
    folder.mkdir()
    path = folder / "seed-001.yaml"
    path.write_text(_draft_text())
    return path


@pytest.fixture
def store(tmp_path: Path):
    store = new_store(tmp_path, "seed-001")
    monday = D(2026, 1, 12)
    for ref in ("A1", "A2", "A3", "A7"):
        raise_at(store, monday, "service_manager", gate=GATE, ref=ref, child=f"C-{ref}")
    raise_at(store, monday, "informal", ref="A6", child="C-A6")
    answer = {"actor_role": "service_manager", "outcome": "agree"}
    act(store, "responded", D(2026, 1, 14), ref="A1", **answer)
    act(store, "satisfied", D(2026, 1, 14), ref="A1", actor_role="iro")
    act(store, "responded", D(2026, 1, 19), ref="A2", **answer)
    act(store, "satisfied", D(2026, 1, 20), ref="A2", actor_role="iro")
    act(store, "responded", D(2026, 1, 16), ref="A6", actor_role="team_manager",
        outcome="agree")
    act(store, "satisfied", D(2026, 1, 16), ref="A6", actor_role="iro")
    act(store, "responded", D(2026, 1, 21), ref="A7", actor_role="head_of_service",
        outcome="agree")
    act(store, "satisfied", D(2026, 1, 21), ref="A7", actor_role="iro")
    sweep(store, END)
    return store


ROLES = ("service_manager", "head_of_service", "divisional_director", "director")


def test_totals_match_the_hand_count(store, draft_file):
    report = what_if(store, draft_from_file(draft_file), end=END)
    assert (report.alerts, report.changed) == (5, 3)
    assert report.actual == {
        "alerts": 5, "escalated_by_silence": 4, "overdue_prompts": 2, "over_cap": 1,
        "late_responses": 1, "responses": 4, "open": 1, "resolved": 4, "withdrawn": 0,
        "refused_actions": 0, "not_raised": 0,
        "reached_level": dict(zip(ROLES, (4, 2, 1, 1), strict=True)),
    }
    assert report.draft == {
        "alerts": 5, "escalated_by_silence": 5, "overdue_prompts": 1, "over_cap": 1,
        "late_responses": 0, "responses": 3, "open": 1, "resolved": 4, "withdrawn": 0,
        "refused_actions": 1, "not_raised": 0,
        "reached_level": dict(zip(ROLES, (4, 3, 1, 1), strict=True)),
    }


def test_differences_are_listed_alert_by_alert(store, draft_file):
    report = what_if(store, draft_from_file(draft_file), end=END)
    found = {(d["alert"], d["field"]): (d["actual"], d["draft"]) for d in report.differences}
    assert found == {
        ("A2", "level"): ("service_manager", "head_of_service"),  # resolved there
        ("A2", "highest_level"): ("service_manager", "head_of_service"),
        ("A2", "escalated_by_silence"): (0, 1),
        ("A2", "refused_actions"): (0, 1),
        ("A3", "due"): ("2026-02-12", "2026-02-10"),
        ("A6", "overdue_prompts"): (1, 0),
        ("A6", "late_responses"): (1, 0),
    }
    assert [(r["alert"], r["date"], r["event"]) for r in report.refused] == [
        ("A2", "2026-01-19", "responded")]
    assert "moved on to Level 2: Head of Service" in report.refused[0]["why"]


def test_the_same_policy_changes_nothing(store):
    same = draft_from_file(PRESETS_DIR / "seed-001.yaml")
    report = what_if(store, same, end=END)
    assert (report.alerts, report.changed, report.differences) == (5, 0, [])
    assert report.actual == report.draft


def test_the_period_picks_alerts_by_the_day_raised(store, draft_file):
    draft = draft_from_file(draft_file)
    assert what_if(store, draft, start=D(2026, 1, 13), end=END).alerts == 0
    assert what_if(store, draft, start=D(2026, 1, 12), end=D(2026, 1, 12)).alerts == 5
    # cut off on Fri 16 January: only what had happened by then is replayed
    early = what_if(store, draft, end=D(2026, 1, 16))
    assert early.actual["escalated_by_silence"] == 0
    assert early.draft["escalated_by_silence"] == 3  # A2, A3 and A7 went up that Friday


def test_derived_events_are_remade_not_read_from_the_log(tmp_path, draft_file):
    """Without a sweep the log holds no escalations; the draft's are made by the rules."""
    store = new_store(tmp_path, "seed-001")
    raise_at(store, D(2026, 1, 12), "service_manager", gate=GATE, ref="A3")
    report = what_if(store, draft_from_file(draft_file), end=END)
    assert report.actual["escalated_by_silence"] == 3  # what the clock owed, as export shows
    assert report.draft["escalated_by_silence"] == 3


def test_a_draft_without_the_track_refuses_the_raise_and_counts_it(store, tmp_path):
    text = (PRESETS_DIR / "seed-004.yaml").read_text()  # looked-after track only
    cp_store = new_store(tmp_path, "seed-001", name="cp.db")
    raise_at(cp_store, D(2026, 1, 12), "informal", track="cp", ref="CP1", child="C-CP")
    report = what_if(cp_store, draft_from_text(text, "seed-004.yaml"), end=END)
    assert report.draft["not_raised"] == 1 and report.draft["alerts"] == 0
    assert report.refused[0]["why"] == "the draft has no 'cp' track"


def _fingerprint(path: Path) -> tuple[str, ...]:
    db = open_db(path)
    dump = "\n".join(db.conn.iterdump())
    db.close()
    files = [p for p in (path, Path(f"{path}-wal")) if p.exists()]
    return (hashlib.sha256(dump.encode()).hexdigest(),
            *(hashlib.sha256(p.read_bytes()).hexdigest() for p in files))


def test_what_if_never_writes_to_the_store(store, draft_file):
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = _fingerprint(store.path)
    what_if(store, draft_from_file(draft_file), end=END)
    assert _fingerprint(store.path) == before


def test_progress_is_reported(store, draft_file):
    seen = []
    what_if(store, draft_from_file(draft_file), end=END,
            progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (5, 5)


def test_several_processes_give_the_same_answer(store, draft_file, monkeypatch):
    import usecases.what_if as module

    monkeypatch.setattr(module, "CHUNK", 2)  # three chunks for two worker processes
    draft = draft_from_file(draft_file)
    one = what_if(store, draft, end=END)
    two = what_if(store, draft, end=END, workers=2, count_evaluations=True)
    assert two.as_json() == one.as_json()
    assert two.evaluations and two.evaluations > 0


def test_the_command_prints_json(capsys, store, draft_file):
    code = manage.main(["what-if", "--db", str(store.path), "--policy-file", str(draft_file),
                        "--to", END.isoformat(), "--format", "json"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    found = json.loads(out)
    assert (found["alerts"], found["changed"]) == (5, 3)
    assert found["actual"]["escalated_by_silence"] == 4
    assert found["draft"]["escalated_by_silence"] == 5
    assert found["draft"]["reached_level"]["head_of_service"] == 3
    assert {"alert": "A3", "field": "due", "actual": "2026-02-12",
            "draft": "2026-02-10"} in found["differences"]


def test_the_command_prints_a_table(capsys, store, draft_file):
    code = manage.main(["what-if", "--db", str(store.path), "--policy-file", str(draft_file),
                        "--to", END.isoformat(), "--format", "text"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "5 alerts raised up to 2026-02-27; 3 would have gone differently" in out
    assert "reached Head of Service" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["--from", "2026-02-30"], "--from '2026-02-30' is not a date; write it as YYYY-MM-DD."),
    (["--to", "27/02/2026"], "--to '27/02/2026' is not a date; write it as YYYY-MM-DD."),
    (["--from", "2026-03-01", "--to", "2026-02-01"], "swap the dates"),
])
def test_bad_dates_are_plain_errors(capsys, store, draft_file, argv, message):
    code = manage.main(["what-if", "--db", str(store.path), "--policy-file", str(draft_file),
                        *argv])
    _, err = capsys.readouterr()
    assert code == 2
    assert message in err and "Traceback" not in err


def test_a_bad_draft_lists_its_problems(capsys, store, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: broken\nversion: one\n")
    code = manage.main(["what-if", "--db", str(store.path), "--policy-file", str(broken)])
    _, err = capsys.readouterr()
    assert code == 1
    assert "broken.yaml: version: " in err and "Traceback" not in err


def test_a_missing_store_is_a_plain_error(capsys, tmp_path, draft_file):
    code = manage.main(["what-if", "--db", str(tmp_path / "nope.db"), "--policy-file",
                        str(draft_file)])
    _, err = capsys.readouterr()
    assert code == 2
    assert "There is no store at" in err
    assert not (tmp_path / "nope.db").exists()
