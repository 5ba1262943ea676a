"""The sweep over everything time drives: alerts' ladders, review decisions' replies,
permanence referrals, concerns about an IRO's practice, the follow-ups of resolved alerts'
impact, and the monthly digests."""

from __future__ import annotations

import datetime as dt

from usecases.alerts import OnCommitted
from usecases.alerts import sweep as sweep_alerts
from usecases.digests import send_monthly_digests
from usecases.impact import sweep_follow_ups
from usecases.permanence import sweep_permanence
from usecases.policy_versions import refresh_policy_in_force
from usecases.practice_concerns import sweep_concerns
from usecases.reviews import sweep_reviews
from usecases.store import Store


def sweep_all(store: Store, as_of: dt.date,
              on_committed: OnCommitted | None = None) -> list[dict]:
    """Every derived event up to ``as_of``: alerts, reviews, permanence, concerns, the
    impact follow-ups, digests.

    Idempotent: each sweep's events and messages carry dedupe keys. First the version of
    the policy in force on ``as_of`` is recorded as the store's (a version adopted ahead of
    its date comes into force on the first sweep on or after it); each alert still runs
    under the version it started under.

    ``on_committed`` is given events as soon as they are committed, so that what a sweep
    has written is known even if it is stopped before the end: every sweep (alerts,
    reviews, permanence, concerns, digests) commits in short batches and reports each
    batch as it commits.
    The list returned is all of them, in the same order."""
    store = refresh_policy_in_force(store, as_of)
    return [*sweep_alerts(store, as_of, on_committed=on_committed),
            *sweep_reviews(store, as_of, on_committed=on_committed),
            *sweep_permanence(store, as_of, on_committed=on_committed),
            *sweep_concerns(store, as_of, on_committed=on_committed),
            *sweep_follow_ups(store, as_of, on_committed=on_committed),
            *send_monthly_digests(store, as_of, on_committed=on_committed)]
