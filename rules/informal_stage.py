"""How long an informal stage may last: the policy's cap on the date agreed for it.

A reviewer who starts an alert informally agrees a response date with the social worker and
team manager. The policy's ``informal.response_days`` is the default; ``informal.max_days``
(seed-001: "never more than 10 working days") is the latest that may be agreed. Pure: the
calendar and policy come in, a date or a sentence goes out.
"""

from __future__ import annotations

import datetime as dt

from rules.dates import uk_date, working_days_phrase
from rules.policy import Track
from rules.working_days import WorkingCalendar


def latest_informal_date(track: Track, calendar: WorkingCalendar, on: dt.date) -> dt.date | None:
    """The latest response date an informal stage raised on ``on`` may be agreed for:
    ``max_days`` working days after ``on``, or None when the policy sets no cap."""
    longest = track.informal.max_days
    if longest is None:
        return None
    return calendar.add_working_days(on, longest)


def informal_date_problem(track: Track, calendar: WorkingCalendar, on: dt.date,
                          agreed: dt.date) -> str:
    """Why ``agreed`` cannot be the informal stage's response date ("" when it can): it is
    after the latest date the policy allows."""
    latest = latest_informal_date(track, calendar, on)
    if latest is None or agreed <= latest:
        return ""
    assert track.informal.max_days is not None
    return (f"The response date agreed can be no later than {uk_date(latest)}: the "
            f"{track.informal.label.lower()} lasts at most "
            f"{working_days_phrase(track.informal.max_days)}. Choose {uk_date(latest)} or "
            "an earlier date, or start the alert at a formal level.")
