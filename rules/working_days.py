"""Working days as the procedures count them.

A working day is Monday to Friday, not an England and Wales bank holiday and not one of
the authority's local closure days. "Within N working days of D" is due on the Nth working
day after D (D itself never counts, working day or not); N = 0 ("the same day") is D, or
the next working day when D is not one.

numpy's business-day functions count many dates at once (the vectorised form, about
twenty times faster than a Python loop). One date at a time, a numpy call costs more than
the arithmetic, so single dates use a sorted list of every working day's ordinal and a
binary search: the same answers (the tests check one against the other) in a microsecond.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from functools import lru_cache

import holidays
import numpy as np

#: Years the calendar covers. The ``holidays`` package knows 1872-2100; a wider window than
#: any child's record needs costs a few milliseconds once per process.
FIRST_YEAR = 1970
LAST_YEAR = 2100


class OutsideCalendar(ValueError):
    """A date the calendar cannot count from: the bank-holiday list does not reach it."""


@lru_cache(maxsize=1)
def bank_holidays() -> tuple[dt.date, ...]:
    """England and Wales bank holidays, substitute days included, for the whole window."""
    years = range(FIRST_YEAR, LAST_YEAR + 1)
    days = holidays.country_holidays("GB", subdiv="ENG", years=years)
    return tuple(sorted(days.keys()))


class WorkingCalendar:
    """Counts working days for one authority: bank holidays plus its own closure days."""

    def __init__(self, closure_days: Iterable[dt.date] = ()) -> None:
        self.closure_days: tuple[dt.date, ...] = tuple(sorted(set(closure_days)))
        non_working = sorted(set(bank_holidays()) | set(self.closure_days))
        self._busdays = np.busdaycalendar(
            weekmask="1111100", holidays=np.array(non_working, dtype="datetime64[D]")
        )
        every_day = np.arange(
            np.datetime64(f"{FIRST_YEAR}-01-01"), np.datetime64(f"{LAST_YEAR + 1}-01-01")
        )
        working = every_day[np.is_busday(every_day, busdaycal=self._busdays)]
        # ordinals of every working day in the window, ascending
        self._ordinals: list[int] = (
            working.astype("int64") + dt.date(1970, 1, 1).toordinal()
        ).tolist()
        self._ordinal_set = frozenset(self._ordinals)

    @property
    def numpy_calendar(self) -> np.busdaycalendar:
        """For counting many spans at once with ``np.busday_count``."""
        return self._busdays

    # -- one date at a time -------------------------------------------------------------

    def is_working_day(self, day: dt.date) -> bool:
        _check_in_range(day)
        return day.toordinal() in self._ordinal_set

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The due date of something that must happen "within n working days of start"."""
        if n < 0:
            raise ValueError(f"A number of working days cannot be negative (got {n}).")
        _check_in_range(start)
        ordinal = start.toordinal()
        if n == 0:
            index = bisect_left(self._ordinals, ordinal)  # start itself, or the next one
        else:
            index = bisect_right(self._ordinals, ordinal) + n - 1  # start never counts
        if index >= len(self._ordinals):
            raise OutsideCalendar(
                f"{n} working days after {uk_date_text(start)} is past the calendar's end."
            )
        return dt.date.fromordinal(self._ordinals[index])

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days after ``a`` up to and including ``b``; negative when ``b`` is earlier.

        The inverse of :meth:`add_working_days`: for n >= 1,
        ``working_days_between(d, add_working_days(d, n)) == n``.
        """
        _check_in_range(a)
        _check_in_range(b)
        return bisect_right(self._ordinals, b.toordinal()) - bisect_right(
            self._ordinals, a.toordinal()
        )

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day after ``day`` (when silence turns into an escalation)."""
        return self.add_working_days(day, 1)

    # -- many dates at once --------------------------------------------------------------

    def add_working_days_many(self, starts: np.ndarray, ns: np.ndarray | int) -> np.ndarray:
        """Vectorised :meth:`add_working_days` over ``datetime64[D]`` starts."""
        starts = np.asarray(starts, dtype="datetime64[D]")
        ns = np.broadcast_to(np.asarray(ns, dtype=np.int64), starts.shape)
        if (ns < 0).any():
            raise ValueError("A number of working days cannot be negative.")
        return self._offset(starts, ns)

    def _offset(self, starts: np.ndarray, ns: np.ndarray) -> np.ndarray:
        # For n >= 1, rolling a non-working start *back* to the last working day before it
        # and then adding n lands on the nth working day after the start: there are no
        # working days in between. For n == 0 the start rolls *forward* ("the same day, or
        # the next working day").
        later = np.busday_offset(starts, ns, roll="backward", busdaycal=self._busdays)
        same_day = np.busday_offset(starts, 0, roll="forward", busdaycal=self._busdays)
        return np.where(ns == 0, same_day, later)


def uk_date_text(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def _check_in_range(day: dt.date) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR - 1:
        raise OutsideCalendar(
            f"{uk_date_text(day)} is outside the years this calendar counts "
            f"({FIRST_YEAR} to {LAST_YEAR - 1})."
        )


@lru_cache(maxsize=1)
def default_calendar() -> WorkingCalendar:
    """Bank holidays only, for code with no authority's policy in hand."""
    return WorkingCalendar()


@lru_cache(maxsize=32)
def calendar_for(closure_days: tuple[dt.date, ...]) -> WorkingCalendar:
    """One shared calendar per set of closure days: building one costs a few milliseconds."""
    return WorkingCalendar(closure_days)


def is_working_day(day: dt.date) -> bool:
    return default_calendar().is_working_day(day)


def add_working_days(start: dt.date, n: int) -> dt.date:
    return default_calendar().add_working_days(start, n)


def working_days_between(a: dt.date, b: dt.date) -> int:
    return default_calendar().working_days_between(a, b)


def add_working_days_many(starts: np.ndarray, ns: np.ndarray | int) -> np.ndarray:
    return default_calendar().add_working_days_many(starts, ns)
