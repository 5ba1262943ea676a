"""The counts behind ``manage.py export-summary``: the alerts raised in a period, grouped by
the few facts the summary reports, as things stood on a day.

One grouped query over the alerts raised in the period (``idx_alerts_raised``), each
alert's highest level from ``alert_levels_reached``, its impact from ``alert_impacts`` and
its responses from ``alert_responses`` (both by their alert's key): no event is read, no
child, person or text leaves the database. ``usecases.export_summary`` adds the rows up
by dimension and suppresses the small counts.

Each group is (track, category, highest level reached, timeliness, status, impact,
sustained), in the words of ``db.outcomes``:

- ``timeliness``: ``never_formal`` (the highest level reached is the informal stage);
  otherwise the formal process ``formal_over_limit`` (breached: closed after its formal
  due date, or still open after it), ``formal_within_limit`` (closed by its due date, or
  with no formal limit), or ``formal_still_open`` (open, and not yet over it);
- ``status``: ``resolved``, ``withdrawn`` (closed by the day) or ``open``;
- ``impact``: the difference recorded on resolving, ``""`` when resolved without one (and
  for every alert not resolved); ``sustained``: the follow-up's answer given by the day.
"""

from __future__ import annotations

import datetime as dt

import sqlite_utils

from db.impact_figures import LadderOrder, highest_level_sql, ladder_cte
from db.outcomes import breached_sql, closed_by_sql, on_time_sql, resolved_sql


def raised_alert_groups(db: sqlite_utils.Database, start: dt.date, end: dt.date,
                        order: LadderOrder, as_of: dt.date) -> list[dict]:
    """Alerts raised from ``start`` to ``end`` counted per group (see the module), with
    the responses recorded on them by ``as_of`` and how many of those were on time."""
    cte, cte_params = ladder_cte(order)
    day = as_of.isoformat()
    closed = closed_by_sql("closed_on", as_of)
    resolved = resolved_sql("status", "closed_on", as_of)
    responses = "FROM alert_responses e WHERE e.alert_id = a.id AND e.responded_on <= ?"
    return list(db.query(
        f"""WITH {cte},
            chosen AS MATERIALIZED (  -- each alert's highest level looked up once
                SELECT a.track, a.category,
                       {highest_level_sql('a.id', 'a.track', as_of)} AS level,
                       a.formal_due, a.closed_on, a.status, i.impact, i.sustained,
                       i.followed_up_on,
                       (SELECT count(*) {responses}) AS responses,
                       (SELECT coalesce(sum({on_time_sql('e.responded_on', 'e.due')}), 0)
                        {responses}) AS responses_on_time
                FROM alerts a LEFT JOIN alert_impacts i ON i.alert_id = a.id
                WHERE a.raised_on BETWEEN ? AND ?)
            SELECT track, category, level,
                   CASE WHEN coalesce(level, 'informal') = 'informal' THEN 'never_formal'
                        WHEN {breached_sql('formal_due', 'closed_on', as_of)}
                            THEN 'formal_over_limit'
                        WHEN {closed} IS NOT NULL THEN 'formal_within_limit'
                        ELSE 'formal_still_open' END AS timeliness,
                   CASE WHEN {resolved} THEN 'resolved'
                        WHEN status = 'withdrawn' AND {closed} IS NOT NULL THEN 'withdrawn'
                        ELSE 'open' END AS status,
                   CASE WHEN {resolved} THEN coalesce(impact, '') ELSE '' END AS impact,
                   CASE WHEN {resolved} AND followed_up_on <= ?
                        THEN coalesce(sustained, '') ELSE '' END AS sustained,
                   count(*) AS alerts, sum(responses) AS responses,
                   sum(responses_on_time) AS responses_on_time
            FROM chosen
            GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7""",
        [*cte_params, day, day, start.isoformat(), end.isoformat(), day]))
