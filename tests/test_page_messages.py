"""In-app messages (AppTest): unread counts and marking read."""

from __future__ import annotations

from tests.page_support import AS_OF, app, demo_store, open_page, user_with_role
from tests.support import raise_at
from usecases.messages import unread


def test_messages_count_and_mark_read(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    manager = user_with_role(store, "service_manager")
    child = next(store.db.query("SELECT case_ref FROM children WHERE legal_status = "
                                "'looked_after' ORDER BY id LIMIT 1"))["case_ref"]
    raise_at(store, AS_OF, "service_manager", ref="M1", child=child, gate="HoS agreed")
    count = unread(store, manager)
    assert count >= 1
    at = open_page(app(monkeypatch, store, manager), "pages/messages.py")
    assert at.caption[0].value == f"{count} unread."
    titles = [e.label for e in at.expander]
    assert any("Alert M1" in t and t.startswith("● ") for t in titles)
    at.button(key="read_all").click().run()
    assert unread(store, manager) == 0
    assert at.caption[0].value == "Nothing unread."
