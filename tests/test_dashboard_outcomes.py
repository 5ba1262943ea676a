"""The one definition of on time, overdue, breached and resolved (``db.outcomes``): its
Python and its SQL say the same thing, day by day around the boundaries."""

from __future__ import annotations

import datetime as dt
import itertools
import sqlite3

import pytest

from db import outcomes

D = dt.date
FRIDAY = D(2026, 10, 30)  # a formal limit, or a due date
DAYS = [None, FRIDAY - dt.timedelta(days=1), FRIDAY, FRIDAY + dt.timedelta(days=1),
        FRIDAY + dt.timedelta(days=3)]


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


@pytest.fixture
def sql():
    connection = sqlite3.connect(":memory:")

    def ask(expression: str, **values) -> bool:
        # the columns as the store holds them: ISO text, or NULL
        names = ", ".join(f"? AS {name}" for name in values)
        row = connection.execute(f"SELECT {expression} FROM (SELECT {names})",
                                 [_iso(v) if isinstance(v, dt.date) else v
                                  for v in values.values()]).fetchone()
        return bool(row[0])

    yield ask
    connection.close()


def test_the_words_by_hand():
    saturday = FRIDAY + dt.timedelta(days=1)
    # a response on the due date is on time; the day after is not, even a Saturday
    assert outcomes.on_time(FRIDAY, FRIDAY) and not outcomes.on_time(saturday, FRIDAY)
    assert not outcomes.on_time(FRIDAY, None)
    # nothing is overdue on its due date; it is from the next day
    assert not outcomes.overdue(FRIDAY, FRIDAY) and outcomes.overdue(FRIDAY, saturday)
    # closed on the limit: within it; closed the Saturday after: over it
    assert not outcomes.breached(FRIDAY, FRIDAY, saturday)
    assert outcomes.breached(FRIDAY, saturday, saturday)
    # still open: over it from the day after
    assert not outcomes.breached(FRIDAY, None, FRIDAY)
    assert outcomes.breached(FRIDAY, None, saturday)
    assert outcomes.breached_on(FRIDAY) == saturday
    # closed after as_of: as things stood on as_of, still open
    assert not outcomes.breached(FRIDAY, saturday, FRIDAY)
    assert not outcomes.resolved("resolved", saturday, FRIDAY)
    assert outcomes.resolved("resolved", FRIDAY, FRIDAY)
    assert not outcomes.resolved("withdrawn", FRIDAY, FRIDAY)


@pytest.mark.parametrize("recorded, due", list(itertools.product(DAYS[1:], DAYS)))
def test_on_time_in_sql_is_on_time_in_python(sql, recorded, due):
    assert sql(outcomes.on_time_sql("recorded", "due"), recorded=recorded, due=due) is \
        outcomes.on_time(recorded, due)
    if due is None:  # the store may hold an empty text for "no due date"
        assert not sql(outcomes.on_time_sql("recorded", "due"), recorded=recorded, due="")


@pytest.mark.parametrize("due, as_of", list(itertools.product(DAYS, DAYS[1:])))
def test_overdue_in_sql_is_overdue_in_python(sql, due, as_of):
    assert sql(outcomes.overdue_sql("due", as_of), due=due) is outcomes.overdue(due, as_of)


@pytest.mark.parametrize("formal_due, closed_on, as_of",
                         list(itertools.product(DAYS, DAYS, DAYS[1:])))
def test_breached_and_resolved_in_sql_are_the_same_in_python(sql, formal_due, closed_on, as_of):
    assert sql(outcomes.breached_sql("formal_due", "closed_on", as_of),
               formal_due=formal_due, closed_on=closed_on) is \
        outcomes.breached(formal_due, closed_on, as_of)
    for status in ("open", "resolved", "withdrawn"):
        assert sql(outcomes.resolved_sql("status", "closed_on", as_of), status=status,
                   closed_on=closed_on) is outcomes.resolved(status, closed_on, as_of)
    if formal_due is not None:
        assert sql(f"{outcomes.breached_on_sql('formal_due')} = '"
                   f"{outcomes.breached_on(formal_due).isoformat()}'", formal_due=formal_due)


def test_as_of_must_be_a_date():
    with pytest.raises(TypeError):
        outcomes.breached_sql("formal_due", "closed_on", "2026-10-30; DROP TABLE alerts")
