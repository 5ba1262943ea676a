"""The working-day calendar: the dates the procedures' deadlines hang on."""

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.working_days import (
    OutsideCalendar,
    WorkingCalendar,
    add_working_days,
    add_working_days_many,
    is_working_day,
    working_days_between,
)

GOVUK_CSV = Path(__file__).parent / "data" / "govuk-bank-holidays-england-and-wales.csv"
D = dt.date


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (D(2026, 12, 24), 1, D(2026, 12, 29)),  # Christmas, weekend, Boxing Day substitute
        (D(2026, 12, 14), 5, D(2026, 12, 21)),
        (D(2026, 12, 14), 20, D(2027, 1, 14)),  # the 20-day cap across Christmas and New Year
        (D(2022, 9, 16), 1, D(2022, 9, 20)),  # the Queen's funeral, 19 Sep 2022
        (D(2026, 12, 26), 0, D(2026, 12, 29)),  # "the same day" on a non-working day
        (D(2026, 12, 23), 0, D(2026, 12, 23)),  # "the same day" on a working day
        (D(2026, 11, 21), 1, D(2026, 11, 23)),  # a Saturday does not count itself
        (D(2026, 11, 20), 1, D(2026, 11, 23)),  # Friday to Monday
        (D(2027, 3, 25), 1, D(2027, 3, 30)),  # Good Friday 26 Mar, Easter Monday 29 Mar 2027
        (D(2026, 4, 2), 2, D(2026, 4, 8)),  # Easter 2026: Good Friday 3 Apr, Monday 6 Apr
        (D(2026, 5, 22), 1, D(2026, 5, 26)),  # Spring bank holiday 25 May 2026
    ],
)
def test_add_working_days_examples(start, n, due):
    assert add_working_days(start, n) == due


def _govuk_holidays() -> set[dt.date]:
    with GOVUK_CSV.open(newline="") as f:
        return {dt.date.fromisoformat(row["date"]) for row in csv.DictReader(f)}


def test_bank_holidays_match_govuk_list_2012_to_2021():
    published = _govuk_holidays()
    assert len(published) > 80
    day = D(2012, 1, 1)
    mismatches = []
    while day <= D(2021, 12, 31):
        weekday = day.weekday() < 5
        expected = weekday and day not in published
        if is_working_day(day) != expected:
            mismatches.append(day)
        day += dt.timedelta(days=1)
    assert mismatches == []


def test_govuk_list_holds_the_special_days():
    published = _govuk_holidays()
    # Diamond Jubilee 2012, VE Day moved in 2020: the calendar must know both.
    for special in (D(2012, 6, 5), D(2020, 5, 8)):
        assert special in published
        assert not is_working_day(special)
    assert is_working_day(D(2020, 5, 4))  # the early May bank holiday that moved


def test_working_days_between_counts_after_start_up_to_end():
    assert working_days_between(D(2026, 12, 14), D(2026, 12, 21)) == 5
    assert working_days_between(D(2026, 12, 21), D(2026, 12, 14)) == -5
    assert working_days_between(D(2026, 12, 24), D(2026, 12, 28)) == 0
    assert working_days_between(D(2026, 12, 24), D(2026, 12, 24)) == 0


@given(
    start=st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 12, 31)),
    n=st.integers(min_value=1, max_value=400),
)
def test_adding_then_counting_round_trips(start, n):
    due = add_working_days(start, n)
    assert is_working_day(due)
    assert due > start
    assert working_days_between(start, due) == n


@given(start=st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 12, 31)))
def test_same_day_is_start_or_next_working_day(start):
    due = add_working_days(start, 0)
    assert is_working_day(due)
    if is_working_day(start):
        assert due == start
    else:
        assert due == add_working_days(start, 1)


def test_vectorised_form_agrees_with_one_at_a_time():
    rng = np.random.default_rng(20261222)
    starts = np.datetime64("2012-01-01") + rng.integers(0, 365 * 20, size=2000)
    ns = rng.integers(0, 25, size=2000)
    many = add_working_days_many(starts, ns)
    one_by_one = [
        add_working_days(s.astype(dt.date), int(n)) for s, n in zip(starts, ns, strict=True)
    ]
    assert [d.astype(dt.date) for d in many] == one_by_one


def test_local_closure_days_are_not_working_days():
    closure = D(2026, 12, 30)
    cal = WorkingCalendar(closure_days=[closure])
    assert not cal.is_working_day(closure)
    assert cal.add_working_days(D(2026, 12, 24), 2) == D(2026, 12, 31)
    assert add_working_days(D(2026, 12, 24), 2) == D(2026, 12, 30)


def test_negative_days_and_dates_outside_the_calendar_are_refused():
    with pytest.raises(ValueError, match="cannot be negative"):
        add_working_days(D(2026, 1, 5), -1)
    with pytest.raises(OutsideCalendar, match="outside the years"):
        add_working_days(D(1900, 1, 1), 1)


def test_one_at_a_time_and_numpy_agree_on_counting_too():
    from rules.working_days import default_calendar

    cal = default_calendar()
    rng = np.random.default_rng(7)
    a = np.datetime64("2012-01-01") + rng.integers(0, 365 * 20, size=500)
    b = a + rng.integers(-60, 60, size=500)
    for x, y in zip(a, b, strict=True):
        x1, y1 = x.astype(dt.date), y.astype(dt.date)
        one = np.timedelta64(1, "D")
        if y1 >= x1:
            expected = int(np.busday_count(x + one, y + one, busdaycal=cal._busdays))
        else:
            expected = -int(np.busday_count(y + one, x + one, busdaycal=cal._busdays))
        assert working_days_between(x1, y1) == expected
