"""What people said on an alert, in the words the screens, notes and messages use.

A person's event keeps what they typed in its data: the words of a response, the reasons
for being not satisfied, for more time, for refusing it or for withdrawing (all ``note``),
the record of who was consulted before going formal (``gate``) and, on raising, the
concern and the outcome sought. The rules' own sentence (the event's ``reason``) sometimes
repeats a note at its end ("asked for more time, until 4 Dec 2026: <note>"); the screens
show the note once, as typed, and e-mail never carries it (see :func:`without_typed`).

Pure: event kinds and data in, labelled words out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rules.dates import uk_date

#: A manager's answer, as the forms offer it and the timeline shows it.
OUTCOME_WORDS = {
    "agree": "Agree with the concern",
    "uphold": "Uphold the service's decision",
    "alternative": "Propose another course of action",
    "no_action": "No action will be taken",
}

#: What a person's note is, by the kind of event it came with.
NOTE_LABELS = {
    "raised": "Note",
    "responded": "Response",
    "not_satisfied": "Why not satisfied",
    "satisfied": "Note",
    "escalated": "Why escalated",
    "extension_requested": "Why more time is needed",
    "extension_agreed": "Note",
    "extension_refused": "Why more time was refused",
    "withdrawn": "Why withdrawn",
    "complaint": "About the complaint",
    "acknowledged": "Note",
    "hos_notified": "Note",
    "legal_advice": "Note",
    "cafcass_referral": "Note",
    "impact_followed_up": "How things are for the child now",
}
GATE_LABEL = "Consulted before going formal"
IMPACT_NOTE_LABEL = "What changed for the child"
CONCERN_LABEL = "Issue of concern"
OUTCOME_SOUGHT_LABEL = "Outcome sought"

#: How an in-app message reports what someone said: "<who> responded: <their words>".
SAID_VERBS = {
    "raised": "raised the concern",
    "responded": "responded",
    "not_satisfied": "is not satisfied",
    "satisfied": "is satisfied",
    "escalated": "escalated the alert",
    "extension_requested": "asked for more time",
    "extension_agreed": "agreed more time",
    "extension_refused": "refused more time",
    "withdrawn": "withdrew the alert",
    "impact_followed_up": "followed up",
}


@dataclass(frozen=True)
class Said:
    """One thing a person typed, with what it is."""

    label: str
    text: str


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def said(kind: str, data: Mapping[str, Any], *, concern: str = "",
         outcome_sought: str = "") -> tuple[Said, ...]:
    """Everything a person typed into this event, labelled, in the order they wrote it.

    ``concern`` and ``outcome_sought`` stand in for a raised event written before they were
    kept in its data (the alert's own row has them).
    """
    found: list[Said] = []
    if kind == "raised":
        for label, key, fallback in ((CONCERN_LABEL, "concern", concern),
                                     (OUTCOME_SOUGHT_LABEL, "outcome_sought", outcome_sought)):
            text = _text(data.get(key)) or _text(fallback)
            if text:
                found.append(Said(label, text))
    if kind in ("raised", "escalated") and _text(data.get("gate")):
        found.append(Said(GATE_LABEL, _text(data["gate"])))
    if kind == "satisfied" and _text(data.get("impact_note")):
        found.append(Said(IMPACT_NOTE_LABEL, _text(data["impact_note"])))
    if kind == "satisfied":
        for action in _actions(data):
            found.append(Said(f"Action agreed, by {uk_date(action['by'])}",
                              _text(action.get("action"))))
    if _text(data.get("note")):
        found.append(Said(NOTE_LABELS.get(kind, "Note"), _text(data["note"])))
    return tuple(found)


def _actions(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    actions = data.get("actions")
    if not isinstance(actions, list):
        return []
    return [a for a in actions if isinstance(a, Mapping) and _text(a.get("action"))
            and isinstance(a.get("by"), str)]


def outcome_words(kind: str, data: Mapping[str, Any]) -> str:
    """A response's outcome ("Uphold the service's decision"), or ""."""
    if kind != "responded":
        return ""
    return OUTCOME_WORDS.get(str(data.get("outcome", "")), "")


def typed_values(data: Mapping[str, Any]) -> list[str]:
    """The free text in an event's data: what must never leave the app by e-mail."""
    texts = [_text(data.get(k)) for k in ("note", "gate", "concern", "outcome_sought",
                                          "impact_note")]
    texts += [_text(a.get("action")) for a in _actions(data)]
    return [t for t in texts if t]


def without_typed(reason: str, data: Mapping[str, Any], instead: str = "") -> str:
    """The rules' sentence without the typed words it quotes.

    A note the sentence ends with (": <note>") is cut and the sentence closed with a full
    stop; anywhere else the words are replaced by ``instead``.
    """
    for text in sorted(typed_values(data), key=len, reverse=True):
        if reason.endswith(f": {text}"):
            reason = reason[: -len(text) - 2].rstrip(" .;:") + "."
        elif text in reason:
            reason = reason.replace(text, instead)
    return reason


def said_lines(kind: str, data: Mapping[str, Any], who: str) -> list[str]:
    """What a person said, for an in-app message: "Service Manager responded: <words>"."""
    lines = []
    verb = SAID_VERBS.get(kind, "noted")
    for item in said(kind, data):
        if item.label == CONCERN_LABEL:
            lines.append(f"{who} raised the concern: {item.text}")
        elif item.label in (OUTCOME_SOUGHT_LABEL, GATE_LABEL):
            lines.append(f"{item.label}: {item.text}")
        else:
            lines.append(f"{who} {verb}: {item.text}")
    return lines
