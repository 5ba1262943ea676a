"""The Access audit screen: for the deputy head of service and above and the
administrator; reading it is itself audited."""

from __future__ import annotations

from tests.page_support import app, demo_store, open_page, user_with_role
from usecases.audit import audit_entries


def test_the_head_of_service_reads_the_audit_for_a_child(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    head = user_with_role(store, "head_of_service")
    child = next(store.db.query("SELECT case_ref FROM children ORDER BY id LIMIT 1"))
    at = open_page(app(monkeypatch, store, head), "pages/audit.py", child=child["case_ref"])
    assert at.title[0].value == "Access audit"
    assert not at.exception
    last = audit_entries(store)[-1]
    assert (last["kind"], last["subject"], last["subject_ref"]) == (
        "opened", "audit", child["case_ref"])


def test_a_team_manager_is_refused(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    at = app(monkeypatch, store, user_with_role(store, "team_manager"))
    from streamlit.testing.v1 import AppTest

    from tests.page_support import AS_OF, sign_in_as

    monkeypatch.setenv("IRO_AS_OF", AS_OF.isoformat())
    page = AppTest.from_file("../pages/audit.py", default_timeout=60)
    sign_in_as(page, store, user_with_role(store, "team_manager"))
    page.run()
    assert "Only the deputy head of service and above" in page.error[0].value
    assert not page.dataframe
    assert at.title  # the team manager's own app still works
