"""The children list and one child's record (AppTest)."""

from __future__ import annotations

from tests.page_support import app, demo_store, open_page, texts, user_with_role
from usecases.accounts import authenticate
from usecases.demo import DEMO_PASSWORD


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
        "SELECT c.case_ref, c.id, s.email FROM children c JOIN alerts a ON a.child_id = c.id "
        "JOIN staff s ON s.id = c.reviewer_id ORDER BY c.id LIMIT 1"))
    reviewer = authenticate(store, child["email"], DEMO_PASSWORD)
    at = open_page(app(monkeypatch, store, reviewer), "pages/child.py",
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


def test_team_manager_replies_to_review_decisions_from_the_child_page(monkeypatch, tmp_path):
    store = demo_store(tmp_path)
    manager = user_with_role(store, "team_manager")
    waiting = list(store.db.query(
        "SELECT r.id, c.case_ref FROM reviews r JOIN children c ON c.id = r.child_id "
        "WHERE r.reply_status IN ('awaiting', 'overdue') AND c.team_id = ?",
        [manager.team_id]))
    if not waiting:  # make one: a review recorded today waits five working days
        import datetime as dt

        from tests.page_support import AS_OF
        from usecases.reviews import PARTICIPATION, ReviewForm, record_review

        child = next(store.db.query("SELECT id, case_ref, reviewer_id FROM children WHERE "
                                    "team_id = ? AND legal_status = 'looked_after' LIMIT 1",
                                    [manager.team_id]))
        form = ReviewForm(
            child_id=child["id"], kind="lac_review", held_on=AS_OF - dt.timedelta(days=1),
            rag="green", progress="On track.", participation=next(iter(PARTICIPATION)),
            documents={d.id: {"present": True, "up_to_date": True, "adequate": True}
                       for d in store.policy.key_documents},
            decisions="Carry on with the plan.")
        record_review(store, form, actor_id=child["reviewer_id"], actor_role="iro",
                      recorded_on=AS_OF)
        waiting = [{"id": None, "case_ref": child["case_ref"]}]
    case_ref = waiting[0]["case_ref"]
    inbox_page = open_page(app(monkeypatch, store, manager), "pages/inbox.py")
    assert any(e.proto.label.startswith("Agree the decisions of the review")
               for e in inbox_page.get("page_link"))
    at = open_page(app(monkeypatch, store, manager), "pages/child.py", child=case_ref)
    review_id = next(store.db.query(
        "SELECT r.id FROM reviews r JOIN children c ON c.id = r.child_id WHERE c.case_ref = ? "
        "AND r.reply_status IN ('awaiting', 'overdue')", [case_ref]))["id"]
    at.radio(key=f"reply_{review_id}").set_value("dispute")
    at.button(key=f"reply_send_{review_id}").click().run()
    assert "Say which decisions cannot be agreed and why" in at.error[0].value
    at.text_area(key=f"reply_note_{review_id}").input("The contact decision needs a panel.")
    at.button(key=f"reply_send_{review_id}").click().run()
    status = store.db.execute("SELECT reply_status FROM reviews WHERE id = ?",
                              [review_id]).fetchone()[0]
    assert status == "disputed"
    assert "disputed the decisions" in at.success[0].value
