"""What the heads of service see: the dashboard's figures, labelled as people say them.

The counting is SQL (``db.dashboard``); this adds the policy's words (level labels, role
names, themes, tracks), periods as people say them (``November 2026``, ``Oct-Dec 2026``)
and the working-day arithmetic, which numpy does for all rows at once.

On time, breached and resolved mean what ``db.outcomes`` says, here as in the export and
the reports. Every figure per level carries its track: the two tracks' ladders are counted
apart, never added together.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from db import dashboard as q
from db.alerts import any_alert_with_category
from rules.alert_state import INFORMAL, REVIEWER
from rules.alert_transitions import level_name, reviewer_word
from rules.legacy import NOT_RECORDED, NOT_RECORDED_THEME, category_labels
from rules.roles import role_name
from usecases.access import visible_alert_ids
from usecases.accounts import SignedInUser
from usecases.errors import UserError
from usecases.impact_figures import ImpactFigures, impact_figures
from usecases.store import Store

#: Who may see the dashboard and the reports.
DASHBOARD_ROLES = frozenset({
    "service_manager", "strategic_manager", "head_of_service", "deputy_head_of_service",
    "qa_head_of_service", "principal_iro", "service_director", "divisional_director",
    "assistant_director", "director", "executive_director", "deputy_chief_executive",
    "chief_executive",
})


def data_version(store: Store) -> tuple[int, int]:
    """Changes whenever the figures could: the page's cache key."""
    return q.data_version(store.db)


def require_dashboard(user: SignedInUser) -> None:
    """The dashboard and reports are for managers from service manager up, QA and the
    principal IRO. (Not the administrator: its lists name children.)"""
    if user.role not in DASHBOARD_ROLES:
        raise UserError("The dashboard and reports are for managers from service manager up, "
                        f"QA and the principal IRO; you are signed in as {user.role_name}.")


def visible_to(store: Store, user: SignedInUser, rows: list[dict], ref_key: str) -> list[dict]:
    """The rows about alerts (reference under ``ref_key``) this person may see: figures are
    for everyone the dashboard is for, but a list that names children follows the access
    rules (``usecases.access``)."""
    ids = visible_alert_ids(store, user)
    if ids is None:
        return rows
    refs = q.alert_refs(store.db, ids)
    return [r for r in rows if r[ref_key] in refs]


@dataclass(frozen=True)
class Choices:
    """What the filters offer."""

    teams: dict[int, str]
    tracks: dict[str, str]
    themes: tuple[str, ...]


@dataclass
class Figures:
    raised: list[dict] = field(default_factory=list)
    by_theme: list[dict] = field(default_factory=list)
    by_category: list[dict] = field(default_factory=list)
    by_team: list[dict] = field(default_factory=list)
    ladder: list[dict] = field(default_factory=list)
    on_time: list[dict] = field(default_factory=list)
    resolution: list[dict] = field(default_factory=list)
    over_cap: list[dict] = field(default_factory=list)
    outstanding: list[dict] = field(default_factory=list)
    rag: list[dict] = field(default_factory=list)
    rag_totals: list[dict] = field(default_factory=list)
    drift: list[dict] = field(default_factory=list)
    good_practice: list[dict] = field(default_factory=list)
    cafcass: list[dict] = field(default_factory=list)
    late_changes: list[dict] = field(default_factory=list)
    impact: ImpactFigures | None = None  # alerts resolved in the period (issue 16)


def choices(store: Store) -> Choices:
    teams = {r["id"]: r["name"] for r in store.db.query("SELECT id, name FROM teams "
                                                           "ORDER BY name")}
    return Choices(teams=teams,
                   tracks={t.id: t.label for t in store.policy.tracks.values()},
                   themes=store.policy.themes + _imported_themes(store))


def _imported_themes(store: Store) -> tuple[str, ...]:
    """"Not recorded", once history imported without a category is in the store."""
    found = any_alert_with_category(store.db, NOT_RECORDED)
    return (NOT_RECORDED_THEME,) if found and NOT_RECORDED_THEME not in store.policy.themes \
        else ()


def themes_of(store: Store) -> dict[str, str]:
    """Each category's theme, the reserved "Not recorded" of imported history included."""
    return {cid: c.theme for cid, c in category_labels(store.policy).items()}


def make_filter(store: Store, start: dt.date, end: dt.date, team_id: int | None,
                track: str | None, theme: str | None) -> q.Filter:
    categories = None
    if theme is not None:
        categories = tuple(c for c, t in themes_of(store).items() if t == theme)
    return q.Filter(start, end, team_id, track, categories)


MONTHS = tuple(calendar.month_name)[1:]
RAG_WORDS = {"green": "Green", "amber": "Amber", "red": "Red"}
_RAG_ORDER = {word: n for n, word in enumerate(RAG_WORDS.values())}
QUARTERS = ("Jan-Mar", "Apr-Jun", "Jul-Sep", "Oct-Dec")


def month_label(year: int, month: int) -> str:
    """``November 2026``."""
    return f"{MONTHS[month - 1]} {year}"


def quarter_label(year: int, quarter: int) -> str:
    """A calendar quarter as people say it: ``Jul-Sep 2026``."""
    return f"{QUARTERS[quarter - 1]} {year}"


def period_label(key: str | None) -> str:
    """A period key from the SQL (``2026-11`` or ``2026 Q3``) in words."""
    if not key:
        return "-"
    if " Q" in key:
        year, quarter = key.split(" Q")
        return quarter_label(int(year), int(quarter))
    year, month = key.split("-")[:2]
    return month_label(int(year), int(month))


def period_short(key: str | None) -> str:
    """The same, short enough for a chart's axis: ``Nov 2026``, ``Oct-Dec 2026``."""
    if key and " Q" not in key:
        year, month = key.split("-")[:2]
        return f"{MONTHS[int(month) - 1][:3]} {year}"
    return period_label(key)


def _with_period(rows: list[dict]) -> list[dict]:
    return [{**r, "period_label": period_label(r["period"]),
             "period_short": period_short(r["period"])} for r in rows]


def track_label(store: Store, track: str) -> str:
    return store.policy.track(track).label if track in store.policy.tracks else track


def _level_label(store: Store, track: str, level: str | None) -> str:
    if level is None:
        return "-"
    return level_name(store.policy.track(track), level)


def _order(store: Store, track: str, level: str) -> int:
    t = store.policy.track(track)
    return 0 if level == INFORMAL else t.level(level).number


def _per_level(store: Store, rows: list[dict]) -> list[dict]:
    """Rows per (track, level) with the level's words, in ladder order within each track."""
    return sorted(
        ({**r, "stage": _level_label(store, r["track"], r["level"]),
          "order": _order(store, r["track"], r["level"]),
          "track_label": track_label(store, r["track"])} for r in rows),
        key=lambda r: (_track_order(store, r["track"]), r["order"]))


def _track_order(store: Store, track: str) -> int:
    tracks = list(store.policy.tracks)
    return tracks.index(track) if track in tracks else len(tracks)


#: The dashboard's parts, each counted and drawn only when it is the one on screen: the
#: page shows one at a time, so a first visit after new data counts one part, not all. It
#: opens on what is outstanding now (what a head of service acts on: overdue first); the
#: trends are a click away.
SECTIONS: dict[str, str] = {
    "outstanding": "Outstanding now",
    "raised": "Alerts raised",
    "where": "By category and team",
    "ladder": "The ladder and timeliness",
    "reviews": "Reviews",
    "other": "Good practice, CAFCASS, changes",
    "impact": "Impact for the child",
}


def figures(store: Store, f: q.Filter, as_of: dt.date, period: str = "month",
            sections: Iterable[str] | None = None) -> Figures:
    """The dashboard's figures for the filter, as things stood on ``as_of``: every part's,
    or only those of ``sections`` (keys of :data:`SECTIONS`; the others stay empty)."""
    wanted = set(SECTIONS if sections is None else sections)
    db = store.db
    out = Figures()
    if wanted & {"raised", "where"}:
        labels = {cid: c.label for cid, c in category_labels(store.policy).items()}
        out.raised = [{**r, "category_label": (labels.get(r["category"], r["category"])
                                                or "No category")}
                      for r in _with_period(q.raised_by_period(db, f, themes_of(store),
                                                               period))]
        out.by_theme = _sum_by(out.raised, ("period", "period_label", "period_short",
                                            "theme"), "alerts")
        out.by_category = sorted(_sum_by(out.raised, ("category_label",), "alerts"),
                                 key=lambda r: (-r["alerts"], r["category_label"]))
    if "where" in wanted:
        out.by_team = q.by_team(db, f)
    if "ladder" in wanted:
        out.ladder = _per_level(store, q.ladder(db, f, as_of))
        out.on_time = [{**r, "share_on_time": (round(r["on_time"] / r["responses"], 3)
                                              if r["responses"] else 0.0)}
                       for r in _per_level(store, q.responses_on_time(db, f))]
        out.resolution = _resolution(store, q.resolved_spans(db, f, as_of))
        out.over_cap = [{**r, "track_label": track_label(store, r["track"])}
                        for r in _with_period(q.over_the_cap(db, f, as_of))]
    if "outstanding" in wanted:
        out.outstanding = outstanding(store, f, as_of)
    if "reviews" in wanted:
        out.rag = [{**r, "judgement": RAG_WORDS.get(r["rag"], r["rag"])}
                   for r in _with_period(q.rag_by_period(db, f, period))]
        out.rag_totals = sorted(
            _sum_by(out.rag, ("period", "period_label", "period_short", "judgement"),
                    "reviews"),
            key=lambda r: (r["period"], _RAG_ORDER.get(r["judgement"], 9)))
        out.drift = [{**r, "track_label": track_label(store, r["track"]),
                      "latest": dt.date.fromisoformat(r["latest"])} for r in q.drift(db, f)]
    if "other" in wanted:
        out.good_practice = q.good_practice_by_team(db, f)
        out.cafcass = _with_period(q.events_by_month(db, f, "cafcass_referral"))
        out.late_changes = _with_period(q.late_changes(db, f))
    if "impact" in wanted:
        out.impact = impact_figures(store, f, as_of)
    return out


def outstanding(store: Store, f: q.Filter, as_of: dt.date) -> list[dict]:
    """The alerts open on ``as_of``, overdue first, in words: the dashboard's list and the
    monthly report's, which needs nothing else of the figures."""
    return [_outstanding_row(store, r, as_of) for r in q.outstanding(store.db, f, as_of)]


def _sum_by(rows: list[dict], keys: tuple[str, ...], value: str) -> list[dict]:
    """``value`` summed over rows sharing ``keys``, in the order the rows first show them."""
    sums: dict[tuple, int] = {}
    for r in rows:
        key = tuple(r[k] for k in keys)
        sums[key] = sums.get(key, 0) + r[value]
    return [{**dict(zip(keys, key, strict=True)), value: n} for key, n in sums.items()]


def alerts(store: Store, f: q.Filter, as_of: dt.date, period: str = "month") -> list[dict]:
    """The alerts behind the figures, one row each, with the period they count under and
    their outcome on ``as_of`` (resolved, breached, responses on time)."""
    return [{**r, "period_label": period_label(r["period"]),
             "track_label": track_label(store, r["track"]),
             "resolved": bool(r["resolved"]), "breached": bool(r["breached"])}
            for r in q.alerts_list(store.db, f, themes_of(store), as_of, period)]


def alerts_behind(store: Store, user: SignedInUser, f: q.Filter, as_of: dt.date, period: str,
                  *clicked: list[dict]) -> list[dict]:
    """The alerts behind the bars clicked, exactly.

    Each argument is the bars clicked on one chart, each bar the values that pick it out:
    ``{"period": "2026-10", "theme": "Care Planning"}`` on the chart by month and theme,
    ``{"team": "North"}`` on the chart by team. An alert is listed when, on every chart
    clicked, it is behind one of the bars clicked there.
    """
    charts = [bars for bars in clicked if bars]
    if not charts:
        return []
    return [a for a in visible_to(store, user, alerts(store, f, as_of, period), "ref")
            if all(any(all(a.get(k) == v for k, v in bar.items()) for bar in bars)
                   for bars in charts)]


def _resolution(store: Store, spans: list[tuple[str, str, str, int]]) -> list[dict]:
    """Working days from raising to resolution, per track: numpy over all rows at once.
    Within / over the formal limit is ``db.outcomes``' breached, as everywhere."""
    rows = []
    for track in store.policy.tracks:
        mine = [(a, b, late) for t, a, b, late in spans if t == track]
        if not mine:
            continue
        one = np.timedelta64(1, "D")
        raised = np.array([a for a, _, _ in mine], dtype="datetime64[D]") + one
        closed = np.array([b for _, b, _ in mine], dtype="datetime64[D]") + one
        days = np.busday_count(raised, closed, busdaycal=store.calendar.numpy_calendar)
        over = sum(1 for _, _, late in mine if late)
        rows.append({"track": track_label(store, track), "resolved": len(mine),
                     "median_working_days": float(np.median(days)),
                     "mean_working_days": round(float(np.mean(days)), 1),
                     "within_limit": len(mine) - over, "over_limit": over})
    return rows


def _outstanding_row(store: Store, r: dict, as_of: dt.date) -> dict:
    awaiting = r["awaiting"] or ""
    due = dt.date.fromisoformat(r["due"]) if r["due"] else None
    return {
        "alert": r["ref"], "child": r["child_ref"], "team": r["team"],
        "track": track_label(store, r["track"]),
        "track_order": _track_order(store, r["track"]),
        "order": _order(store, r["track"], r["level"]),
        "stage": _level_label(store, r["track"], r["level"]),
        "waiting_for": (reviewer_word(r["track"]) if awaiting == REVIEWER
                        else role_name(awaiting) if awaiting else "-"),
        "due": due, "overdue": bool(r["overdue"]),
        "working_days_left": (store.calendar.working_days_between(as_of, due)
                              if due and awaiting not in ("", REVIEWER) else None),
    }
