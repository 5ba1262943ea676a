"""The monthly, quarterly and annual reports, as tables ready for Excel or CSV.

- Monthly (seed 002, 1.5): the alerts outstanding at the end of the month, for the
  divisional director.
- Quarterly (seed 000, 3; seed 002, 7): alerts by theme and by team, with the change from
  the quarter before.
- Annual (the IRO annual report): how far alerts went and where they were resolved,
  timeliness, themes, CAFCASS referrals, good practice, and the Red/Amber/Green picture;
  and the evidence of impact (issue 16): the alerts *resolved* in the year by the
  difference made for the child, whether the change lasted, and both by theme
  (``usecases.impact_figures``, the dashboard's "Impact for the child" in tables).
  The year is the financial year (April to March), as IRO annual reports are.
- Each report also lists the reviews held in its period with the answers to the
  authority's own monitoring-form questions (``review_questions`` in the policy), one
  column per question as it was asked, when the policy has such questions or a review in
  the period answered some. It names children, so it holds only the reviews of children
  whose whole record the person may see.

Periods are in words (``November 2026``, quarters as ``Jul-Sep 2026``), dates are dates
(shown ``21 Dec 2026``), and every figure per level carries its track. On time, breached
and resolved are ``db.outcomes``' one definition, through the dashboard's figures.

A report is counted as things stood at the end of its period, or on ``as_of`` (the day it
is run) if that comes first: a report of the current month does not foresee what will be
overdue by the month's end.
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
import json
from collections import Counter

from db import dashboard as q
from db.review_answers import any_asked_between, reviews_held_between
from rules.review_questions import answers_by_label
from rules.review_rules import REVIEW_NAMES
from usecases.access import only_visible_children
from usecases.accounts import SignedInUser
from usecases.dashboard import figures, outstanding, quarter_label, themes_of, visible_to
from usecases.impact_figures import impact_table, lasted_table, overall_tables
from usecases.report_files import Table
from usecases.store import Store


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, month_calendar.monthrange(year, month)[1])


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    first = 3 * (quarter - 1) + 1
    return dt.date(year, first, 1), month_end(year, first + 2)


def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year, quarter - 1) if quarter > 1 else (year - 1, 4)


def _until(end: dt.date, as_of: dt.date | None) -> dt.date:
    return min(end, as_of) if as_of is not None else end


#: The columns of the answers table before one column per question.
ANSWER_COLUMNS: tuple[str, ...] = ("Held", "Child", "Team", "Reviewer", "Review", "Judgement")


def review_answers(store: Store, title: str, start: dt.date, end: dt.date,
                   user: SignedInUser | None = None) -> list[Table]:
    """The reviews held from ``start`` to ``end`` with their answers to the procedure's own
    questions: one column per question as it was asked (the policy's questions first, then
    any older wording found), ``Not answered`` where one was asked and left blank, nothing
    where a review was not asked it. [] when the policy asks none and no review in the
    period answered any, so a report under a policy without questions is unchanged.

    The rows name children: with ``user``, only the reviews of children whose whole record
    they may see.
    """
    if not store.policy.review_questions and not any_asked_between(store.db, start, end):
        return []  # nothing asked: nothing to read (a year of reviews took a third of a second)
    rows = reviews_held_between(store.db, start, end)
    if user is not None:
        rows = only_visible_children(store, user, rows, "child_id")
    cells = [answers_by_label(json.loads(r["data"] or "{}")) for r in rows]
    labels = list(dict.fromkeys([*(question.label for question in store.policy.review_questions),
                                 *(label for found in cells for label in found)]))
    if not labels:
        return []
    return [Table(title, (*ANSWER_COLUMNS, *labels), tuple(
        (dt.date.fromisoformat(r["held_on"]), r["child_ref"], r["team"], r["reviewer"] or "",
         REVIEW_NAMES.get(r["kind"], r["kind"]), (r["rag"] or "").capitalize(),
         *(found.get(label) for label in labels))
        for r, found in zip(rows, cells, strict=True)))]


def monthly(store: Store, year: int, month: int, as_of: dt.date | None = None,
            user: SignedInUser | None = None) -> list[Table]:
    """Outstanding alerts at the month's end; the list of alerts (which names children)
    holds only those ``user`` may see, the counts by stage all."""
    end = month_end(year, month)
    day = _until(end, as_of)
    open_then = outstanding(store, q.Filter(dt.date(1970, 1, 1), day), day)
    listed = open_then if user is None else visible_to(store, user, open_then, "alert")
    rows = tuple((r["alert"], r["child"], r["team"], r["track"], r["stage"], r["waiting_for"],
                  r["due"], "Yes" if r["overdue"] else "No") for r in listed)
    order = {(r["track"], r["stage"]): (r["track_order"], r["order"]) for r in open_then}
    by_stage = Counter((r["track"], r["stage"], r["waiting_for"]) for r in open_then)
    answers = review_answers(store, f"Review answers {end:%b %Y}", dt.date(year, month, 1), day,
                             user)
    return [
        Table(f"Outstanding {end:%b %Y}", ("Alert", "Child", "Team", "Track", "Stage",
                                           "Waiting for", "Due", "Overdue"), rows),
        Table("By stage", ("Track", "Stage", "Waiting for", "Alerts"),
              tuple((t, s, w, n) for (t, s, w), n in sorted(
                  by_stage.items(), key=lambda kv: (order[kv[0][:2]], kv[0][2])))),
        *answers,
    ]


def _theme_team_counts(store: Store, start: dt.date, end: dt.date) -> Counter:
    counts: Counter = Counter()
    for alert in q.alerts_list(store.db, q.Filter(start, end), themes_of(store)):
        counts[(alert["team"], alert["theme"])] += 1
    return counts


def quarterly(store: Store, year: int, quarter: int, as_of: dt.date | None = None,
              user: SignedInUser | None = None) -> list[Table]:
    """Alerts by theme and team against the quarter before; the reviews' answers (which name
    children: only those ``user`` may see) up to ``as_of``."""
    start, end = quarter_bounds(year, quarter)
    before = quarter_bounds(*previous_quarter(year, quarter))
    now, then = _theme_team_counts(store, start, end), _theme_team_counts(store, *before)
    keys = sorted(set(now) | set(then))
    label = quarter_label(year, quarter)
    by_team_theme = tuple((team, theme, now[(team, theme)], then[(team, theme)],
                           now[(team, theme)] - then[(team, theme)]) for team, theme in keys)
    themes = sorted({t for _, t in keys})
    by_theme = tuple((t, sum(n for (_, th), n in now.items() if th == t),
                      sum(n for (_, th), n in then.items() if th == t)) for t in themes)
    teams = sorted({team for team, _ in keys})
    by_team = tuple((tm, sum(n for (t, _), n in now.items() if t == tm),
                     sum(n for (t, _), n in then.items() if t == tm)) for tm in teams)
    return [
        Table(f"Themes by team {label}",
              ("Team", "Theme", "This quarter", "Quarter before", "Change"), by_team_theme),
        Table(f"Themes {label}", ("Theme", "This quarter", "Quarter before"), by_theme),
        Table(f"Teams {label}", ("Team", "This quarter", "Quarter before"), by_team),
        *review_answers(store, f"Review answers {label}", start, _until(end, as_of), user),
    ]


def annual(store: Store, first_year: int, as_of: dt.date | None = None,
           user: SignedInUser | None = None) -> list[Table]:
    """The financial year from 1 April ``first_year`` to 31 March the year after; the
    reviews' answers (which name children) only for those ``user`` may see."""
    start, end = dt.date(first_year, 4, 1), dt.date(first_year + 1, 3, 31)
    day = _until(end, as_of)
    fig = figures(store, q.Filter(start, end), day, period="quarter")
    informal = sum(r["resolved_here"] for r in fig.ladder if r["level"] == "informal")
    formal = sum(r["resolved_here"] for r in fig.ladder if r["level"] != "informal")
    themes: Counter = Counter()
    for r in fig.raised:
        themes[r["theme"]] += r["alerts"]
    impact = fig.impact
    assert impact is not None  # every part is counted for the report
    return [
        Table("Stage reached", ("Track", "Stage", "Alerts that reached it", "Resolved there"),
              tuple((r["track_label"], r["stage"], r["reached"], r["resolved_here"])
                    for r in fig.ladder)),
        Table("Resolved", ("Resolved", "Alerts"),
              (("Informally", informal), ("Formally", formal))),
        Table("Timeliness", ("Track", "Stage", "Responses", "On time", "Share on time"),
              tuple((r["track_label"], r["stage"], r["responses"], r["on_time"],
                     r["share_on_time"]) for r in fig.on_time)),
        Table("Working days to resolution",
              ("Track", "Resolved", "Median working days", "Mean working days",
               "Within the formal limit", "Over the formal limit"),
              tuple((r["track"], r["resolved"], r["median_working_days"],
                     r["mean_working_days"], r["within_limit"], r["over_limit"])
                    for r in fig.resolution)),
        Table("Over the formal limit", ("Month the limit passed", "Track", "Alerts",
                                        "Closed after the limit"),
              tuple((r["period_label"], r["track_label"], r["alerts"], r["closed"])
                    for r in fig.over_cap)),
        Table("Themes", ("Theme", "Alerts"), tuple(sorted(themes.items()))),
        Table("CAFCASS referrals", ("Month", "Team", "Referrals"),
              tuple((r["period_label"], r["team"], r["events"]) for r in fig.cafcass)),
        Table("Good practice", ("Team", "Notes"),
              tuple((r["team"], r["notes"]) for r in fig.good_practice)),
        Table("RAG by quarter", ("Quarter", "Team", "Judgement", "Reviews"),
              tuple((r["period_label"], r["team"], r["rag"].capitalize(), r["reviews"])
                    for r in fig.rag)),
        # alerts resolved in the year (not raised), follow-ups answered by the year's end
        *overall_tables(impact),
        impact_table("Impact by theme", impact.by_theme, (("theme", "Theme"),)),
        lasted_table("Lasted by theme", impact.by_theme, (("theme", "Theme"),)),
        *review_answers(store, "Review answers", start, day, user),
    ]
