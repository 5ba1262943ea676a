"""A policy's ladder in plain English, for the home page and ``manage.py policy show``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rules.dates import working_days_phrase
from rules.roles import role_name

if TYPE_CHECKING:
    from rules.policy import Gate, Level, Track

SILENCE_TEXT = {
    "escalate": "Escalates on the next working day",
    "prompt": "The reviewer is prompted to decide",
}
NOT_SATISFIED_TEXT = {
    "escalate": "Goes to the next level the same day",
    "prompt": "The reviewer decides the next step",
}


def roles_text(roles: tuple[str, ...] | list[str]) -> str:
    return ", ".join(role_name(r) for r in roles) or "-"


def gate_text(gate: Gate | None) -> str:
    if gate is None:
        return "-"
    text = "Consult " + " or ".join(role_name(r) for r in gate.consult)
    if gate.within_days is not None:
        text += f" within {working_days_phrase(gate.within_days)}"
    if gate.emergency_exempt:
        text += " (not needed in an emergency)"
    return text


def ladder_rows(track: Track) -> list[dict[str, str]]:
    """One row per stage, informal first, with the column names users see."""
    informal = track.informal
    rows = [
        {
            "Stage": informal.label,
            "Who responds": roles_text(informal.with_roles),
            "Copied to": roles_text(informal.copy),
            "Response time": (
                f"{working_days_phrase(informal.response_days)} unless agreed otherwise"
            ),
            "If no response": "The reviewer decides the next step",
            "If not satisfied": "The reviewer decides whether to go formal",
            "Before this stage": "-",
        }
    ]
    for level in track.levels:
        rows.append(_level_row(track, level))
    return rows


def _level_row(track: Track, level: Level) -> dict[str, str]:
    is_top = level is track.levels[-1]
    silence = "Overdue: the reviewer is prompted" if is_top else SILENCE_TEXT[level.on_silence]
    not_satisfied = (
        "Consider a referral to CAFCASS" if is_top else NOT_SATISFIED_TEXT[level.on_not_satisfied]
    )
    before = gate_text(level.gate)
    if level.exceptional:
        before = "Exceptional circumstances only" + ("" if before == "-" else f"; {before}")
    return {
        "Stage": level.label,
        "Who responds": role_name(level.role),
        "Copied to": roles_text(level.copy),
        "Response time": working_days_phrase(level.response_days),
        "If no response": silence,
        "If not satisfied": not_satisfied,
        "Before this stage": before,
    }
