"""Dates typed into the forms: read the British way, and an impossible one refused, never
moved to another day (Streamlit's date input turned 31/02/2026 into 28/02/2026); and the
informal stage's agreed date capped by the policy."""

from __future__ import annotations

import datetime as dt

import pytest

from rules.informal_stage import informal_date_problem, latest_informal_date
from rules.policy import load_preset
from rules.working_days import default_calendar
from ui.date_text import NotADate, read_date

MONDAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize("text", [
    "21/12/2026", "21/12/2026 ", " 21 / 12 / 2026", "21-12-2026", "21.12.2026", "21 12 2026",
    "21122026", "21 Dec 2026", "21 dec 2026", "21 December 2026", "21st December 2026",
    "21 Dec. 2026", "21 Dec, 2026", "2026-12-21",
])
def test_a_date_written_the_british_way_is_read(text):
    assert read_date(text) == dt.date(2026, 12, 21)


def test_nothing_typed_is_no_date():
    assert read_date("") is None
    assert read_date("   ") is None
    assert read_date(None) is None


@pytest.mark.parametrize(("text", "says"), [
    ("31/02/2026", "There is no 31 February 2026: February 2026 has 28 days."),
    ("29/02/2026", "There is no 29 February 2026: February 2026 has 28 days."),
    ("31/04/2026", "There is no 31 April 2026: April 2026 has 30 days."),
    ("31 Sep 2026", "There is no 31 September 2026: September 2026 has 30 days."),
    ("2026-02-30", "There is no 30 February 2026: February 2026 has 28 days."),
    ("30022026", "There is no 30 February 2026"),
    ("32/01/2026", "There is no day 32 in a month"),
    ("00/01/2026", "There is no day 0 in a month"),
    ("12/13/2026", "There is no month 13"),
    ("12/0/2026", "There is no month 0"),
    ("1/2/26", "Write the year in full, with four digits."),
    ("1/2/1850", "The year must be between 1900 and 2100."),
    ("21 Decembre 2026", "The month is not one this form knows."),
    ("next Tuesday", "Enter the date as day/month/year, for example 21/12/2026."),
    ("21/12", "Enter the date as day/month/year"),
    ("21/12-2026", "Enter the date as day/month/year"),
])
def test_an_impossible_or_unreadable_date_is_refused_in_plain_words(text, says):
    with pytest.raises(NotADate) as refused:
        read_date(text)
    assert str(refused.value).startswith(says)


def test_a_leap_day_is_a_real_date_in_a_leap_year():
    assert read_date("29/02/2028") == dt.date(2028, 2, 29)


def test_the_message_never_repeats_what_was_typed():
    # (it is shown as Markdown beside the field: only the app's own words go in it)
    with pytest.raises(NotADate) as refused:
        read_date("**31**/02/2026 <img src=x>")
    assert "**" not in str(refused.value) and "<img" not in str(refused.value)


def test_the_informal_stage_is_capped_at_the_policys_maximum():
    track = load_preset("seed-001").track("iro")  # informal: 3 working days, never over 10
    calendar = default_calendar()
    latest = latest_informal_date(track, calendar, MONDAY)
    assert latest == dt.date(2026, 12, 7)  # 10 working days after Monday 23 Nov 2026
    assert informal_date_problem(track, calendar, MONDAY, latest) == ""
    assert informal_date_problem(track, calendar, MONDAY, dt.date(2026, 11, 26)) == ""
    far = calendar.add_working_days(MONDAY, 125)
    said = informal_date_problem(track, calendar, MONDAY, far)
    assert said.startswith("The response date agreed can be no later than 7 Dec 2026: the "
                           "informal stage lasts at most 10 working days.")
    assert informal_date_problem(track, calendar, MONDAY, dt.date(2026, 12, 8)) == said


def test_a_policy_without_a_maximum_caps_nothing():
    track = load_preset("seed-002").track("iro")  # max_days: null
    calendar = default_calendar()
    assert latest_informal_date(track, calendar, MONDAY) is None
    assert informal_date_problem(track, calendar, MONDAY, dt.date(2027, 6, 1)) == ""
