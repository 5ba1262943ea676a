"""How numbers and dates look on screen."""

from __future__ import annotations

from rules.dates import uk_date

__all__ = ["plural", "uk_date"]


def plural(n: int, noun: str, plural_noun: str | None = None) -> str:
    return f"{n} {noun if n == 1 else (plural_noun or noun + 's')}"
