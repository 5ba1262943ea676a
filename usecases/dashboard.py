"""What the heads of service see: the dashboard's figures, labelled as people say them.

The counting is SQL (``db.dashboard``); this adds the policy's words (level labels, role
names, themes) and the working-day arithmetic, which numpy does for all rows at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from db import dashboard as q
from rules.alert_state import INFORMAL, REVIEWER
from rules.alert_transitions import level_name, reviewer_word
from rules.roles import role_name
from usecases.store import Store

#: Who may see the dashboard and the reports.
DASHBOARD_ROLES = frozenset({
    "service_manager", "strategic_manager", "head_of_service", "deputy_head_of_service",
    "qa_head_of_service", "principal_iro", "service_director", "divisional_director",
    "assistant_director", "director", "executive_director", "deputy_chief_executive",
    "chief_executive", "admin",
})


@dataclass(frozen=True)
class Choices:
    """What the filters offer."""

    teams: dict[int, str]
    tracks: dict[str, str]
    themes: tuple[str, ...]


@dataclass
class Figures:
    raised: list[dict] = field(default_factory=list)
    by_team: list[dict] = field(default_factory=list)
    ladder: list[dict] = field(default_factory=list)
    on_time: list[dict] = field(default_factory=list)
    resolution: list[dict] = field(default_factory=list)
    over_cap: list[dict] = field(default_factory=list)
    outstanding: list[dict] = field(default_factory=list)
    rag: list[dict] = field(default_factory=list)
    drift: list[dict] = field(default_factory=list)
    good_practice: list[dict] = field(default_factory=list)
    cafcass: list[dict] = field(default_factory=list)
    late_changes: list[dict] = field(default_factory=list)


def choices(store: Store) -> Choices:
    teams = {r["id"]: r["name"] for r in store.db.query("SELECT id, name FROM teams "
                                                           "ORDER BY name")}
    return Choices(teams=teams,
                   tracks={t.id: t.label for t in store.policy.tracks.values()},
                   themes=store.policy.themes)


def themes_of(store: Store) -> dict[str, str]:
    return {c.id: c.theme for t in store.policy.tracks.values() for c in t.categories}


def make_filter(store: Store, start: dt.date, end: dt.date, team_id: int | None,
                track: str | None, theme: str | None) -> q.Filter:
    categories = None
    if theme is not None:
        categories = tuple(c for c, t in themes_of(store).items() if t == theme)
    return q.Filter(start, end, team_id, track, categories)


def _level_label(store: Store, track: str, level: str | None) -> str:
    if level is None:
        return "-"
    return level_name(store.policy.track(track), level)


def _order(store: Store, track: str, level: str) -> int:
    t = store.policy.track(track)
    return 0 if level == INFORMAL else t.level(level).number


def figures(store: Store, f: q.Filter, as_of: dt.date, period: str = "month") -> Figures:
    """Every figure on the dashboard for the filter."""
    db = store.db
    out = Figures()
    category_labels = {c.id: c.label for t in store.policy.tracks.values() for c in t.categories}
    out.raised = [{**r, "category_label": category_labels.get(r["category"], r["category"])}
                  for r in q.raised_by_period(db, f, themes_of(store), period)]
    out.by_team = q.by_team(db, f)
    out.ladder = sorted(
        ({**r, "stage": _level_label(store, r["track"], r["level"]),
          "order": _order(store, r["track"], r["level"]),
          "track_label": store.policy.track(r["track"]).label}
         for r in q.ladder(db, f)),
        key=lambda r: (r["track"], r["order"]))
    out.on_time = sorted(
        ({**r, "stage": _level_label(store, r["track"], r["level"]),
          "order": _order(store, r["track"], r["level"]),
          "share_on_time": round(r["on_time"] / r["responses"], 3) if r["responses"] else 0.0}
         for r in q.responses_on_time(db, f)),
        key=lambda r: (r["track"], r["order"]))
    out.resolution = _resolution(store, q.resolved_spans(db, f))
    out.over_cap = q.over_the_cap(db, f)
    out.outstanding = [_outstanding_row(store, r, as_of) for r in q.outstanding(db, f, as_of)]
    out.rag = q.rag_by_period(db, f, period)
    out.drift = q.drift(db, f)
    out.good_practice = q.good_practice_by_team(db, f)
    out.cafcass = q.events_by_month(db, f, "cafcass_referral")
    out.late_changes = q.late_changes(db, f)
    return out


def _resolution(store: Store, spans: list[tuple[str, str, str]]) -> list[dict]:
    """Working days from raising to resolution, per track: numpy over all rows at once."""
    rows = []
    for track in store.policy.tracks:
        mine = [(a, b) for t, a, b in spans if t == track]
        if not mine:
            continue
        one = np.timedelta64(1, "D")
        raised = np.array([a for a, _ in mine], dtype="datetime64[D]") + one
        closed = np.array([b for _, b in mine], dtype="datetime64[D]") + one
        days = np.busday_count(raised, closed, busdaycal=store.calendar.numpy_calendar)
        rows.append({"track": store.policy.track(track).label, "resolved": len(mine),
                     "median_working_days": float(np.median(days)),
                     "mean_working_days": round(float(np.mean(days)), 1),
                     "within_20": int((days <= 20).sum())})
    return rows


def _outstanding_row(store: Store, r: dict, as_of: dt.date) -> dict:
    awaiting = r["awaiting"] or ""
    due = dt.date.fromisoformat(r["due"]) if r["due"] else None
    return {
        "alert": r["ref"], "child": r["child_ref"], "team": r["team"],
        "stage": _level_label(store, r["track"], r["level"]),
        "waiting_for": (reviewer_word(r["track"]) if awaiting == REVIEWER
                        else role_name(awaiting) if awaiting else "-"),
        "due": due, "overdue": bool(r["overdue"]),
        "working_days_left": (store.calendar.working_days_between(as_of, due)
                              if due and awaiting not in ("", REVIEWER) else None),
    }
