"""Deadlines in the words people act on, counted in working days.

"Due Fri 27 Nov 2026 (2 working days left)", "due today", and after the day: "overdue:
was due Fri 27 Nov 2026; escalates Mon 30 Nov 2026 if there is no reply". Nothing is
overdue on its due date; it is overdue from the next day, weekend or not. What silence
leads to happens on the first working day after the due date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rules.working_days import WorkingCalendar

#: What the policy says silence does at a level, as the sentence's ending.
SILENCE_WORDS = {
    "escalate": "escalates {day} if there is no reply",
    "prompt": "the reviewer is asked to decide the next step on {day} if there is no reply",
    "agree": "is taken as agreed on {day} if there is no reply",
}


def day_text(day: dt.date) -> str:
    """``Fri 27 Nov 2026``: the weekday helps at a glance when a date is near."""
    return f"{day:%a} {day.day} {day:%b %Y}"


@dataclass(frozen=True)
class Deadline:
    """Where a deadline stands on a day, worked out once for every screen and note."""

    due: dt.date
    as_of: dt.date
    working_days_left: int  # negative when late
    consequence_on: dt.date  # the first working day after the due date
    on_silence: str | None

    @property
    def overdue(self) -> bool:
        return self.as_of > self.due

    @property
    def due_today(self) -> bool:
        return self.as_of == self.due

    def words(self) -> str:
        """The deadline in one phrase, starting with a small letter."""
        if self.due_today:
            text = f"due today, {day_text(self.due)}"
        elif not self.overdue:
            left = self.working_days_left
            text = (f"due {day_text(self.due)} ({left} working day{'s' if left != 1 else ''} "
                    "left)")
        else:
            late = -self.working_days_left
            text = f"overdue: was due {day_text(self.due)}"
            if late > 0:
                text += f" ({late} working day{'s' if late != 1 else ''} late)"
        ending = SILENCE_WORDS.get(self.on_silence or "")
        if ending and self.as_of <= self.consequence_on:
            text += "; " + ending.format(day=day_text(self.consequence_on))
        return text


def deadline(due: dt.date, as_of: dt.date, calendar: WorkingCalendar,
             on_silence: str | None = None) -> Deadline:
    return Deadline(due=due, as_of=as_of,
                    working_days_left=calendar.working_days_between(as_of, due),
                    consequence_on=calendar.next_working_day(due), on_silence=on_silence)
