"""One history walked end to end under every seed policy, across Christmas and New Year.

Raised straight at level 1 (a bypass, with the gate recorded) on Wed 16 Dec 2026; the
level 1 manager answers; the IRO is not satisfied; level 2 asks for more time (agreed),
then for more again (refused); silence; the 20-working-day cap. Every date below was
counted by hand from the calendar.
"""

from __future__ import annotations

import pytest

from tests.support import D, act, derived, new_store, raise_at, state
from usecases.alerts import sweep

LADDERS = {
    # seed: (level 1 role, level 2 role, does "not satisfied" escalate by itself?)
    "seed-000": ("service_manager", "service_director", False),
    "seed-001": ("service_manager", "head_of_service", True),
    "seed-002": ("team_manager", "head_of_service", False),
    "seed-003": ("team_manager", "service_manager", False),
    "seed-004": ("operations_manager", "service_manager", False),
}

AFTER_SILENCE = {
    # seed-001 escalates on silence: Divisional Director (5 days), then the Director.
    "seed-001": [
        (D(2027, 1, 7), "escalated", "divisional_director", "2027-01-14"),
        (D(2027, 1, 14), "formal_at_risk", "", ""),
        (D(2027, 1, 15), "escalated", "director", "2027-01-22"),
        (D(2027, 1, 19), "formal_breached", "", ""),
    ],
    # seed-002 escalates too, and its Divisional Director has only 3 working days.
    "seed-002": [
        (D(2027, 1, 7), "escalated", "divisional_director", "2027-01-12"),
        (D(2027, 1, 13), "escalated", "deputy_chief_executive", "2027-01-20"),
        (D(2027, 1, 14), "formal_at_risk", "", ""),
        (D(2027, 1, 19), "formal_breached", "", ""),
    ],
}


def _prompted(level2: str) -> list[tuple]:
    return [
        (D(2027, 1, 7), "overdue", level2, "2027-01-06"),
        (D(2027, 1, 14), "formal_at_risk", "", ""),
        (D(2027, 1, 19), "formal_breached", "", ""),
    ]


@pytest.mark.parametrize("seed", sorted(LADDERS))
def test_walk_through_the_ladder(tmp_path, seed):
    level1, level2, escalates = LADDERS[seed]
    store = new_store(tmp_path, seed)

    raise_at(store, D(2026, 12, 16), level1, gate="Agreed with my line manager on 16 Dec")
    s = state(store)
    assert (s.level, s.due, s.formal_due, s.formal_at_risk_on) == (
        level1, D(2026, 12, 23), D(2027, 1, 18), D(2027, 1, 14))

    act(store, "responded", D(2026, 12, 18), actor_role=level1, outcome="uphold")
    act(store, "not_satisfied", D(2026, 12, 21), actor_role="iro")
    if escalates:
        assert derived(store) == [(D(2026, 12, 21), "escalated", level2, "2026-12-30")]
    else:
        assert (state(store).level, state(store).awaiting) == (level1, "iro")
        act(store, "escalated", D(2026, 12, 21), actor_role="iro", level=level2)
    assert (state(store).level, state(store).due) == (level2, D(2026, 12, 30))

    act(store, "extension_requested", D(2026, 12, 23), actor_role=level2,
        until=D(2027, 1, 6), note="Waiting for the legal planning meeting.")
    act(store, "extension_agreed", D(2026, 12, 24), actor_role="iro")
    assert state(store).due == D(2027, 1, 6)
    act(store, "extension_requested", D(2027, 1, 5), actor_role=level2, until=D(2027, 1, 13))
    act(store, "extension_refused", D(2027, 1, 5), actor_role="iro")
    assert state(store).due == D(2027, 1, 6)

    assert sweep(store, D(2027, 1, 6)) == []  # nothing is overdue on its due date
    sweep(store, D(2027, 1, 20))
    later = [d for d in derived(store) if d[0] > D(2026, 12, 21)]
    assert later == AFTER_SILENCE.get(seed, _prompted(level2))
