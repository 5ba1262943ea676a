"""Every table is a projection of the log: ``verify`` compares each with a replay of its
events and names every difference in words (table, row, column, stored and replayed);
``rebuild`` writes them back, so a tampered store ends identical to the one it was.

One demo store (seed-002: it has practice concerns and placements) is built once; each
test works on its own copy. Tampering is done as someone with the file and the sqlite3
shell would do it: foreign keys off, the app nowhere near."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

import manage
from db.connection import close_thread_connections, open_db, write_transaction
from db.events import append_event
from db.import_chunks import void
from db.people import insert_child, insert_team
from tests.import_support import PEOPLE_COLUMNS, authority, people_xlsx, rows_csv
from tests.support import new_store
from usecases.import_people import import_people
from usecases.importing.reader import ImportFile
from usecases.integrity import verify_store
from usecases.policy_versions import apply_policy_version, version_text
from usecases.store import create_store, open_store

DEMO_AS_OF = dt.date(2026, 11, 23)


def run(capsys, *argv: str) -> tuple[int, str]:
    code = manage.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out + err


def verify(capsys, path: Path) -> tuple[int, str]:
    return run(capsys, "verify", "--db", str(path))


def rebuild(capsys, path: Path) -> tuple[int, str]:
    return run(capsys, "rebuild", "--db", str(path))


def tamper(path: Path, *statements: str, params: list | None = None) -> None:
    """Change the tables directly, around the application (foreign keys off)."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA foreign_keys = OFF")
    for statement in statements:
        conn.execute(statement, params or [])
    conn.close()


def one(path: Path, sql: str, params: list | None = None):
    conn = sqlite3.connect(str(path))
    try:
        return conn.execute(sql, params or []).fetchone()
    finally:
        conn.close()


def tables(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table (and the triggers), to compare stores whole."""
    conn = sqlite3.connect(str(path))
    found = {}
    for name, sql in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                                  "ORDER BY name").fetchall():
        order = "1, 2" if "WITHOUT ROWID" in (sql or "").upper() else "rowid"
        found[name] = conn.execute(f'SELECT * FROM "{name}" ORDER BY {order}').fetchall()
    found["(triggers)"] = conn.execute(
        "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    ).fetchall()
    conn.close()
    return found


def copy(source: Path, target: Path) -> Path:
    """SQLite's backup: consistent, WAL and all."""
    src, dst = sqlite3.connect(str(source)), sqlite3.connect(str(target))
    src.backup(dst)
    src.close()
    dst.close()
    return target


@pytest.fixture(scope="module")
def original(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("projections") / "demo.db"
    store = create_store(path, "seed-002", demo=True, as_of=DEMO_AS_OF)
    store.db.close()
    close_thread_connections()
    return path


@pytest.fixture
def demo(original: Path, tmp_path: Path) -> Path:
    return copy(original, tmp_path / "copy.db")


def rebuilt_to(capsys, path: Path, expected: dict[str, list[tuple]]) -> str:
    """Rebuild; it must exit 0, say all is well, and leave every table as ``expected``."""
    code, out = rebuild(capsys, path)
    assert code == 0, out
    assert "All is well" in out
    assert tables(path) == expected
    return out


# -- a clean store ----------------------------------------------------------------------------


def test_a_demo_store_verifies_every_projection(capsys, demo):
    code, out = verify(capsys, demo)
    assert code == 0, out
    for line in ("teams in the teams table match", "members of staff in the staff table match",
                 "children in the children table match", "alerts match",
                 "reviews' forms and decisions match", "in the significant_changes table match",
                 "All 1 concerns about practice in the practice_concerns table match",
                 "in the good_practice table match", "in the policy_versions table match",
                 "All 2 settings the log records in the settings table match",
                 "in the voided_event_ranges table match", "in the voided_alerts table match"):
        assert line in out, line
    assert "All is well" in out


def test_rebuild_of_a_clean_store_changes_nothing(capsys, original, demo):
    before = tables(original)
    out = rebuilt_to(capsys, demo, before)
    assert "Rebuilt the teams table from the log: 0 corrected." in out


# -- teams, staff, children -------------------------------------------------------------------


def test_tampered_people_are_named_and_rebuilt(capsys, original, demo):
    team = one(demo, "SELECT id, name FROM teams WHERE id = 3")
    iro = one(demo, "SELECT id, email FROM staff WHERE role = 'iro' ORDER BY id LIMIT 1")
    child = one(demo, "SELECT id, reviewer_id FROM children WHERE case_ref = 'DEMO-0002'")
    reviewer = one(demo, "SELECT email FROM staff WHERE id = ?", [child[1]])[0]
    tamper(demo,
           "UPDATE teams SET name = 'Renamed' WHERE id = 3",
           f"UPDATE staff SET role = 'admin', active = 0 WHERE id = {iro[0]}",
           "UPDATE children SET reviewer_id = NULL, permanence_plan = 'tampered' "
           "WHERE case_ref = 'DEMO-0002'",
           "DELETE FROM children WHERE case_ref = 'DEMO-0060'",
           "INSERT INTO teams (name) VALUES ('Ghost team')")
    code, out = verify(capsys, demo)
    assert code == 1
    assert (f"Team {team[1]} (id 3): its name is 'Renamed' in the teams table, but its events "
            f"give '{team[1]}'.") in out
    assert (f"Staff member {iro[1]} (id {iro[0]}): its role is 'admin' in the staff table, but "
            "its events give 'iro'.") in out
    assert f"Staff member {iro[1]} (id {iro[0]}): its active flag (1 yes, 0 no) is 0" in out
    assert (f"Child DEMO-0002 (id 2): its reviewer (id) is none in the children table, but its "
            f"events give {child[1]} ({reviewer}).") in out
    assert ("Child DEMO-0002 (id 2): its permanence plan is 'tampered' in the children table, "
            "but its events give none.") in out
    assert ("Child DEMO-0060 (id 60) is in the log but not in the children table: its row was "
            "deleted.") in out
    assert ("Team Ghost team (id 7) is in the teams table, but no event records it: it was put "
            "in directly.") in out
    out = rebuilt_to(capsys, demo, tables(original))
    assert "Rebuilt the children table from the log: 2 corrected" in out


def test_a_lost_member_of_staff_comes_back_without_a_password(capsys, original, demo):
    worker = one(demo, "SELECT id, email FROM staff WHERE role = 'social_worker' "
                       "ORDER BY id DESC LIMIT 1")
    tamper(demo, f"DELETE FROM staff WHERE id = {worker[0]}")
    code, out = verify(capsys, demo)
    assert code == 1
    assert f"Staff member {worker[1]} (id {worker[0]}) is in the log but not in the staff " \
           "table" in out
    code, out = rebuild(capsys, demo)
    assert code == 0, out
    assert f"Staff member {worker[1]} (id {worker[0]}) was put back; it has no password" in out
    expected = tables(original)
    expected["staff"] = [(*row[:-1], None) if row[0] == worker[0] else row
                         for row in expected["staff"]]  # password_hash is the last column
    assert tables(demo) == expected


def test_people_imported_and_changed_verify_and_a_change_is_caught(capsys, tmp_path):
    store = new_store(tmp_path, "seed-004")
    small = authority(staff=50, children=40)
    import_people(store, ImportFile.from_path(people_xlsx(tmp_path / "a.xlsx", small)),
                  as_of=DEMO_AS_OF)
    child = dict(small.children[0], name="Renamed Child")
    worker = dict(small.by_role("social_worker")[-1], role="practice_manager", active="no")
    for kind, row in (("children", child), ("staff", worker)):
        text = rows_csv(PEOPLE_COLUMNS[kind], [row])
        import_people(store, ImportFile.from_text(text, f"{kind}.csv"), kind=kind,
                      as_of=DEMO_AS_OF)
    path = store.path
    store.db.close()
    code, out = verify(capsys, path)
    assert code == 0, out
    tamper(path, "UPDATE staff SET role = 'social_worker' WHERE email = ?",
           params=[worker["email"]])
    code, out = verify(capsys, path)
    assert code == 1
    assert "its role is 'social_worker' in the staff table, but its events give " \
           "'practice_manager'." in out
    code, out = rebuild(capsys, path)
    assert code == 0 and "All is well" in out


def test_an_old_change_event_without_its_values_is_read_not_misreported(capsys, demo):
    """Before the log carried the values an import set, its change events said only what
    changed, in words: those columns cannot be compared, and are not reported."""
    staff_id = one(demo, "SELECT id FROM staff WHERE role = 'social_worker' LIMIT 1")[0]
    db = open_db(demo)
    with write_transaction(db):
        append_event(db, kind="staff_changed", occurred_on=DEMO_AS_OF, actor_role="admin",
                     data={"staff_id": staff_id,
                           "changes": {"role": ["Social Worker", "Practice Manager"]}},
                     reason="An import of an older version changed the role.")
        db.execute("UPDATE staff SET role = 'practice_manager' WHERE id = ?", [staff_id])
    db.close()
    code, out = verify(capsys, demo)
    assert code == 0, out


# -- alerts and reviews -----------------------------------------------------------------------


def test_an_alerts_origin_and_an_alert_put_in_directly_are_caught(capsys, original, demo):
    ref = one(demo, "SELECT ref FROM alerts WHERE id = 1")[0]
    tamper(demo,
           "UPDATE alerts SET concern = 'Changed', raised_by = NULL, ref = 'A-999999' "
           "WHERE id = 1",
           "INSERT INTO alerts (ref, child_id, track, raised_on, level) "
           "VALUES ('A-FAKE', 1, 'iro', '2026-01-05', 'informal')")
    code, out = verify(capsys, demo)
    assert code == 1
    assert (f"Alert {ref}: its reference is 'A-999999' in the alerts table, but its events "
            f"give '{ref}'.") in out
    assert f"Alert {ref}: its concern is 'Changed' in the alerts table" in out
    assert f"Alert {ref}: its raiser (id) is none in the alerts table" in out
    assert "Alert A-FAKE has no events in the log" in out
    out = rebuilt_to(capsys, demo, tables(original))
    assert f"Rebuilt the alerts from the log: 2 corrected ({ref}, A-FAKE)." in out


def test_the_dashboards_alert_facts_tampered_are_caught_and_rebuilt(capsys, original, demo):
    response, alert_id = one(demo, "SELECT event_id, alert_id FROM alert_responses "
                                   "ORDER BY event_id LIMIT 1")
    reached = one(demo, "SELECT alert_id, level FROM alert_levels_reached ORDER BY 1, 2 LIMIT 1")
    tamper(demo, f"DELETE FROM alert_responses WHERE event_id = {response}",
           "UPDATE alert_levels_reached SET reached_on = '2000-01-01' "
           f"WHERE alert_id = {reached[0]} AND level = '{reached[1]}'")
    code, out = verify(capsys, demo)
    assert code == 1
    assert f"Responses: event {response} on alert id {alert_id} is missing." in out
    assert (f"Levels reached: alert id {reached[0]} reaching {reached[1]} on 2000-01-01 should "
            "not be there.") in out
    out = rebuilt_to(capsys, demo, tables(original))
    assert "Rebuilt the dashboard's alert facts (levels reached, responses) from the log." in out


def test_a_reviews_form_and_a_review_put_in_directly_are_caught(capsys, original, demo):
    review, rag, summary = one(demo, "SELECT id, rag, summary FROM reviews ORDER BY id LIMIT 1")
    other = "green" if rag != "green" else "red"
    tamper(demo,
           f"UPDATE reviews SET summary = 'Changed', rag = '{other}', "
           f"data = json_set(data, '$.progress', 'Changed') WHERE id = {review}",
           "INSERT INTO reviews (child_id, kind, held_on) VALUES (1, 'lac_review', '2026-01-05')")
    fake = one(demo, "SELECT max(id) FROM reviews")[0]
    code, out = verify(capsys, demo)
    assert code == 1
    assert (f"Review {review}: its summary is 'Changed' in the reviews table, but its events "
            f"give {summary!r}.") in out
    assert (f"Review {review}: its RAG judgement is '{other}' in the reviews table, but its "
            f"events give '{rag}'.") in out
    assert f"Review {review}'s monitoring form: its progress is 'Changed'" in out
    assert (f"Review {fake} is in the reviews table, but no event records it: it was put in "
            "directly.") in out
    rebuilt_to(capsys, demo, tables(original))


# -- significant changes, practice concerns, good practice ---------------------------------------


def test_significant_changes_tampered_are_caught_and_rebuilt(capsys, original, demo):
    changed, status = one(demo, "SELECT id, status FROM significant_changes "
                                "WHERE status = 'no_review' ORDER BY id LIMIT 1")
    lost = one(demo, "SELECT s.id, c.case_ref FROM significant_changes s "
                     "JOIN children c ON c.id = s.child_id ORDER BY s.id LIMIT 1 OFFSET 3")
    tamper(demo,
           f"UPDATE significant_changes SET status = 'review_required', late = 1 - late "
           f"WHERE id = {changed}",
           f"DELETE FROM significant_changes WHERE id = {lost[0]}",
           "INSERT INTO significant_changes (child_id, change_type, happened_on, notified_on, "
           "description, status) VALUES (1, 'x', '2026-01-05', '2026-01-05', 'made up', "
           "'awaiting_decision')")
    code, out = verify(capsys, demo)
    assert code == 1
    assert (f"Significant change {changed} (child DEMO-") in out
    assert ("its status is 'review_required' in the significant_changes table, but its events "
            f"give '{status}'.") in out
    assert "its told-late flag (1 yes, 0 no) is" in out
    assert (f"Significant change {lost[0]} (child {lost[1]}) is in the log but not in the "
            "significant_changes table: its row was deleted.") in out
    assert "is in the significant_changes table, but no event records it" in out
    rebuilt_to(capsys, demo, tables(original))


def test_a_practice_concern_tampered_is_caught_and_rebuilt(capsys, original, demo):
    concern, child_id = one(demo, "SELECT id, child_id FROM practice_concerns")
    assert child_id is not None  # the demo's concern names a child
    tamper(demo, "UPDATE practice_concerns SET answer = 'Never given', child_id = NULL, "
                 "next_check_on = '2030-01-01', status = 'open'")
    code, out = verify(capsys, demo)
    assert code == 1
    assert f"Practice concern {concern} (about " in out
    assert "its answer is 'Never given' in the practice_concerns table, but its events give " \
           "none." in out
    assert "its child (id) is none in the practice_concerns table, but its events give " \
           f"{child_id} (DEMO-" in out
    assert "its status is 'open' in the practice_concerns table, but its events give " \
           "'escalated'." in out
    assert "its next check date is '2030-01-01'" in out
    rebuilt_to(capsys, demo, tables(original))


def test_notes_of_good_practice_tampered_are_caught_and_rebuilt(capsys, original, demo):
    first, last = one(demo, "SELECT min(id), max(id) FROM good_practice")
    tamper(demo, f"UPDATE good_practice SET what = 'Rewritten', worker_id = NULL "
                 f"WHERE id = {first}",
           f"DELETE FROM good_practice WHERE id = {last}")
    code, out = verify(capsys, demo)
    assert code == 1
    assert f"Note of good practice {first}" in out
    assert "its text is 'Rewritten' in the good_practice table" in out
    assert f"Note of good practice {last}" in out and "its row was deleted." in out
    rebuilt_to(capsys, demo, tables(original))


# -- policy versions and settings ---------------------------------------------------------------


def _adopt_a_version(path: Path) -> None:
    store = open_store(path)
    text = version_text(store.db, 1)
    assert text is not None and text.count("response_days: 5") >= 1
    apply_policy_version(store, text.replace("response_days: 5", "response_days: 6", 1),
                         file_name="seed-002.yaml", effective_from=dt.date(2027, 1, 4),
                         reason="Level 1 needs more time", as_of=DEMO_AS_OF)
    store.db.close()
    close_thread_connections()


def test_policy_versions_and_settings_tampered_are_caught_and_rebuilt(capsys, demo):
    _adopt_a_version(demo)
    code, out = verify(capsys, demo)
    assert code == 0, out
    assert "All 2 policy versions in the policy_versions table match" in out
    before = tables(demo)
    triggers = [r[2] for r in before["(triggers)"] if r[1] == "policy_versions"]
    assert len(triggers) == 2  # append-only: tampering means dropping them first
    tamper(demo, *(f"DROP TRIGGER {r[0]}" for r in before["(triggers)"]
                   if r[1] == "policy_versions"),
           "UPDATE policy_versions SET yaml = yaml || '# edited', adopted_by = 'Someone else' "
           "WHERE version = 2", *triggers,
           "UPDATE settings SET value = '2020-01-01' WHERE key = 'created_on'")
    code, out = verify(capsys, demo)
    assert code == 1
    size = len(one(demo, "SELECT yaml FROM policy_versions WHERE version = 2")[0]) - 8
    assert (f"Policy version 2: its YAML text is not what its events give ({size + 8:,} "
            f"characters in the policy_versions table, {size:,} characters in its events; they "
            f"first differ at character {size + 1:,}).") in out
    assert "Policy version 2: its SHA-256 digest is" not in out  # the digest was left alone
    assert ("Policy version 2: its adopter is 'Someone else' in the policy_versions table, "
            "but its events give") in out
    assert ("The setting 'created_on': its value is '2020-01-01' in the settings table, but "
            f"its events give '{DEMO_AS_OF.isoformat()}'.") in out
    rebuilt_to(capsys, demo, before)  # the triggers back as they were, too


# -- rolled-back imports ------------------------------------------------------------------------


def _roll_back_an_import(path: Path) -> None:
    """What a rolled-back import leaves: its events in the log, voided by an
    ``import_rolled_back`` event; the team it added removed, and the child it added kept,
    because something recorded since names that child."""
    db = open_db(path)
    with write_transaction(db):
        team_id = insert_team(db, "Imported team")
        first = append_event(db, kind="team_added", occurred_on=DEMO_AS_OF, actor_role="admin",
                             data={"team_id": team_id, "name": "Imported team",
                                   "service": None})
        child_id = insert_child(db, case_ref="IMP-1", name="IMP-1", date_of_birth=None,
                                legal_status="looked_after", team_id=None,
                                social_worker_id=None, reviewer_id=None)
        last = append_event(db, kind="child_added", occurred_on=DEMO_AS_OF, actor_role="admin",
                            child_id=child_id, data={"import_id": "imp-1", "import_line": 2})
    with write_transaction(db):
        append_event(db, kind="note", occurred_on=DEMO_AS_OF, child_id=child_id,
                     reason="Someone wrote about the child while the import ran.")
    with write_transaction(db):
        append_event(db, kind="import_rolled_back", occurred_on=DEMO_AS_OF, actor_role="admin",
                     data={"import_id": "imp-1", "file": "alerts.xlsx",
                           "ranges": [[first, last]], "alerts": [9999],
                           "children": [child_id]},
                     reason="Import of alerts.xlsx rolled back: it stopped part-way.")
        void(db, "imp-1", [(first, last)], [9999])
        db.execute("DELETE FROM teams WHERE id = ?", [team_id])
    db.close()


def test_rolled_back_imports_are_replayed_from_the_whole_log_first(capsys, demo):
    _roll_back_an_import(demo)
    code, out = verify(capsys, demo)
    assert code == 0, out  # the voided team is not expected; the kept child is
    assert "All 1 ranges of voided events in the voided_event_ranges table match" in out
    before = tables(demo)
    tamper(demo, "DELETE FROM voided_event_ranges",
           "UPDATE voided_alerts SET import_id = 'another'")
    code, out = verify(capsys, demo)
    assert code == 1
    assert ("The voided range of events" in out and "(the rolled-back import imp-1) is in the "
            "log but not in the voided_event_ranges table: its row was deleted." in out)
    assert ("Alert id 9999 (voided by the rolled-back import imp-1): its import is 'another' "
            "in the voided_alerts table, but its events give 'imp-1'.") in out
    # with its range gone, the import's team_added counts again: the team looks lost
    assert "Team Imported team" in out and "not in the teams table" in out
    rebuilt_to(capsys, demo, before)  # voided first: the team is not put back


# -- everything at once ---------------------------------------------------------------------------


def test_rebuild_gives_every_projected_table_back_as_it_was(capsys, original, demo):
    triggers = [r for r in tables(demo)["(triggers)"] if r[1] == "policy_versions"]
    tamper(demo,
           "UPDATE teams SET name = name || ' (x)', service = NULL",
           "UPDATE staff SET name = 'x' || id, role = 'admin', team_id = NULL, "
           "line_manager_id = NULL, active = 0",
           "UPDATE children SET name = 'x', date_of_birth = NULL, team_id = NULL, "
           "social_worker_id = NULL, reviewer_id = NULL, placed_with_parents_since = NULL, "
           "permanence_plan = 'x', permanence_decision_on = NULL",
           "UPDATE alerts SET concern = '', outcome_sought = '', raised_by = NULL, "
           "ref = 'X' || id, track = 'cp', status = 'open', state = '{}'",
           "UPDATE reviews SET summary = '', data = '{}', rag = NULL, reply_status = NULL",
           "UPDATE significant_changes SET description = '', status = 'no_review', late = 0, "
           "review_date = NULL, decision_reasons = 'x', decided_by = NULL",
           "UPDATE practice_concerns SET concern = '', status = 'resolved', answer = 'x', "
           "escalated_to = NULL, next_check_on = '2030-01-01'",
           "UPDATE good_practice SET what = '', worker_id = NULL, team_id = NULL, "
           "child_id = NULL",
           *(f"DROP TRIGGER {name}" for name, _, _ in triggers),
           "UPDATE policy_versions SET yaml = '', sha256 = '', adopted_by = '', reason = 'x'",
           *(sql for _, _, sql in triggers),
           "UPDATE settings SET value = 'x' WHERE key = 'created_on'",
           "DELETE FROM alert_responses", "UPDATE alert_levels_reached SET reached_on = 'x'")
    assert not verify_store(demo).ok
    out = rebuilt_to(capsys, demo, tables(original))
    assert "Rebuilt the staff table from the log: " in out
    code, out = rebuild(capsys, demo)  # and again: nothing left to do
    assert code == 0 and "Rebuilt the alerts from the log: 0 corrected." in out
