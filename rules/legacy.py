"""What an authority's older records lack, recorded as missing rather than invented.

Alert histories kept by hand before this app often have no concern category, and no
record that the reviewer consulted whoever the policy says must be consulted before a
formal step (a "gate"). An import accepts such rows and says so:

- a concern with no category is filed under the reserved category ``not_recorded``
  ("Not recorded", under the reporting theme "Not recorded"), which every track accepts
  from an import only: the screens keep asking for a real category;
- a formal step whose gate was not recorded is imported with the gate text
  :data:`GATE_NOT_RECORDED` and ``gate_not_recorded: true`` in the event's data, so the
  event log itself carries the flag.

Pure: no Streamlit, no database.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from rules.alert_rules import _gates
from rules.alert_state import AlertState
from rules.alert_transitions import Command, Situation
from rules.policy import Category, Gate, Policy
from rules.working_days import WorkingCalendar

NOT_RECORDED = "not_recorded"
NOT_RECORDED_LABEL = "Not recorded"
NOT_RECORDED_THEME = "Not recorded"
NOT_RECORDED_CATEGORY = Category(id=NOT_RECORDED, label=NOT_RECORDED_LABEL,
                                 theme=NOT_RECORDED_THEME)
#: The gate text written on a formal step whose consultation was not recorded.
GATE_NOT_RECORDED = "Not recorded (imported from earlier records)"
#: The key in an event's data that flags it.
GATE_FLAG = "gate_not_recorded"


def with_not_recorded(policy: Policy) -> Policy:
    """The policy as an import sees it: every track also accepts ``not_recorded``.

    The policy's id and version are unchanged (events name the policy they ran under);
    only the import uses this copy, so the app's own forms never offer the category.
    """
    tracks = {}
    for track_id, track in policy.tracks.items():
        if any(c.id == NOT_RECORDED for c in track.categories):
            tracks[track_id] = track
        else:
            tracks[track_id] = replace(track,
                                       categories=(*track.categories, NOT_RECORDED_CATEGORY))
    themes = policy.themes if NOT_RECORDED_THEME in policy.themes else (
        *policy.themes, NOT_RECORDED_THEME)
    return replace(policy, tracks=MappingProxyType(tracks), themes=themes)


def category_labels(policy: Policy) -> dict[str, Category]:
    """Every category an alert can carry under ``policy``, the reserved one included: what
    a chart, report or alert page looks a stored category id up in."""
    found = {c.id: c for t in policy.tracks.values() for c in t.categories}
    found.setdefault(NOT_RECORDED, NOT_RECORDED_CATEGORY)
    return found


def gates_needed(policy: Policy, calendar: WorkingCalendar, state: AlertState,
                 command: Command) -> list[Gate]:
    """The gates a raise or escalation to a formal level passes (none for informal)."""
    situation = Situation(policy=policy, calendar=calendar, state=state, command=command)
    if command.level not in policy.track(state.track).roles_on_ladder:
        return []
    return _gates(situation)
