"""The sweep over everything time drives: alerts' ladders and review decisions' replies."""

from __future__ import annotations

import datetime as dt

from usecases.alerts import sweep as sweep_alerts
from usecases.reviews import sweep_reviews
from usecases.store import Store


def sweep_all(store: Store, as_of: dt.date) -> list[dict]:
    """Every derived event up to ``as_of``: alerts first, then reviews. Idempotent."""
    return [*sweep_alerts(store, as_of), *sweep_reviews(store, as_of)]
