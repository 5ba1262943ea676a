"""Reading a date someone typed, the British way, and refusing one that does not exist.

Streamlit's ``st.date_input`` (1.67, react-aria's date field underneath) quietly moves an
impossible day to the last day of the month as soon as the month is typed: 31/02/2026 is
sent to the server as 28/02/2026, and the server cannot tell. The forms therefore take a
date as text and read it here, where 31/02/2026 is refused with a sentence saying why.

Pure: no Streamlit, so it can be tested on its own.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

EARLIEST_YEAR = 1900
LATEST_YEAR = 2100
EXAMPLE = "21/12/2026"
HOW = f"Enter the date as day/month/year, for example {EXAMPLE}."

_NUMBERS = re.compile(r"^(\d{1,2})\s*([/.\- ])\s*(\d{1,2})\s*\2\s*(\d+)$")
_RUN = re.compile(r"^(\d{2})(\d{2})(\d{4})$")  # 21122026
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_WORDS = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d+)$")
_MONTHS = {name.lower(): n for n, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): n for n, name in enumerate(calendar.month_abbr) if name}
_MONTHS["sept"] = 9


class NotADate(ValueError):
    """What was typed is not a real date; the message says why, in plain words."""


def read_date(text: str | None) -> dt.date | None:
    """The date in ``text`` (``21/12/2026``, ``21-12-2026``, ``21 Dec 2026``,
    ``21 December 2026``, ``2026-12-21``), None when nothing was typed.

    Raises :class:`NotADate` for anything else, and for a date that does not exist
    (31/02/2026 is refused, never read as 28 February).
    """
    cleaned = " ".join((text or "").split()).lower()
    if not cleaned:
        return None
    if match := _NUMBERS.match(cleaned):
        day, month, year = match.group(1), match.group(3), match.group(4)
    elif match := _RUN.match(cleaned):
        day, month, year = match.groups()
    elif match := _ISO.match(cleaned):
        year, month, day = match.groups()
    elif match := _WORDS.match(cleaned):
        day, name, year = match.groups()
        if name not in _MONTHS:
            raise NotADate(f"The month is not one this form knows. {HOW}")
        month = str(_MONTHS[name])
    else:
        raise NotADate(HOW)
    return _real_date(int(day), int(month), year)


def _real_date(day: int, month: int, year_text: str) -> dt.date:
    if len(year_text) != 4:
        raise NotADate(f"Write the year in full, with four digits. {HOW}")
    year = int(year_text)
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise NotADate(f"The year must be between {EARLIEST_YEAR} and {LATEST_YEAR}.")
    if not 1 <= month <= 12:
        raise NotADate(f"There is no month {month}: the month is a number from 1 to 12. {HOW}")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        month_name = calendar.month_name[month]
        if 1 <= day <= 31:
            raise NotADate(f"There is no {day} {month_name} {year}: {month_name} {year} has "
                           f"{last} days. Check the day and the month.")
        raise NotADate(f"There is no day {day} in a month: the day is a number from 1 to 31. "
                       f"{HOW}")
    return dt.date(year, month, day)
