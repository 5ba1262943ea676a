"""The one definition of *on time*, *overdue*, *breached* and *resolved*.

The export (``usecases.export_alerts``), the dashboard (``db.dashboard``'s SQL and
``usecases.dashboard``) and the reports (``usecases.reports``, built on the dashboard's
figures) all take these words from here. Each is written twice, side by side: as a Python
predicate on dates, and as the same predicate in SQL over the store's columns, so that a
figure counted in SQL and a record replayed in Python cannot disagree
(``tests/test_dashboard_figures.py`` checks them alert by alert).

DESIGN.md, "Working days" and "Adjudicated readings":

- A response is **on time** when it is recorded on or before the due date in force when it
  was recorded (an agreed extension moves that date). A response with no due date is not
  on time.
- Nothing is **overdue** on its due date; it is overdue from the next (calendar) day.
- An alert is **breached** when its formal process has a due date (the formal cap) and the
  alert was still open after that date: closed (resolved or withdrawn) after it, or not
  closed by ``as_of`` when ``as_of`` is after it. So an alert resolved on the Saturday after
  a Friday limit is breached, although the sweep's ``formal_breached`` prompt (dated on the
  next working day) never fired for it: that event is a notification, not the definition.
- An alert is **resolved** when the reviewer recorded themselves satisfied (status
  ``resolved``) on or before ``as_of``. A withdrawn alert is closed but not resolved.

Dates in the store are ISO text (``YYYY-MM-DD``), so comparing the text compares the dates.
Nothing here reads the clock: ``as_of`` is always given.
"""

from __future__ import annotations

import datetime as dt

RESOLVED = "resolved"

# -- Python: for the export's replayed records ---------------------------------------------


def on_time(recorded_on: dt.date, due: dt.date | None) -> bool:
    """A response recorded on ``recorded_on`` against ``due``."""
    return due is not None and recorded_on <= due


def overdue(due: dt.date | None, as_of: dt.date) -> bool:
    """Something due on ``due`` and not done by ``as_of``: overdue from the next day."""
    return due is not None and as_of > due


def closed_by(closed_on: dt.date | None, as_of: dt.date) -> dt.date | None:
    """The day the alert closed, if it had closed by ``as_of``."""
    return closed_on if closed_on is not None and closed_on <= as_of else None


def breached(formal_due: dt.date | None, closed_on: dt.date | None, as_of: dt.date) -> bool:
    """Open after the formal process's due date (closed after it, or still open past it)."""
    if formal_due is None:
        return False
    end = closed_by(closed_on, as_of) or as_of
    return end > formal_due


def breached_on(formal_due: dt.date) -> dt.date:
    """The first day an alert still open is over its formal limit: the day after."""
    return formal_due + dt.timedelta(days=1)


def resolved(status: str, closed_on: dt.date | None, as_of: dt.date) -> bool:
    return status == RESOLVED and closed_by(closed_on, as_of) is not None


# -- SQL: the same predicates over the store's columns -------------------------------------


def _day(as_of: dt.date) -> str:
    """``as_of`` as an SQL literal (an ISO date has only digits and dashes)."""
    if not isinstance(as_of, dt.date):
        raise TypeError(f"as_of must be a date, not {as_of!r}")
    return f"'{as_of.isoformat()}'"


def _nullable(column: str) -> str:
    return f"nullif({column}, '')"


def on_time_sql(recorded_on: str, due: str) -> str:
    """SQL for :func:`on_time`: columns (or expressions) of ISO dates."""
    return f"({_nullable(due)} IS NOT NULL AND {recorded_on} <= {due})"


def overdue_sql(due: str, as_of: dt.date) -> str:
    """SQL for :func:`overdue`."""
    return f"({_nullable(due)} IS NOT NULL AND {due} < {_day(as_of)})"


def closed_by_sql(closed_on: str, as_of: dt.date) -> str:
    """SQL for :func:`closed_by`: the closing day, or NULL if not closed by ``as_of``."""
    day = _day(as_of)
    return f"(CASE WHEN {_nullable(closed_on)} <= {day} THEN {closed_on} END)"


def breached_sql(formal_due: str, closed_on: str, as_of: dt.date) -> str:
    """SQL for :func:`breached` (0 or 1)."""
    end = f"coalesce({closed_by_sql(closed_on, as_of)}, {_day(as_of)})"
    return f"({_nullable(formal_due)} IS NOT NULL AND {end} > {formal_due})"


def breached_on_sql(formal_due: str) -> str:
    """SQL for :func:`breached_on`."""
    return f"date({formal_due}, '+1 day')"


def resolved_sql(status: str, closed_on: str, as_of: dt.date) -> str:
    """SQL for :func:`resolved` (0 or 1)."""
    return f"({status} = '{RESOLVED}' AND {closed_by_sql(closed_on, as_of)} IS NOT NULL)"
