"""The dashboard's figures, counted in SQL: aggregates over indexed columns, never the
whole event log loaded into memory.

Every query takes a :class:`Filter` (period, team, track, the categories of the chosen
theme). Themes are the policy's: the caller passes the category -> theme mapping, and the
query joins it as a small VALUES table, so no theme is stored twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlite_utils


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


def ladder(db: sqlite_utils.Database, f: Filter) -> list[dict]:
    """How many alerts reached each level, and how many were resolved there."""
    where, params = _alert_where(f)
    return list(db.query(
        f"""WITH chosen AS (
                SELECT a.id, a.status, a.level, a.track FROM alerts a
                JOIN children c ON c.id = a.child_id WHERE {where}),
            reached AS (
                SELECT DISTINCT e.alert_id, json_extract(e.data, '$.level') AS level
                FROM events e JOIN chosen ON chosen.id = e.alert_id
                WHERE e.kind IN ('raised', 'escalated'))
            SELECT chosen.track, reached.level, count(*) AS reached,
                   sum(chosen.status = 'resolved' AND chosen.level = reached.level)
                       AS resolved_here
            FROM reached JOIN chosen ON chosen.id = reached.alert_id
            GROUP BY 1, 2""",
        params))


def responses_on_time(db: sqlite_utils.Database, f: Filter) -> list[dict]:
    """Responses at each level, and how many came by the due date."""
    where, params = _alert_where(f, "e.occurred_on")
    return list(db.query(
        f"""SELECT a.track, json_extract(e.data, '$.level') AS level, count(*) AS responses,
                   sum(json_extract(e.data, '$.due') IS NOT NULL
                       AND json_extract(e.data, '$.due') != ''
                       AND e.occurred_on <= json_extract(e.data, '$.due')) AS on_time
            FROM events e JOIN alerts a ON a.id = e.alert_id
            JOIN children c ON c.id = a.child_id
            WHERE e.kind = 'responded' AND {where} GROUP BY 1, 2""",
        params))


def resolved_spans(db: sqlite_utils.Database, f: Filter) -> list[tuple[str, str, str]]:
    """(track, raised_on, closed_on) of resolved alerts: working days are counted by numpy."""
    where, params = _alert_where(f, "a.closed_on")
    return [tuple(r) for r in db.execute(
        f"""SELECT a.track, a.raised_on, a.closed_on FROM alerts a
            JOIN children c ON c.id = a.child_id
            WHERE a.status = 'resolved' AND {where}""", params).fetchall()]


def over_the_cap(db: sqlite_utils.Database, f: Filter) -> list[dict]:
    """Alerts whose formal process passed its limit, by the month it passed."""
    where, params = _alert_where(f, "e.occurred_on")
    return list(db.query(
        f"""SELECT strftime('%Y-%m', e.occurred_on) AS period, count(DISTINCT a.id) AS alerts
            FROM events e JOIN alerts a ON a.id = e.alert_id
            JOIN children c ON c.id = a.child_id
            WHERE e.kind = 'formal_breached' AND {where} GROUP BY 1 ORDER BY 1""",
        params))


def outstanding(db: sqlite_utils.Database, f: Filter, as_of: dt.date) -> list[dict]:
    """Open alerts now, overdue first, with who they wait for (raised in any period)."""
    where, params = _alert_where(Filter(dt.date.min, as_of, f.team_id, f.track, f.categories))
    return list(db.query(
        f"""SELECT a.ref, a.track, a.level, a.awaiting, a.due, a.raised_on,
                   c.case_ref AS child_ref, coalesce(tm.name, 'No team') AS team,
                   (a.due IS NOT NULL AND a.awaiting NOT IN ('iro', '') AND a.due < ?)
                       AS overdue
            FROM alerts a JOIN children c ON c.id = a.child_id
            LEFT JOIN teams tm ON tm.id = c.team_id
            WHERE a.status = 'open' AND {where}
            ORDER BY overdue DESC, a.due IS NULL, a.due, a.ref""",
        [as_of.isoformat(), *params]))


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
    """Children whose reviews were amber or red twice or more in a row, in the period."""
    where, params = _review_where(f)
    return list(db.query(
        f"""WITH ordered AS (
                SELECT r.child_id, r.held_on, r.rag,
                       lag(r.rag) OVER (PARTITION BY r.child_id, r.kind
                                        ORDER BY r.held_on, r.id) AS before
                FROM reviews r JOIN children c ON c.id = r.child_id
                WHERE {' AND '.join(where)})
            SELECT c.case_ref AS child_ref, coalesce(tm.name, 'No team') AS team,
                   count(*) AS in_a_row_pairs, max(o.held_on) AS latest
            FROM ordered o JOIN children c ON c.id = o.child_id
            LEFT JOIN teams tm ON tm.id = c.team_id
            WHERE o.rag IN ('amber', 'red') AND o.before IN ('amber', 'red')
            GROUP BY o.child_id ORDER BY latest DESC""",
        params))


def events_by_month(db: sqlite_utils.Database, f: Filter, kind: str) -> list[dict]:
    """Events of one kind about children (CAFCASS referrals, good practice ...) per month."""
    where, params = _dated_where("e.occurred_on", "c.team_id", f)
    where.insert(0, "e.kind = ?")
    params.insert(0, kind)
    return list(db.query(
        f"""SELECT strftime('%Y-%m', e.occurred_on) AS period,
                   coalesce(tm.name, 'No team') AS team, count(*) AS events
            FROM events e LEFT JOIN children c ON c.id = e.child_id
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


def alerts_list(db: sqlite_utils.Database, f: Filter, themes: dict[str, str]) -> list[dict]:
    """The alerts behind the figures: raised in the period, with team and theme."""
    cte, cte_params = _themes_cte(themes)
    where, params = _alert_where(f)
    return list(db.query(
        f"""WITH {cte}
            SELECT a.ref, a.track, a.level, a.status, a.raised_on, a.category,
                   coalesce(t.theme, 'No theme') AS theme, c.case_ref AS child_ref,
                   coalesce(tm.name, 'No team') AS team
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
