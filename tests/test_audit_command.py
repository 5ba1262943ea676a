"""``manage.py audit``: the access audit as CSV, filtered by person, child and date."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

import manage
from tests.page_support import demo_store, user_with_role
from usecases.audit import record
from usecases.demo import DEMO_PASSWORD
from usecases.sessions import sign_in_with_password

T0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def store(tmp_path):
    store = demo_store(tmp_path)
    iro, manager = user_with_role(store, "iro"), user_with_role(store, "team_manager")
    sign_in_with_password(store, iro.email, "wrong-password", client="10.0.0.5", now=T0)
    sign_in_with_password(store, iro.email, DEMO_PASSWORD, client="10.0.0.5", now=T0)
    child = next(store.db.query("SELECT id, case_ref FROM children WHERE reviewer_id = ? "
                                "LIMIT 1", [iro.staff_id]))
    record(store, now=T0 + dt.timedelta(days=2), kind="opened", staff_id=iro.staff_id,
           child_id=child["id"], subject="child", subject_ref=child["case_ref"],
           allowed=True, detail="=HYPERLINK(\"x\")")
    record(store, now=T0 + dt.timedelta(days=3), kind="refused", staff_id=manager.staff_id,
           child_id=child["id"], subject="child", subject_ref=child["case_ref"],
           allowed=False, detail="Not in the line management of this child's social worker.")
    return store


def _child_ref(store) -> str:
    return next(store.db.query("SELECT c.case_ref FROM access_audit a JOIN children c "
                               "ON c.id = a.child_id WHERE a.kind = 'refused'"))["case_ref"]


def _run(store, capsys, *extra: str) -> list[dict]:
    assert manage.main(["audit", "--db", str(store.path), *extra]) == 0
    return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))


def test_lists_every_sign_in_attempt_and_opening(store, capsys):
    rows = _run(store, capsys)
    assert [r["event"] for r in rows] == ["Sign-in failed", "Signed in", "Opened a record",
                                          "Refused a record"]
    assert rows[0]["client"] == "10.0.0.5" and rows[0]["at"] == "2026-11-20T09:00:00Z"
    assert rows[2]["allowed"] == "yes" and rows[3]["allowed"] == "no"
    assert rows[2]["detail"].startswith("'=")  # a spreadsheet will not run it


def test_filters_by_person_child_and_date(store, capsys):
    iro = user_with_role(store, "iro")
    assert {r["email"] for r in _run(store, capsys, "--user", iro.email.upper())} == {iro.email}
    assert [r["event"] for r in _run(store, capsys, "--child", _child_ref(store))] == [
        "Opened a record", "Refused a record"]
    assert [r["event"] for r in _run(store, capsys, "--since", "2026-11-23")] == [
        "Refused a record"]


def test_a_wrong_date_is_a_plain_error(store, capsys):
    assert manage.main(["audit", "--db", str(store.path), "--since", "23/11/2026"]) == 2
    assert "--since '23/11/2026' is not a date" in capsys.readouterr().err
