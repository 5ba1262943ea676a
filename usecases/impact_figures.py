"""Impact for the child, in figures (issue 16): the dashboard's part and the annual report's
tables on what resolving alerts changed for children, and whether the change lasted.

Inspectors' most repeated criticism of IRO services is "little evidence of impact"; these
figures are that evidence, counted the same way on the screen and in the report.

- **Which alerts**: those *resolved* in the period (the day the reviewer was satisfied),
  narrowed by team, track and theme like the rest of the dashboard. Resolved, not raised:
  the difference made is known only when an alert is resolved.
- **The difference made**: improved, partly improved, not improved, or not recorded (older
  or imported alerts). The shares of improved, partly and not improved are of the alerts
  whose difference *was* recorded, so old history does not water them down; the share not
  recorded is of all the alerts resolved, to show how much is missing.
- **Whether it lasted**: only a change (improved or partly) is followed up, so these count
  those alerts: sustained, not sustained, or not yet followed up by ``as_of``. The shares
  sustained and not sustained are of those followed up; the share not yet followed up is
  of all the changes.
- Each is broken down by theme, by the highest level the alert reached (per track: the
  two ladders are never added together) and by team.
- **Working days to the agreed actions**: from raising to the resolution that recorded
  them, for the resolutions that recorded any, per track (median and mean), on the store's
  working-day calendar as the dashboard's "raising to resolution" is.

The counting is SQL (``db.impact_figures``); this adds the policy's words and the
working-day arithmetic. It does not import ``usecases.dashboard`` (which holds these
figures in its own): the few words it needs come from the policy directly.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from db import impact_figures as q
from db.dashboard import Filter
from rules.alert_state import INFORMAL
from rules.alert_transitions import level_name
from rules.impact import FOLLOWED_UP, IMPACT_WORDS, SUSTAINED_WORDS
from rules.legacy import category_labels
from rules.policy_model import NotInPolicy
from rules.roles import role_name
from usecases.report_files import Table
from usecases.store import Store

#: The difference made, in the order tables and charts show it ("" is not recorded).
IMPACT_ORDER: tuple[str, ...] = ("improved", "partly", "not_improved", "")
#: Whether the change lasted, in order ("" is not yet followed up).
LASTED_ORDER: tuple[str, ...] = ("sustained", "not_sustained", "")
#: Words for whether it lasted: "not yet known" said as what it is on these figures.
LASTED_WORDS: dict[str, str] = {**SUSTAINED_WORDS, "": "Not yet followed up"}
#: The count's key in a row, for each impact and each answer.
IMPACT_KEYS: dict[str, str] = {"improved": "improved", "partly": "partly",
                               "not_improved": "not_improved", "": "not_recorded"}
LASTED_KEYS: dict[str, str] = {"sustained": "sustained", "not_sustained": "not_sustained",
                               "": "not_followed_up"}
NO_THEME = "No theme"


@dataclass(frozen=True)
class ImpactFigures:
    """The part's figures. Each row (``overall`` and those of the breakdowns) holds:

    - ``resolved``; ``improved``, ``partly``, ``not_improved``, ``not_recorded``;
      ``recorded`` (the three first together); ``share_improved``, ``share_partly``,
      ``share_not_improved`` (of ``recorded``) and ``share_not_recorded`` (of
      ``resolved``);
    - ``changed`` (improved or partly: the alerts followed up); ``sustained``,
      ``not_sustained``, ``not_followed_up``; ``answered`` (the two first);
      ``share_sustained``, ``share_not_sustained`` (of ``answered``) and
      ``share_not_followed_up`` (of ``changed``).

    A share whose whole is nought is None (shown as nothing), never a made-up 0%.
    """

    start: dt.date
    end: dt.date
    as_of: dt.date
    overall: dict = field(default_factory=dict)
    by_theme: list[dict] = field(default_factory=list)   # + "theme"
    by_level: list[dict] = field(default_factory=list)   # + track, track_label, level, stage
    by_team: list[dict] = field(default_factory=list)    # + "team"
    to_actions: list[dict] = field(default_factory=list)  # per track: working days


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def impact_row(impacts: Counter, lasted: Counter) -> dict:
    """Counts and shares of one group: ``impacts`` counts alerts by impact slug,
    ``lasted`` the changed ones (improved or partly) by follow-up answer."""
    row: dict = {"resolved": sum(impacts.values())}
    for slug in IMPACT_ORDER:
        row[IMPACT_KEYS[slug]] = impacts.get(slug, 0)
    row["recorded"] = row["resolved"] - row["not_recorded"]
    for slug in IMPACT_ORDER[:3]:
        row[f"share_{IMPACT_KEYS[slug]}"] = _share(row[IMPACT_KEYS[slug]], row["recorded"])
    row["share_not_recorded"] = _share(row["not_recorded"], row["resolved"])
    row["changed"] = sum(lasted.values())
    for slug in LASTED_ORDER:
        row[LASTED_KEYS[slug]] = lasted.get(slug, 0)
    row["answered"] = row["sustained"] + row["not_sustained"]
    row["share_sustained"] = _share(row["sustained"], row["answered"])
    row["share_not_sustained"] = _share(row["not_sustained"], row["answered"])
    row["share_not_followed_up"] = _share(row["not_followed_up"], row["changed"])
    return row


def ladder_order(store: Store) -> q.LadderOrder:
    """Each (track, level)'s place on the ladder: informal 0, then the formal levels."""
    order: q.LadderOrder = {}
    for track in store.policy.tracks.values():
        order[(track.id, INFORMAL)] = 0
        for level in track.levels:
            order[(track.id, level.role)] = level.number
    return order


def track_label(store: Store, track: str) -> str:
    return store.policy.track(track).label if track in store.policy.tracks else track


def stage_label(store: Store, track: str, level: str | None) -> str:
    """The level's words as the ladder part shows them (``Level 1: Service Manager``)."""
    if level is None:
        return "No level recorded"
    if track not in store.policy.tracks:
        return role_name(level)
    try:
        return level_name(store.policy.track(track), level)
    except NotInPolicy:  # a level an older version of the policy had
        return role_name(level)


def _grouped(rows: list[dict], key) -> dict:
    """Rows of the SQL summed per ``key(row)``: (impacts, lasted) counters."""
    groups: dict = {}
    for r in rows:
        impacts, lasted = groups.setdefault(key(r), (Counter(), Counter()))
        impacts[r["impact"]] += r["alerts"]
        if r["impact"] in FOLLOWED_UP:
            lasted[r["sustained"]] += r["alerts"]
    return groups


def impact_figures(store: Store, f: Filter, as_of: dt.date) -> ImpactFigures:
    """The figures for the alerts resolved from ``f.start`` to ``f.end`` (and by
    ``as_of``), narrowed by ``f``'s team, track and theme, as things stood on ``as_of``."""
    order = ladder_order(store)
    rows = q.resolved_by_impact(store.db, f, order, as_of)
    # "" is an impact the SQL may hand back for a missing row; anything unknown counts so
    rows = [{**r, "impact": r["impact"] if r["impact"] in IMPACT_WORDS else ""} for r in rows]
    themes = {cid: c.theme for cid, c in category_labels(store.policy).items()}
    theme_order = {t: n for n, t in enumerate(store.policy.themes)}
    tracks = list(store.policy.tracks)

    everything = _grouped(rows, lambda r: "all").get("all", (Counter(), Counter()))
    by_theme = [{"theme": theme, **impact_row(*counts)} for theme, counts in sorted(
        _grouped(rows, lambda r: themes.get(r["category"], NO_THEME)).items(),
        key=lambda kv: (theme_order.get(kv[0], len(theme_order)), kv[0]))]
    by_level = []
    for (track, level), counts in _grouped(rows, lambda r: (r["track"], r["level"])).items():
        label, stage = track_label(store, track), stage_label(store, track, level)
        by_level.append({
            "track": track, "track_label": label, "level": level, "stage": stage,
            "stage_in_track": f"{stage} ({label})" if len(tracks) > 1 else stage,
            "track_order": tracks.index(track) if track in tracks else len(tracks),
            "order": order.get((track, level or ""), -1), **impact_row(*counts)})
    by_level.sort(key=lambda r: (r["track_order"], r["order"], r["stage"]))
    by_team = [{"team": team, **impact_row(*counts)} for (_, team), counts in sorted(
        _grouped(rows, lambda r: (r["team_id"], r["team"])).items(),
        key=lambda kv: (kv[0][0] is None, kv[0][1], kv[0][0] or 0))]
    return ImpactFigures(
        start=f.start, end=f.end, as_of=as_of, overall=impact_row(*everything),
        by_theme=by_theme, by_level=by_level, by_team=by_team,
        to_actions=working_days_to_actions(store, q.action_spans(store.db, f, as_of)))


def working_days_to_actions(store: Store, spans: list[tuple[str, str, str]]) -> list[dict]:
    """Working days from raising to the resolution that agreed actions, per track: numpy
    over all rows at once, counted as the dashboard counts raising to resolution (the day
    raised does not count, the day resolved does)."""
    rows = []
    one = np.timedelta64(1, "D")
    for track in [*store.policy.tracks, *sorted({t for t, _, _ in spans}
                                                 - set(store.policy.tracks))]:
        mine = [(a, b) for t, a, b in spans if t == track]
        if not mine:
            continue
        raised = np.array([a for a, _ in mine], dtype="datetime64[D]") + one
        resolved = np.array([b for _, b in mine], dtype="datetime64[D]") + one
        days = np.busday_count(raised, resolved, busdaycal=store.calendar.numpy_calendar)
        rows.append({"track": track, "track_label": track_label(store, track),
                     "alerts": len(mine), "median_working_days": float(np.median(days)),
                     "mean_working_days": round(float(np.mean(days)), 1)})
    return rows


def impact_bars(rows: Iterable[dict], key: str) -> list[dict]:
    """Long rows for a stacked chart of the difference made: one per group and impact, its
    ``alerts`` and ``percent`` of the group's resolved alerts (the bar adds up to 100)."""
    return [{key: r[key], "difference": IMPACT_WORDS[slug], "alerts": r[IMPACT_KEYS[slug]],
             "percent": round(100 * r[IMPACT_KEYS[slug]] / r["resolved"], 1)}
            for r in rows if r["resolved"] for slug in IMPACT_ORDER]


def lasted_bars(rows: Iterable[dict], key: str) -> list[dict]:
    """Long rows for a stacked chart of whether the change lasted: one per group and
    answer, as a ``percent`` of the group's changes (improved or partly)."""
    return [{key: r[key], "lasted": LASTED_WORDS[slug], "alerts": r[LASTED_KEYS[slug]],
             "percent": round(100 * r[LASTED_KEYS[slug]] / r["changed"], 1)}
            for r in rows if r["changed"] for slug in LASTED_ORDER]


# -- tables: the dashboard's and the annual report's, the same words -----------------------

#: The columns of a breakdown of the difference made, after the group's own.
IMPACT_COLUMNS: tuple[str, ...] = (
    "Resolved", "Improved", "Partly improved", "Not improved", "Not recorded",
    "Share improved", "Share partly improved", "Share not improved", "Share not recorded")
_IMPACT_FIELDS = ("resolved", "improved", "partly", "not_improved", "not_recorded",
                  "share_improved", "share_partly", "share_not_improved", "share_not_recorded")
#: The columns of a breakdown of whether the change lasted, after the group's own.
LASTED_COLUMNS: tuple[str, ...] = (
    "Improved or partly", "Sustained", "Not sustained", "Not yet followed up",
    "Share sustained", "Share not sustained", "Share not yet followed up")
_LASTED_FIELDS = ("changed", "sustained", "not_sustained", "not_followed_up",
                  "share_sustained", "share_not_sustained", "share_not_followed_up")


def impact_table(title: str, rows: Iterable[dict],
                 group: tuple[tuple[str, str], ...]) -> Table:
    """The difference made per group: ``group`` is the (field, column title) pairs that
    name the group (``(("theme", "Theme"),)``)."""
    return Table(title, (*(t for _, t in group), *IMPACT_COLUMNS), tuple(
        (*(r[k] for k, _ in group), *(r[k] for k in _IMPACT_FIELDS)) for r in rows))


def lasted_table(title: str, rows: Iterable[dict],
                 group: tuple[tuple[str, str], ...]) -> Table:
    """Whether the change lasted per group (the groups with a change to follow up)."""
    return Table(title, (*(t for _, t in group), *LASTED_COLUMNS), tuple(
        (*(r[k] for k, _ in group), *(r[k] for k in _LASTED_FIELDS))
        for r in rows if r["changed"]))


def overall_tables(fig: ImpactFigures) -> list[Table]:
    """The period's totals: the difference made, and whether it lasted, each with its share
    of the alerts where it is known (blank where the whole is not known)."""
    o = fig.overall
    return [
        Table("Impact for the child", ("Difference for the child", "Alerts",
                                       "Share of those recorded"),
              (*((IMPACT_WORDS[s], o[IMPACT_KEYS[s]], o.get(f"share_{IMPACT_KEYS[s]}"))
                 for s in IMPACT_ORDER[:3]),
               (IMPACT_WORDS[""], o["not_recorded"], None),
               ("All resolved", o["resolved"], None))),
        Table("Whether it lasted", ("Whether the change lasted", "Alerts",
                                    "Share of those followed up"),
              (*((LASTED_WORDS[s], o[LASTED_KEYS[s]], o.get(f"share_{LASTED_KEYS[s]}"))
                 for s in LASTED_ORDER[:2]),
               (LASTED_WORDS[""], o["not_followed_up"], None),
               ("All improved or partly improved", o["changed"], None))),
    ]
