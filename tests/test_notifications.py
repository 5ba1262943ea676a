"""Who is told of what: in-app notifications and queued e-mail, written with the event."""

from __future__ import annotations

from db.notifications import notifications_for, unread_count
from tests.page_support import AS_OF, demo_store
from tests.support import D, act, raise_at
from usecases.alerts import sweep


def _iro_child(store):
    return next(store.db.query(
        "SELECT c.case_ref, c.id, c.reviewer_id, c.social_worker_id FROM children c "
        "JOIN staff s ON s.id = c.reviewer_id WHERE s.role = 'iro' AND "
        "c.legal_status = 'looked_after' ORDER BY c.id LIMIT 1"))


def _role_person(store, role):
    return next(store.db.query("SELECT id, email FROM staff WHERE role = ? ORDER BY id LIMIT 1",
                               [role]))


def _outbox(store, since_id=0):
    return list(store.db.query("SELECT * FROM outbox WHERE id > ? ORDER BY id", [since_id]))


def _last_outbox_id(store):
    return store.db.execute("SELECT coalesce(max(id), 0) FROM outbox").fetchone()[0]


def test_raising_at_level_one_tells_the_service_manager_and_copies_head_of_service(tmp_path):
    store = demo_store(tmp_path)
    child = _iro_child(store)
    start = _last_outbox_id(store)
    raise_at(store, AS_OF, "service_manager", ref="N1", child=child["case_ref"],
             gate="Head of Service for SARS agreed.")
    sm, hos = _role_person(store, "service_manager"), _role_person(store, "head_of_service")
    [mail] = _outbox(store, start)
    assert (mail["to_addrs"], mail["cc_addrs"]) == (sm["email"], hos["email"])
    assert mail["subject"] == (f"Alert N1 ({child['case_ref']}): your response is needed by "
                               "30 Nov 2026")
    assert "Open it: http://localhost:8501/alert?ref=N1" in mail["body"]
    assert mail["message_id"].endswith("@iro-alerts.invalid>")
    assert mail["status"] == "pending"
    told = notifications_for(store.db, sm["id"])
    assert told[0]["subject"] == mail["subject"] and told[0]["copy"] == 0
    assert notifications_for(store.db, hos["id"])[0]["copy"] == 1


def test_a_sweep_after_a_long_pause_tells_each_escalation_exactly_once(tmp_path):
    store = demo_store(tmp_path)
    child = _iro_child(store)
    raise_at(store, D(2026, 12, 14), "service_manager", ref="N2", child=child["case_ref"],
             gate="Head of Service for SARS agreed.")
    start = _last_outbox_id(store)
    sweep(store, D(2027, 2, 1))
    mails = [m for m in _outbox(store, start) if "N2" in m["subject"]]
    needed = [m["to_addrs"] for m in mails if "your response is needed" in m["subject"]]
    people = [_role_person(store, r)["email"]
              for r in ("head_of_service", "divisional_director", "director")]
    assert needed == people
    subjects = [m["subject"].split(": ", 1)[1] for m in mails]
    assert subjects == [
        "your response is needed by 31 Dec 2026",
        "your response is needed by 11 Jan 2027",
        "your response is needed by 19 Jan 2027",
        "the 20-working-day limit is close",
        "the 20-working-day limit has passed",
        "no response in time: decide the next step",
        "consider a referral to CAFCASS",
    ]
    assert [m["next_attempt_at"][:10] for m in mails][:3] == [
        "2026-12-22", "2027-01-04", "2027-01-12"]
    again = _last_outbox_id(store)
    sweep(store, D(2027, 2, 1))
    sweep(store, D(2027, 3, 1))
    assert _outbox(store, again) == []


def test_the_person_who_acts_is_not_told_of_it(tmp_path):
    store = demo_store(tmp_path)
    child = _iro_child(store)
    raise_at(store, AS_OF, "service_manager", ref="N3", child=child["case_ref"],
             gate="Head of Service for SARS agreed.")
    sm = _role_person(store, "service_manager")
    start = _last_outbox_id(store)
    act(store, "responded", AS_OF, ref="N3", actor_role="service_manager", actor_id=sm["id"],
        outcome="agree", note="We will visit weekly.")
    [mail] = _outbox(store, start)
    iro = next(store.db.query("SELECT email FROM staff WHERE id = ?", [child["reviewer_id"]]))
    assert mail["to_addrs"] == iro["email"]
    assert sm["email"] not in mail["to_addrs"] + mail["cc_addrs"]
    assert unread_count(store.db, child["reviewer_id"]) >= 1


def test_an_amber_review_tells_the_service_manager(tmp_path):
    store = demo_store(tmp_path, "seed-004")
    routed = list(store.db.query(
        "SELECT e.id, e.data FROM events e WHERE e.kind = 'rag_routed' ORDER BY e.id"))
    assert routed
    for event in routed:
        mail = next(store.db.query("SELECT * FROM outbox WHERE event_id = ?", [event["id"]]))
        role = "service_manager" if '"amber"' in event["data"] else "head_of_service"
        assert mail["to_addrs"] == _role_person(store, role)["email"]
        assert "plan judged" in mail["subject"]


# -- what was said: in the app's messages, never in e-mail --------------------------------------

SAID = "We will visit **weekly** <b>from Monday</b> [plan](http://example.invalid/x) =SUM(A1)"


def _words_everywhere(store, since_outbox, since_note, words):
    """(in-app bodies, e-mail texts) written since the marks."""
    notes = [r["body"] for r in store.db.query(
        "SELECT body FROM notifications WHERE id > ?", [since_note])]
    mails = [r["subject"] + "\n" + r["body"] for r in store.db.query(
        "SELECT subject, body FROM outbox WHERE id > ?", [since_outbox])]
    return notes, mails


def _last_note_id(store):
    return store.db.execute("SELECT coalesce(max(id), 0) FROM notifications").fetchone()[0]


def test_a_response_message_says_what_was_said_and_the_email_does_not(tmp_path):
    store = demo_store(tmp_path)
    child = _iro_child(store)
    raise_at(store, AS_OF, "service_manager", ref="N4", child=child["case_ref"],
             gate="Head of Service for SARS agreed.")
    sm = _role_person(store, "service_manager")
    mail_mark, note_mark = _last_outbox_id(store), _last_note_id(store)
    act(store, "responded", AS_OF, ref="N4", actor_role="service_manager", actor_id=sm["id"],
        outcome="uphold", note=SAID)
    [told] = notifications_for(store.db, child["reviewer_id"])[:1]
    name = next(store.db.query("SELECT name FROM staff WHERE id = ?", [sm["id"]]))["name"]
    assert f"{name} (Service Manager) responded: {SAID}" in told["body"].splitlines()
    assert told["body"].startswith("Service Manager upheld the service's decision")
    [mail] = _outbox(store, mail_mark)
    assert SAID not in mail["body"] and "weekly" not in mail["body"]
    assert mail["body"].splitlines() == [
        "Service Manager upheld the service's decision; the IRO decides whether this "
        "resolves it.", "",
        "What was written is in the app: open the link to read it.", "",
        "Next: the IRO decides what happens next.",
        "Open it: http://localhost:8501/alert?ref=N4", "",
        "This message is about a child's record: do not forward it outside the authority."]
    notes, _ = _words_everywhere(store, mail_mark, note_mark, SAID)
    assert notes and all(SAID in n for n in notes)


def test_no_email_carries_what_anyone_typed(tmp_path):
    """Every step where someone types: raising (concern, outcome sought, consultation), a
    response, more time, not satisfied, escalating with a consultation record, withdrawing.
    The in-app messages have the words; no e-mail has any of them."""
    import datetime as dt

    from tests.test_alert_conversation import _child_of, _people
    from usecases.alert_forms import RaiseAlertForm, act_from_form, raise_from_form

    store = demo_store(tmp_path)
    now = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)
    people = _people(store)
    iro, tm, sm = (people[r] for r in ("iro", "team_manager", "service_manager"))
    child = _child_of(store, iro)
    mail_mark, note_mark = _last_outbox_id(store), _last_note_id(store)
    typed = {n: f"Typed words number {n}: the child's *private* detail" for n in range(1, 10)}
    ref = raise_from_form(store, RaiseAlertForm(
        child_ref=child, category="care_planning", concern=typed[1], outcome_sought=typed[2],
        level="informal"), user=iro, on=AS_OF, now=now).ref

    def step(user, kind, **fields):
        act_from_form(store, ref, kind, user=user, on=AS_OF, now=now, **fields)

    step(tm, "responded", outcome="agree", note=typed[3])
    step(iro, "not_satisfied", note=typed[4])
    step(iro, "escalated", level="service_manager", gate=typed[5], note=typed[6])
    step(sm, "extension_requested", until=D(2026, 12, 4), note=typed[7])
    step(sm, "responded", outcome="no_action", note=typed[8])
    step(iro, "withdrawn", note=typed[9], confirmed=True)
    notes, mails = _words_everywhere(store, mail_mark, note_mark, "")
    assert len(mails) >= 6
    for text in typed.values():
        assert not any(text in m for m in mails), text
        assert not any("private" in m for m in mails)
    in_app = "\n".join(notes)
    for n in (1, 2, 3, 4, 5, 6, 7, 8, 9):
        assert typed[n] in in_app, n
    assert f"Consulted before going formal: {typed[5]}" in in_app
    assert f"asked for more time: {typed[7]}" in in_app
    assert f"is not satisfied: {typed[4]}" in in_app
    assert f"withdrew the alert: {typed[9]}" in in_app
