"""The procedure page: the editor's forms, checking as you type, versions and adoption."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.page_support import AS_OF, app, demo_store, open_page, texts, user_with_role
from ui.navigation import screens_for
from usecases.access import AccessRefused, may_manage_policy, require_manage_policy
from usecases.policy_versions import policy_for, versions


@pytest.fixture
def store(tmp_path):
    return demo_store(tmp_path)


def _page(monkeypatch, store, role="admin"):
    return open_page(app(monkeypatch, store, user_with_role(store, role)), "pages/policy.py")


def _by_label(at, kind: str, label: str):
    return next(w for w in getattr(at, kind) if w.label == label)


@pytest.mark.parametrize("role", ["iro", "team_manager", "head_of_service"])
def test_only_the_procedures_editors_have_it_and_may_use_it(store, role):
    someone = user_with_role(store, role)
    titles = [s.title for s in screens_for(someone, manages_policy=may_manage_policy(
        store, someone))]
    assert "The procedure" not in titles and "Try a procedure on past alerts" not in titles
    with pytest.raises(AccessRefused, match="Only the people the procedure names"):
        require_manage_policy(store, someone)


def test_a_policy_may_name_its_own_editors(tmp_path):
    from rules.policy_check import read_policy_text
    from usecases.policy_versions import policy_text

    store = demo_store(tmp_path)
    text = policy_text(store).replace("\naccess:", "\nold_access:") + (
        "\naccess:\n  policy_editors: [qa_head_of_service]\n")
    policy, problems = read_policy_text(text, "seed-001.yaml")
    assert not problems, problems
    assert policy.access.policy_editors == ("qa_head_of_service",)


@pytest.mark.parametrize("role", ["admin", "principal_iro"])
def test_the_editors_see_the_versions_and_a_valid_draft(monkeypatch, store, role):
    at = _page(monkeypatch, store, role)
    assert at.title[0].value == "The procedure"
    assert any("The draft is a valid procedure. 0 change(s)" in s.value for s in at.success)


def test_a_wrong_value_is_named_next_to_its_part_and_at_the_top(monkeypatch, store):
    at = _page(monkeypatch, store)
    _by_label(at, "number_input", "Working days a manager has to acknowledge an alert") \
        .set_value(0).run()
    themes = _by_label(at, "text_input", "Themes (separated by commas)")
    themes.input("Practice, Care Planning, Safeguarding").run()  # Human Rights still used
    problems = [e.value for e in at.error]
    assert any(p.startswith("There is a problem") and "Human Rights" in p for p in problems)
    assert not [s for s in at.success if "valid procedure" in s.value]
    adopt = [i.value for i in at.info]
    assert "The draft has problems (see Edit a draft); put them right to adopt it." in adopt


def test_a_changed_response_time_is_adopted_from_a_date_and_kept_as_a_version(monkeypatch,
                                                                                store):
    at = _page(monkeypatch, store, "principal_iro")
    _by_label(at, "number_input", "Working days a manager has to acknowledge an alert") \
        .set_value(2).run()
    assert any("1 change(s)" in s.value for s in at.success)
    effective = dt.date(2026, 12, 1)
    _by_label(at, "text_input", "Takes effect from").input("01/12/2026").run()
    _by_label(at, "text_area", "Why the procedure changes (kept with the version)") \
        .input("Annual review: two days to acknowledge.")
    _by_label(at, "button", "Adopt the draft").click().run()
    assert any('Tick "I am sure"' in e.value for e in at.error)
    assert len(versions(store)) == 1
    _by_label(at, "checkbox", "I am sure: adopt this draft as the next version").check()
    _by_label(at, "button", "Adopt the draft").click().run()
    assert not at.exception
    kept = versions(store)
    assert [v.version for v in kept] == [1, 2]
    assert kept[-1].effective_from == effective
    assert kept[-1].reason == "Annual review: two days to acknowledge."
    assert policy_for(store, 2).acknowledge_days == 2
    assert "Version 2 adopted, taking effect on 1 Dec 2026." in texts(at)
    # the versions tab says who adopted it, and what changed, in the form's words
    assert "What changed from version 1 to version 2" in texts(at)
    assert "Working days to acknowledge: 1 -> 2" in [t.value for t in at.text]


def test_a_level_is_added_and_removed_through_the_forms(monkeypatch, store):
    at = _page(monkeypatch, store)
    add = "Add a level at the top of the ladder (Looked-after children)"
    _by_label(at, "button", add).click().run()
    where = "level 5 (Looked-after children)"
    assert _by_label(at, "selectbox", f"Who responds at {where}").value == "director"
    _by_label(at, "selectbox", f"Who responds at {where}").set_value("chief_executive")
    _by_label(at, "text_input", f"Name of {where}").input("Level 5: Chief Executive")
    _by_label(at, "number_input", f"Working days to respond at {where}").set_value(10).run()
    problems = "\n".join(e.value for e in at.error).replace("\\", "")
    assert "more than the formal stage's 20 working days" in problems or "formal_cap_days" in \
        problems, problems
    # more time for the whole formal stage, as the checker asks
    next(w for w in at.number_input if w.label == "Working days the whole formal stage may take"
         ).set_value(30).run()
    assert not at.exception
    assert any("valid" in s.value for s in at.success), [e.value for e in at.error]
    assert any("The draft is a valid procedure. 2 change(s)" in s.value for s in at.success)
    text = at.session_state["policy_draft_text"]
    assert "Level 5: Chief Executive" in text and "chief_executive" in text
    _by_label(at, "button", "Remove level 5 (Looked-after children)").click().run()
    assert any("The draft is a valid procedure. 1 change(s)" in s.value for s in at.success)
    assert "Level 5: Chief Executive" not in at.session_state["policy_draft_text"]


def test_an_empty_level_name_is_named_in_words_beside_the_track(monkeypatch, store):
    at = _page(monkeypatch, store)
    _by_label(at, "text_input", "Name of level 2 (Looked-after children)").input("").run()
    problems = "\n".join(e.value for e in at.error).replace("\\", "")
    assert "Track Looked-after children, level 2: name" in problems


def test_open_alerts_are_moved_to_the_new_version_only_when_asked(monkeypatch, store):
    from db.alerts import alert_by_ref

    at = _page(monkeypatch, store)
    where = "level 1 (Looked-after children)"
    _by_label(at, "number_input", f"Working days to respond at {where}").set_value(3).run()
    _by_label(at, "text_input", "Takes effect from").input("23/11/2026").run()
    _by_label(at, "text_area", "Why the procedure changes (kept with the version)") \
        .input("Level 1 answers within three working days.")
    _by_label(at, "checkbox", "I am sure: adopt this draft as the next version").check()
    _by_label(at, "button", "Adopt the draft").click().run()
    assert not at.exception
    open_at_one = [r["ref"] for r in store.db.query(
        "SELECT ref FROM alerts WHERE status = 'open' AND level = 'service_manager' "
        "AND track = 'iro'")]
    assert open_at_one, "the demo has open alerts at level 1"
    before = {ref: alert_by_ref(store.db, ref).state["due"] for ref in open_at_one}
    heading = "Open alerts still under an older version than 2"
    assert heading in [s.value for s in at.subheader]
    assert {ref: alert_by_ref(store.db, ref).state["due"] for ref in open_at_one} == before
    _by_label(at, "text_input", "Why they are moved (kept on each alert)").input(
        "The new time applies to work in hand.")
    _by_label(at, "button", "Move these open alerts to version 2").click().run()
    assert any(s.value.startswith("Moved ") for s in at.success), texts(at)
    after = {ref: alert_by_ref(store.db, ref).state["due"] for ref in open_at_one}
    assert after != before  # three working days, not five, for those still waiting
    assert heading not in [s.value for s in at.subheader]


def test_a_short_file_is_not_padded_with_the_forms_empty_fields(monkeypatch, tmp_path):
    """A file that leaves optional fields out: opening it in the forms changes nothing."""
    from tests.test_policy_versions import ANYTOWN
    from usecases.store import create_store

    policy_file = tmp_path / "anytown.yaml"
    policy_file.write_text(ANYTOWN)
    own = create_store(tmp_path / "own.db", demo=True, as_of=AS_OF, policy_file=policy_file)
    at = _page(monkeypatch, own)
    assert any("The draft is a valid procedure. 0 change(s)" in s.value for s in at.success), \
        [e.value for e in at.error]
