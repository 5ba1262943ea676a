"""The screens ask the access module (AppTest): a typed or e-mailed address to a child or an
alert that is not the person's shows a plain refusal and nothing of the child; lists hold
only what the person may see. Synthetic demo data only."""

from __future__ import annotations

import pytest

from tests.page_support import app, demo_store, open_page, texts, user_with_role
from usecases.accounts import authenticate
from usecases.audit import audit_entries
from usecases.demo import DEMO_PASSWORD

REFUSAL = "You do not have access to this child's record."
ALERT_REFUSAL = "You do not have access to this alert."


@pytest.fixture
def store(tmp_path):
    return demo_store(tmp_path)


def _target(store) -> dict:
    """An open alert on a looked-after child, with the child and its reviewer."""
    return next(store.db.query(
        "SELECT a.ref, c.case_ref, c.name, c.team_id, c.reviewer_id, s.email AS reviewer "
        "FROM alerts a JOIN children c ON c.id = a.child_id JOIN staff s ON s.id = "
        "c.reviewer_id WHERE a.status = 'open' AND c.legal_status = 'looked_after' "
        "ORDER BY a.id LIMIT 1"))


def _signed_in(store, email: str):
    user = authenticate(store, email, DEMO_PASSWORD)
    assert user is not None
    return user


def _everything(at) -> str:
    parts = [texts(at)] + [str(e.proto.label) for e in at.get("page_link")]
    parts += [str(df.value) for df in at.dataframe]
    return "\n".join(parts)


def test_an_iro_typing_another_iros_child_sees_a_refusal_and_not_the_name(monkeypatch, store):
    target = _target(store)
    other = next(store.db.query("SELECT email FROM staff WHERE role = 'iro' AND id != ? "
                                "ORDER BY id LIMIT 1", [target["reviewer_id"]]))
    user = _signed_in(store, other["email"])
    at = open_page(app(monkeypatch, store, user), "pages/child.py", child=target["case_ref"])
    assert [e.value for e in at.error] == [
        f"{REFUSAL} If you need it, ask your manager or the system administrator."]
    page = _everything(at)
    assert target["name"] not in page
    assert not at.title and not at.dataframe  # no record, no chronology
    refused = [e for e in audit_entries(store, email=user.email) if e["kind"] == "refused"]
    assert [(e["subject"], e["subject_ref"], e["allowed"]) for e in refused] == [
        ("child", target["case_ref"], 0)]
    assert "is an IRO but not this child's reviewer" in refused[0]["detail"]


def test_the_childs_own_iro_opens_the_record_and_the_opening_is_audited(monkeypatch, store):
    target = _target(store)
    user = _signed_in(store, target["reviewer"])
    at = open_page(app(monkeypatch, store, user), "pages/child.py", child=target["case_ref"])
    assert at.title[0].value == f"{target['name']} ({target['case_ref']})"
    assert not at.error
    opened = [e for e in audit_entries(store, email=user.email) if e["kind"] == "opened"]
    assert [(e["subject"], e["subject_ref"]) for e in opened][-1:] == [
        ("child", target["case_ref"])]


def test_the_administrator_opening_an_alert_address_is_refused(monkeypatch, store):
    target = _target(store)
    admin = user_with_role(store, "admin")
    at = open_page(app(monkeypatch, store, admin), "pages/alert.py", ref=target["ref"])
    assert [e.value for e in at.error] == [
        f"{ALERT_REFUSAL} If you need it, ask your manager or the system administrator."]
    page = _everything(at)
    assert target["name"] not in page and target["case_ref"] not in page
    assert "What happened" not in page and not at.selectbox
    [refused] = [e for e in audit_entries(store, email=admin.email) if e["kind"] == "refused"]
    assert (refused["subject"], refused["subject_ref"]) == ("alert", target["ref"])


def test_the_administrators_children_list_is_refused(monkeypatch, store):
    from streamlit.testing.v1 import AppTest

    from tests.page_support import AS_OF, sign_in_as
    from ui.navigation import screens_for

    admin = user_with_role(store, "admin")
    assert "Children" not in [s.title for s in screens_for(admin)]
    # typed by hand, the page itself refuses
    monkeypatch.setenv("IRO_DB", str(store.path))
    monkeypatch.setenv("IRO_AS_OF", AS_OF.isoformat())
    at = AppTest.from_file("../pages/children.py", default_timeout=60)
    sign_in_as(at, store, admin)
    at.run()
    assert [e.value for e in at.error] == [
        "As the administrator you run the service, but you see no child's record and no "
        "alert."]
    assert not [e for e in at.get("page_link") if "DEMO-" in str(e.proto.label)]


def test_the_administrators_home_counts_no_child(monkeypatch, store):
    admin = user_with_role(store, "admin")
    at = open_page(app(monkeypatch, store, admin), "pages/home.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Children"] == "0" and metrics["Open alerts"] == "0"


def test_a_manager_of_another_team_sees_only_their_line_and_is_refused_the_rest(
        monkeypatch, store):
    target = _target(store)
    manager = next(store.db.query("SELECT email FROM staff WHERE role = 'team_manager' AND "
                                  "team_id != ? ORDER BY id LIMIT 1", [target["team_id"]]))
    user = _signed_in(store, manager["email"])
    at = open_page(app(monkeypatch, store, user), "pages/children.py")
    shown = {str(e.proto.label).split("(")[-1].rstrip(")") for e in at.get("page_link")
             if "DEMO-" in str(e.proto.label)}
    theirs = {r["case_ref"] for r in store.db.query(
        "SELECT c.case_ref FROM children c JOIN staff sw ON sw.id = c.social_worker_id "
        "JOIN staff pm ON pm.id = sw.line_manager_id WHERE pm.line_manager_id = ?",
        [user.staff_id])}
    assert shown == theirs and target["case_ref"] not in shown
    at = open_page(at, "pages/alert.py", ref=target["ref"])
    assert at.error[0].value.startswith(ALERT_REFUSAL)
    assert target["name"] not in _everything(at)


def test_a_manager_in_the_line_sees_the_alert_but_gets_no_form_until_it_waits_for_them(
        monkeypatch, store):
    waiting_for_iro = next(store.db.query(
        "SELECT a.ref, c.name FROM alerts a JOIN children c ON c.id = a.child_id "
        "WHERE a.status = 'open' AND a.awaiting = 'iro' ORDER BY a.id LIMIT 1"))
    manager = user_with_role(store, "service_manager")  # above every team in the demo
    at = open_page(app(monkeypatch, store, manager), "pages/alert.py",
                   ref=waiting_for_iro["ref"])
    assert at.title[0].value == f"Alert {waiting_for_iro['ref']}"
    assert "Record what happens next" not in texts(at)
    assert "Nothing for a Service Manager to record on this alert now." in texts(at)


def test_business_support_of_the_team_sees_the_summary_only(monkeypatch, store):
    target = _target(store)
    support = user_with_role(store, "business_support")
    store.db.execute("UPDATE staff SET team_id = ? WHERE id = ?",
                     [target["team_id"], support.staff_id])
    user = _signed_in(store, support.email)
    at = open_page(app(monkeypatch, store, user), "pages/child.py", child=target["case_ref"])
    assert at.title[0].value == f"{target['name']} ({target['case_ref']})"
    assert "You see this child's summary only" in texts(at)
    headings = [h.value for h in at.subheader]
    assert "Chronology" not in headings and "Reviews" not in headings
    assert target["ref"] not in _everything(at)  # no alerts either
    labels = [str(e.proto.label) for e in at.get("page_link")]
    assert "Tell the IRO of a significant change" in labels


def test_raising_an_alert_for_a_child_not_yours_is_refused(monkeypatch, store):
    target = _target(store)
    other = next(store.db.query("SELECT email FROM staff WHERE role = 'iro' AND id != ? "
                                "ORDER BY id LIMIT 1", [target["reviewer_id"]]))
    user = _signed_in(store, other["email"])
    at = open_page(app(monkeypatch, store, user), "pages/raise_alert.py",
                   child=target["case_ref"])
    assert any(e.value.startswith("Only this child's IRO or CP chair") or
               e.value.startswith(REFUSAL) for e in at.error)
    assert target["name"] not in _everything(at)
    assert not [b for b in at.button if b.key == "raise_submit"]
