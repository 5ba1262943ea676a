"""Editing the procedure in the app: a draft, checked as it is typed, and what changed.

A draft is the policy file's content as plain data (the YAML read into dicts and lists),
changed through forms and written back to YAML only to be checked, downloaded, tried
(what-if) or adopted. It is checked by the same checker as ``manage.py policy check``
(``rules.policy_check.read_policy_text``), so the app and the command line can never
disagree about what is valid. Each problem keeps the checker's dotted path, so a form can
show it next to the field it is about.

A draft never changes the store: adopting it is ``usecases.policy_versions
.apply_policy_version``, which keeps it as the next version.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from rules.policy import Policy, preset_ids
from rules.policy_check import load_policy_yaml, read_policy_text
from rules.policy_model import PolicyProblem
from usecases.errors import UserError
from usecases.policy_versions import policy_text, preset_text, version_in_force, versions
from usecases.store import Store

IN_FORCE = "in_force"
#: Largest YAML file the editor takes (a whole authority's procedure is a few kilobytes).
MAX_UPLOAD_BYTES = 512 * 1024


@dataclass(frozen=True)
class DraftCheck:
    """What the checker says about a draft: the policy it reads as (None if any problem)."""

    policy: Policy | None
    problems: tuple[PolicyProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def under(self, *prefixes: str) -> list[PolicyProblem]:
        """The problems about the part of the file at any of ``prefixes`` (dotted paths)."""
        return [p for p in self.problems
                if any(p.path == x or p.path.startswith((x + ".", x + "[")) for x in prefixes)]


# -- starting a draft ---------------------------------------------------------------------------


def starting_points(store: Store, as_of: Any) -> dict[str, str]:
    """What a draft can start from: the version in force, or one of the presets."""
    points = {IN_FORCE: f"The procedure in force (version {version_in_force(store, as_of)})"}
    for preset in preset_ids():
        points[preset] = f"Preset {preset}"
    return points


def start_draft(store: Store, point: str, as_of: Any) -> dict[str, Any]:
    """A new draft from the version in force or a preset. A preset is given this store's
    policy id, so that the draft can be adopted here as its next version."""
    if point == IN_FORCE:
        text = policy_text(store, version_in_force(store, as_of))
    elif point in preset_ids():
        text = preset_text(point)
    else:
        raise UserError(f"There is no starting point called '{point}'.")
    data = draft_from_text(text)
    data["id"] = store.policy.id
    return data


def draft_from_text(text: str | bytes) -> dict[str, Any]:
    """A draft from YAML (an upload, a kept version). Refuses, in plain words, what is not
    a policy file at all; everything else is left to :func:`check_draft` to explain.

    Anchors and aliases are expanded into separate copies, so changing one track's ladder
    in a form never quietly changes another's.
    """
    if isinstance(text, bytes):
        if len(text) > MAX_UPLOAD_BYTES:
            raise UserError(f"The file is {len(text):,} bytes; a procedure file is at most "
                            f"{MAX_UPLOAD_BYTES:,}. Check that it is the right file.")
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UserError("The file is not text in UTF-8: save it from your editor as UTF-8 "
                            "YAML and upload it again.") from None
    if len(text) > MAX_UPLOAD_BYTES:
        raise UserError(f"The text is longer than a procedure file can be "
                        f"({MAX_UPLOAD_BYTES:,} characters).")
    _, problems = read_policy_text(text, "draft.yaml")
    unreadable = [p for p in problems if p.path == "(file)"]
    try:
        data = load_policy_yaml(text) if not unreadable else None
    except yaml.YAMLError:
        data = None
    if not isinstance(data, dict):
        why = unreadable[0].message if unreadable else "it does not hold a policy's sections"
        raise UserError(f"This is not a policy file the editor can read: {why}")
    return json.loads(json.dumps(data, default=str))


def draft_yaml(data: Mapping[str, Any]) -> str:
    """The draft as a policy file (YAML), in the order its sections were written."""
    return yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, width=100)


def check_draft(store: Store, data: Mapping[str, Any]) -> DraftCheck:
    """Check the draft exactly as ``policy check`` checks a file named after the store's
    policy (a draft adopted here must keep the store's policy id)."""
    policy, problems = read_policy_text(draft_yaml(data), f"{store.policy.id}.yaml")
    return DraftCheck(policy=policy if not problems else None, problems=tuple(problems))


# -- changing a draft ---------------------------------------------------------------------------


def words_list(text: str) -> list[str]:
    """``"a, b , c"`` -> ``["a", "b", "c"]``: a list typed in one box."""
    return [w.strip() for w in str(text or "").split(",") if w.strip()]


def number_or_text(value: Any) -> Any:
    """A whole number typed in a table cell, kept as a number; anything else as it was typed,
    for the checker to explain."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return value


def rows_to_items(rows: Iterable[Mapping[str, Any]], *, lists: Sequence[str] = (),
                  numbers: Sequence[str] = (), flags: Sequence[str] = ()) -> list[dict]:
    """A table's rows as the file's list items: blank rows dropped, comma lists split,
    numbers read, empty optional cells left out."""
    items = []
    for row in rows:
        if not any(v not in (None, "", False) for v in row.values()):
            continue
        item: dict[str, Any] = {}
        for key, value in row.items():
            if key in lists:
                item[key] = words_list(value)
            elif key in numbers:
                if value not in (None, ""):
                    item[key] = number_or_text(value)
            elif key in flags:
                if value:
                    item[key] = True
            elif value not in (None, ""):
                item[key] = value.strip() if isinstance(value, str) else value
        items.append(item)
    return items


def items_to_rows(items: Iterable[Mapping[str, Any]], columns: Sequence[str], *,
                  lists: Sequence[str] = ()) -> list[dict]:
    """The file's list items as table rows (lists shown as ``a, b``)."""
    rows = []
    for item in items or []:
        row = {}
        for column in columns:
            value = item.get(column) if isinstance(item, Mapping) else None
            row[column] = (", ".join(str(v) for v in value or []) if column in lists
                           else value)
        rows.append(row)
    return rows


# -- what changed ---------------------------------------------------------------------------------


def describe_changes(before: Any, after: Any, path: str = "") -> list[tuple[str, str]]:
    """What changed from one draft or version to another: (where, what) for each change,
    ``where`` the dotted path the checker uses (lists counted from 1); see
    :func:`changes_in_words`."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        lines: list[tuple[str, str]] = []
        for key in [*before.keys(), *(k for k in after if k not in before)]:
            where = f"{path}.{key}" if path else str(key)
            if key not in after:
                lines.append((where, f"removed (was {_short(before[key])})"))
            elif key not in before:
                lines.append((where, f"added: {_short(after[key])}"))
            else:
                lines += describe_changes(before[key], after[key], where)
        return lines
    if (isinstance(before, list) and isinstance(after, list) and before and after
            and all(isinstance(x, Mapping) for x in (*before, *after))):
        lines = []
        for n in range(max(len(before), len(after))):
            where = f"{path}[{n + 1}]"
            if n >= len(before):
                lines.append((where, f"added: {_short(after[n])}"))
            elif n >= len(after):
                lines.append((where, f"removed (was {_short(before[n])})"))
            else:
                lines += describe_changes(before[n], after[n], where)
        return lines
    if before != after:
        return [(path, f"{_short(before)} -> {_short(after)}")]
    return []


def changes_in_words(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Each change as a line a person reads: where, in the form's words, then what."""
    return [f"{where_in_words(after if not what.startswith('removed') else before, where)}: "
            f"{what}" for where, what in describe_changes(before, after)]


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) \
        else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


def version_changes(store: Store, older: int, newer: int) -> list[str]:
    """What changed between two of the store's versions, leaving out the version number."""
    before = draft_from_text(policy_text(store, older))
    after = draft_from_text(policy_text(store, newer))
    before.pop("version", None)
    after.pop("version", None)
    return changes_in_words(before, after)


def version_numbers(store: Store) -> list[int]:
    return [v.version for v in versions(store)]


# -- where a problem is, in words ----------------------------------------------------------------

#: The form's words for the file's keys (what a person sees next to the field).
FIELD_WORDS = {
    "authority": "Authority", "summary": "Summary", "themes": "Themes",
    "acknowledge_days": "Working days to acknowledge", "closure_days": "Closure day",
    "label": "name", "raised_by": "who raises alerts", "raise_within_days":
    "working days to raise a concern", "informal": "informal stage", "with": "whom it is with",
    "copy": "copied", "response_days": "working days to respond", "max_days":
    "longest it may be agreed for", "gate_to_formal": "consultation before going formal",
    "bypass": "starting at a formal level", "gate": "consultation", "consult":
    "whom to consult", "within_days": "working days to decide", "note": "what it says",
    "levels": "level", "role": "who responds", "on_silence": "if no reply in time",
    "on_not_satisfied": "if the reviewer is not satisfied", "formal_cap_days":
    "working days the formal stage may take", "at_risk_days": "warning before the limit",
    "categories": "category", "id": "code", "theme": "theme", "rag": "Red, amber, green",
    "notify": "who is told", "review_decisions": "Review decisions", "send_within_days":
    "working days to send", "reply_within_days": "working days to reply", "key_documents":
    "Key document", "significant_changes": "Significant changes", "types": "change",
    "notify_within_days": "working days to tell the reviewer", "review_questions":
    "Question on the monitoring form", "kind": "answer", "required": "required", "options":
    "options", "applies_to": "review kinds", "cafcass": "CAFCASS", "legal_advice":
    "Legal advice", "assumptions": "Assumption", "access": "Access",
}


def where_in_words(data: Mapping[str, Any], path: str) -> str:
    """A checker's dotted path (``tracks.iro.levels[2].role``) as the form's words: "Track
    Looked-after children, level 2 (Level 2: Head of Service): who responds"."""
    if path in ("(file)", ""):
        return "The file"
    words: list[str] = []
    node: Any = data
    for part in path.split("."):
        name, _, rest = part.partition("[")
        if isinstance(node, Mapping) and node is data.get("tracks") and name in node:
            node = node[name]
            label = node.get("label") if isinstance(node, Mapping) else None
            words.append(f"Track {label or name}")
            continue
        if name == "tracks":
            node = data.get("tracks")
            continue
        node = node.get(name) if isinstance(node, Mapping) else None
        word = FIELD_WORDS.get(name, name.replace("_", " "))
        if rest:
            number = int(rest.rstrip("]")) if rest.rstrip("]").isdigit() else 0
            item = node[number - 1] if isinstance(node, list) and 0 < number <= len(node) \
                else None
            node = item
            label = item.get("label") if isinstance(item, Mapping) else None
            words.append(f"{word} {number}" + (f" ({label})" if label else ""))
        else:
            words.append(word)
    text = ", ".join(words[:-1]) + (": " if len(words) > 1 else "") + words[-1]
    return text[:1].upper() + text[1:]


def _empty(value: Any) -> bool:
    """Nothing said: None, "", [], False, or a block of nothing but those."""
    if isinstance(value, Mapping):
        return all(_empty(v) for v in value.values())
    return value is None or value == "" or value == [] or value is False


def drop_added_empties(base: Any, draft: Any) -> Any:
    """The draft without the empty values the forms filled in where the file said nothing
    (a file that left ``copy`` out need not gain ``copy: []``): a form shows every field,
    but a draft changes only what a person changed."""
    if isinstance(base, Mapping) and isinstance(draft, dict):
        for key in list(draft):
            if key not in base and _empty(draft[key]):
                del draft[key]
            elif key in base:
                draft[key] = drop_added_empties(base[key], draft[key])
        return draft
    if isinstance(base, list) and isinstance(draft, list):
        return [drop_added_empties(base[n], item) if n < len(base) else item
                for n, item in enumerate(draft)]
    return draft
