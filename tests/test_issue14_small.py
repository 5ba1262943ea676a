"""Issue 14, the small fixes: inert CSV cells that still import, bounded policy reading,
header-safe names in e-mail, ``send-mail`` without a mail server, and a sweep that says
what it has committed as it goes.

Every child and member of staff here is synthetic.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import manage
from db.connection import open_db, write_transaction
from db.outbox import enqueue_mail
from db.people import insert_child, insert_staff, insert_team
from rules.alert_transitions import Command
from rules.policy import load_preset, preset_ids, preset_path
from rules.policy_check import (
    MAX_POLICY_BYTES,
    MAX_POLICY_DEPTH,
    read_policy_file,
    read_policy_text,
)
from rules.policy_yaml import same_rules, written_version
from tests.smtp_support import Recorder, smtp_server
from tests.support import D, act, new_store, raise_at
from usecases.accounts import SignedInUser
from usecases.alerts import raise_in_transaction, sweep
from usecases.export_alerts import (
    alerts_as_csv,
    export_alerts,
    export_events_csv,
    import_cell,
)
from usecases.import_events import import_events, restored_cell
from usecases.mail import MailSettings, header_text, send_pending
from usecases.practice_concerns import refer_concern
from usecases.report_files import FORMULA_STARTS
from usecases.store import Store, create_store
from usecases.sweeping import sweep_all

ROOT = Path(__file__).resolve().parent.parent

#: Text a spreadsheet would run, and text that only looks like an export's inert cell.
TRICKY = ["=HYPERLINK(\"http://example.invalid\",\"x\")", "+1+1", "-2+3", "@SUM(A1)",
          "\tTabbed", "\rReturned", "'=already quoted", "''two apostrophes", "'plain",
          "'", "''", "'\t", "it's fine", "", "=", "-"]


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _assert_inert(text: str) -> None:
    live = [cell for cell in _cells(text) if cell.startswith(FORMULA_STARTS)]
    assert live == []


# ------------------------------------------------------------------ 1. formulas in CSV


@pytest.mark.parametrize("text", TRICKY)
def test_an_import_cell_is_inert_and_reads_back_exactly(text):
    cell = import_cell(text)
    assert not cell.startswith(FORMULA_STARTS)
    assert restored_cell(cell) == text


def test_export_alerts_csv_has_no_live_formula(tmp_path, capsys):
    store = new_store(tmp_path, "seed-001")
    raise_at(store, D(2026, 12, 14), "service_manager", gate="HoS agreed",
             child="=HYPERLINK(\"http://example.invalid\")")
    raise_at(store, D(2026, 12, 14), "service_manager", gate="HoS agreed", ref="A2",
             child="-C-2")
    text = alerts_as_csv(export_alerts(store, D(2027, 1, 11), with_events=False))
    _assert_inert(text)
    children = [r["child"] for r in csv.DictReader(io.StringIO(text))]
    assert children == ["'=HYPERLINK(\"http://example.invalid\")", "'-C-2"]

    assert manage.main(["export-alerts", "--db", str(store.path), "--as-of", "2027-01-11",
                        "--format", "csv"]) == 0
    out = capsys.readouterr().out
    _assert_inert(out)
    assert out == text


def _store_with_tricky_notes(tmp_path: Path) -> Store:
    """Alerts whose gate notes and response notes begin like formulas (as typed in the app)."""
    store = create_store(tmp_path / "first.db", "seed-001", demo=False, as_of=D(2026, 1, 5))
    # (not text ending in a space or tab: the import trims every cell's ends, as ever)
    kept = [t for t in TRICKY if t.strip() and t == t.rstrip() and t not in ("'", "''")]
    for n, text in enumerate(kept):
        ref = f"A{n}"
        raise_at(store, D(2026, 12, 14), "service_manager", gate=text, ref=ref, child=f"C-{n}")
        act(store, "responded", D(2026, 12, 16), ref=ref, actor_role="service_manager",
            outcome="agree", note=text)
    return store


def _notes(store: Store) -> list[tuple[str, str, str]]:
    return [(r["ref"], r["kind"], json.loads(r["data"]).get("note") or
             json.loads(r["data"]).get("gate") or "")
            for r in store.db.query(
                "SELECT a.ref, e.kind, e.data FROM events e JOIN alerts a ON a.id = e.alert_id "
                "WHERE e.rule IS NULL ORDER BY a.ref, e.id")]


def test_export_events_is_inert_and_imports_back_to_the_same_text(tmp_path, capsys):
    first = _store_with_tricky_notes(tmp_path)
    exported = export_events_csv(first)
    _assert_inert(exported)
    assert "'=HYPERLINK" in exported

    assert manage.main(["export-events", "--db", str(first.path)]) == 0
    assert capsys.readouterr().out == exported

    second = create_store(tmp_path / "second.db", "seed-001", demo=False, as_of=D(2026, 1, 5))
    import_events(second, exported)
    assert _notes(second) == _notes(first)
    assert {note for _, _, note in _notes(second)} >= {"=HYPERLINK(\"http://example.invalid\""
                                                       ",\"x\")", "'=already quoted",
                                                       "''two apostrophes", "'plain", "\tTabbed"}
    assert export_events_csv(second) == exported
    for day in (D(2026, 12, 31), D(2027, 2, 1)):
        assert export_alerts(second, day) == export_alerts(first, day)


def test_every_csv_the_product_writes_goes_through_neutralise():
    """A guard for the next CSV writer: each module that writes one must make cells inert
    (``usecases.report_files.neutralise``, or the import format's ``import_cell``)."""
    writers = {}
    for folder in ("usecases", "pages", "ui", "db", "rules"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            if "csv.writer" in text or "csv.DictWriter" in text:
                writers[str(path.relative_to(ROOT))] = "neutralise(" in text
    assert writers == {"usecases/audit.py": True, "usecases/export_alerts.py": True,
                       "usecases/export_summary.py": True, "usecases/report_files.py": True}


# ------------------------------------------------------------------ 2. policy check bounded


def _bomb(levels: int = 9, width: int = 9) -> str:
    """A "billion laughs" under closure_days: each entry a list of aliases to the one
    before, so a few hundred bytes stand for width**levels dates."""
    lines = ["closure_days:", "  - &l0 [" + ", ".join(["2026-12-25"] * width) + "]"]
    for n in range(1, levels):
        lines.append(f"  - &l{n} [" + ", ".join([f"*l{n - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def _preset_text(policy_id: str = "seed-001") -> str:
    return preset_path(policy_id).read_text(encoding="utf-8")


def test_an_alias_bomb_is_refused_before_it_is_expanded(tmp_path, capsys):
    text = _preset_text() + _bomb()
    path = tmp_path / "seed-001.yaml"
    path.write_text(text, encoding="utf-8")
    started = time.perf_counter()
    policy, problems = read_policy_file(path)
    assert policy is None
    assert [(p.path, "aliases" in p.message) for p in problems] == [("(file)", True)]
    assert time.perf_counter() - started < 5

    assert manage.main(["policy", "check", str(path)]) == 1
    out = capsys.readouterr()
    assert len(out.out) < 2_000 and "Traceback" not in out.err
    assert "seed-001.yaml: (file): With its aliases" in out.out


def test_an_alias_bomb_is_refused_where_texts_are_compared():
    bomb = _bomb()
    started = time.perf_counter()
    assert same_rules(bomb, bomb) is False
    assert written_version(bomb) is None
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize("nesting", [
    "closure_days: " + "[" * 5_000 + "]" * 5_000 + "\n",
    "closure_days: " + "[" * 200_000 + "\n",  # never closed
    "closure_days:\n" + "".join("  " * n + "- \n" for n in range(1, 300)),
    # shallow as written, deep through aliases
    "\n".join(f"a{n}: &a{n} " + "[" * 30 + (f"*a{n - 1}" if n else "1") + "]" * 30
              for n in range(200)) + "\n",
])
def test_deep_nesting_is_a_plain_problem_not_a_recursion_error(nesting, capsys, tmp_path):
    _, problems = read_policy_text(_preset_text() + nesting, "seed-001.yaml")
    assert [p.path for p in problems] == ["(file)"]
    assert f"more than {MAX_POLICY_DEPTH} deep" in problems[0].message

    path = tmp_path / "seed-001.yaml"
    path.write_text(_preset_text() + nesting, encoding="utf-8")
    assert manage.main(["policy", "check", str(path)]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_a_self_referring_alias_is_a_plain_problem():
    _, problems = read_policy_text("closure_days: &days\n  - *days\n", "seed-001.yaml")
    assert [p.path for p in problems] == ["(file)"]
    assert "*days" in problems[0].message


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path):
    text = _preset_text() + ("# padding\n" * (MAX_POLICY_BYTES // 10 + 1))
    path = tmp_path / "seed-001.yaml"
    path.write_text(text, encoding="utf-8")
    for _, problems in (read_policy_file(path), read_policy_text(text, "seed-001.yaml")):
        assert [p.path for p in problems] == ["(file)"]
        assert f"at most {MAX_POLICY_BYTES:,}" in problems[0].message


def test_the_presets_with_their_anchors_are_still_valid():
    assert "&ladder" in _preset_text("seed-001") and "*ladder" in _preset_text("seed-001")
    for policy_id in preset_ids():
        assert read_policy_text(_preset_text(policy_id), f"{policy_id}.yaml")[1] == []
        assert load_preset(policy_id).id == policy_id
        assert same_rules(_preset_text(policy_id), _preset_text(policy_id))


# ------------------------------------------------------------------ 3. header-safe names


def test_header_text_replaces_control_characters_with_spaces():
    assert header_text("Concern about Jo\r\nBloggs\x00(IRO)\u2028x\x85y\tz") == (
        "Concern about Jo Bloggs (IRO) x y z")
    assert header_text("Plain subject") == "Plain subject"


def test_mail_naming_a_person_with_a_line_break_in_their_name_is_delivered(tmp_path):
    store = new_store(tmp_path, "seed-002")
    with write_transaction(store.db):
        team = insert_team(store.db, "Test Team")
        iro = insert_staff(store.db, name="Jo\r\nBloggs", email="iro@example.invalid",
                           role="iro", team_id=team)
        insert_staff(store.db, name="Test Deputy", email="dhos@example.invalid",
                     role="deputy_head_of_service", team_id=team)
        sw = insert_staff(store.db, name="Test Worker", email="sw@example.invalid",
                          role="social_worker", team_id=team)
        insert_child(store.db, case_ref="C-1", name="Test Child", date_of_birth=None,
                     legal_status="looked_after", team_id=team, social_worker_id=sw,
                     reviewer_id=iro)
    user = SignedInUser(staff_id=sw, name="Test Worker", email="sw@example.invalid",
                        role="social_worker", team_id=team, team_name="Test Team")
    on = D(2026, 12, 14)
    refer_concern(store, about_staff_id=iro, child_ref="C-1", concern="Not invited.",
                  user=user, on=on, now=dt.datetime(2026, 12, 14, 10, tzinfo=dt.UTC))

    recorder = Recorder()
    with smtp_server(recorder) as port:
        settings = MailSettings(host="127.0.0.1", port=port, sender="iro@example.org",
                                timeout=5.0)
        report = send_pending(store, settings, now=dt.datetime(2026, 12, 14, 11, tzinfo=dt.UTC),
                              worker="test")
    assert (report.sent, report.failed, report.retried) == (1, 0, 0)
    [got] = recorder.messages
    assert got.rcpt_tos == ["dhos@example.invalid"]
    assert got.headers["Subject"].startswith("Concern about the practice of Jo Bloggs (")
    assert store.db.execute("SELECT status FROM outbox").fetchall() == [("sent",)]


# ------------------------------------------------------------------ 4. send-mail unconfigured


def test_send_mail_without_a_mail_server_sends_nothing_and_says_so(
    tmp_path, monkeypatch, capsys
):
    store = new_store(tmp_path, "seed-001")
    with write_transaction(store.db):
        for n in range(3):
            enqueue_mail(store.db, to=[f"person{n}@example.invalid"], cc=[],
                         subject=f"Alert A{n} needs a response", body="Waiting for you.",
                         queued_at=f"2020-01-0{1 + n}T00:00:00")  # long due
    waiting = 3
    before = list(store.db.query("SELECT * FROM outbox ORDER BY id"))
    recorder = Recorder()
    monkeypatch.delenv("IRO_SMTP_HOST", raising=False)
    with smtp_server(recorder) as port:
        # a server on localhost, where the old default went: it must not be tried
        monkeypatch.setenv("IRO_SMTP_PORT", str(port))
        assert manage.main(["send-mail", "--db", str(store.path)]) == 0
    out = capsys.readouterr().out
    assert out == (f"No mail server is set (IRO_SMTP_HOST): nothing was sent; {waiting} "
                   "messages are waiting.\n")
    assert recorder.messages == []
    assert list(store.db.query("SELECT * FROM outbox ORDER BY id")) == before
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "until it is set the app delivers no e-mail" in readme


# ------------------------------------------------------------ 5. the sweep prints as it commits


def _due_alerts(store: Store, n: int) -> None:
    """``n`` alerts at level 2 raised on 14 Dec 2026: by 20 Jan 2027 each has seven events
    due (three escalations, at risk, breached, overdue, the CAFCASS prompt)."""
    track = store.policy.track("iro")
    with write_transaction(store.db):
        for i in range(n):
            child_id = insert_child(store.db, case_ref=f"K-{i}", name="Synthetic",
                                    date_of_birth=None, legal_status="looked_after",
                                    team_id=None, social_worker_id=None, reviewer_id=None)
            command = Command(kind="raised", on=D(2026, 12, 14), actor_role="iro",
                              level="service_manager", category=track.categories[0].id,
                              gate="HoS agreed")
            raise_in_transaction(store, child_id=child_id, child_ref=f"K-{i}", track="iro",
                                 command=command, ref=f"K{i}")


def _derived_in_store(path: Path) -> set[tuple[str, str, str, str]]:
    other = open_db(path)  # its own connection: sees only what is committed
    try:
        return {(r["ref"], r["kind"], r["occurred_on"], r["rule"]) for r in other.query(
            "SELECT a.ref, e.kind, e.occurred_on, e.rule FROM events e "
            "JOIN alerts a ON a.id = e.alert_id WHERE e.rule IS NOT NULL")}
    finally:
        other.close()


def _key(record: dict) -> tuple[str, str, str, str]:
    return (record["alert"], record["event"], record["date"], record["rule"])


def test_the_callback_sees_each_batch_once_it_is_committed(tmp_path):
    store = new_store(tmp_path, "seed-001")
    _due_alerts(store, 12)
    seen: list[list[dict]] = []

    def committed(records: list[dict]) -> None:
        # already in the store for any other connection
        assert {_key(r) for r in records} <= _derived_in_store(store.path)
        seen.append(records)

    written = sweep(store, D(2027, 1, 20), batch_size=5, on_committed=committed)
    assert [len(batch) for batch in seen] == [35, 35, 14]
    assert [r for batch in seen for r in batch] == written


def test_sweep_all_passes_every_event_to_the_callback(tmp_path):
    store = new_store(tmp_path, "seed-001")
    _due_alerts(store, 3)
    seen: list[dict] = []
    written = sweep_all(store, D(2027, 1, 20), on_committed=seen.extend)
    assert seen == written and len([r for r in written if "alert" in r]) == 21
    assert sweep_all(store, D(2027, 1, 20), on_committed=seen.extend) == []


def test_a_killed_sweep_has_printed_what_it_committed(tmp_path):
    """600 alerts: two transactions of 500 and 100. The first line must come once the
    first commits, long before the end; killed then, what it printed is in the store and
    the second batch is not."""
    store = new_store(tmp_path, "seed-001")
    _due_alerts(store, 600)
    store.db.close()
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "sweep", "--db", str(store.path), "--as-of",
         "2027-01-20"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    watchdog = threading.Timer(300, proc.kill)
    watchdog.start()
    try:
        # read the pipe itself, not through a buffered reader: communicate() below reads
        # the pipe directly, and anything a reader had buffered past the first line is lost
        first = b""
        while b"\n" not in first:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            first += chunk
        os.kill(proc.pid, signal.SIGKILL)
        rest, _ = proc.communicate(timeout=60)
    finally:
        watchdog.cancel()
    assert first, "the sweep printed nothing before it was killed"
    lines = (first + rest).decode("utf-8").split("\n")[:-1]  # the last may be cut off
    printed = {_key(json.loads(line)) for line in lines}
    in_store = _derived_in_store(store.path)
    assert printed <= in_store
    assert len(in_store) == 500 * 7  # the first batch only: killed long before the end
    assert len(printed) >= 1


# -- the whole record in the log -----------------------------------------------------------------


def test_export_then_import_keeps_every_concern_and_outcome_sought(tmp_path):
    """Measured before: export then import into a new store lost the concern and outcome
    sought of 18 alerts out of 18."""
    import datetime as dt

    from usecases.export_alerts import export_events_csv
    from usecases.import_events import import_events
    from usecases.store import create_store

    as_of = dt.date(2026, 11, 23)
    first = create_store(tmp_path / "first.db", "seed-001", demo=True, as_of=as_of)
    words = {r["ref"]: (r["concern"], r["outcome_sought"]) for r in first.db.query(
        "SELECT ref, concern, outcome_sought FROM alerts")}
    assert words and all(c for c, _ in words.values())
    text = export_events_csv(first)
    fresh = create_store(tmp_path / "fresh.db", "seed-001", demo=False, as_of=as_of)
    # the new store needs the same people and children: copy them through the people import
    from tests.import_support import people_of_store

    people_of_store(first, fresh, as_of)
    import_events(fresh, text, as_of=as_of)
    again = {r["ref"]: (r["concern"], r["outcome_sought"]) for r in fresh.db.query(
        "SELECT ref, concern, outcome_sought FROM alerts")}
    assert again == words


def test_the_raised_event_and_the_review_event_hold_what_was_typed(tmp_path):
    import json

    from tests.support import new_store, raise_at

    store = new_store(tmp_path, "seed-001")
    raise_at(store, D(2026, 11, 23), "informal", ref="W1",
             concern="Family finding <b>not</b> started =SUM(A1)",
             outcome_sought="A start date by **Friday**")
    row = next(store.db.query("SELECT concern, outcome_sought, id FROM alerts WHERE ref='W1'"))
    raised = next(store.db.query(
        "SELECT data FROM events WHERE alert_id = ? AND kind = 'raised'", [row["id"]]))
    data = json.loads(raised["data"])
    assert (data["concern"], data["outcome_sought"]) == (
        row["concern"], row["outcome_sought"]) == (
        "Family finding <b>not</b> started =SUM(A1)", "A start date by **Friday**")


def test_the_review_event_holds_the_whole_monitoring_form(tmp_path):
    import datetime as dt
    import json

    from usecases.store import create_store

    store = create_store(tmp_path / "demo.db", "seed-004", demo=True, as_of=dt.date(2026, 11, 23))
    review = next(store.db.query("SELECT id, data FROM reviews ORDER BY id DESC LIMIT 1"))
    event = next(store.db.query("SELECT data FROM events WHERE review_id = ? AND kind = "
                                "'review_recorded'", [review["id"]]))
    form, logged = json.loads(review["data"]), json.loads(event["data"])
    assert {k: logged[k] for k in form} == form  # every field of the form is in the log
