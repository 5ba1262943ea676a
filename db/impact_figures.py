"""Impact for the child, counted in SQL (issue 16): the alerts resolved in a period, by what
resolving changed for the child and whether the change lasted.

Why its own module: the dashboard's other figures count alerts *raised* in the period;
these count alerts *resolved* in it (``alerts.closed_on``, the day the reviewer was
satisfied, indexed), because the difference made is known only on resolution, and a
period's figures should be about what was settled in it. The same :class:`Filter` narrows
them by team, track and theme (the chosen theme's categories).

Every count is an aggregate over indexed narrow tables (``alerts`` by ``closed_on``,
``alert_impacts`` and ``alert_levels_reached`` by their primary keys), never the event log:
on ten years of a large authority (issue 15) a whole period is one grouped query. An alert
resolved before impact was recorded (or imported without it) has impact ``""``, and one
with no row at all in ``alert_impacts`` counts the same: "not recorded".

The highest level an alert reached needs the ladder's order, which is policy, not data:
the caller passes each (track, level)'s number (informal 0) and the query joins it as a
small VALUES table, as ``db.dashboard`` joins the themes.
"""

from __future__ import annotations

import datetime as dt

import sqlite_utils

from db.dashboard import Filter, _alert_where
from db.outcomes import resolved_sql

#: Which (track, level) comes higher on the ladder: informal 0, formal levels 1, 2 ...
LadderOrder = dict[tuple[str, str], int]


def ladder_cte(order: LadderOrder) -> tuple[str, list]:
    """``ladder(track, level, number)`` as a VALUES table for a WITH clause."""
    if not order:
        return "ladder(track, level, number) AS (SELECT NULL, NULL, NULL WHERE 0)", []
    values = ", ".join("(?, ?, ?)" for _ in order)
    params = [x for (track, level), number in order.items() for x in (track, level, number)]
    return f"ladder(track, level, number) AS (VALUES {values})", params


def highest_level_sql(alert_id: str, track: str, by: dt.date | None = None) -> str:
    """SQL for the highest level the alert reached (a level slug), by the ladder's order;
    with ``by``, the highest reached by that day. A level the policy no longer has ranks
    lowest; ties (none in a valid policy) go to the level's name, so the answer never
    depends on the table's order."""
    when = f" AND r.reached_on <= '{by.isoformat()}'" if by is not None else ""
    return (f"(SELECT r.level FROM alert_levels_reached r LEFT JOIN ladder l "
            f"ON l.track = {track} AND l.level = r.level WHERE r.alert_id = {alert_id}{when} "
            "ORDER BY coalesce(l.number, -1) DESC, r.level LIMIT 1)")


def resolved_by_impact(db: sqlite_utils.Database, f: Filter, order: LadderOrder,
                       as_of: dt.date) -> list[dict]:
    """Alerts resolved in the period by ``as_of``, counted per (track, category, team,
    highest level reached, impact, sustained). ``sustained`` is the follow-up's answer if
    it was given by ``as_of``, else ``""``; ``level`` is None for an alert with no level
    recorded (none in practice)."""
    cte, cte_params = ladder_cte(order)
    where, params = _alert_where(f, "a.closed_on")
    day = as_of.isoformat()
    # the highest level is looked up once per alert (materialised: grouping by a
    # subquery's column would otherwise run the subquery again for the grouping)
    return list(db.query(
        f"""WITH {cte},
            chosen AS MATERIALIZED (
                SELECT a.track, a.category, c.team_id,
                       {highest_level_sql('a.id', 'a.track')} AS level,
                       coalesce(i.impact, '') AS impact,
                       CASE WHEN i.followed_up_on <= ? THEN coalesce(i.sustained, '')
                            ELSE '' END AS sustained
                FROM alerts a JOIN children c ON c.id = a.child_id
                LEFT JOIN alert_impacts i ON i.alert_id = a.id
                WHERE {resolved_sql('a.status', 'a.closed_on', as_of)} AND {where})
            SELECT chosen.track, chosen.category, chosen.team_id,
                   coalesce(tm.name, 'No team') AS team, chosen.level, chosen.impact,
                   chosen.sustained, count(*) AS alerts
            FROM chosen LEFT JOIN teams tm ON tm.id = chosen.team_id
            GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7""",
        [*cte_params, day, *params]))


def action_spans(db: sqlite_utils.Database, f: Filter,
                 as_of: dt.date) -> list[tuple[str, str, str]]:
    """(track, raised_on, resolved_on) of the alerts resolved in the period by ``as_of``
    whose resolution recorded agreed actions: the working days between are counted by
    numpy (``usecases.impact_figures``)."""
    where, params = _alert_where(f, "a.closed_on")
    return [tuple(r) for r in db.execute(
        f"""SELECT a.track, a.raised_on, a.closed_on
            FROM alerts a JOIN children c ON c.id = a.child_id
            JOIN alert_impacts i ON i.alert_id = a.id
            WHERE {resolved_sql('a.status', 'a.closed_on', as_of)} AND {where}
              AND i.actions NOT IN ('', '[]')
            ORDER BY a.closed_on, a.id""", params).fetchall()]
