"""The operators' command line: init, policy list / show / check."""

from __future__ import annotations

import datetime as dt

import pytest

import manage
from db.connection import open_db
from db.settings import POLICY_ID, get_setting

SEEDS = ["seed-000", "seed-001", "seed-002", "seed-003", "seed-004"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = manage.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_init_with_demo_builds_a_store(capsys, tmp_path):
    path = tmp_path / "x.db"
    code, out, err = run(capsys, "init", "--db", str(path), "--policy", "seed-003", "--demo",
                         "--as-of", "2026-11-23")
    assert (code, err) == (0, "")
    assert "Created" in out and "seed-003" in out
    db = open_db(path)
    assert get_setting(db, POLICY_ID) == "seed-003"
    assert db["children"].count == 60
    db.close()


def test_init_uses_the_environment_path_when_no_flag(capsys, tmp_path, monkeypatch):
    path = tmp_path / "from-env.db"
    monkeypatch.setenv("IRO_DB", str(path))
    code, _, _ = run(capsys, "init", "--policy", "seed-001")
    assert code == 0
    assert path.exists()


def test_init_refuses_to_overwrite_a_store(capsys, tmp_path):
    path = tmp_path / "x.db"
    assert run(capsys, "init", "--db", str(path), "--policy", "seed-001")[0] == 0
    code, _, err = run(capsys, "init", "--db", str(path), "--policy", "seed-002", "--demo")
    assert code == 2
    assert "already holds a store (governed by seed-001)" in err
    assert "Traceback" not in err
    db = open_db(path)
    assert get_setting(db, POLICY_ID) == "seed-001"
    assert db["children"].count == 0
    db.close()


def test_init_with_an_unknown_policy_says_which_exist(capsys, tmp_path):
    code, _, err = run(capsys, "init", "--db", str(tmp_path / "x.db"), "--policy", "seed-999")
    assert code == 2
    assert "No policy preset called 'seed-999'" in err
    assert "seed-000" in err


def test_init_with_a_bad_as_of_date(capsys, tmp_path):
    code, _, err = run(capsys, "init", "--db", str(tmp_path / "x.db"), "--policy", "seed-001",
                       "--as-of", "23/11/2026")
    assert code == 2
    assert "--as-of '23/11/2026' is not a date; write it as YYYY-MM-DD." in err


def test_policy_list_shows_the_five_presets(capsys):
    code, out, _ = run(capsys, "policy", "list")
    assert code == 0
    for seed in SEEDS:
        assert seed in out
    assert "Northamptonshire" in out


@pytest.mark.parametrize("seed", SEEDS)
def test_policy_show_prints_the_ladder(capsys, seed):
    code, out, _ = run(capsys, "policy", "show", seed)
    assert code == 0
    assert "Who responds" in out
    assert "working days" in out


def test_policy_show_names_roles_as_people_say_them(capsys):
    _, out, _ = run(capsys, "policy", "show", "seed-001")
    assert "Divisional Director" in out
    assert "divisional_director" not in out
    assert "Escalates on the next working day" in out


def test_policy_check_of_a_preset_finds_nothing(capsys):
    code, out, _ = run(capsys, "policy", "check", "rules/policies/seed-002.yaml")
    assert code == 0
    assert "no problems found" in out


def test_policy_check_of_a_broken_file_lists_problems_and_fails(capsys, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: broken\nversion: one\n")
    code, out, err = run(capsys, "policy", "check", str(broken))
    assert code == 1
    assert "broken.yaml: version: " in out
    assert "problem" in err


def test_policy_check_of_a_missing_file(capsys, tmp_path):
    code, out, _ = run(capsys, "policy", "check", str(tmp_path / "nope.yaml"))
    assert code == 1
    assert "nope.yaml" in out


def test_today_is_the_default_date(capsys, tmp_path):
    path = tmp_path / "x.db"
    run(capsys, "init", "--db", str(path), "--policy", "seed-001")
    db = open_db(path)
    assert get_setting(db, "created_on") == dt.date.today().isoformat()
    db.close()
