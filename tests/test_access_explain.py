"""``manage.py access explain``: may this person view and act on a child or an alert, and
which rule decides, in plain English."""

from __future__ import annotations

import pytest

import manage
from tests.page_support import demo_store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return demo_store(tmp_path_factory.mktemp("explain"))


def _run(capsys, store, *argv: str) -> tuple[int, str, str]:
    code = manage.main(["access", "explain", "--db", str(store.path), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _one(store, sql: str, *params) -> dict:
    return next(store.db.query(sql, params))


def _alert(store) -> dict:
    """An open alert waiting for the reviewer, its child, the child's reviewer, and the
    service manager above the child's social worker."""
    return _one(store, """
        SELECT a.ref, c.case_ref, c.name AS child_name, rv.email AS reviewer, rv.name,
               rv.id AS reviewer_id, c.team_id
        FROM alerts a JOIN children c ON c.id = a.child_id JOIN staff rv ON rv.id = c.reviewer_id
        WHERE a.status = 'open' AND a.awaiting = 'iro' AND c.legal_status = 'looked_after'
        ORDER BY a.id LIMIT 1""")


def test_the_childs_iro_may_view_and_act(capsys, store):
    alert = _alert(store)
    code, out, err = _run(capsys, store, "--user", alert["reviewer"], "--child",
                          alert["case_ref"])
    assert (code, err) == (0, "")
    assert f"About child {alert['case_ref']}:" in out
    assert "May view: yes\n" in out and "May act:  yes\n" in out
    assert (f"Why: {alert['name']} is this child's IRO, so may see and act on the child's "
            "record.") in out
    assert alert["child_name"] not in out  # the rule names the person, never the child


def test_an_alert_lists_what_may_be_recorded_now(capsys, store):
    alert = _alert(store)
    code, out, _ = _run(capsys, store, "--user", alert["reviewer"], "--alert", alert["ref"])
    assert code == 0
    assert f"About alert {alert['ref']}:" in out
    allowed = out.split("Allowed now: ")[1].splitlines()[0]
    assert "withdraw the alert" in allowed and "respond to the alert" not in allowed


def test_another_iro_may_not_and_it_still_exits_0(capsys, store):
    alert = _alert(store)
    other = _one(store, "SELECT email, name FROM staff WHERE role = 'iro' AND id != ? "
                 "ORDER BY id LIMIT 1", alert["reviewer_id"])
    code, out, _ = _run(capsys, store, "--user", other["email"], "--alert", alert["ref"])
    assert code == 0
    assert "May view: no" in out and "May act:  no" in out
    assert f"Why: {other['name']} is an IRO but not this child's reviewer, so may not see " \
           "this alert." in out
    assert "Allowed now" not in out


def test_a_manager_of_another_team_may_not(capsys, store):
    alert = _alert(store)
    manager = _one(store, "SELECT email, name FROM staff WHERE role = 'team_manager' AND "
                   "team_id != ? ORDER BY id LIMIT 1", alert["team_id"])
    code, out, _ = _run(capsys, store, "--user", manager["email"], "--child", alert["case_ref"])
    assert code == 0
    assert (f"{manager['name']} is a Team Manager of another team and not in the line "
            "management of this child's social worker, so may not see this child.") in out


def test_the_administrator_sees_no_child(capsys, store):
    alert = _alert(store)
    admin = _one(store, "SELECT email FROM staff WHERE role = 'admin'")
    code, out, _ = _run(capsys, store, "--user", admin["email"].upper(), "--child",
                        alert["case_ref"])
    assert code == 0
    assert "May view: no" in out and "runs the service but sees no child's record" in out


def test_a_manager_in_the_line_sees_the_alert_but_it_does_not_wait_for_them(capsys, store):
    alert = _alert(store)
    manager = _one(store, """
        SELECT s.email FROM staff s WHERE s.role = 'service_manager' LIMIT 1""")
    code, out, _ = _run(capsys, store, "--user", manager["email"], "--alert", alert["ref"])
    assert code == 0
    assert "May view: yes" in out and "May act:  no" in out
    assert "it waits for the reviewer's decision, not a Service Manager" in out
    assert "Allowed now: nothing" in out


@pytest.mark.parametrize(("argv", "message"), [
    (("--user", "nobody@nowhere.invalid", "--child", "DEMO-0001"),
     "Error: No member of staff has the e-mail nobody@nowhere.invalid.\n"),
    (("--child", "DEMO-9999"), "Error: There is no child with case reference DEMO-9999.\n"),
    (("--alert", "NO-SUCH"), "Error: There is no alert NO-SUCH.\n"),
])
def test_an_unknown_person_child_or_alert_is_a_plain_error(capsys, store, argv, message):
    if argv[0] != "--user":
        argv = ("--user", _alert(store)["reviewer"], *argv)
    code, out, err = _run(capsys, store, *argv)
    assert (code, out, err) == (1, "", message)


def test_a_child_or_an_alert_must_be_named(capsys, store):
    with pytest.raises(SystemExit) as usage:
        manage.main(["access", "explain", "--db", str(store.path), "--user", "x@y.invalid"])
    assert usage.value.code == 2
    assert "one of the arguments --child --alert is required" in capsys.readouterr().err


def test_explaining_writes_nothing_to_the_audit(capsys, store):
    before = store.db["access_audit"].count
    alert = _alert(store)
    _run(capsys, store, "--user", alert["reviewer"], "--alert", alert["ref"])
    assert store.db["access_audit"].count == before
