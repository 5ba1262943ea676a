"""Deadline wording from working days: a Friday deadline seen at the weekend."""

from __future__ import annotations

import datetime as dt

import pytest

from rules.deadline_text import day_text, deadline
from rules.working_days import default_calendar

CAL = default_calendar()
FRI = dt.date(2026, 11, 27)


@pytest.mark.parametrize("as_of,expected", [
    (dt.date(2026, 11, 25), "due Fri 27 Nov 2026 (2 working days left)"
                            "; escalates Mon 30 Nov 2026 if there is no reply"),
    (dt.date(2026, 11, 26), "due Fri 27 Nov 2026 (1 working day left)"
                            "; escalates Mon 30 Nov 2026 if there is no reply"),
    (FRI, "due today, Fri 27 Nov 2026; escalates Mon 30 Nov 2026 if there is no reply"),
    (dt.date(2026, 11, 28), "overdue: was due Fri 27 Nov 2026"
                            "; escalates Mon 30 Nov 2026 if there is no reply"),
    (dt.date(2026, 11, 29), "overdue: was due Fri 27 Nov 2026"
                            "; escalates Mon 30 Nov 2026 if there is no reply"),
    (dt.date(2026, 11, 30), "overdue: was due Fri 27 Nov 2026 (1 working day late)"
                            "; escalates Mon 30 Nov 2026 if there is no reply"),
    (dt.date(2026, 12, 2), "overdue: was due Fri 27 Nov 2026 (3 working days late)"),
])
def test_a_friday_deadline_day_by_day(as_of, expected):
    d = deadline(FRI, as_of, CAL, "escalate")
    assert d.words() == expected
    assert d.overdue == (as_of > FRI)
    assert d.due_today == (as_of == FRI)


def test_bank_holidays_push_the_consequence_on():
    christmas_eve = dt.date(2026, 12, 24)  # Thursday; 25th and 28th (boxing day moved) off
    d = deadline(christmas_eve, christmas_eve, CAL, "prompt")
    assert d.consequence_on == dt.date(2026, 12, 29)
    assert d.words().endswith("asked to decide the next step on Tue 29 Dec 2026 if there "
                              "is no reply")


def test_without_a_silence_rule_only_the_date_is_said():
    assert deadline(FRI, FRI, CAL).words() == "due today, Fri 27 Nov 2026"
    assert day_text(FRI) == "Fri 27 Nov 2026"
