"""The dashboard's figures, counted in SQL: aggregates over indexed columns, never the
whole event log loaded into memory.

Every query takes a :class:`Filter` (period, team, track, the categories of the chosen
theme). Themes are the policy's: the caller passes the category -> theme mapping, and the
query joins it as a small VALUES table, so no theme is stored twice.

On time, overdue, breached and resolved are the one definition in ``db.outcomes``, the
same one the export uses. Figures that depend on the date take ``as_of`` (``None``: as
the store stands). Figures per level are always per track too: the two tracks' ladders
may share level names, and are never added together.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace

import sqlite_utils

from db.outcomes import (
    breached_on_sql,
    breached_sql,
    closed_by_sql,
    on_time_sql,
    overdue_sql,
    resolved_sql,
)

#: ``as_of`` when none is given: everything recorded so far.
EVERYTHING = dt.date.max


@dataclass(frozen=True)
class Filter:
    start: dt.date
    end: dt.date
    team_id: int | None = None
    track: str | None = None
    categories: tuple[str, ...] | None = None  # the chosen theme's categories, or all


def _themes_cte(themes: dict[str, str]) -> tuple[str, list]:
    if not themes:
        return "themes(category, theme) AS (SELECT NULL, NULL WHERE 0)", []
    values = ", ".join("(?, ?)" for _ in themes)
    params = [x for pair in themes.items() for x in pair]
    return f"themes(category, theme) AS (VALUES {values})", params


def _alert_where(f: Filter, date_column: str = "a.raised_on") -> tuple[str, list]:
    where = [f"{date_column} BETWEEN ? AND ?"]
    params: list = [f.start.isoformat(), f.end.isoformat()]
    if f.team_id is not None:
        where.append("c.team_id = ?")
        params.append(f.team_id)
    if f.track is not None:
        where.append("a.track = ?")
        params.append(f.track)
    if f.categories is not None:
        where.append(f"a.category IN ({', '.join('?' for _ in f.categories) or 'NULL'})")
        params += list(f.categories)
    return " AND ".join(where), params


def _dated_where(date_column: str, team_column: str, f: Filter) -> tuple[list[str], list]:
    """The period and team parts of a filter, for tables other than alerts."""
    where = [f"{date_column} BETWEEN ? AND ?"]
    params: list = [f.start.isoformat(), f.end.isoformat()]
    if f.team_id is not None:
        where.append(f"{team_column} = ?")
        params.append(f.team_id)
    return where, params


def _review_where(f: Filter) -> tuple[list[str], list]:
    where, params = _dated_where("r.held_on", "c.team_id", f)
    if f.track is not None:
        where.append("r.kind = ?")
        params.append("cp_conference" if f.track == "cp" else "lac_review")
    return where, params


def _period(column: str, period: str) -> str:
    """The period key of a date: ``2026-10`` (month) or ``2026 Q4`` (calendar quarter);
    ``usecases.dashboard.period_label`` turns it into words."""
    if period == "quarter":
        return (f"strftime('%Y', {column}) || ' Q' || "
                f"((CAST(strftime('%m', {column}) AS INTEGER) + 2) / 3)")
    return f"strftime('%Y-%m', {column})"


def raised_by_period(db: sqlite_utils.Database, f: Filter, themes: dict[str, str],
                     period: str = "month") -> list[dict]:
    """Alerts raised per month (or quarter), by theme and category."""
    cte, cte_params = _themes_cte(themes)
    where, params = _alert_where(f)
    return list(db.query(
        f"""WITH {cte}
            SELECT {_period('a.raised_on', period)} AS period,
                   coalesce(t.theme, 'No theme') AS theme, a.category, count(*) AS alerts
            FROM alerts a JOIN children c ON c.id = a.child_id
            LEFT JOIN themes t ON t.category = a.category
            WHERE {where} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""",
        cte_params + params))


def by_team(db: sqlite_utils.Database, f: Filter) -> list[dict]:
    """Alerts raised per team, and per 100 children of the team."""
    where, params = _alert_where(f)
    return list(db.query(
        f"""SELECT coalesce(tm.name, 'No team') AS team, tm.id AS team_id,
                   count(*) AS alerts,
                   (SELECT count(*) FROM children k WHERE k.team_id IS tm.id) AS children,
                   round(100.0 * count(*) / max(1, (SELECT count(*) FROM children k
                         WHERE k.team_id IS tm.id)), 1) AS per_100_children
            FROM alerts a JOIN children c ON c.id = a.child_id
            LEFT JOIN teams tm ON tm.id = c.team_id
            WHERE {where} GROUP BY tm.id ORDER BY alerts DESC, team""",
        params))


def ladder(db: sqlite_utils.Database, f: Filter, as_of: dt.date | None = None) -> list[dict]:
    """How many alerts reached each level, and how many were resolved there, per track."""
    day = as_of or EVERYTHING
    where, params = _alert_where(f)
    return list(db.query(
        f"""WITH chosen AS (
                SELECT a.id, a.level, a.track,
                       {resolved_sql('a.status', 'a.closed_on', day)} AS resolved
                FROM alerts a
                JOIN children c ON c.id = a.child_id WHERE {where}),
            reached AS (
                SELECT r.alert_id, r.level FROM alert_levels_reached r
                JOIN chosen ON chosen.id = r.alert_id WHERE r.reached_on <= ?)
            SELECT chosen.track, reached.level, count(*) AS reached,
                   sum(chosen.resolved AND chosen.level = reached.level) AS resolved_here
            FROM reached JOIN chosen ON chosen.id = reached.alert_id
            GROUP BY 1, 2""",
        [*params, day.isoformat()]))


def responses_on_time(db: sqlite_utils.Database, f: Filter) -> list[dict]:
    """Responses at each level of each track (recorded in the period), and how many were
    recorded on or before the due date in force then."""
    where, params = _alert_where(f, "e.responded_on")
    return list(db.query(
        f"""SELECT a.track, e.level AS level, count(*) AS responses,
                   sum({on_time_sql('e.responded_on', 'e.due')}) AS on_time
            FROM alert_responses e JOIN alerts a ON a.id = e.alert_id
            JOIN children c ON c.id = a.child_id
            WHERE {where} GROUP BY 1, 2 ORDER BY 1, 2""",
        params))


def resolved_spans(db: sqlite_utils.Database, f: Filter,
                   as_of: dt.date | None = None) -> list[tuple[str, str, str, int]]:
    """(track, raised_on, closed_on, breached) of alerts resolved in the period: working
    days are counted by numpy."""
    day = as_of or EVERYTHING
    where, params = _alert_where(f, "a.closed_on")
    return [tuple(r) for r in db.execute(
        f"""SELECT a.track, a.raised_on, a.closed_on,
                   {breached_sql('a.formal_due', 'a.closed_on', day)} AS breached
            FROM alerts a
            JOIN children c ON c.id = a.child_id
            WHERE {resolved_sql('a.status', 'a.closed_on', day)} AND {where}
            ORDER BY a.closed_on, a.id""", params).fetchall()]


def over_the_cap(db: sqlite_utils.Database, f: Filter,
                 as_of: dt.date | None = None) -> list[dict]:
    """Alerts over their formal limit by ``as_of``, per track, by the month the limit
    passed (the day after the formal due date) when that day is in the period. Counted
    from the alerts' dates, not from the sweep's ``formal_breached`` prompts: an alert
    closed on the Saturday after a Friday limit is over it, though no prompt was made."""
    day = as_of or EVERYTHING
    # breached on a day in the period = formal due date a day earlier (searches its index)
    shifted = replace(f, start=f.start - dt.timedelta(days=1), end=f.end - dt.timedelta(days=1))
    where, params = _alert_where(shifted, "a.formal_due")
    return list(db.query(
        f"""SELECT strftime('%Y-%m', {breached_on_sql('a.formal_due')}) AS period, a.track,
                   count(*) AS alerts,
                   sum({closed_by_sql('a.closed_on', day)} IS NOT NULL) AS closed
            FROM alerts a JOIN children c ON c.id = a.child_id
            WHERE {breached_sql('a.formal_due', 'a.closed_on', day)} AND {where}
            GROUP BY 1, 2 ORDER BY 1, 2""",
        params))


def outstanding(db: sqlite_utils.Database, f: Filter, as_of: dt.date) -> list[dict]:
    """Open alerts now, overdue first, with who they wait for (raised in any period).

    Searched by status: the open ones are few next to ten years of closed ones, and without
    statistics SQLite would rather walk every alert by the date raised."""
    where, params = _alert_where(Filter(dt.date.min, as_of, f.team_id, f.track, f.categories))
    return list(db.query(
        f"""SELECT a.ref, a.track, a.level, a.awaiting, a.due, a.raised_on,
                   c.case_ref AS child_ref, coalesce(tm.name, 'No team') AS team,
                   (a.awaiting NOT IN ('iro', '') AND {overdue_sql('a.due', as_of)})
                       AS overdue
            FROM alerts a INDEXED BY idx_alerts_status JOIN children c ON c.id = a.child_id
            LEFT JOIN teams tm ON tm.id = c.team_id
            WHERE a.status = 'open' AND {where}
            ORDER BY overdue DESC, a.due IS NULL, a.due, a.ref""",
        params))


def rag_by_period(db: sqlite_utils.Database, f: Filter, period: str = "month") -> list[dict]:
    """Review judgements per month (or quarter) and team."""
    where, params = _review_where(f)
    where.append("r.rag IS NOT NULL")
    return list(db.query(
        f"""SELECT {_period('r.held_on', period)} AS period,
                   coalesce(tm.name, 'No team') AS team, r.rag, count(*) AS reviews
            FROM reviews r JOIN children c ON c.id = r.child_id
            LEFT JOIN teams tm ON tm.id = c.team_id
            WHERE {' AND '.join(where)} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""",
        params))


def drift(db: sqlite_utils.Database, f: Filter) -> list[dict]:
    """Children whose reviews (of one track) were amber or red two or more times in a row
    in the period: the longest such run, and the latest review in a run of two or more.

    Runs are counted as "gaps and islands": numbering a child's reviews once in all and
    once among the amber-or-red ones, the difference is the same along an unbroken run.
    """
    where, params = _review_where(f)
    return list(db.query(
        f"""WITH ordered AS (
                SELECT r.child_id, r.kind, r.held_on, r.id,
                       coalesce(r.rag IN ('amber', 'red'), 0) AS worrying,
                       row_number() OVER (PARTITION BY r.child_id, r.kind
                                          ORDER BY r.held_on, r.id) AS nth
                FROM reviews r JOIN children c ON c.id = r.child_id
                WHERE {' AND '.join(where)}),
            islands AS (
                SELECT child_id, kind, held_on,
                       nth - row_number() OVER (PARTITION BY child_id, kind, worrying
                                                ORDER BY held_on, id) AS island
                FROM ordered WHERE worrying),
            runs AS (
                SELECT child_id, kind, count(*) AS length, max(held_on) AS last
                FROM islands GROUP BY child_id, kind, island HAVING count(*) >= 2)
            SELECT c.case_ref AS child_ref, coalesce(tm.name, 'No team') AS team,
                   CASE runs.kind WHEN 'cp_conference' THEN 'cp' ELSE 'iro' END AS track,
                   max(runs.length) AS in_a_row, count(*) AS runs, max(runs.last) AS latest
            FROM runs JOIN children c ON c.id = runs.child_id
            LEFT JOIN teams tm ON tm.id = c.team_id
            GROUP BY runs.child_id, runs.kind ORDER BY latest DESC, child_ref""",
        params))


def events_by_month(db: sqlite_utils.Database, f: Filter, kind: str) -> list[dict]:
    """Events of one kind about children (CAFCASS referrals, good practice ...) per month."""
    where, params = _dated_where("e.occurred_on", "c.team_id", f)
    where.insert(0, "e.kind = ?")
    params.insert(0, kind)
    return list(db.query(
        f"""SELECT strftime('%Y-%m', e.occurred_on) AS period,
                   coalesce(tm.name, 'No team') AS team, count(*) AS events
            FROM live_events e LEFT JOIN children c ON c.id = e.child_id
            LEFT JOIN teams tm ON tm.id = c.team_id
            WHERE {' AND '.join(where)} GROUP BY 1, 2 ORDER BY 1, 2""",
        params))


def good_practice_by_team(db: sqlite_utils.Database, f: Filter) -> list[dict]:
    where, params = _dated_where("g.recorded_on", "g.team_id", f)
    return list(db.query(
        f"""SELECT coalesce(tm.name, 'No team') AS team, count(*) AS notes
            FROM good_practice g LEFT JOIN teams tm ON tm.id = g.team_id
            WHERE {' AND '.join(where)} GROUP BY 1 ORDER BY 2 DESC, 1""",
        params))


def late_changes(db: sqlite_utils.Database, f: Filter) -> list[dict]:
    """Significant changes the IRO was told of late, per month and team."""
    where, params = _dated_where("s.notified_on", "c.team_id", f)
    return list(db.query(
        f"""SELECT strftime('%Y-%m', s.notified_on) AS period,
                   coalesce(tm.name, 'No team') AS team, count(*) AS changes,
                   sum(s.late) AS told_late
            FROM significant_changes s JOIN children c ON c.id = s.child_id
            LEFT JOIN teams tm ON tm.id = c.team_id
            WHERE {' AND '.join(where)} GROUP BY 1, 2 ORDER BY 1, 2""",
        params))


def alerts_list(db: sqlite_utils.Database, f: Filter, themes: dict[str, str],
                as_of: dt.date | None = None, period: str = "month") -> list[dict]:
    """The alerts behind the figures: raised in the period, with team, theme, the period
    key they are counted under, and their outcome by ``as_of`` in ``db.outcomes``' words:
    resolved, breached, and their responses and how many were on time."""
    day = as_of or EVERYTHING
    cte, cte_params = _themes_cte(themes)
    where, params = _alert_where(f)
    responses = ("FROM alert_responses e WHERE e.alert_id = a.id "
                 f"AND e.responded_on <= '{day.isoformat()}'")
    return list(db.query(
        f"""WITH {cte}
            SELECT a.ref, a.track, a.level, a.status, a.raised_on, a.category,
                   {_period('a.raised_on', period)} AS period,
                   coalesce(t.theme, 'No theme') AS theme, c.case_ref AS child_ref,
                   coalesce(tm.name, 'No team') AS team, a.formal_due,
                   {closed_by_sql('a.closed_on', day)} AS closed_on,
                   {resolved_sql('a.status', 'a.closed_on', day)} AS resolved,
                   {breached_sql('a.formal_due', 'a.closed_on', day)} AS breached,
                   (SELECT count(*) {responses}) AS responses,
                   (SELECT coalesce(sum({on_time_sql('e.responded_on', 'e.due')}), 0)
                    {responses})
                       AS responses_on_time
            FROM alerts a JOIN children c ON c.id = a.child_id
            LEFT JOIN teams tm ON tm.id = c.team_id
            LEFT JOIN themes t ON t.category = a.category
            WHERE {where} ORDER BY a.raised_on DESC, a.ref""",
        cte_params + params))


def data_version(db: sqlite_utils.Database) -> tuple[int, int]:
    """Changes whenever anything is recorded: the dashboard's cache key."""
    row = db.execute("SELECT (SELECT coalesce(max(id), 0) FROM events), "
                     "(SELECT coalesce(max(id), 0) FROM good_practice)").fetchone()
    return row[0], row[1]


def alert_refs(db: sqlite_utils.Database, ids: set[int]) -> set[str]:
    """The references of these alerts."""
    return {r[0] for r in db.execute(
        "SELECT ref FROM alerts WHERE id IN (SELECT value FROM json_each(?))",
        [json.dumps(sorted(ids))])}
