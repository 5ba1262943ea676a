"""What people record on an alert: raising, bypassing, responding, deciding, more time."""

from __future__ import annotations

import pytest

from tests.support import D, act, derived, log, new_store, raise_at, state
from usecases.alerts import AlertRefused, sweep


@pytest.fixture
def seed1(tmp_path):
    return new_store(tmp_path, "seed-001")


# -- raising and bypassing ---------------------------------------------------------------------


def test_raise_informal_uses_the_policy_timescale(seed1):
    raise_at(seed1, D(2026, 12, 23))
    s = state(seed1)
    # 3 working days over Christmas: 24, 29, 30 Dec
    assert (s.level, s.awaiting, s.due, s.formal_started) == (
        "informal", "team_manager", D(2026, 12, 30), None)


@pytest.mark.parametrize(
    ("seed", "level", "gate_words"),
    [
        ("seed-001", "head_of_service", "Head of Service is consulted"),
        ("seed-002", "head_of_service", "Line Manager is consulted"),
        ("seed-003", "team_manager", "Line Manager is consulted"),
        ("seed-004", "service_manager", "Line Manager is consulted"),
    ],
)
def test_bypass_needs_the_gate_the_policy_asks_for(tmp_path, seed, level, gate_words):
    store = new_store(tmp_path, seed)
    with pytest.raises(AlertRefused, match=gate_words):
        raise_at(store, D(2026, 12, 14), level)
    assert store.db["alerts"].count == 0
    raise_at(store, D(2026, 12, 14), level, gate="Discussed with my manager on 14 Dec")
    s = state(store)
    assert (s.level, s.formal_started) == (level, D(2026, 12, 14))
    raised = log(store)[0]
    assert raised.data["gate"] == "Discussed with my manager on 14 Dec"


def test_seed_000_bypass_has_no_gate(tmp_path):
    store = new_store(tmp_path, "seed-000")
    raise_at(store, D(2026, 12, 14), "executive_director")
    assert state(store).due == D(2026, 12, 21)


def test_emergency_passes_a_gate_only_where_the_policy_exempts_emergencies(tmp_path):
    seed2 = new_store(tmp_path, "seed-002", "two.db")
    raise_at(seed2, D(2026, 12, 14), "head_of_service", emergency=True)
    assert log(seed2)[0].data["gate"] == "Emergency"
    seed3 = new_store(tmp_path, "seed-003", "three.db")
    with pytest.raises(AlertRefused, match="Line Manager is consulted"):
        raise_at(seed3, D(2026, 12, 14), "service_manager", emergency=True)


def test_only_the_reviewer_raises(seed1):
    with pytest.raises(AlertRefused, match="Only the IRO can record 'raised'"):
        raise_at(seed1, D(2026, 12, 14), actor="team_manager")


def test_raise_with_an_unknown_category_or_level(seed1):
    with pytest.raises(AlertRefused, match="'nonsense' is not a concern category"):
        raise_at(seed1, D(2026, 12, 14), category="nonsense")
    with pytest.raises(AlertRefused, match="'team_manager' is not a level"):
        raise_at(seed1, D(2026, 12, 14), "team_manager", gate="x")


# -- responding and deciding -------------------------------------------------------------------


def test_response_then_not_satisfied_escalates_the_same_day(seed1):
    raise_at(seed1, D(2026, 12, 14), "service_manager", gate="HoS agreed")
    act(seed1, "responded", D(2026, 12, 18), actor_role="service_manager", outcome="uphold")
    assert (state(seed1).awaiting, state(seed1).due) == ("iro", None)
    act(seed1, "not_satisfied", D(2026, 12, 21), actor_role="iro")
    s = state(seed1)
    assert (s.level, s.awaiting, s.due) == ("head_of_service", "head_of_service", D(2026, 12, 30))
    escalation = log(seed1)[-1]
    assert (escalation.kind, escalation.rule, escalation.occurred_on) == (
        "escalated", "not_satisfied_escalates", D(2026, 12, 21))
    assert "not satisfied with the Service Manager's response" in escalation.reason


def test_not_satisfied_where_the_policy_prompts_leaves_it_with_the_iro(tmp_path):
    store = new_store(tmp_path, "seed-003")
    raise_at(store, D(2026, 12, 14), "team_manager", gate="Line manager agreed")
    act(store, "responded", D(2026, 12, 15), actor_role="team_manager", outcome="no_action")
    act(store, "not_satisfied", D(2026, 12, 16), actor_role="iro")
    s = state(store)
    assert (s.level, s.awaiting) == ("team_manager", "iro")
    assert "decides whether to escalate to Level 2" in log(store)[-1].reason


def test_not_satisfied_at_the_top_prompts_cafcass(seed1):
    raise_at(seed1, D(2026, 12, 14), "director", gate="HoS agreed")
    act(seed1, "responded", D(2026, 12, 15), actor_role="director", outcome="no_action")
    act(seed1, "not_satisfied", D(2026, 12, 16), actor_role="iro")
    assert [e.kind for e in log(seed1)][-2:] == ["not_satisfied", "cafcass_prompt"]


def test_satisfied_resolves(seed1):
    raise_at(seed1, D(2026, 12, 14))
    act(seed1, "responded", D(2026, 12, 15), actor_role="social_worker", outcome="agree")
    act(seed1, "satisfied", D(2026, 12, 16), actor_role="iro")
    s = state(seed1)
    assert (s.status, s.closed_on) == ("resolved", D(2026, 12, 16))
    with pytest.raises(AlertRefused, match="already resolved"):
        act(seed1, "escalated", D(2026, 12, 17), actor_role="iro", level="service_manager",
            gate="x")


def test_only_the_addressee_responds_and_needs_an_outcome(seed1):
    raise_at(seed1, D(2026, 12, 14), "service_manager", gate="HoS agreed")
    with pytest.raises(AlertRefused, match="waiting for Service Manager"):
        act(seed1, "responded", D(2026, 12, 15), actor_role="head_of_service", outcome="agree")
    with pytest.raises(AlertRefused, match="needs an outcome"):
        act(seed1, "responded", D(2026, 12, 15), actor_role="service_manager", outcome="maybe")


def test_not_satisfied_before_any_response_is_refused(seed1):
    raise_at(seed1, D(2026, 12, 14), "service_manager", gate="HoS agreed")
    with pytest.raises(AlertRefused, match="no response at Level 1: Service Manager yet"):
        act(seed1, "not_satisfied", D(2026, 12, 15), actor_role="iro")


def test_a_late_response_meets_the_alert_where_silence_took_it(seed1):
    raise_at(seed1, D(2026, 12, 14), "service_manager", gate="HoS agreed")
    with pytest.raises(AlertRefused, match="waiting for Head of Service"):
        act(seed1, "responded", D(2026, 12, 22), actor_role="service_manager", outcome="agree")
    # refused: nothing written, not even the escalation the attempt caught up on
    assert derived(seed1) == []
    act(seed1, "responded", D(2026, 12, 22), actor_role="head_of_service", outcome="agree")
    assert [e.kind for e in log(seed1)] == ["raised", "escalated", "responded"]


def test_events_must_come_in_date_order(seed1):
    raise_at(seed1, D(2026, 12, 14), "service_manager", gate="HoS agreed")
    act(seed1, "responded", D(2026, 12, 16), actor_role="service_manager", outcome="agree")
    with pytest.raises(AlertRefused, match="record events in date order"):
        act(seed1, "satisfied", D(2026, 12, 15), actor_role="iro")


# -- escalating and withdrawing by hand -----------------------------------------------------------


def test_escalate_by_hand_from_informal_needs_the_going_formal_gate(seed1):
    raise_at(seed1, D(2026, 12, 14))
    with pytest.raises(AlertRefused, match="Head of Service is consulted"):
        act(seed1, "escalated", D(2026, 12, 15), actor_role="iro", level="service_manager")
    act(seed1, "escalated", D(2026, 12, 15), actor_role="iro", level="service_manager",
        gate="HoS SARS agreed on 15 Dec")
    assert (state(seed1).level, state(seed1).formal_started) == (
        "service_manager", D(2026, 12, 15))


def test_escalate_must_go_up(seed1):
    raise_at(seed1, D(2026, 12, 14), "head_of_service", gate="HoS agreed")
    with pytest.raises(AlertRefused, match="is not above where the alert is now"):
        act(seed1, "escalated", D(2026, 12, 15), actor_role="iro", level="service_manager")


def test_withdraw_needs_a_reason(seed1):
    raise_at(seed1, D(2026, 12, 14))
    with pytest.raises(AlertRefused, match="Say why the alert is withdrawn"):
        act(seed1, "withdrawn", D(2026, 12, 15), actor_role="iro")
    act(seed1, "withdrawn", D(2026, 12, 15), actor_role="iro", note="Child moved authority.")
    assert state(seed1).status == "withdrawn"
    assert log(seed1)[-1].reason == "The alert was withdrawn: Child moved authority."


# -- more time -------------------------------------------------------------------------------------


def test_extension_agreed_moves_the_due_date_and_silence_follows_it(seed1):
    raise_at(seed1, D(2026, 12, 14), "service_manager", gate="HoS agreed")
    act(seed1, "extension_requested", D(2026, 12, 18), actor_role="service_manager",
        until=D(2027, 1, 6), note="Waiting for the placement panel.")
    assert state(seed1).extension_until == D(2027, 1, 6)
    act(seed1, "extension_agreed", D(2026, 12, 18), actor_role="iro")
    assert (state(seed1).due, state(seed1).extension_until) == (D(2027, 1, 6), None)
    sweep(seed1, D(2027, 1, 6))
    assert [d for d in derived(seed1) if d[1] == "escalated"] == []
    sweep(seed1, D(2027, 1, 7))
    assert derived(seed1)[0] == (D(2027, 1, 7), "escalated", "head_of_service", "2027-01-14")


def test_extension_refused_keeps_the_due_date(seed1):
    raise_at(seed1, D(2026, 12, 14), "service_manager", gate="HoS agreed")
    act(seed1, "extension_requested", D(2026, 12, 18), actor_role="service_manager",
        until=D(2027, 1, 6))
    act(seed1, "extension_refused", D(2026, 12, 18), actor_role="iro")
    assert (state(seed1).due, state(seed1).extension_until) == (D(2026, 12, 21), None)
    sweep(seed1, D(2026, 12, 22))
    assert derived(seed1)[0][:2] == (D(2026, 12, 22), "escalated")


def test_extension_rules(seed1):
    raise_at(seed1, D(2026, 12, 14), "service_manager", gate="HoS agreed")
    with pytest.raises(AlertRefused, match="no request for more time"):
        act(seed1, "extension_agreed", D(2026, 12, 15), actor_role="iro")
    with pytest.raises(AlertRefused, match="must be after 15 Dec 2026"):
        act(seed1, "extension_requested", D(2026, 12, 15), actor_role="service_manager",
            until=D(2026, 12, 15))
    with pytest.raises(AlertRefused, match="Only the IRO"):
        act(seed1, "extension_agreed", D(2026, 12, 15), actor_role="service_manager")


# -- the formal clock ---------------------------------------------------------------------------


def test_formal_clock_starts_when_the_alert_first_reaches_a_formal_level(tmp_path):
    store = new_store(tmp_path, "seed-003")
    raise_at(store, D(2026, 12, 1))
    act(store, "escalated", D(2026, 12, 14), actor_role="iro", level="team_manager",
        gate="Line manager agreed")
    s = state(store)
    assert (s.formal_started, s.formal_due, s.formal_at_risk_on) == (
        D(2026, 12, 14), D(2027, 1, 14), D(2027, 1, 12))
    act(store, "escalated", D(2026, 12, 16), actor_role="iro", level="service_manager")
    assert state(store).formal_started == D(2026, 12, 14)  # does not restart
    sweep(store, D(2027, 1, 12))
    assert (D(2027, 1, 12), "formal_at_risk", "", "") in derived(store)
    assert not state(store).breached_flagged
    sweep(store, D(2027, 1, 14))
    assert not state(store).breached_flagged  # on the cap date itself: not yet
    sweep(store, D(2027, 1, 15))
    assert state(store).breached_flagged


def test_a_resolved_alert_does_not_breach(seed1):
    raise_at(seed1, D(2026, 12, 14), "service_manager", gate="HoS agreed")
    act(seed1, "responded", D(2026, 12, 15), actor_role="service_manager", outcome="agree")
    act(seed1, "satisfied", D(2026, 12, 16), actor_role="iro")
    sweep(seed1, D(2027, 3, 1))
    assert derived(seed1) == []


# -- CAFCASS, legal advice, complaints ------------------------------------------------------------


def test_cafcass_referral_refused_until_the_head_of_service_is_told(seed1):
    raise_at(seed1, D(2026, 12, 14), "service_manager", gate="HoS agreed")
    with pytest.raises(AlertRefused, match="Record that the Head of Service was told first"):
        act(seed1, "cafcass_referral", D(2026, 12, 15), actor_role="iro")
    act(seed1, "hos_notified", D(2026, 12, 15), actor_role="iro", note="Reasons explained.")
    act(seed1, "cafcass_referral", D(2026, 12, 16), actor_role="iro")
    s = state(seed1)
    assert (s.cafcass_referred, s.level, s.awaiting) == (True, "service_manager",
                                                         "service_manager")


def test_cafcass_referral_without_a_gate_where_the_policy_has_none(tmp_path):
    store = new_store(tmp_path, "seed-003")
    raise_at(store, D(2026, 12, 14))
    act(store, "cafcass_referral", D(2026, 12, 15), actor_role="iro")
    assert state(store).cafcass_referred


def test_legal_advice_and_a_complaint_do_not_pause_the_ladder(seed1):
    raise_at(seed1, D(2026, 12, 14), "service_manager", gate="HoS agreed")
    act(seed1, "legal_advice", D(2026, 12, 15), actor_role="iro")
    act(seed1, "complaint", D(2026, 12, 16), actor_role="social_worker", note="By the child.")
    sweep(seed1, D(2026, 12, 22))
    assert derived(seed1)[0][:2] == (D(2026, 12, 22), "escalated")


def test_acknowledged_by_the_addressee(seed1):
    raise_at(seed1, D(2026, 12, 14), "service_manager", gate="HoS agreed")
    with pytest.raises(AlertRefused, match="waiting for Service Manager"):
        act(seed1, "acknowledged", D(2026, 12, 14), actor_role="team_manager")
    act(seed1, "acknowledged", D(2026, 12, 14), actor_role="service_manager")
    assert state(seed1).acknowledged


# -- raised within the policy's days of the review or conference ----------------------------------


def test_a_cp_concern_raised_late_after_the_conference_is_flagged(tmp_path):
    from tests.support import derived as derived_events

    store = new_store(tmp_path, "seed-002")
    # conference Thu 24 Dec 2026; 2 working days: 29 and 30 Dec. Raised 31 Dec: late.
    from rules.alert_transitions import Command
    from tests.support import raise_at as _raise
    from usecases.alerts import raise_alert

    _raise(store, D(2026, 12, 30), track="cp", ref="ON-TIME", child="C-CP")
    child_id = store.db.execute("SELECT id FROM children WHERE case_ref = 'C-CP'").fetchone()[0]
    cmd = Command(kind="raised", on=D(2026, 12, 31), actor_role="cp_chair", level="informal",
                  category=store.policy.track("cp").categories[0].id,
                  review_held_on=D(2026, 12, 24))
    raise_alert(store, child_id=child_id, child_ref="C-CP", track="cp", command=cmd, ref="LATE")
    assert derived_events(store, "LATE")[0][:2] == (D(2026, 12, 31), "raised_late")
    reason = log(store, "LATE")[1].reason
    assert reason == ("Raised on 31 Dec 2026, more than 2 working days after the conference of "
                      "24 Dec 2026: seed-002 asks for concerns to be raised within 2.")
    on_time = Command(kind="raised", on=D(2026, 12, 30), actor_role="cp_chair",
                      level="informal", category=cmd.category, review_held_on=D(2026, 12, 24))
    raise_alert(store, child_id=child_id, child_ref="C-CP", track="cp", command=on_time,
                ref="ONTIME2")
    assert [e.kind for e in log(store, "ONTIME2")] == ["raised"]


def test_complaint_details_are_kept(seed1):
    raise_at(seed1, D(2026, 12, 14))
    act(seed1, "complaint", D(2026, 12, 15), actor_role="iro",
        details={"complaint_by": "parent", "told_by_complaints_manager": True})
    event = log(seed1)[-1]
    assert event.data["complaint_by"] == "parent"
    assert event.reason == ("A complaint by a parent was noted (the dispute carries on); the "
                            "complaints manager told the reviewer.")
