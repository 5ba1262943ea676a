"""Silence at every level of every seed's ladder, walked across Christmas and Easter.

Expected dates are counted by hand from the calendar, not computed by the code under test.
"""

from __future__ import annotations

from tests.support import D, act, derived, new_store, raise_at, state
from usecases.alerts import sweep


def test_seed_001_silence_escalates_up_the_ladder_over_christmas(tmp_path):
    store = new_store(tmp_path, "seed-001")
    # Monday 14 Dec 2026, straight at level 1 after the Head of Service for SARS agreed.
    raise_at(store, D(2026, 12, 14), "service_manager", gate="Agreed with HoS SARS 14/12")
    assert state(store).due == D(2026, 12, 21)
    sweep(store, D(2027, 2, 1))
    assert derived(store) == [
        # due Mon 21 Dec; silence counts from Tue 22 Dec
        (D(2026, 12, 22), "escalated", "head_of_service", "2026-12-31"),
        # due Thu 31 Dec; 1 Jan is a bank holiday, then a weekend: Mon 4 Jan
        (D(2027, 1, 4), "escalated", "divisional_director", "2027-01-11"),
        (D(2027, 1, 12), "escalated", "director", "2027-01-19"),
        (D(2027, 1, 12), "formal_at_risk", "", ""),
        (D(2027, 1, 15), "formal_breached", "", ""),
        # the top: nowhere to go, overdue, and the IRO is prompted to consider CAFCASS
        (D(2027, 1, 20), "overdue", "director", "2027-01-19"),
        (D(2027, 1, 20), "cafcass_prompt", "director", ""),
    ]
    s = state(store)
    assert (s.level, s.awaiting, s.due, s.formal_due) == (
        "director", "director", D(2027, 1, 19), D(2027, 1, 14))


def test_seed_001_reason_names_rule_policy_and_level(tmp_path):
    store = new_store(tmp_path, "seed-001")
    raise_at(store, D(2026, 12, 14), "service_manager", gate="HoS SARS agreed")
    sweep(store, D(2027, 1, 5))
    from tests.support import log

    second = [e for e in log(store) if e.rule == "silence_escalates"][1]
    assert second.reason == (
        "No response from Head of Service by 31 Dec 2026; escalated to Divisional Director "
        "under seed-001 level 3; response due by 11 Jan 2027."
    )
    assert (second.policy_id, second.policy_version, second.actor_role) == (
        "seed-001", 1, "system")


def test_seed_002_silence_escalates_and_names_the_stage_4_gate(tmp_path):
    store = new_store(tmp_path, "seed-002")
    # Christmas Eve, bypassing informal after talking to the line manager.
    raise_at(store, D(2026, 12, 24), "team_manager", gate="Line manager agreed")
    sweep(store, D(2027, 2, 15))
    assert derived(store) == [
        (D(2027, 1, 6), "escalated", "head_of_service", "2027-01-13"),
        (D(2027, 1, 14), "escalated", "divisional_director", "2027-01-19"),  # 3 days here
        (D(2027, 1, 20), "escalated", "deputy_chief_executive", "2027-01-27"),
        (D(2027, 1, 22), "formal_at_risk", "", ""),
        (D(2027, 1, 27), "formal_breached", "", ""),
        (D(2027, 1, 28), "overdue", "deputy_chief_executive", "2027-01-27"),
        (D(2027, 1, 28), "cafcass_prompt", "deputy_chief_executive", ""),
    ]
    from tests.support import log

    to_dd = next(e for e in log(store) if e.data.get("level") == "divisional_director")
    assert "Deputy Head of Service or Head of Service is consulted" in to_dd.reason


def test_seed_002_child_protection_stops_before_the_exceptional_level_over_easter(tmp_path):
    store = new_store(tmp_path, "seed-002")
    # Easter Monday 29 Mar 2027 is a bank holiday: the count starts the day after.
    raise_at(store, D(2027, 3, 29), "team_manager", track="cp", child="C-CP")
    assert state(store).due == D(2027, 4, 12)  # 10 working days for the team manager
    sweep(store, D(2027, 6, 1))
    assert derived(store) == [
        (D(2027, 4, 13), "escalated", "deputy_head_of_service", "2027-04-20"),
        (D(2027, 4, 21), "escalated", "head_of_service", "2027-04-28"),
        (D(2027, 4, 22), "formal_at_risk", "", ""),
        (D(2027, 4, 27), "formal_breached", "", ""),
        # Level 6 is for exceptional circumstances: silence prompts the chair instead;
        # CAFCASS referrals are for looked-after children, so no CAFCASS prompt here.
        (D(2027, 4, 29), "overdue", "head_of_service", "2027-04-28"),
    ]
    assert state(store).level == "head_of_service"


def test_seed_002_the_chair_can_take_it_to_the_exceptional_level_by_hand(tmp_path):
    store = new_store(tmp_path, "seed-002")
    raise_at(store, D(2027, 3, 29), "head_of_service", track="cp", child="C-CP")
    act(store, "escalated", D(2027, 4, 1), actor_role="cp_chair", level="divisional_director")
    assert (state(store).level, state(store).due) == ("divisional_director", D(2027, 4, 8))


def test_seed_000_silence_prompts_the_iro_at_each_level_who_escalates_by_hand(tmp_path):
    store = new_store(tmp_path, "seed-000")
    raise_at(store, D(2026, 12, 17), "service_manager")
    assert state(store).due == D(2026, 12, 24)
    sweep(store, D(2027, 1, 8))
    # Christmas Day, the Boxing Day substitute (Mon 28 Dec): silence counts from Tue 29 Dec.
    assert derived(store)[:1] == [(D(2026, 12, 29), "overdue", "service_manager", "2026-12-24")]
    s = state(store)
    assert (s.level, s.overdue_flagged) == ("service_manager", True)
    act(store, "escalated", D(2027, 1, 8), actor_role="iro", level="service_director")
    assert state(store).due == D(2027, 1, 15)
    sweep(store, D(2027, 1, 20))
    assert (D(2027, 1, 18), "overdue", "service_director", "2027-01-15") in derived(store)
    act(store, "escalated", D(2027, 1, 20), actor_role="iro", level="executive_director")
    act(store, "escalated", D(2027, 1, 21), actor_role="iro", level="chief_executive")
    sweep(store, D(2027, 2, 10))
    assert derived(store)[-2:] == [
        (D(2027, 1, 29), "overdue", "chief_executive", "2027-01-28"),
        (D(2027, 1, 29), "cafcass_prompt", "chief_executive", ""),
    ]


def test_seed_003_informal_silence_uses_the_agreed_date_and_never_escalates(tmp_path):
    store = new_store(tmp_path, "seed-003")
    raise_at(store, D(2027, 3, 24), until=D(2027, 3, 26))  # agreed for Good Friday
    assert state(store).due == D(2027, 3, 26)
    sweep(store, D(2027, 5, 1))
    assert derived(store) == [(D(2027, 3, 30), "overdue", "informal", "2027-03-26")]
    assert state(store).level == "informal"


def test_seed_003_informal_without_a_date_takes_the_policy_timescale(tmp_path):
    store = new_store(tmp_path, "seed-003")
    raise_at(store, D(2026, 12, 21))
    assert state(store).due == D(2026, 12, 30)  # 5 working days over Christmas


def test_seed_004_silence_at_each_stage_prompts(tmp_path):
    store = new_store(tmp_path, "seed-004")
    raise_at(store, D(2026, 8, 27), "operations_manager", gate="Agreed with my line manager")
    # Summer bank holiday Mon 31 Aug 2026: 5 working days is Fri 4 Sep.
    assert state(store).due == D(2026, 9, 4)
    sweep(store, D(2026, 9, 30))
    assert derived(store) == [
        (D(2026, 9, 7), "overdue", "operations_manager", "2026-09-04"),
        (D(2026, 9, 23), "formal_at_risk", "", ""),  # formal due Fri 25 Sep 2026
        (D(2026, 9, 28), "formal_breached", "", ""),
    ]
    act(store, "escalated", D(2026, 9, 30), actor_role="iro", level="service_manager")
    act(store, "escalated", D(2026, 10, 8), actor_role="iro", level="head_of_service")
    sweep(store, D(2026, 10, 30))
    assert [d[:3] for d in derived(store)[-2:]] == [
        (D(2026, 10, 16), "overdue", "head_of_service"),
        (D(2026, 10, 16), "cafcass_prompt", "head_of_service"),
    ]


def test_nothing_is_overdue_on_its_due_date(tmp_path):
    store = new_store(tmp_path, "seed-001")
    raise_at(store, D(2026, 12, 14), "service_manager", gate="HoS agreed")
    assert sweep(store, D(2026, 12, 21)) == []
    assert state(store).level == "service_manager"
    assert len(sweep(store, D(2026, 12, 22))) == 1
