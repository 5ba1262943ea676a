"""The administrator's mail outbox screen (AppTest)."""

from __future__ import annotations

from tests.page_support import app, demo_store, open_page, user_with_role
from ui.navigation import screens_for


def test_the_administrator_sees_the_outbox_counts(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    pending = store.db.execute("SELECT count(*) FROM outbox WHERE status = 'pending'"
                               ).fetchone()[0]
    at = open_page(app(monkeypatch, store, user_with_role(store, "admin")), "pages/outbox.py")
    assert at.title[0].value == "Mail outbox"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Waiting to be sent"] == str(pending) and metrics["Failed for good"] == "0"
    assert len(at.dataframe[0].value) == min(pending, 200)


def test_only_the_administrator_has_it(tmp_path):
    store = demo_store(tmp_path)
    assert "Mail outbox" in [s.title for s in screens_for(user_with_role(store, "admin"))]
    assert "Mail outbox" not in [s.title for s in screens_for(user_with_role(store,
                                                                             "head_of_service"))]
