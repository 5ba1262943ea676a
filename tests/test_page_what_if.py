"""The what-if page (AppTest): try a draft procedure on the demo store's past alerts.

The demo store runs seed-001 (Level 1, the Service Manager, has 5 working days). The draft
gives Level 1 only 3: built by editing the store's own policy text, so nothing else
differs. Alerts whose Service Manager answered on day 4 or 5 would, under the draft, have
gone to Level 2 by silence first.
"""

from __future__ import annotations

import re

import pytest

import ui.navigation as navigation
from tests.page_support import AS_OF, app, demo_store, open_page, texts, user_with_role
from usecases.access import POLICY_EDITORS_ONLY
from usecases.policy_versions import policy_text
from usecases.what_if_view import difference_words, read_candidate, read_upload

PAGE = "pages/what_if.py"
TITLE = "Try a procedure on past alerts"
YAML = "application/x-yaml"


@pytest.fixture(autouse=True)
def _page_for_everyone(monkeypatch):
    """The menu lists the page for the procedure's editors only; list it for everyone, so
    that the page itself is what refuses the others."""
    original = navigation.screens_for

    def screens_for(user, unread=0, **kwargs):
        screens = original(user, unread, **kwargs)
        if user is None or any(s.path == PAGE for s in screens):
            return screens
        return [*screens, navigation.Screen(PAGE, TITLE)]

    monkeypatch.setattr(navigation, "screens_for", screens_for)


@pytest.fixture
def store(tmp_path):
    return demo_store(tmp_path)


def three_day_draft(store) -> str:
    """The store's policy with Level 1's response_days 5 changed to 3."""
    text = policy_text(store)
    draft, n = re.subn(r"(- role: service_manager\n(?:[^\n]*\n){2}\s*response_days: )5",
                       r"\g<1>3", text, count=1)
    assert n == 1, "Level 1's response_days not found in the store's policy text"
    return draft


def rows(store) -> tuple[int, int]:
    return store.db["events"].count, store.db["alerts"].count


def as_editor(monkeypatch, store, role="principal_iro"):
    return open_page(app(monkeypatch, store, user_with_role(store, role)), PAGE)


def upload(at, name: str, text: str):
    at.file_uploader(key="what_if_file").set_value((name, text.encode(), YAML))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def try_it(at):
    at.button(key="what_if_run").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def totals(at) -> dict[str, tuple[int, int]]:
    frame = at.table[0].value
    return {r["What"]: (r["As recorded"], r["Under the draft"]) for r in frame.to_dict("records")}


@pytest.mark.parametrize("role", ["admin", "principal_iro"])
def test_the_procedures_editors_may_open_it(monkeypatch, store, role):
    at = as_editor(monkeypatch, store, role)
    assert at.title[0].value == TITLE
    assert not at.error
    assert [r.label for r in at.radio] == ["What to try"]
    # no draft on the procedure page in this session: not offered
    assert at.radio(key="what_if_source").options == [
        "A policy file from your computer", "A version the store has adopted"]
    assert at.text_input(key="what_if_from").value == "23 Nov 2025"
    assert at.text_input(key="what_if_to").value == "23 Nov 2026"
    assert "raised in this period will be replayed" in texts(at)
    assert at.button(key="what_if_run").label == "Try it"


@pytest.mark.parametrize("role", ["iro", "team_manager", "head_of_service"])
def test_anyone_else_is_refused(monkeypatch, store, role):
    at = as_editor(monkeypatch, store, role)
    assert [e.value for e in at.error] == [POLICY_EDITORS_ONLY]
    assert not at.file_uploader and not at.button and not at.table
    assert "would have gone differently" not in texts(at)


def test_a_broken_file_lists_the_checkers_problems(monkeypatch, store):
    at = as_editor(monkeypatch, store)
    broken = three_day_draft(store).replace("formal_cap_days: 20", "formal_cap_days: twenty")
    broken = broken.replace("id: seed-001", "id: seed-001\nid: again", 1)
    upload(at, "seed-001.yaml", broken)
    expected = read_candidate(broken, "seed-001.yaml").problems
    assert expected  # the checker's own messages, as 'policy check' prints them
    assert at.error[0].value.startswith("This policy cannot be tried:")
    listed = at.markdown[[m.value.startswith("- ") for m in at.markdown].index(True)].value
    for problem in expected:
        assert re.sub(r"\\(.)", r"\1", listed).count(problem) == 1
    try_it(at)
    assert "Correct the problems with the policy in step 1 first." in texts(at)
    assert not at.table and "would have gone differently" not in texts(at)
    assert "Traceback" not in texts(at)


def test_a_file_named_otherwise_than_its_id_is_refused_in_plain_words(monkeypatch, store):
    at = upload(as_editor(monkeypatch, store), "my draft.yaml", three_day_draft(store))
    assert "does not match the file name" in texts(at)
    assert not at.table


def test_a_three_day_level_one_shows_the_totals_and_the_differences(monkeypatch, store):
    before = rows(store)
    at = upload(as_editor(monkeypatch, store), "seed-001.yaml", three_day_draft(store))
    assert "Checked, no problems found" in texts(at)
    try_it(at)
    found = totals(at)
    raised = found["Alerts raised"]
    assert raised[0] == raised[1] > 0
    assert found["Escalations by silence (a level did not answer in time)"][1] > \
        found["Escalations by silence (a level did not answer in time)"][0]
    level_2 = found["Alerts reaching Level 2: Head of Service"]
    assert level_2[1] > level_2[0]
    assert "Alerts over the formal stage's time limit (20 working days)" in found
    assert found["Recorded actions the draft would have refused"][0] == 0
    page = texts(at)
    assert "would have gone differently under the draft" in page
    assert "People's actions stay as recorded" in page
    assert re.search(r"Alerts that would have gone differently \(\d+\)", page)
    # the principal IRO may see every alert: each reference is a link to it
    links = [link.label for link in at.get("page_link") if link.label.startswith("A-")]
    assert links
    assert ("It would have escalated by silence once instead of not at all, going as far as "
            "Level 2: Head of Service instead of Level 1: Service Manager.") in page.replace(
        "\\", "")
    assert [b.label for b in at.download_button] == [
        "Download these numbers (CSV)",
        "Download every alert that would have gone differently (CSV)"]
    assert rows(store) == before  # nothing written


def test_the_administrator_sees_references_as_text(monkeypatch, store):
    at = upload(as_editor(monkeypatch, store, "admin"), "seed-001.yaml",
                three_day_draft(store))
    try_it(at)
    assert "would have gone differently under the draft" in texts(at)
    assert not [link for link in at.get("page_link") if link.label.startswith("A-")]
    assert re.search(r"^A-\d+$", texts(at).replace("\\", ""), re.MULTILINE)


def test_the_draft_on_the_procedure_page_and_adopted_versions(monkeypatch, store):
    before = rows(store)
    at = as_editor(monkeypatch, store)
    at.session_state["policy_draft_text"] = three_day_draft(store)
    at.run()
    source = at.radio(key="what_if_source")
    assert source.options[0] == "The draft on the procedure page"
    source.set_value("editing")
    at.run()
    try_it(at)
    assert totals(at)["Alerts reaching Level 2: Head of Service"][1] > \
        totals(at)["Alerts reaching Level 2: Head of Service"][0]
    # the version in force, tried against itself: nothing would differ
    at.radio(key="what_if_source").set_value("version")
    at.run()
    assert "You have changed what to try or the dates since the last try" in texts(at)
    try_it(at)
    frame = at.table[0].value
    assert list(frame.columns) == ["What", "As recorded", "Under version 1", "Change"]
    assert set(frame["Change"]) == {"none"}
    assert "None: every alert would have gone the same way under version 1." in texts(at)
    assert rows(store) == before


def test_an_impossible_date_is_refused_never_corrected(monkeypatch, store):
    at = upload(as_editor(monkeypatch, store), "seed-001.yaml", three_day_draft(store))
    at.text_input(key="what_if_from").set_value("31/02/2026")
    at.run()
    assert at.text_input(key="what_if_from").value == "31/02/2026"
    assert any("There is no 31 February 2026" in e.value for e in at.error)
    try_it(at)
    assert "Correct the dates in step 2 first." in texts(at)
    assert not at.table
    # a period ending after today, and one the wrong way round
    at.text_input(key="what_if_from").set_value("01/03/2026")
    at.text_input(key="what_if_to").set_value("24/11/2026")
    at.run()
    assert "The period must end by today (23 Nov 2026)" in texts(at)
    at.text_input(key="what_if_to").set_value("01/02/2026")
    at.run()
    assert ("The period starts on 1 Mar 2026, after it ends on 1 Feb 2026: swap the dates."
            in texts(at))
    try_it(at)
    assert not at.table


def test_results_follow_the_choices_they_were_made_for(monkeypatch, store):
    at = upload(as_editor(monkeypatch, store), "seed-001.yaml", three_day_draft(store))
    try_it(at)
    assert at.table
    at.text_input(key="what_if_from").set_value("01/06/2026")
    at.run()
    assert not at.table
    assert "You have changed what to try or the dates since the last try" in texts(at)


def test_differences_in_words():
    labels = {"service_manager": "Level 1: Service Manager",
              "head_of_service": "Level 2: Head of Service"}
    end = AS_OF
    assert difference_words({"field": "due", "actual": "2026-12-09", "draft": "2026-12-04"},
                            labels, end) == \
        "The answer it waited for would have been due on 4 Dec 2026 instead of 9 Dec 2026."
    assert difference_words({"field": "level", "actual": "service_manager",
                             "draft": "head_of_service"}, labels, end) == (
        "Its last level by 23 Nov 2026 would have been Level 2: Head of Service instead of "
        "Level 1: Service Manager.")
    assert difference_words({"field": "escalated_by_silence", "actual": 0, "draft": 1},
                            labels, end) == ("It would have escalated by silence once "
                                             "instead of not at all.")
    refusal = {"alert": "A1", "date": "2026-01-05", "event": "responded",
               "why": "it answers Level 1: Service Manager, but under the draft the alert had "
                      "already moved on to Level 2: Head of Service"}
    assert difference_words({"field": "refused_actions", "actual": 0, "draft": 1}, labels,
                            end, refusal, "version 2") == (
        "Version 2 would have refused 1 recorded action. The first: a response on 5 Jan "
        "2026, because it answers Level 1: Service Manager, but under the draft the alert "
        "had already moved on to Level 2: Head of Service.")


def test_a_long_list_is_paged(monkeypatch, store):
    at = upload(as_editor(monkeypatch, store), "seed-001.yaml", three_day_draft(store))
    at.text_input(key="what_if_from").set_value("01/01/2020")  # every demo alert
    at.run()
    try_it(at)
    assert "Alerts that would have gone differently (27)" in texts(at)
    shown = at.selectbox(key="what_if_page")
    assert shown.label == "Alerts shown"
    assert shown.options == ["1 to 25 of 27", "26 to 27 of 27"]

    def listed():
        return [link.label for link in at.get("page_link") if link.label.startswith("A-")]

    first = listed()
    assert len(first) == 25
    shown.set_value(1)
    at.run()
    assert len(listed()) == 2 and not set(listed()) & set(first)
    changes = dict(zip(at.table[0].value["What"], at.table[0].value["Change"], strict=True))
    assert changes["Alerts reaching Level 2: Head of Service"].startswith("+")


def test_a_file_that_is_not_text_is_refused_in_plain_words():
    found = read_upload("seed-001.yaml", b"\xff\xfe\x00id")
    assert found.draft is None
    assert found.problems == ("seed-001.yaml: this is not a text file (UTF-8). Save the "
                              "policy as plain text with the extension .yaml and try again.",)
