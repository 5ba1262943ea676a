"""The children list and one child's record (AppTest)."""

from __future__ import annotations

from tests.page_support import app, demo_store, open_page, texts, user_with_role


def test_an_iro_sees_their_caseload_and_can_search_it(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    iro = user_with_role(store, "iro")
    mine = [r["case_ref"] for r in store.db.query(
        "SELECT case_ref FROM children WHERE reviewer_id = ? ORDER BY case_ref",
        [iro.staff_id])]
    at = open_page(app(monkeypatch, store, iro), "pages/children.py")
    assert at.subheader[0].value == "The children you review"
    links = [e.proto.label for e in at.get("page_link")]
    shown = [label.split("(")[-1].rstrip(")") for label in links if "DEMO-" in label]
    assert shown == mine
    at.text_input(key="child_search").input(mine[0]).run()
    shown = [e.proto.label for e in at.get("page_link") if "DEMO-" in e.proto.label]
    assert len(shown) == 1 and mine[0] in shown[0]
    at.text_input(key="child_search").input("zzz-nobody").run()
    assert "No child matches 'zzz-nobody'." in texts(at)


def test_a_team_manager_sees_their_team(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    manager = user_with_role(store, "team_manager")
    at = open_page(app(monkeypatch, store, manager), "pages/children.py")
    assert at.subheader[0].value == f"Children of {manager.team_name}"


def test_child_record_has_reviews_alerts_and_chronology(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    child = next(store.db.query(
        "SELECT c.case_ref, c.id FROM children c JOIN alerts a ON a.child_id = c.id "
        "ORDER BY c.id LIMIT 1"))
    at = open_page(app(monkeypatch, store, user_with_role(store, "iro")), "pages/child.py",
                   child=child["case_ref"])
    assert child["case_ref"] in at.title[0].value
    reviews = at.dataframe[0].value
    n_reviews = store.db.execute("SELECT count(*) FROM reviews WHERE child_id = ?",
                                 [child["id"]]).fetchone()[0]
    assert len(reviews) == n_reviews
    assert set(reviews["Judgement"]) <= {"Red", "Amber", "Green"}
    chronology = at.dataframe[1].value
    n_events = store.db.execute("SELECT count(*) FROM events WHERE child_id = ?",
                                [child["id"]]).fetchone()[0]
    assert len(chronology) == n_events
    dates = list(chronology["Date"])
    assert dates[0].count(" ") == 2  # "12 Nov 2026"
    labels = [e.proto.label for e in at.get("page_link")]
    assert "Record a review for this child" in labels
    assert "Raise an alert for this child" in labels


def test_unknown_child_says_so(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    at = open_page(app(monkeypatch, store, user_with_role(store, "iro")), "pages/child.py",
                   child="NOPE")
    assert at.error[0].value == "There is no child with case reference NOPE."
