"""Dates as people in English local authorities write and read them: ``21 Dec 2026``."""

from __future__ import annotations

import datetime as dt

UK_FORMATS = ("%d/%m/%Y", "%d %b %Y", "%d %B %Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")


def uk_date(day: dt.date | str | None, empty: str = "") -> str:
    """``21 Dec 2026``; ISO strings from the store are accepted too."""
    if day is None or day == "":
        return empty
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    return f"{day.day} {day:%b %Y}"


def parse_uk_date(text: str) -> dt.date:
    """Reads ``21/12/2026``, ``21 Dec 2026``, ``21 December 2026`` or ``2026-12-21``.

    Raises ValueError with a message a user can act on.
    """
    cleaned = " ".join(text.strip().split())
    for fmt in UK_FORMATS:
        try:
            return dt.datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    raise ValueError(
        f"'{text}' is not a date this form understands. Write it as day/month/year, "
        "for example 21/12/2026 or 21 Dec 2026."
    )


def working_days_phrase(n: int) -> str:
    if n == 0:
        return "the same day"
    return f"{n} working day" + ("" if n == 1 else "s")
