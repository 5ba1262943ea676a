"""A store under the authority's own policy file, and the versions of its policy: adopting a
changed policy from a date, which version applies to what, and moving open alerts on."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

import manage
from db.connection import open_db
from db.events import events_for_alert, events_where
from db.schema import MIGRATIONS, migrate
from db.settings import CREATED_ON, POLICY_ID, POLICY_VERSION, set_setting
from rules.alert_state import AlertState, apply_event
from rules.policy import PRESETS_DIR, load_preset
from rules.policy_yaml import with_version
from tests.support import act, raise_at, state
from usecases.errors import UserError
from usecases.policy_versions import (
    ADOPTED,
    alert_version,
    apply_policy_version,
    due_date_changes,
    migrate_open_alerts,
    policy_for,
    policy_text,
    store_under,
    version_for_start,
    version_in_force,
    versions,
)
from usecases.store import create_store, open_store, prepare_store

D = dt.date
CREATED = D(2026, 11, 2)

ANYTOWN = """\
# Anytown Council's procedure: a three-level ladder, three working days a level.
id: anytown
version: 1
authority: "Anytown Council"
summary: >-
  Informal resolution first; then Team Manager, Service Manager and Head of Service, three
  working days each, escalating when a level does not answer.
themes: [Practice, Care Planning]
tracks:
  iro:
    label: "Looked-after children"
    raised_by: [iro]
    review_kind: lac_review
    informal:
      label: "Informal resolution"
      with: [social_worker, team_manager]
      response_days: 3
    bypass: {allowed: true}
    levels:
      - {role: team_manager, label: "Level 1: Team Manager", response_days: 3,
         on_silence: escalate, on_not_satisfied: escalate}
      - {role: service_manager, label: "Level 2: Service Manager", response_days: 3,
         on_silence: escalate, on_not_satisfied: escalate}
      - {role: head_of_service, label: "Level 3: Head of Service", response_days: 3,
         on_silence: prompt, on_not_satisfied: prompt}
    formal_cap_days: 12
    at_risk_days: 2
    categories:
      - {id: drift, label: "Drift in care planning", theme: Care Planning}
      - {id: poor_practice, label: "Poor practice", theme: Practice}
rag:
  amber: {notify: [service_manager]}
  red: {notify: [head_of_service]}
review_decisions: {send_within_days: 5, reply_within_days: 5, on_silence: prompt}
acknowledge_days: 1
key_documents:
  - {id: care_plan, label: "Care plan"}
significant_changes:
  notify_within_days: 1
  types:
    - {id: placement_change_proposed, label: "Proposed change of placement", review_before: true}
closure_days: [2026-12-29, 2026-12-30]
assumptions:
  - "Written for the tests: every level has three working days."
"""


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = manage.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(folder: Path, text: str, name: str = "anytown.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def changed(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


#: Level 1 given five working days instead of three.
FIVE_DAY_LEVEL_ONE = ("{role: team_manager, label: \"Level 1: Team Manager\", response_days: 3",
                      "{role: team_manager, label: \"Level 1: Team Manager\", response_days: 5")


@pytest.fixture
def anytown(tmp_path: Path) -> Path:
    return write(tmp_path / "policies", ANYTOWN)


@pytest.fixture
def store(tmp_path: Path, anytown: Path):
    return create_store(tmp_path / "anytown.db", demo=False, as_of=CREATED, policy_file=anytown)


RECORDED = D(2026, 11, 20)


def adopt(store, text: str, effective: dt.date, *, as_of: dt.date = RECORDED,
          reason: str = "Level 1 needs more time"):
    return apply_policy_version(store, text, file_name="anytown.yaml", effective_from=effective,
                                reason=reason, as_of=as_of)


# -- a store under the authority's own file -----------------------------------------------------


def test_init_from_a_file_governs_the_store_by_it(capsys, tmp_path, anytown):
    path = tmp_path / "x.db"
    code, out, err = run(capsys, "init", "--db", str(path), "--policy-file", str(anytown),
                         "--as-of", CREATED.isoformat())
    assert (code, err) == (0, "")
    assert "Created" in out and "anytown" in out and "Anytown Council" in out
    store = open_store(path)
    policy = store.policy
    assert (policy.id, policy.version) == ("anytown", 1)
    assert [(lv.role, lv.response_days) for lv in policy.track("iro").levels] == [
        ("team_manager", 3), ("service_manager", 3), ("head_of_service", 3)]
    assert policy.closure_days == (D(2026, 12, 29), D(2026, 12, 30))
    assert [(v.version, v.effective_from, v.adopted_by) for v in versions(store)] == [
        (1, CREATED, "command line")]


def test_the_files_closure_days_move_due_dates(store):
    """Level 1 raised Wed 23 Dec 2026: Christmas Day, the Boxing Day substitute (Mon 28), both
    closure days and New Year's Day do not count: 24 Dec, 31 Dec, then Mon 4 Jan 2027."""
    raise_at(store, D(2026, 12, 23), "team_manager")
    assert state(store).due == D(2027, 1, 4)


def test_export_then_init_gives_the_same_policy(capsys, tmp_path, store):
    code, exported, _ = run(capsys, "policy", "export", "--db", str(store.path))
    assert code == 0
    assert exported == ANYTOWN  # as written, comments and all
    again = write(tmp_path / "exported", exported)
    code, _, _ = run(capsys, "init", "--db", str(tmp_path / "again.db"), "--policy-file",
                     str(again), "--as-of", CREATED.isoformat())
    assert code == 0
    copy = open_store(tmp_path / "again.db")
    assert dataclasses.replace(copy.policy, path="") == dataclasses.replace(store.policy, path="")
    assert policy_text(copy) == policy_text(store)


def test_export_of_a_preset_store_is_the_preset_file(capsys, tmp_path):
    path = tmp_path / "p.db"
    run(capsys, "init", "--db", str(path), "--policy", "seed-003")
    code, out, _ = run(capsys, "policy", "export", "--db", str(path))
    assert code == 0
    assert out == (PRESETS_DIR / "seed-003.yaml").read_text()
    assert open_store(path).policy is load_preset("seed-003")  # as before versions were kept


def test_init_from_a_bad_file_lists_its_problems_and_creates_nothing(capsys, tmp_path):
    bad = write(tmp_path / "policies", changed(ANYTOWN, "on_silence: prompt, on_not",
                                               "on_silence: wait, on_not"))
    path = tmp_path / "x.db"
    code, out, err = run(capsys, "init", "--db", str(path), "--policy-file", str(bad))
    assert code == 1
    assert "anytown.yaml: tracks.iro.levels[3].on_silence: 'wait' is not allowed here." in err
    assert "Traceback" not in err and out == ""
    assert not path.exists()


def test_init_from_a_file_whose_id_is_not_its_name(capsys, tmp_path):
    other = write(tmp_path / "policies", ANYTOWN, name="elsewhere.yaml")
    code, _, err = run(capsys, "init", "--db", str(tmp_path / "x.db"), "--policy-file",
                       str(other))
    assert code == 1
    assert "The id 'anytown' does not match the file name 'elsewhere.yaml'" in err


def test_init_from_a_missing_file(capsys, tmp_path):
    code, _, err = run(capsys, "init", "--db", str(tmp_path / "x.db"), "--policy-file",
                       str(tmp_path / "nope.yaml"))
    assert code == 1
    assert "There is no policy file at" in err and "Traceback" not in err
    assert not (tmp_path / "x.db").exists()


def test_init_takes_a_preset_or_a_file_not_both(capsys, tmp_path, anytown):
    with pytest.raises(SystemExit) as stopped:
        manage.main(["init", "--db", str(tmp_path / "x.db"), "--policy", "seed-001",
                     "--policy-file", str(anytown)])
    assert stopped.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


# -- adopting a version from a date ---------------------------------------------------------------


def test_apply_adds_a_version_taking_effect_on_its_date(capsys, tmp_path, store):
    newer = write(tmp_path / "v2", changed(ANYTOWN, *FIVE_DAY_LEVEL_ONE))
    code, out, err = run(capsys, "policy", "apply", "--db", str(store.path), str(newer),
                         "--from", "2027-01-04", "--reason", "Level 1 needs a week",
                         "--as-of", "2026-11-20")
    assert (code, err) == (0, "")
    assert "Adopted version 2 of policy anytown, taking effect on 2027-01-04" in out
    assert "kept as version 2" in out  # the file still said version 1
    kept = versions(store)
    assert [(v.version, v.effective_from, v.adopted_by, v.recorded_on) for v in kept] == [
        (1, CREATED, "command line", CREATED),
        (2, D(2027, 1, 4), "command line", D(2026, 11, 20))]
    assert kept[1].reason == "Level 1 needs a week"
    [event] = events_where(store.db, "kind = ?", [ADOPTED])
    assert (event.occurred_on, event.actor_role, event.policy_version) == (
        D(2026, 11, 20), "admin", 2)
    assert event.data["effective_from"] == "2027-01-04"
    assert "adopted by command line" in event.reason and "Level 1 needs a week" in event.reason
    # the policy in force: by date; without one, the version the settings say is in force
    assert open_store(store.path, D(2027, 1, 3)).policy.version == 1
    assert open_store(store.path, D(2027, 1, 4)).policy.version == 2
    assert open_store(store.path).policy.version == 1
    two = policy_for(store, 2)
    assert (two.version, two.track("iro").levels[0].response_days) == (2, 5)
    code, out, _ = run(capsys, "policy", "export", "--db", str(store.path), "--version", "2")
    assert code == 0 and "\nversion: 2\n" in out and "response_days: 5" in out


def test_a_version_adopted_on_its_own_date_is_in_force_at_once(store):
    adopted = adopt(store, changed(ANYTOWN, *FIVE_DAY_LEVEL_ONE), D(2026, 11, 20))
    assert adopted.in_force
    assert open_store(store.path).policy.version == 2


def test_version_for_start(store):
    adopt(store, changed(ANYTOWN, *FIVE_DAY_LEVEL_ONE), D(2027, 1, 4))
    adopt(store, changed(ANYTOWN, "poor_practice, label: \"Poor practice\"",
                         "poor_practice, label: \"Poor social work practice\""),
          D(2027, 3, 1), reason="Wording")
    assert version_for_start(store, D(2020, 5, 1)) == 1  # imported from before the store
    assert version_for_start(store, CREATED) == 1
    assert version_for_start(store, D(2027, 1, 3)) == 1
    assert version_for_start(store, D(2027, 1, 4)) == 2
    assert version_for_start(store, D(2027, 2, 26)) == 2
    assert version_for_start(store, D(2027, 3, 1)) == 3
    assert version_in_force(store, D(2030, 1, 1)) == 3


def test_an_alert_keeps_the_version_it_was_raised_under(store):
    raise_at(store, D(2026, 11, 23), "team_manager", ref="OLD")
    adopt(store, changed(ANYTOWN, *FIVE_DAY_LEVEL_ONE), D(2027, 1, 4))
    row = store.db.execute("SELECT id FROM alerts WHERE ref = 'OLD'").fetchone()
    assert alert_version(store, row[0]) == 1
    later = store_under(store, version_for_start(store, D(2027, 1, 4)))
    assert later.policy.version == 2
    raise_at(later, D(2027, 1, 4), "team_manager", ref="NEW", child="C-2")
    new = store.db.execute("SELECT id FROM alerts WHERE ref = 'NEW'").fetchone()
    assert alert_version(store, new[0]) == 2
    assert state(store, "OLD").due == D(2026, 11, 26)  # 3 working days
    assert state(store, "NEW").due == D(2027, 1, 11)  # 5 working days


@pytest.mark.parametrize(("argv", "message"), [
    (["--from", "2027-02-30"], "--from '2027-02-30' is not a date; write it as YYYY-MM-DD."),
    (["--from", "04/01/2027"], "--from '04/01/2027' is not a date; write it as YYYY-MM-DD."),
    (["--from", "2026-10-01"], "Version 1 takes effect on 2026-11-02; a newer version cannot "
                               "take effect before it."),
    (["--from", "2027-01-04", "--reason", " "], "Say why the policy changes"),
])
def test_apply_refuses_bad_dates_and_reasons_plainly(capsys, tmp_path, store, argv, message):
    newer = write(tmp_path / "v2", changed(ANYTOWN, *FIVE_DAY_LEVEL_ONE))
    reason = [] if "--reason" in argv else ["--reason", "why"]
    code, _, err = run(capsys, "policy", "apply", "--db", str(store.path), str(newer), *argv,
                       *reason)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert [v.version for v in versions(store)] == [1]


def test_apply_of_a_bad_file_lists_its_problems_and_changes_nothing(capsys, tmp_path, store):
    bad = write(tmp_path / "v2", changed(ANYTOWN, "at_risk_days: 2", "at_risk_days: 20"))
    code, out, err = run(capsys, "policy", "apply", "--db", str(store.path), str(bad),
                         "--from", "2027-01-04", "--reason", "why")
    assert code == 1
    assert "anytown.yaml: tracks.iro.at_risk_days:" in out
    assert "nothing was changed" in err and "Traceback" not in err
    assert [v.version for v in versions(store)] == [1]


def test_apply_refuses_another_authoritys_policy(capsys, store):
    code, _, err = run(capsys, "policy", "apply", "--db", str(store.path),
                       str(PRESETS_DIR / "seed-001.yaml"), "--from", "2027-01-04",
                       "--reason", "why")
    assert code == 2
    assert "This store is governed by policy 'anytown'; the file is policy 'seed-001'" in err


def test_apply_refuses_a_file_that_changes_nothing(store):
    with pytest.raises(UserError, match="says the same as version 1"):
        adopt(store, with_version(ANYTOWN, 7), D(2027, 1, 4))


def test_apply_refuses_to_drop_a_category_alerts_use(store):
    raise_at(store, D(2026, 11, 23), "team_manager", category="drift")
    without = changed(ANYTOWN, "      - {id: drift, label: \"Drift in care planning\", theme: "
                               "Care Planning}\n", "")
    with pytest.raises(UserError, match="Alerts use the category 'drift'"):
        adopt(store, without, D(2027, 1, 4))


def test_a_store_made_before_versions_were_kept_gets_its_preset_as_version_one(tmp_path):
    path = tmp_path / "old.db"
    db = open_db(path)
    migrate(db)
    db.execute("DROP TABLE policy_versions")
    db.execute(f"DELETE FROM {MIGRATIONS.migrations_table} WHERE name = ?",
               ["m010_policy_versions"])
    set_setting(db, POLICY_ID, "seed-002")
    set_setting(db, POLICY_VERSION, "1")
    set_setting(db, CREATED_ON, "2025-04-01")
    db.close()
    assert open_store(path).policy is load_preset("seed-002")  # works before the upgrade
    prepare_store(path)
    store = open_store(path)
    assert [(v.version, v.effective_from) for v in versions(store)] == [(1, D(2025, 4, 1))]
    assert policy_text(store) == (PRESETS_DIR / "seed-002.yaml").read_text()
    assert store.policy is load_preset("seed-002")
    prepare_store(path)  # idempotent
    assert len(versions(open_store(path))) == 1


# -- moving open alerts to a newer version --------------------------------------------------------


def test_due_date_changes_and_migration(store):
    raise_at(store, D(2026, 11, 23), "team_manager", ref="L1")  # due Thu 26 Nov
    raise_at(store, D(2026, 11, 23), "informal", ref="AGREED", child="C-2",
             until=D(2026, 12, 4))  # a date agreed for the informal stage
    raise_at(store, D(2026, 11, 23), "team_manager", ref="DONE", child="C-3")
    act(store, "satisfied", D(2026, 11, 24), ref="DONE", actor_role="iro")
    adopt(store, changed(ANYTOWN, *FIVE_DAY_LEVEL_ONE), D(2026, 11, 24), as_of=D(2026, 11, 24))
    changes = due_date_changes(store, 2, D(2026, 11, 24))
    assert [c.as_dict() for c in changes] == [{
        "ref": "L1", "child": "C-1", "track": "iro", "level": "team_manager",
        "from_version": 1, "to_version": 2,
        "due_before": "2026-11-26", "due_after": "2026-11-30",
        "formal_due_before": "2026-12-09", "formal_due_after": "2026-12-09", "problem": ""}]
    assert state(store, "L1").due == D(2026, 11, 26)  # nothing moved by looking

    moved = migrate_open_alerts(store, 2, D(2026, 11, 25), reason="Give Level 1 its week")
    assert {c.ref: (c.due_before, c.due_after) for c in moved} == {
        "L1": (D(2026, 11, 26), D(2026, 11, 30)),
        "AGREED": (D(2026, 12, 4), D(2026, 12, 4))}
    assert state(store, "L1").due == D(2026, 11, 30)
    assert state(store, "AGREED").due == D(2026, 12, 4)
    row = store.db.execute("SELECT id FROM alerts WHERE ref = 'L1'").fetchone()
    assert alert_version(store, row[0]) == 2
    [event] = events_where(store.db, "kind = 'policy_migrated' AND alert_id = ?", [row[0]])
    assert (event.occurred_on, event.policy_version, event.actor_role) == (
        D(2026, 11, 25), 2, "admin")
    assert json.loads(json.dumps(event.data))["due"] == "2026-11-30"
    assert "Give Level 1 its week" in event.reason
    assert due_date_changes(store, 2, D(2026, 11, 25)) == []
    # the log alone says the same: folding the alert's events gives the moved dates
    folded = AlertState(ref="L1", child="C-1", track="iro")
    for e in events_for_alert(store.db, row[0]):
        folded = apply_event(folded, e.kind, e.occurred_on, e.data)
    assert (folded.due, folded.formal_due) == (state(store, "L1").due,
                                               state(store, "L1").formal_due)


def test_migration_waits_for_the_versions_date(store):
    adopt(store, changed(ANYTOWN, *FIVE_DAY_LEVEL_ONE), D(2027, 1, 4))
    with pytest.raises(UserError, match="open alerts can be moved to it from that day"):
        migrate_open_alerts(store, 2, D(2026, 12, 1), reason="early")


def test_a_deadline_cannot_be_missed_before_it_existed(store):
    """Moved to a shorter Level 1 after its new due date has passed: due the day of the move."""
    raise_at(store, D(2026, 11, 23), "team_manager", ref="L1")  # due Thu 26 Nov
    shorter = changed(ANYTOWN, FIVE_DAY_LEVEL_ONE[0],
                      FIVE_DAY_LEVEL_ONE[0].replace("response_days: 3", "response_days: 1"))
    adopt(store, shorter, D(2026, 11, 25), as_of=D(2026, 11, 25))
    [change] = due_date_changes(store, 2, D(2026, 11, 25))
    assert (change.due_before, change.due_after) == (D(2026, 11, 26), D(2026, 11, 25))


def test_a_version_adopted_ahead_comes_into_force_when_its_day_arrives(store):
    from usecases.policy_versions import refresh_policy_in_force

    adopt(store, changed(ANYTOWN, *FIVE_DAY_LEVEL_ONE), D(2027, 1, 4))
    assert refresh_policy_in_force(store, D(2027, 1, 1)).policy.version == 1
    assert open_store(store.path).policy.version == 1
    assert refresh_policy_in_force(store, D(2027, 1, 4)).policy.version == 2
    assert open_store(store.path).policy.version == 2


def test_an_imports_wider_policy_stays_wide_under_another_version(store):
    from rules.legacy import NOT_RECORDED, with_not_recorded

    adopt(store, changed(ANYTOWN, *FIVE_DAY_LEVEL_ONE), D(2026, 11, 20))
    importing = dataclasses.replace(store, policy=with_not_recorded(store.policy))
    older = store_under(importing, 2)
    assert older.policy.version == 2
    assert NOT_RECORDED in {c.id for c in older.policy.track("iro").categories}
    assert NOT_RECORDED not in {c.id for c in store_under(store, 2).policy.track("iro").categories}


def test_a_version_adopted_ahead_comes_into_force_at_the_first_sweep_on_its_date(store):
    from db.settings import get_setting
    from usecases.sweeping import sweep_all

    adopt(store, changed(ANYTOWN, *FIVE_DAY_LEVEL_ONE), D(2027, 1, 4), as_of=D(2026, 12, 1))
    sweep_all(store, D(2027, 1, 1))
    assert get_setting(store.db, POLICY_VERSION) == "1"
    sweep_all(store, D(2027, 1, 4))
    assert get_setting(store.db, POLICY_VERSION) == "2"
    raise_at(store, D(2027, 1, 4), "team_manager", ref="NEW")  # five days under version 2
    assert state(store, "NEW").due == D(2027, 1, 11)


def test_the_export_runs_each_alerts_clock_under_its_own_version(store):
    from db.alerts import alert_by_ref
    from usecases.export_alerts import alert_as_of
    from usecases.sweeping import sweep_all

    raise_at(store, D(2026, 11, 23), "team_manager", ref="L1")  # due Thu 26 Nov
    level_two = ('{role: service_manager, label: "Level 2: Service Manager", response_days: 3',
                 '{role: service_manager, label: "Level 2: Service Manager", response_days: 5')
    adopt(store, changed(ANYTOWN, *level_two), D(2026, 11, 24), as_of=D(2026, 11, 24))
    in_force = open_store(store.path)  # governed by version 2 from 24 Nov
    as_of = D(2026, 11, 27)  # Level 1's silence took it to Level 2 that day, under version 1
    exported, _, _ = alert_as_of(in_force, alert_by_ref(store.db, "L1"), as_of)
    assert (exported.level, exported.due) == ("service_manager", D(2026, 12, 2))  # not 4 Dec
    sweep_all(in_force, as_of)
    assert (state(store, "L1").level, state(store, "L1").due) == (exported.level, exported.due)
