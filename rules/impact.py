"""What an alert changed for the child, and whether the change lasted (issue 16).

Inspectors' most repeated criticism of IRO services is "little evidence of impact": an
alert closed as "satisfied" says nothing about the child. So the reviewer who resolves an
alert records the difference it made (``IMPACTS``), a sentence and the actions agreed with
their dates; and on a follow-up date (the policy's months after resolution, or the child's
next review if that comes first) is asked whether the change held (``SUSTAINED``).

Pure: words, dates and checks, no store.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

#: The difference made for the child, as the reviewer records it on resolving.
IMPACTS: dict[str, str] = {
    "improved": "Improved: the plan is back on track",
    "partly": "Partly improved: some progress",
    "not_improved": "Not improved: resolved without change for the child",
}
#: Short words for tables and charts.
IMPACT_WORDS: dict[str, str] = {
    "improved": "Improved",
    "partly": "Partly improved",
    "not_improved": "Not improved",
    "": "Not recorded",
}
#: Whether the change held, asked on the follow-up date.
SUSTAINED: dict[str, str] = {
    "sustained": "Sustained: the change has held",
    "not_sustained": "Not sustained: things have slipped back",
}
SUSTAINED_WORDS: dict[str, str] = {
    "sustained": "Sustained",
    "not_sustained": "Not sustained",
    "": "Not yet known",
}
#: Impacts whose change can last or not: a follow-up is asked only for these.
FOLLOWED_UP = ("improved", "partly")
#: The follow-up's default distance from resolution when the policy does not say.
DEFAULT_FOLLOW_UP_MONTHS = 3
#: The most actions one resolution records (a screenful; more belong in the plan itself).
MAX_ACTIONS = 10
MAX_ACTION_CHARS = 500

#: Event kinds about impact written on a closed alert; they do not change its state.
FOLLOW_UP_DUE = "impact_follow_up_due"
FOLLOWED_UP_KIND = "impact_followed_up"
IMPACT_EVENTS = (FOLLOW_UP_DUE, FOLLOWED_UP_KIND)
#: The rule that makes the follow-up prompt (named on the derived event).
FOLLOW_UP_RULE = "impact_follow_up_prompt"


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later; the month's last day when it is shorter (31 Jan + 1
    month is 28 or 29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def follow_up_on(resolved_on: dt.date, months: int = DEFAULT_FOLLOW_UP_MONTHS) -> dt.date:
    """When the reviewer is asked whether the change lasted, unless the child's next
    review comes first (the sweep looks for that)."""
    return add_months(resolved_on, months)


@dataclass(frozen=True)
class AgreedAction:
    """One action agreed when the alert was resolved, and the date it is due by."""

    action: str
    by: dt.date

    def to_json(self) -> dict[str, str]:
        return {"action": self.action, "by": self.by.isoformat()}

    @staticmethod
    def from_json(data: dict[str, Any]) -> AgreedAction:
        return AgreedAction(str(data.get("action", "")), dt.date.fromisoformat(data["by"]))


def impact_problems(impact: str, note: str, actions: list[tuple[str, dt.date | None]],
                    resolved_on: dt.date) -> dict[str, str]:
    """What is wrong with an impact as filled in, by field ("impact", "impact_note",
    "action.N"), in plain English; empty when it can be saved.

    An action row with neither words nor date is blank and ignored; one with only one of
    them is a mistake. An action's date may be before the resolution (it was agreed in the
    dispute and is already done) but not years away from it.
    """
    problems: dict[str, str] = {}
    if impact not in IMPACTS:
        problems["impact"] = ("Choose the difference this alert made for the child: improved, "
                              "partly improved or not improved.")
    if not note.strip():
        problems["impact_note"] = ("Write a sentence on what changed for the child (or why "
                                   "nothing did).")
    for n, (words, by) in enumerate(actions, start=1):
        words = words.strip()
        if not words and by is None:
            continue
        if not words:
            problems[f"action.{n}"] = f"Action {n}: say what was agreed, or clear its date."
        elif by is None:
            problems[f"action.{n}"] = f"Action {n}: give the date it is to be done by."
        elif len(words) > MAX_ACTION_CHARS:
            problems[f"action.{n}"] = (f"Action {n}: keep it under {MAX_ACTION_CHARS} "
                                       "characters; the detail belongs in the plan.")
        elif abs((by - resolved_on).days) > 366 * 2:
            problems[f"action.{n}"] = (f"Action {n}: the date is more than two years from "
                                       "today; check the year.")
    if impact == "improved" and not any(w.strip() and b for w, b in actions):
        problems.setdefault("action.1", "Record the action agreed that puts the plan back on "
                                        "track, and its date.")
    return problems


def agreed_actions(actions: list[tuple[str, dt.date | None]]) -> list[AgreedAction]:
    """The filled-in action rows, in order (blank rows left out)."""
    return [AgreedAction(w.strip(), b) for w, b in actions if w.strip() and b is not None]


def impact_details(impact: str, note: str, actions: list[AgreedAction],
                   resolved_on: dt.date, months: int) -> dict[str, Any]:
    """What the ``satisfied`` event carries about the impact (the log holds every word)."""
    details: dict[str, Any] = {"impact": impact, "impact_note": note.strip(),
                               "actions": [a.to_json() for a in actions]}
    if impact in FOLLOWED_UP:
        details["follow_up_on"] = follow_up_on(resolved_on, months).isoformat()
    return details
