"""The conversation on screen: every word people wrote on an alert, as they wrote it, on the
alert page, in the child's chronology, the case note and the printable page; one click,
one action; deadlines in working days, and absolute dates in the case note."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from db.alerts import alert_by_ref
from tests.page_support import AS_OF, app, demo_store, open_page, texts, user_with_role
from usecases.accounts import authenticate
from usecases.alert_forms import FormInvalid, RaiseAlertForm, act_from_form, raise_from_form
from usecases.alert_view import alert_view
from usecases.children import child_record
from usecases.demo import DEMO_PASSWORD
from usecases.submissions import ALREADY_SAVED, AlreadySaved

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
#: Typed by a person: Markdown, HTML, a link, an outside image and a formula, all literal.
TRICKY = ("We will act **now**, <b>not later</b>: see [the plan](http://example.invalid/p) "
          "![img](http://example.invalid/i.png) =SUM(A1)")
CONCERN = "Statutory visits have not happened since July: _three_ missed <i>in a row</i>."
OUTCOME = "Visits every six weeks, starting within 10 working days."
GATE = "Agreed with Jesse Larkspur (Head of Service for SARS) on 20 Nov 2026."
WHY_TIME = "The legal planning meeting is on 2 December; <script>alert(1)</script>"
RESPONSE = "Family finding starts on 7 Dec 2026; the social worker visits weekly until then."
NOT_SATISFIED = "A start date is not a plan: # who does the family finding, and by when?"
WHY_WITHDRAWN = "Raised against the wrong child | see DEMO-0046 =1+1"


def _shown(markdown: str) -> str:
    """Markdown as the reader sees it (escapes removed)."""
    return re.sub(r"\\(.)", r"\1", markdown)


@pytest.fixture
def store(tmp_path):
    return demo_store(tmp_path)


def _people(store):
    """The first IRO, and the managers above the social worker of that IRO's first child."""
    iro = user_with_role(store, "iro")
    people = {"iro": iro}
    staff_id = next(store.db.query(
        "SELECT social_worker_id FROM children WHERE case_ref = ?",
        [_child_of(store, iro)]))["social_worker_id"]
    while staff_id is not None:
        row = next(store.db.query("SELECT email, role, line_manager_id FROM staff WHERE id = ?",
                                  [staff_id]))
        people.setdefault(row["role"], authenticate(store, row["email"], DEMO_PASSWORD))
        staff_id = row["line_manager_id"]
    return people


def _child_of(store, user) -> str:
    return next(store.db.query(
        "SELECT case_ref FROM children WHERE reviewer_id = ? AND legal_status = "
        "'looked_after' ORDER BY case_ref LIMIT 1", [user.staff_id]))["case_ref"]


def _raise(store, iro, *, level="informal", gate="", on=AS_OF, concern=CONCERN) -> str:
    form = RaiseAlertForm(child_ref=_child_of(store, iro), category="care_planning",
                          concern=concern, outcome_sought=OUTCOME, level=level, gate=gate)
    return raise_from_form(store, form, user=iro, on=on, now=NOW).ref


def _conversation(store) -> str:
    """Informal stage, not satisfied, formal with a consultation record, more time asked
    for and agreed, a response, not satisfied again: escalated by the rules."""
    p = _people(store)
    iro, tm, sm = p["iro"], p["team_manager"], p["service_manager"]
    ref = _raise(store, iro)

    def act(user, kind, **fields):
        return act_from_form(store, ref, kind, user=user, on=AS_OF, now=NOW, **fields)

    act(tm, "responded", outcome="uphold", note=TRICKY)
    act(iro, "not_satisfied", note="The plan still has no dates.")
    act(iro, "escalated", level="service_manager", gate=GATE)
    act(sm, "extension_requested", until=dt.date(2026, 12, 4), note=WHY_TIME)
    act(iro, "extension_agreed")
    act(sm, "responded", outcome="alternative", note=RESPONSE)
    act(iro, "not_satisfied", note=NOT_SATISFIED)
    return ref


# -- the alert page ---------------------------------------------------------------------------


def test_the_page_shows_the_whole_exchange_as_typed(monkeypatch, store):
    ref = _conversation(store)
    at = open_page(app(monkeypatch, store, _people(store)["head_of_service"]), "pages/alert.py",
                   ref=ref)
    plain = [t.value for t in at.text]
    for words in (CONCERN, OUTCOME, TRICKY, GATE, WHY_TIME, RESPONSE, NOT_SATISFIED,
                  "The plan still has no dates."):
        assert words in plain, words  # st.text: shown exactly as typed, never as Markdown
    markdown = "\n".join(m.value for m in at.markdown)
    for raw in ("**now**", "<b>", "](http", "<script>", "<i>"):
        assert raw not in markdown  # nothing typed reaches Markdown or HTML unescaped
    labels = [m.value for m in at.markdown]
    for label in ("**Response**", "**Why not satisfied**", "**Consulted before going formal**",
                  "**Why more time is needed**", "**Issue of concern**"):
        assert label in labels
    heads = [_shown(m.value) for m in at.markdown if m.value.startswith("**")]
    sm = _people(store)["service_manager"].name
    assert any(f"Response** at Level 1: Service Manager · {sm}, Service Manager" in h
               for h in heads), heads
    assert any("Escalated** to Level 2: Head of Service · Automatic" in h for h in heads)
    assert "Outcome: **Propose another course of action**" in labels
    assert "Outcome: **Uphold the service's decision**" in labels
    page = texts(at)
    assert "Made by the rule \"not_satisfied_escalates\" of seed-001 version 1." in page
    assert ("The IRO was not satisfied with the Service Manager's response; escalated to Head "
            "of Service the same day under seed-001 level 2") in page
    # the rules' sentence for more time does not repeat the reason, which shows once
    assert "Service Manager asked for more time, until 4 Dec 2026." in plain
    assert plain.count(WHY_TIME) == 1
    # the Head of Service, now answering, reads what the Service Manager said below it
    assert "Latest response" in [s.value for s in at.subheader]
    assert "Given before the alert reached where it is now." in page


def test_the_iro_decides_under_the_latest_response(monkeypatch, store):
    p = _people(store)
    ref = _raise(store, p["iro"], level="service_manager", gate=GATE)
    act_from_form(store, ref, "responded", user=p["service_manager"], on=AS_OF, now=NOW,
                  outcome="uphold", note=TRICKY)
    at = open_page(app(monkeypatch, store, p["iro"]), "pages/alert.py", ref=ref)
    order = [("subheader", s.value) for s in at.subheader]
    assert [v for _, v in order][1:3] == ["Latest response",
                                          "Your decision: record what happens next"]
    assert "Your decision:" in at.warning[0].value
    assert "(#latest-response)" in at.warning[0].value  # a link down to it
    # the latest response is shown in full just above the decision, exactly as typed, and
    # only named in the exchange above it
    assert [t.value for t in at.text].count(TRICKY) == 1
    assert "In full below, under Latest response." in texts(at)
    action = at.selectbox[0]
    assert action.label == "Action" and action.value is None  # a decision is chosen, never
    assert action.options[:3] == ["Satisfied: resolve the alert",  # defaulted
                                  "Not satisfied with the response",
                                  "Escalate to a higher level"]


def _widget(at, kind: str, label: str):
    return next(w for w in getattr(at, kind) if w.label == label)


def _save(at):
    next(b for b in at.button if b.label.startswith("Save")).click().run()
    assert not at.exception, at.exception


def test_a_decision_that_cannot_be_undone_is_confirmed_then_the_form_clears(monkeypatch, store):
    p = _people(store)
    ref = _raise(store, p["iro"], level="service_manager", gate=GATE)
    act_from_form(store, ref, "responded", user=p["service_manager"], on=AS_OF, now=NOW,
                  outcome="agree", note=RESPONSE)
    events = store.db["events"].count
    at = open_page(app(monkeypatch, store, p["iro"]), "pages/alert.py", ref=ref)
    _widget(at, "selectbox", "Action").set_value("satisfied").run()
    _widget(at, "radio", "Difference for the child").set_value("not_improved")
    _widget(at, "text_area", "What changed for the child (or why nothing did)").input(
        "The service's decision stands.")
    _widget(at, "text_area", "Note for the record (optional)").input("Good **plan**.")
    _save(at)
    assert [e.value for e in at.error] == [
        "This cannot be undone: tick \"I am sure\" to save it, or choose another action."]
    assert store.db["events"].count == events
    assert _widget(at, "text_area", "Note for the record (optional)").value == "Good **plan**."
    _widget(at, "checkbox", "I am sure: this resolves and closes the alert, and cannot be "
                            "undone").check().run()
    _save(at)
    assert store.db["events"].count == events + 1
    assert alert_by_ref(store.db, ref).state["status"] == "resolved"
    assert at.success[0].value == ("Saved. The IRO is satisfied: the alert is resolved. "
                                   "Difference for the child: not improved.")
    assert "Good **plan**." in [t.value for t in at.text]  # in the exchange, as typed
    assert not at.text_area  # resolved: nothing more to record, the form is gone


def test_after_a_response_the_managers_form_shows_the_result_and_clears(monkeypatch, store):
    p = _people(store)
    ref = _raise(store, p["iro"], level="service_manager", gate=GATE)
    at = open_page(app(monkeypatch, store, p["service_manager"]), "pages/alert.py", ref=ref)
    assert "Your turn:" in at.warning[0].value
    _widget(at, "radio", "Your response").set_value("uphold")
    _widget(at, "text_area", "Your response in writing").input(TRICKY)
    _save(at)
    assert at.success[0].value.startswith("Saved. Service Manager upheld the service's decision")
    assert TRICKY not in at.success[0].value
    assert TRICKY in [t.value for t in at.text]
    assert not [w for w in at.text_area if w.label == "Your response in writing"]


def test_the_same_filling_in_saves_once(store):
    p = _people(store)
    ref = _raise(store, p["iro"], level="service_manager", gate=GATE)
    before = store.db["events"].count
    fields = {"user": p["service_manager"], "on": AS_OF, "now": NOW, "outcome": "agree",
              "note": RESPONSE, "submission": "one-filling-in"}
    act_from_form(store, ref, "responded", **fields)
    assert store.db["events"].count == before + 1
    with pytest.raises(AlreadySaved, match=ALREADY_SAVED):
        act_from_form(store, ref, "responded", **fields)
    # even when the first save closed the alert, a repeat says "already saved"
    iro = {"user": p["iro"], "on": AS_OF, "now": NOW, "confirmed": True,
           "submission": "resolve-once", "impact": "not_improved",
           "impact_note": "The service's decision was upheld."}
    act_from_form(store, ref, "satisfied", **iro)
    with pytest.raises(AlreadySaved):
        act_from_form(store, ref, "satisfied", **iro)
    assert store.db["events"].count == before + 2


def test_steps_that_cannot_be_undone_need_confirming_when_the_form_asks(store):
    p = _people(store)
    ref = _raise(store, p["iro"])
    for kind, fields in (("withdrawn", {"note": WHY_WITHDRAWN}),
                         ("escalated", {"level": "service_manager", "gate": GATE}),
                         ("satisfied", {"impact": "not_improved",
                                        "impact_note": "The decision stands."})):
        with pytest.raises(FormInvalid) as refused:
            act_from_form(store, ref, kind, user=p["iro"], on=AS_OF, now=NOW,
                          confirmed=False, **fields)
        assert set(refused.value.errors) == {"confirm"}
    act_from_form(store, ref, "withdrawn", user=p["iro"], on=AS_OF, now=NOW, confirmed=True,
                  note=WHY_WITHDRAWN)
    view = alert_view(store, p["iro"], ref, AS_OF, NOW)
    withdrawn = view.timeline[-1]
    assert (withdrawn.what, withdrawn.said[0].label, withdrawn.said[0].text) == (
        "Withdrawn", "Why withdrawn", WHY_WITHDRAWN)
    assert withdrawn.reason == "The alert was withdrawn."


# -- the same words elsewhere --------------------------------------------------------------------


def test_the_childs_chronology_has_what_was_said(store):
    ref = _conversation(store)
    iro = _people(store)["iro"]
    record = child_record(store, iro, _child_of(store, iro), NOW)
    details = "\n".join(e["details"] for e in record.chronology if e["alert"] == ref)
    for words in (CONCERN, OUTCOME, TRICKY, GATE, WHY_TIME, RESPONSE, NOT_SATISFIED):
        assert words in details
    response = next(e for e in record.chronology
                    if e["alert"] == ref and RESPONSE in e["details"])
    assert response["details"].startswith("Outcome: Propose another course of action. "
                                          f"Response: \"{RESPONSE}\"")


def test_the_case_note_and_the_printable_page_carry_the_exchange(monkeypatch, store):
    ref = _conversation(store)
    view = alert_view(store, _people(store)["iro"], ref, AS_OF, NOW)
    note = view.case_note()
    for words in (CONCERN, TRICKY, GATE, WHY_TIME, RESPONSE, NOT_SATISFIED):
        assert words in note
    assert "Response: " + RESPONSE in note and "Outcome: Propose another course of action" \
        in note
    assert "rule \"not_satisfied_escalates\" of seed-001 version 1" in note
    at = open_page(app(monkeypatch, store, _people(store)["iro"]), "pages/alert.py",
                   ref=ref, view="print")
    page = at.get("html")[-1].proto.body
    assert "&lt;b&gt;not later&lt;/b&gt;" in page and "<b>" not in page
    assert "<img" not in page and "<script" not in page
    assert "![img](http://example.invalid/i.png)" in page  # as typed, as text
    assert f"Alert of concern {ref}" in page and "@media print" in page
    assert not at.get("download_button")  # a print view, not a file to download
    assert not at.text_area and not at.button  # nothing but the page to print


def test_the_alert_page_links_to_its_print_view(monkeypatch, store):
    ref = _raise(store, _people(store)["iro"])
    at = open_page(app(monkeypatch, store, _people(store)["iro"]), "pages/alert.py", ref=ref)
    link = next(p for p in at.get("page_link") if "Printable page" in p.proto.label)
    assert (link.proto.page, link.proto.query_string) == ("alert", f"ref={ref}&view=print")


# -- dates -----------------------------------------------------------------------------------------


def test_a_deadline_today_on_the_page_and_dates_in_the_case_note(monkeypatch, store):
    iro = _people(store)["iro"]
    ref = _raise(store, iro, level="service_manager", gate=GATE, on=dt.date(2026, 11, 16))
    at = open_page(app(monkeypatch, store, iro), "pages/alert.py", ref=ref)
    status = at.info[0].value
    assert "**Waiting for the Service Manager to respond by 23 Nov 2026.**" in status
    assert "Due today, Mon 23 Nov 2026; escalates Tue 24 Nov 2026 if there is no reply." \
        in status
    note = at.code[0].value
    assert ("Status: As at 23 Nov 2026: the Service Manager's response is due by 23 Nov 2026; "
            "if there is no reply, it escalates on 24 Nov 2026.") in note
    for stale in ("today", "working days left", "days late"):
        assert stale not in note


def test_a_friday_deadline_seen_at_the_weekend(store):
    iro = _people(store)["iro"]
    ref = _raise(store, iro, level="service_manager", gate=GATE, on=dt.date(2026, 11, 20))
    saturday = dt.date(2026, 11, 28)
    view = alert_view(store, iro, ref, saturday, NOW)
    assert view.deadline_words() == ("Overdue: was due Fri 27 Nov 2026; escalates Mon 30 Nov "
                                     "2026 if there is no reply.")
    assert view.status_on_the_day() == (
        "As at 28 Nov 2026: the Service Manager's response was due by 27 Nov 2026 and has not "
        "been recorded; if there is no reply, it escalates on 30 Nov 2026.")
    assert "due today" not in view.case_note().lower()
    monday = alert_view(store, iro, ref, dt.date(2026, 11, 30), NOW)
    assert monday.level == "head_of_service"  # the rules moved it; the page says why
    escalation = monday.timeline[-1]
    assert escalation.derived and escalation.pending and escalation.rule == "silence_escalates"
    assert "the next sweep records it" in escalation.rule_words


def test_a_click_whose_run_was_stopped_before_the_form_moved_on_says_saved(monkeypatch, store):
    """Three quick clicks: the first click's run saves and can be stopped (by the second
    click) before the form starts its next round or says what it did. The next run finds
    the form's submission already saved: it writes nothing more, says what was saved, and
    clears the form, even where the save closed the alert and there is no form to click."""
    p = _people(store)
    ref = _raise(store, p["iro"], level="service_manager", gate=GATE)
    at = open_page(app(monkeypatch, store, p["iro"]), "pages/alert.py", ref=ref)
    name = f"alert_action.{ref}"
    first_round = at.session_state["form_rounds"][name]
    _widget(at, "selectbox", "Action").set_value("withdrawn").run()
    _widget(at, "text_area", "Why it is withdrawn").input(WHY_WITHDRAWN)
    _widget(at, "checkbox", "I am sure: this withdraws and closes the alert, and cannot be "
                            "undone").check()
    _save(at)
    events = store.db["events"].count
    saved = "Saved. The alert was withdrawn."
    assert at.success[0].value == saved
    # as if the run had been stopped just after saving: the same round, nothing said
    at.session_state["form_rounds"] = {**at.session_state["form_rounds"], name: first_round}
    at.session_state["alert_action_saved"] = {}
    at.run()
    assert store.db["events"].count == events
    assert at.success[0].value == saved
    assert not at.error
    assert at.session_state["form_rounds"][name][0] == first_round[0] + 1  # moved on
