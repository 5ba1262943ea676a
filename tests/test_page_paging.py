"""Long lists come a page at a time (issue 15): where you are, and Previous and Next."""

from __future__ import annotations

from tests.page_support import app, demo_store, open_page, texts, user_with_role
from ui.paging import PER_PAGE


def _child_links(at) -> list[str]:
    return [e.proto.label for e in at.get("page_link") if "DEMO-" in e.proto.label]


def test_every_child_is_on_some_page_once_and_a_search_starts_again(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    head = user_with_role(store, "head_of_service")  # sees every child in the demo
    total = store.db.execute("SELECT count(*) FROM children").fetchone()[0]
    assert total > PER_PAGE
    at = open_page(app(monkeypatch, store, head), "pages/children.py")
    pages = -(-total // PER_PAGE)
    assert f"Showing 1 to {PER_PAGE} of {total} children (page 1 of {pages})." in texts(at)
    assert at.button(key="children_page_previous").disabled
    seen = _child_links(at)
    assert len(seen) == PER_PAGE
    for _ in range(pages - 1):
        at.button(key="children_page_next").click().run()
        seen += _child_links(at)
    assert at.button(key="children_page_next").disabled
    assert len(seen) == len(set(seen)) == total  # each child once, none left out
    assert f"of {total} children (page {pages} of {pages})." in texts(at)
    at.text_input(key="child_search").input("DEMO-0").run()  # a new search: its first page
    assert "Showing 1 to 25 of" in texts(at) and "(page 1 of" in texts(at)


def test_a_short_list_has_no_pages(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    iro = user_with_role(store, "iro")
    at = open_page(app(monkeypatch, store, iro), "pages/children.py")
    assert "Showing 1 to" not in texts(at)
    assert not [b for b in at.button if b.key == "children_page_next"]
