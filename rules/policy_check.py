"""Reading and checking a policy file: every problem at once, in plain English.

A mistake in a policy must be found when the file is written, not when a child's alert
escalates to the wrong person; so the checker never stops at the first problem, and each
message says where the problem is and what to do about it.
"""

from __future__ import annotations

import datetime
import difflib
import itertools
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from rules.policy_model import (
    _ISO_DATE,
    _POLICY_ID,
    _SLUG,
    DEFAULT_ACT_FOR_REVIEWER,
    DEFAULT_AUTHORITY_WIDE,
    DEFAULT_POLICY_EDITORS,
    ESCALATION_WORDS,
    MAX_DAYS,
    MAX_MONTHS,
    QUESTION_KINDS,
    QUESTION_REQUIRED_WORDS,
    REVIEW_KINDS,
    REVIEW_SILENCE_WORDS,
    TRACKS,
    Access,
    Bypass,
    Category,
    ChangeType,
    Document,
    Gate,
    InformalStage,
    LegalAdvice,
    Level,
    NotifyGate,
    Permanence,
    Policy,
    PolicyProblem,
    PracticeConcerns,
    RagRouting,
    ReviewDecisions,
    ReviewQuestion,
    SignificantChanges,
    Track,
)
from rules.roles import LINE_MANAGER, REVIEWER_ROLES, ROLES, role_name

# --------------------------------------------------------------------------- YAML


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text.

    PyYAML turns ``2024-12-27`` into a date by itself and raises a bare ValueError for
    ``2024-02-30``, which would hide every other problem in the file; keeping dates as
    text lets the checker report a bad date like any other mistake.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

#: The largest policy file read, in bytes. The presets are 10 to 18 KB; a megabyte is
#: far beyond any real procedure, and a file past it is refused before it is parsed.
MAX_POLICY_BYTES = 1_000_000
#: The most values (blocks, lists and single values) a policy may hold once every alias
#: (``*ladder``) is counted as the copy it stands for. The presets hold 460 to 830. Aliases
#: are counted while the file is read, before anything is expanded: a few kilobytes of
#: aliases to aliases (a "billion laughs") would otherwise stand for billions of values,
#: which the checker would walk and print.
MAX_POLICY_VALUES = 50_000
#: How deeply blocks and lists may nest. The presets go 8 deep; reading nests a function
#: call per level, so a file of ``[[[[...`` would otherwise end in a RecursionError.
MAX_POLICY_DEPTH = 50


class PolicyTooLarge(yaml.YAMLError):
    """The file is too big, too deep or expands too far to be read; ``str`` is the
    plain sentence to show (a YAMLError, so every ``except yaml.YAMLError`` refuses it)."""


class _BoundedLoader(_Loader):
    """The policy loader with limits on depth and on what aliases expand to.

    Each node's size, counting aliased blocks in full, is worked out as it is composed
    (from its children's, already known), so an alias bomb is refused after reading only
    its few real nodes, and the deep nesting before Python's recursion limit is reached.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        # id(node) -> (values it stands for, how deep it nests), aliases written out
        self._sizes: dict[int, tuple[int, int]] = {}

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None and id(target) not in self._sizes:
                raise PolicyTooLarge(
                    f"The alias *{event.anchor} at line {event.start_mark.line + 1} is inside"
                    f" the block &{event.anchor} it refers to, so it would repeat without"
                    " end. Write the values out instead."
                )
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_POLICY_DEPTH:
                line = self.peek_event().start_mark.line + 1
                raise PolicyTooLarge(
                    f"Blocks and lists are nested more than {MAX_POLICY_DEPTH} deep (at line"
                    f" {line}); a policy needs fewer than 10. Check the indentation and the"
                    " brackets."
                )
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        size = 1 + sum(self._sizes[id(child)][0] for child in children)
        # an alias's block nests inside wherever it is used, so depth is counted through it
        height = 1 + max((self._sizes[id(child)][1] for child in children), default=0)
        if height > MAX_POLICY_DEPTH:
            raise PolicyTooLarge(
                f"With its aliases (*name) written out, blocks and lists here would be"
                f" nested more than {MAX_POLICY_DEPTH} deep (the block ending at line"
                f" {node.end_mark.line + 1}); a policy needs fewer than 10."
            )
        if size > MAX_POLICY_VALUES:
            raise PolicyTooLarge(
                f"With its aliases (*name) written out, this file would hold more than"
                f" {MAX_POLICY_VALUES:,} values (the block ending at line"
                f" {node.end_mark.line + 1}); a policy holds about a thousand. Use each"
                " anchor (&name) directly rather than through other aliases."
            )
        self._sizes[id(node)] = (size, height)
        return node


def _check_size(text: str) -> None:
    """Refuse text over MAX_POLICY_BYTES before any of it is parsed."""
    size = len(text) if len(text) > MAX_POLICY_BYTES else len(
        text.encode("utf-8", "surrogatepass"))
    if size > MAX_POLICY_BYTES:
        raise PolicyTooLarge(_too_many_bytes(size))


def _too_many_bytes(size: int) -> str:
    return (f"The file is {size:,} bytes; a policy file may be at most {MAX_POLICY_BYTES:,}"
            " (the presets are under 20,000). Check that this is the policy file.")


def load_policy_yaml(text: str) -> Any:
    """The data in a policy's YAML text, read within the limits above.

    Raises ``yaml.YAMLError`` (``PolicyTooLarge`` for text past a limit); never a
    RecursionError or an expansion that exhausts memory. For anything that reads policy
    text, checked or not yet checked.
    """
    _check_size(text)
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _yaml_message(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        what = exc.problem
        if exc.context and exc.context_mark is not None:
            # e.g. where an unclosed quote began, which may be far above the problem
            what = f"{exc.context} (line {exc.context_mark.line + 1}), {what}"
        return (
            f"This is not valid YAML: {what} at line {mark.line + 1}, column"
            f" {mark.column + 1}. Check the indentation and punctuation on that line and"
            " the line before it."
        )
    return f"This is not valid YAML: {exc}."


# --------------------------------------------------------------------------- the checker


@dataclass(frozen=True)
class _Shape:
    """The fields one kind of block may have; ``noun`` names it in messages. ``hints`` say
    what to write for a missing field where the shared ``_HINTS`` would mislead (a
    question's ``id`` is not the file's)."""

    noun: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    hints: tuple[tuple[str, str], ...] = ()

    @property
    def allowed(self) -> tuple[str, ...]:
        return self.required + self.optional


_GATE = _Shape("a gate", ("consult",), ("within_days", "emergency_exempt", "note"))
_NOTIFY_GATE = _Shape("a notification gate", ("notify",), ("note",))
_CATEGORY = _Shape("a category", ("id", "label", "theme"))
_LEVEL = _Shape(
    "a level",
    ("role", "label", "response_days", "on_silence", "on_not_satisfied"),
    ("copy", "exceptional", "gate"),
)
_INFORMAL = _Shape(
    "the informal stage",
    ("label", "with", "response_days"),
    ("copy", "max_days", "gate_to_formal"),
)
_BYPASS = _Shape("bypass", ("allowed",), ("gate",))
_TRACK = _Shape(
    "a track",
    (
        "label",
        "raised_by",
        "review_kind",
        "informal",
        "levels",
        "formal_cap_days",
        "at_risk_days",
        "categories",
    ),
    ("raise_within_days", "bypass"),
)
_CAFCASS = _Shape("cafcass", (), ("gate",))
_LEGAL_ADVICE = _Shape("legal_advice", (), ("consult", "note"))
_RAG = _Shape("rag", ("amber", "red"))
_RAG_COLOUR = _Shape("a RAG rating", ("notify",), ("note",))
_REVIEW_DECISIONS = _Shape(
    "review_decisions", ("send_within_days", "reply_within_days", "on_silence")
)
_DOCUMENT = _Shape("a key document", ("id", "label"))
_SIGNIFICANT_CHANGES = _Shape("significant_changes", ("notify_within_days", "types"))
_CHANGE_TYPE = _Shape("a significant change", ("id", "label"), ("review_before",))
_PERMANENCE = _Shape(
    "permanence",
    ("placed_with_parents_months", "not_placed_after_decision_months", "refer_to"),
)
_PRACTICE_CONCERNS = _Shape("practice_concerns", ("to", "respond_days"), ("escalate_to",))
_IMPACT = _Shape("impact", (), ("follow_up_months",))
_ACCESS = _Shape("access", (), ("authority_wide", "act_for_reviewer", "policy_editors"))
_REVIEW_QUESTION = _Shape(
    "a review question",
    ("id", "label", "kind"),
    ("required", "options", "applies_to", "help"),
    (
        ("id", "a short name for the answer, e.g. 'id: child_views_heard'"),
        ("label", "the question as the form asks it, e.g."
         " 'label: \"Were the child\'s views heard before the review?\"'"),
        ("kind", "how it is answered: 'text', 'yes_no', 'choice' or 'date'"),
    ),
)
_POLICY = _Shape(
    "the policy",
    (
        "id",
        "version",
        "authority",
        "summary",
        "themes",
        "tracks",
        "rag",
        "review_decisions",
        "acknowledge_days",
        "key_documents",
        "significant_changes",
    ),
    (
        "source",
        "cafcass",
        "legal_advice",
        "permanence",
        "practice_concerns",
        "access",
        "review_questions",
        "impact",
        "closure_days",
        "assumptions",
    ),
)

#: What to write for each required field, quoted when it is missing.
_HINTS: dict[str, str] = {
    "id": "the file name without .yaml, e.g. 'id: seed-001'",
    "version": "a whole number you increase whenever the rules change, e.g. 'version: 1'",
    "authority": "the authority's name, e.g. 'authority: \"Anytown Council\"'",
    "summary": "one or two sentences saying how the procedure works",
    "themes": "the reporting headings, e.g. 'themes: [Practice, Care Planning]'",
    "tracks": "at least one track, 'iro' (looked-after children) or 'cp' (child protection)",
    "rag": "who hears about amber and red judgements, under 'amber:' and 'red:'",
    "amber": "'notify:' with the roles told about an amber judgement",
    "red": "'notify:' with the roles told about a red judgement",
    "review_decisions": "'send_within_days', 'reply_within_days' and 'on_silence'",
    "acknowledge_days": "the working days a manager has to acknowledge an alert,"
    " e.g. 'acknowledge_days: 1'",
    "key_documents": "the documents the monitoring form checks, e.g."
    " '- {id: care_plan, label: \"Care plan\"}'",
    "significant_changes": "'notify_within_days' and the list of 'types'",
    "label": "the name people read, in the procedure's own words",
    "raised_by": "the roles that raise alerts on this track, e.g. 'raised_by: [iro]'",
    "review_kind": "'lac_review' or 'cp_conference'",
    "informal": "the informal stage: 'label', 'with' and 'response_days'",
    "levels": "the formal ladder, one '- role: ...' entry per level",
    "formal_cap_days": "the total working days for the formal process, e.g. 'formal_cap_days: 20'",
    "at_risk_days": "how many working days before the cap an alert shows as at risk,"
    " e.g. 'at_risk_days: 2'",
    "categories": "the kinds of concern, e.g."
    " '- {id: drift, label: \"Drift in care planning\", theme: Care Planning}'",
    "with": "the roles the reviewer resolves things with informally, e.g."
    " 'with: [social_worker, team_manager]'",
    "response_days": "the working days allowed for a response, e.g. 'response_days: 5'",
    "role": "the role slug of who answers at this level, e.g. 'role: service_manager'",
    "on_silence": "'escalate' or 'prompt': what happens when this level does not answer in time",
    "on_not_satisfied": "'escalate' or 'prompt': what happens when the reviewer is not"
    " satisfied with this level's answer",
    "allowed": "'allowed: true' or 'allowed: false'",
    "consult": "the roles to consult, e.g. 'consult: [line_manager]'",
    "notify": "the roles to tell, e.g. 'notify: [head_of_service]'",
    "theme": "one of the policy's themes",
    "send_within_days": "the working days after a review to send its decisions",
    "reply_within_days": "the working days a manager has to reply to review decisions",
    "notify_within_days": "the working days to tell the reviewer of a significant change",
    "types": "the list of significant changes, e.g."
    " '- {id: placement_change_proposed, label: \"Proposed change of placement\"}'",
    "placed_with_parents_months": "months placed with parents before a referral, e.g. 12",
    "not_placed_after_decision_months": "months unplaced after the permanence decision"
    " before a referral, e.g. 9",
    "refer_to": "the role permanence referrals go to, e.g. 'refer_to: service_manager'",
    "to": "the role practice concerns go to",
    "respond_days": "the working days allowed for a response, e.g. 'respond_days: 15'",
}


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _suggest(word: str, options: list[str] | tuple[str, ...]) -> str:
    """' Did you mean 'x'?' when ``word`` looks like a typo of one option, else ''."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


def _quote_list(options: list[str] | tuple[str, ...]) -> str:
    """'a', 'b' or 'c'."""
    quoted = [f"'{option}'" for option in options]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _describe(value: Any) -> str:
    """What the file actually holds, in words an administrator recognises."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text '{shown}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a block of 'key: value' lines"
    return f"a value of type {type(value).__name__}"


class _Checker:
    """Reads a parsed policy file into a Policy, recording every problem on the way.

    Reading and checking are one pass so the two can never disagree; when any problem
    is found the half-built Policy (with None where values were bad) is thrown away.
    """

    def __init__(self, file: str, stem: str) -> None:
        self.file = file
        self.stem = stem
        self.problems: list[PolicyProblem] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(PolicyProblem(self.file, path or "(file)", message))

    # -- shapes and plain values

    def block(self, value: Any, path: str, shape: _Shape) -> dict[str, Any] | None:
        """The block as a dict after reporting unknown and missing fields; None if it is
        not a block at all."""
        if not isinstance(value, dict):
            where = "the whole file to be" if not path else f"{shape.noun} written as"
            self.problem(
                path,
                f"Expected {where} 'key: value' lines, but found {_describe(value)}.",
            )
            return None
        for key in value:
            name = str(key)
            if key not in shape.allowed:
                hint = _suggest(name, shape.allowed) or (
                    f" The fields {shape.noun} can have are: {', '.join(sorted(shape.allowed))}."
                )
                self.problem(_join(path, name), f"'{name}' is not a field of {shape.noun}.{hint}")
        for key in shape.required:
            if key not in value:
                hint = dict(shape.hints).get(key) or _HINTS.get(
                    key, "it (see rules/policies/README.md)")
                self.problem(_join(path, key), f"This required field is missing. Add {hint}.")
        return value

    def items(self, value: Any, path: str, *, null_is_empty: bool = False) -> list[Any]:
        """The list at ``path``; reports and returns [] if it is something else."""
        if value is None and null_is_empty:
            return []
        if not isinstance(value, list):
            self.problem(
                path,
                f"Expected a list (written [a, b] or as lines starting with '- '), but"
                f" found {_describe(value)}.",
            )
            return []
        return value

    def text(self, value: Any, path: str, *, may_be_empty: bool = False) -> str | None:
        if value is None and may_be_empty:
            return ""
        if not isinstance(value, str):
            self.problem(path, f"Expected text, but found {_describe(value)}.")
            return None
        if not value.strip() and not may_be_empty:
            self.problem(path, "This cannot be empty: write the text it needs.")
            return None
        return value.strip()

    def whole(self, value: Any, path: str, *, low: int, high: int, unit: str) -> int | None:
        """A whole number from ``low`` to ``high`` ``unit``; None (reported) otherwise."""
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(
                path,
                f"Expected a whole number of {unit}, like 5, but found {_describe(value)}.",
            )
            return None
        if value < 0:
            self.problem(path, f"{value} is negative: {unit} cannot be negative.")
            return None
        if value < low:
            self.problem(path, f"{value} is too small here: use at least {low}.")
            return None
        if value > high:
            self.problem(
                path,
                f"{value} {unit} is more than the {high} allowed here; check for a typo.",
            )
            return None
        return value

    def days(self, value: Any, path: str, *, nullable: bool = False, low: int = 0) -> int | None:
        """Working days, 0 ("the same day") to MAX_DAYS; ``null`` only where allowed."""
        if value is None and nullable:
            return None
        return self.whole(value, path, low=low, high=MAX_DAYS, unit="working days")

    def version(self, value: Any, path: str) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return value
        self.problem(
            path,
            f"The version must be a whole number from 1 up, but found {_describe(value)}."
            " Start at 1 and add 1 whenever the rules change.",
        )
        return None

    def flag(self, value: Any, path: str) -> bool | None:
        if not isinstance(value, bool):
            self.problem(path, f"Expected true or false, but found {_describe(value)}.")
            return None
        return value

    def word(self, value: Any, path: str, words: dict[str, str]) -> str | None:
        """One of a fixed set of words, each explained in the message when it is wrong."""
        if isinstance(value, str) and value in words:
            return value
        choices = " or ".join(f"'{word}' ({meaning})" for word, meaning in words.items())
        shown = f"'{value}'" if isinstance(value, str) else _describe(value)
        hint = _suggest(value, list(words)) if isinstance(value, str) else ""
        self.problem(path, f"{shown} is not allowed here.{hint} Use {choices}.")
        return None

    def slug(
        self, value: Any, path: str, *, example: str = "drift_in_care_planning"
    ) -> str | None:
        """An id: lower-case letters, digits and underscores, so it is safe to store."""
        if not isinstance(value, str):
            self.problem(
                path,
                f"Expected an id such as '{example}', but found {_describe(value)}.",
            )
            return None
        if not _SLUG.match(value):
            self.problem(
                path,
                f"'{value}' is not a valid id: use lower-case letters, digits and"
                f" underscores, starting with a letter, e.g. '{example}'.",
            )
            return None
        return value

    # -- roles

    def role(self, value: Any, path: str, *, consult: bool = False) -> str | None:
        """A role slug from rules.roles; ``line_manager`` only in a consult list."""
        if not isinstance(value, str):
            self.problem(
                path,
                f"Expected a role such as 'team_manager', but found {_describe(value)}.",
            )
            return None
        if value in ROLES or (consult and value == LINE_MANAGER):
            return value
        if value == LINE_MANAGER:
            self.problem(
                path,
                "'line_manager' means the reviewer's own line manager and can only be"
                " used in a 'consult' list. Name a role here instead, such as"
                " 'team_manager'.",
            )
            return None
        options = [*ROLES, LINE_MANAGER] if consult else list(ROLES)
        tidied = re.sub(r"[\s-]+", "_", value.strip().lower())
        close = (
            [tidied]
            if tidied in options
            else difflib.get_close_matches(tidied, options, n=1, cutoff=0.6)
        )
        if close:
            hint = f" Did you mean '{close[0]}' ({role_name(close[0])})?"
        else:
            hint = f" Use one of: {', '.join(options)}."
        self.problem(path, f"'{value}' is not a role this app knows.{hint}")
        return None

    def roles(
        self, value: Any, path: str, *, consult: bool = False, at_least_one: bool = False
    ) -> tuple[str, ...]:
        """A list of roles, each named once."""
        found: list[str] = []
        entries = self.items(value, path, null_is_empty=not at_least_one)
        if at_least_one and not entries and isinstance(value, list):
            self.problem(path, "List at least one role here, e.g. [team_manager].")
        for number, entry in enumerate(entries, 1):
            role = self.role(entry, f"{path}[{number}]", consult=consult)
            if role is None:
                continue
            if role in found:
                self.problem(
                    f"{path}[{number}]",
                    f"'{role}' is listed more than once here. Remove the repeat.",
                )
                continue
            found.append(role)
        return tuple(found)

    # -- gates

    # -- fields of a block

    def field(
        self,
        block: Mapping[str, Any],
        path: str,
        key: str,
        read: Callable[..., Any],
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """``read`` a required field; None when it is absent (block() reported that)."""
        if key not in block:
            return None
        return read(block[key], _join(path, key), *args, **kwargs)

    def optional(
        self,
        block: Mapping[str, Any],
        path: str,
        key: str,
        read: Callable[..., Any],
        *args: Any,
        default: Any = None,
        **kwargs: Any,
    ) -> Any:
        """``read`` an optional field; ``default`` when it is absent or written as null."""
        if block.get(key) is None:
            return default
        return read(block[key], _join(path, key), *args, **kwargs)

    # -- gates

    def gate(self, value: Any, path: str) -> Gate | None:
        block = self.block(value, path, _GATE)
        if block is None:
            return None
        return Gate(
            self.field(block, path, "consult", self.roles, consult=True, at_least_one=True),
            self.optional(block, path, "within_days", self.days),
            self.optional(block, path, "emergency_exempt", self.flag, default=False),
            self.optional(block, path, "note", self.text, may_be_empty=True, default=""),
        )

    def notify_gate(self, value: Any, path: str, shape: _Shape) -> NotifyGate | None:
        block = self.block(value, path, shape)
        if block is None:
            return None
        return NotifyGate(
            self.field(block, path, "notify", self.roles, at_least_one=True),
            self.optional(block, path, "note", self.text, may_be_empty=True, default=""),
        )

    # -- tracks

    def informal(self, value: Any, path: str) -> InformalStage | None:
        block = self.block(value, path, _INFORMAL)
        if block is None:
            return None
        stage = InformalStage(
            self.field(block, path, "label", self.text),
            self.field(block, path, "with", self.roles, at_least_one=True),
            self.optional(block, path, "copy", self.roles, default=()),
            self.field(block, path, "response_days", self.days),
            self.optional(block, path, "max_days", self.days),
            self.optional(block, path, "gate_to_formal", self.gate),
        )
        response, longest = stage.response_days, stage.max_days
        if response is not None and longest is not None and longest < response:
            self.problem(
                _join(path, "max_days"),
                f"max_days ({longest}) is shorter than response_days ({response}), so the"
                f" informal stage would run out before its own default due date. Make"
                f" max_days at least {response}, or shorten response_days.",
            )
        return stage

    def bypass(self, value: Any, path: str) -> Bypass | None:
        block = self.block(value, path, _BYPASS)
        if block is None:
            return None
        bypass = Bypass(
            self.field(block, path, "allowed", self.flag),
            self.optional(block, path, "gate", self.gate),
        )
        if bypass.allowed is False and bypass.gate is not None:
            self.problem(
                _join(path, "gate"),
                "A gate is set but bypassing is not allowed ('allowed: false'). Remove the"
                " gate, or set 'allowed: true'.",
            )
        return bypass

    def level(self, value: Any, path: str, number: int) -> Level | None:
        block = self.block(value, path, _LEVEL)
        if block is None:
            return None
        # A bad value stays None (exceptional included), so no later check builds on it.
        return Level(
            number,
            self.field(block, path, "role", self.role),
            self.field(block, path, "label", self.text),
            self.optional(block, path, "copy", self.roles, default=()),
            self.field(block, path, "response_days", self.days),
            self.field(block, path, "on_silence", self.word, ESCALATION_WORDS),
            self.field(block, path, "on_not_satisfied", self.word, ESCALATION_WORDS),
            self.optional(block, path, "exceptional", self.flag, default=False),
            self.optional(block, path, "gate", self.gate),
        )

    def ladder(self, value: Any, path: str) -> tuple[Level, ...]:
        entries = self.items(value, path)
        if isinstance(value, list) and not entries:
            self.problem(
                path,
                "The ladder has no levels. Add at least one, e.g. '- role: team_manager'"
                " with its label, response_days, on_silence and on_not_satisfied.",
            )
        levels: list[Level] = []
        first_at: dict[str, int] = {}
        for number, entry in enumerate(entries, 1):
            level = self.level(entry, f"{path}[{number}]", number)
            if level is None:
                continue
            levels.append(level)
            if level.role is None:
                continue
            if level.role in first_at:
                self.problem(
                    f"{path}[{number}].role",
                    f"'{level.role}' is already on this ladder at levels"
                    f"[{first_at[level.role]}]. A role can answer at only one level of a"
                    " ladder: remove one of them or name a different role.",
                )
            else:
                first_at[level.role] = number
        for below, above in itertools.pairwise(levels):
            if above.exceptional is not True:
                continue
            for key, what in (
                ("on_silence", "silence here"),
                ("on_not_satisfied", "a reviewer who is not satisfied here"),
            ):
                if getattr(below, key) == "escalate":
                    self.problem(
                        f"{path}[{below.number}].{key}",
                        f"The next level ({above.label}) is exceptional, reached only by"
                        f" hand, so {what} cannot escalate to it automatically. Use"
                        " 'prompt'.",
                    )
        if len(levels) == len(entries) > 0 and all(lv.exceptional is True for lv in levels):
            self.problem(
                path,
                "Every level is marked exceptional, so nothing can ever escalate. Mark"
                " the everyday levels 'exceptional: false'.",
            )
        return tuple(levels)

    def categories(
        self, value: Any, path: str, themes: tuple[str, ...] | None
    ) -> tuple[Category, ...]:
        entries = self.items(value, path)
        if isinstance(value, list) and not entries:
            self.problem(
                path,
                "List at least one category of concern, e.g. '- {id: drift_in_care_planning,"
                ' label: "Drift in care planning", theme: Care Planning}\'.',
            )
        found: list[Category] = []
        first_at: dict[str, int] = {}
        for number, entry in enumerate(entries, 1):
            where = f"{path}[{number}]"
            block = self.block(entry, where, _CATEGORY)
            if block is None:
                continue
            category = Category(
                self.field(block, where, "id", self.slug),
                self.field(block, where, "label", self.text),
                self.field(block, where, "theme", self.text),
            )
            if category.id is not None:
                if category.id in first_at:
                    self.problem(
                        f"{where}.id",
                        f"'{category.id}' is already the id of categories"
                        f"[{first_at[category.id]}]. Give each category its own id.",
                    )
                else:
                    first_at[category.id] = number
            theme = category.theme
            if theme is not None and themes is not None and theme not in themes:
                self.problem(
                    f"{where}.theme",
                    f"'{theme}' is not one of the policy's themes.{_suggest(theme, themes)}"
                    f" Use one of: {', '.join(themes)}; or add it to 'themes'.",
                )
            found.append(category)
        return tuple(found)

    def track(
        self, track_id: str, value: Any, path: str, themes: tuple[str, ...] | None
    ) -> Track | None:
        block = self.block(value, path, _TRACK)
        if block is None:
            return None
        label = self.field(block, path, "label", self.text)
        raised_by = self.field(block, path, "raised_by", self.roles, at_least_one=True) or ()
        for number, role in enumerate(raised_by, 1):
            if role not in REVIEWER_ROLES:
                self.problem(
                    f"{path}.raised_by[{number}]",
                    f"'{role}' does not chair reviews or conferences, so cannot raise"
                    f" alerts. Use {_quote_list(REVIEWER_ROLES)}.",
                )
        review_kind = self.field(block, path, "review_kind", self.word, REVIEW_KINDS)
        raise_within = self.optional(block, path, "raise_within_days", self.days)
        informal = self.field(block, path, "informal", self.informal)
        bypass = self.optional(block, path, "bypass", self.bypass, default=Bypass(False, None))
        levels = self.field(block, path, "levels", self.ladder) or ()
        cap = self.field(block, path, "formal_cap_days", self.days, low=1)
        at_risk = self.field(block, path, "at_risk_days", self.days)
        if cap is not None and at_risk is not None and at_risk >= cap:
            self.problem(
                _join(path, "at_risk_days"),
                f"at_risk_days ({at_risk}) must be smaller than formal_cap_days ({cap}):"
                " an alert shows as at risk this many working days before the cap. Use a"
                " smaller number, such as 2.",
            )
        if (
            cap is not None
            and levels
            and all(lv.response_days is not None and lv.exceptional is not None for lv in levels)
        ):
            total = sum(lv.response_days for lv in levels if not lv.exceptional)
            if total > cap:
                self.problem(
                    _join(path, "levels"),
                    f"The formal levels' response times add up to {total} working days,"
                    f" more than the formal cap of {cap} working days. Shorten some"
                    " levels' response_days, mark a level used only by hand"
                    " 'exceptional: true', or raise formal_cap_days.",
                )
        categories = self.field(block, path, "categories", self.categories, themes) or ()
        return Track(
            track_id,
            label,
            raised_by,
            review_kind,
            raise_within,
            informal,
            bypass,
            levels,
            cap,
            at_risk,
            categories,
        )

    def tracks(self, value: Any, path: str, themes: tuple[str, ...] | None) -> dict[str, Track]:
        if not isinstance(value, dict):
            self.problem(
                path,
                f"Expected the tracks, 'iro:' and/or 'cp:', each followed by its indented"
                f" settings, but found {_describe(value)}.",
            )
            return {}
        if not value:
            self.problem(path, "Add at least one track: 'iro' or 'cp'.")
        found: dict[str, Track] = {}
        for key, entry in value.items():
            name = str(key)
            where = _join(path, name)
            if key not in TRACKS:
                known = " or ".join(f"'{tid}' for {meaning}" for tid, meaning in TRACKS.items())
                self.problem(
                    where,
                    f"'{name}' is not a track this app knows.{_suggest(name, list(TRACKS))}"
                    f" Use {known}.",
                )
                continue
            track = self.track(name, entry, where, themes)
            if track is not None:
                found[name] = track
        return found

    # -- the rest of the policy

    def themes(self, value: Any, path: str) -> tuple[str, ...] | None:
        if not isinstance(value, list):
            self.items(value, path)  # reports the wrong type
            return None
        if not value:
            self.problem(path, "List at least one reporting theme, e.g. [Practice].")
            return None  # so each category does not repeat the same complaint
        found: list[str] = []
        for number, entry in enumerate(value, 1):
            theme = self.text(entry, f"{path}[{number}]")
            if theme is None:
                continue
            if theme in found:
                self.problem(f"{path}[{number}]", f"'{theme}' is listed twice. Remove one.")
                continue
            found.append(theme)
        return tuple(found)

    def identified(
        self, value: Any, path: str, shape: _Shape, flag_key: str | None = None
    ) -> list[tuple[str, str, bool]]:
        """A list of {id, label[, flag]} blocks with unique ids (documents, changes)."""
        found: list[tuple[str, str, bool]] = []
        first_at: dict[str, int] = {}
        entries = self.items(value, path)
        if isinstance(value, list) and not entries:
            self.problem(path, f"List at least one entry here ({shape.noun}).")
        for number, entry in enumerate(entries, 1):
            where = f"{path}[{number}]"
            block = self.block(entry, where, shape)
            if block is None:
                continue
            entry_id = self.field(block, where, "id", self.slug)
            label = self.field(block, where, "label", self.text)
            flag = bool(flag_key and self.optional(block, where, flag_key, self.flag))
            if entry_id is not None:
                if entry_id in first_at:
                    self.problem(
                        f"{where}.id",
                        f"'{entry_id}' is already the id of {path}[{first_at[entry_id]}]."
                        " Give each entry its own id.",
                    )
                else:
                    first_at[entry_id] = number
            found.append((entry_id, label, flag))
        return found

    def closure_days(self, value: Any, path: str) -> tuple[datetime.date, ...]:
        found: list[datetime.date] = []
        for number, entry in enumerate(self.items(value, path), 1):
            where = f"{path}[{number}]"
            if isinstance(entry, datetime.date) and not isinstance(entry, datetime.datetime):
                found.append(entry)
                continue
            text = str(entry)
            if not isinstance(entry, str) or not _ISO_DATE.match(text):
                self.problem(
                    where,
                    f"'{text}' is not a date written as YYYY-MM-DD. Write closure days"
                    " like 2024-12-27.",
                )
                continue
            try:
                found.append(datetime.date.fromisoformat(text))
            except ValueError:
                self.problem(
                    where,
                    f"'{text}' is not a real date (check the month and day). Write closure"
                    " days like 2024-12-27.",
                )
        return tuple(found)

    def assumptions(self, value: Any, path: str) -> tuple[str, ...]:
        texts = (
            self.text(entry, f"{path}[{n}]") for n, entry in enumerate(self.items(value, path), 1)
        )
        return tuple(text for text in texts if text is not None)

    def legal_advice(self, value: Any, path: str) -> LegalAdvice | None:
        block = self.block(value, path, _LEGAL_ADVICE)
        if block is None:
            return None
        return LegalAdvice(
            self.optional(block, path, "consult", self.roles, consult=True, default=()),
            self.optional(block, path, "note", self.text, may_be_empty=True, default=""),
        )

    def cafcass_gate(self, value: Any, path: str) -> NotifyGate | None:
        block = self.block(value, path, _CAFCASS)
        if block is None:
            return None
        return self.optional(block, path, "gate", self.notify_gate, _NOTIFY_GATE)

    def rag(self, value: Any, path: str) -> RagRouting | None:
        block = self.block(value, path, _RAG)
        if block is None:
            return None
        amber = self.field(block, path, "amber", self.notify_gate, _RAG_COLOUR)
        red = self.field(block, path, "red", self.notify_gate, _RAG_COLOUR)
        return RagRouting(
            amber and amber.notify, amber and amber.note, red and red.notify, red and red.note
        )

    def review_decisions(self, value: Any, path: str) -> ReviewDecisions | None:
        block = self.block(value, path, _REVIEW_DECISIONS)
        if block is None:
            return None
        return ReviewDecisions(
            self.field(block, path, "send_within_days", self.days),
            self.field(block, path, "reply_within_days", self.days),
            self.field(block, path, "on_silence", self.word, REVIEW_SILENCE_WORDS),
        )

    def significant_changes(self, value: Any, path: str) -> SignificantChanges | None:
        block = self.block(value, path, _SIGNIFICANT_CHANGES)
        if block is None:
            return None
        types = self.field(block, path, "types", self.identified, _CHANGE_TYPE, "review_before")
        return SignificantChanges(
            self.field(block, path, "notify_within_days", self.days),
            tuple(ChangeType(*entry) for entry in types or ()),
        )

    def permanence(self, value: Any, path: str) -> Permanence | None:
        block = self.block(value, path, _PERMANENCE)
        if block is None:
            return None
        months = {"low": 1, "high": MAX_MONTHS, "unit": "months"}
        return Permanence(
            self.field(block, path, "placed_with_parents_months", self.whole, **months),
            self.field(block, path, "not_placed_after_decision_months", self.whole, **months),
            self.field(block, path, "refer_to", self.role),
        )

    def practice_concerns(self, value: Any, path: str) -> PracticeConcerns | None:
        block = self.block(value, path, _PRACTICE_CONCERNS)
        if block is None:
            return None
        return PracticeConcerns(
            self.field(block, path, "to", self.role),
            self.field(block, path, "respond_days", self.days),
            self.optional(block, path, "escalate_to", self.roles, default=()),
        )

    def impact(self, value: Any, path: str) -> int | None:
        """Months from resolving an alert to asking whether its change lasted."""
        block = self.block(value, path, _IMPACT)
        if block is None:
            return None
        return self.optional(block, path, "follow_up_months", self.whole, low=1,
                             high=MAX_MONTHS, unit="months", default=3)

    def access(self, value: Any, path: str) -> Access | None:
        block = self.block(value, path, _ACCESS)
        if block is None:
            return None
        found = {}
        for key, default in (("authority_wide", DEFAULT_AUTHORITY_WIDE),
                             ("act_for_reviewer", DEFAULT_ACT_FOR_REVIEWER)):
            found[key] = self.optional(block, path, key, self.roles, default=default)
            if "admin" in found[key]:
                number = list(block[key]).index("admin") + 1
                self.problem(
                    f"{_join(path, key)}[{number}]",
                    "'admin' cannot be here: the administrator runs the service but sees no"
                    " child's record and no alert. Remove it.",
                )
        found["policy_editors"] = self.optional(block, path, "policy_editors", self.roles,
                                                default=DEFAULT_POLICY_EDITORS)
        return Access(**found)

    # -- the authority's own questions on the monitoring form

    def review_questions(
        self, value: Any, path: str, tracks: Mapping[str, Track]
    ) -> tuple[ReviewQuestion, ...]:
        """The questions the policy adds to the monitoring form, each with a unique id and
        wording; ``applies_to`` left out means every review kind the policy's tracks hold."""
        held = tuple(dict.fromkeys(
            t.review_kind for t in tracks.values() if t.review_kind is not None))
        found: list[ReviewQuestion] = []
        id_at: dict[str, int] = {}
        label_at: dict[str, int] = {}
        for number, entry in enumerate(self.items(value, path, null_is_empty=True), 1):
            where = f"{path}[{number}]"
            block = self.block(entry, where, _REVIEW_QUESTION)
            if block is None:
                continue
            question_id = self.field(block, where, "id", self.slug, example="child_views_heard")
            label = self.field(block, where, "label", self.text)
            kind = self.field(block, where, "kind", self.word, QUESTION_KINDS)
            required = self.optional(block, where, "required", self.word,
                                     QUESTION_REQUIRED_WORDS, default="never")
            options = self.question_options(block, where, kind)
            applies_to = self.optional(block, where, "applies_to", self.applies_to, held,
                                       default=held)
            help_text = self.optional(block, where, "help", self.text, may_be_empty=True,
                                      default="")
            if question_id is not None:
                if question_id in id_at:
                    self.problem(
                        f"{where}.id",
                        f"'{question_id}' is already the id of {path}[{id_at[question_id]}]."
                        " Give each question its own id.",
                    )
                else:
                    id_at[question_id] = number
            if label is not None:
                same = label.casefold()
                if same in label_at:
                    self.problem(
                        f"{where}.label",
                        f"{path}[{label_at[same]}] already asks this. Word each question"
                        " differently: the form and the reports tell them apart by it.",
                    )
                else:
                    label_at[same] = number
            found.append(ReviewQuestion(question_id, label, kind, required, options,
                                        applies_to, help_text))
        return tuple(found)

    def question_options(
        self, block: Mapping[str, Any], path: str, kind: str | None
    ) -> tuple[str, ...]:
        """A choice question's options: two or more, each written once. Any other kind of
        question has none (a yes/no question is answered Yes or No)."""
        where = _join(path, "options")
        given = block.get("options") is not None
        if kind is None:  # an unknown kind was reported: nothing to hold the options to
            return ()
        if kind != "choice":
            if given:
                self.problem(
                    where,
                    f"Only a 'choice' question has options; a '{kind}' question is answered"
                    f" with {QUESTION_KINDS[kind]}. Remove 'options', or write 'kind: choice'.",
                )
            return ()
        if not given:
            self.problem(
                where,
                "A 'choice' question needs the options to choose from. Add at least two,"
                ' e.g. \'options: ["In person", "Through an advocate", "In writing"]\'.',
            )
            return ()
        found: list[str] = []
        seen: dict[str, int] = {}
        for number, entry in enumerate(self.items(block["options"], where), 1):
            option = self.text(entry, f"{where}[{number}]")
            if option is None:
                continue
            if option.casefold() in seen:
                self.problem(
                    f"{where}[{number}]",
                    f"'{option}' is already option {seen[option.casefold()]}. Remove the"
                    " repeat: each option must read differently.",
                )
                continue
            seen[option.casefold()] = number
            found.append(option)
        if isinstance(block["options"], list) and len(block["options"]) < 2:
            self.problem(
                where,
                "A 'choice' question needs at least two options to choose between. Add"
                " another, or write 'kind: yes_no' or 'kind: text' instead.",
            )
        return tuple(found)

    def applies_to(self, value: Any, path: str, held: tuple[str, ...]) -> tuple[str, ...]:
        """The review kinds a question is asked at: kinds this policy has a track for."""
        found: list[str] = []
        entries = self.items(value, path)
        if isinstance(value, list) and not entries:
            self.problem(
                path,
                "List at least one review kind here, e.g. [lac_review], or leave"
                " 'applies_to' out to ask the question at every review.",
            )
        for number, entry in enumerate(entries, 1):
            where = f"{path}[{number}]"
            kind = self.word(entry, where, REVIEW_KINDS)
            if kind is None:
                continue
            if kind in found:
                self.problem(where, f"'{kind}' is listed more than once here. Remove the repeat.")
                continue
            if held and kind not in held:
                self.problem(
                    where,
                    f"This policy has no track for {REVIEW_KINDS[kind]} ('{kind}'), so the"
                    f" question would never be asked. Use {_quote_list(held)}, or add the"
                    " track.",
                )
                continue
            found.append(kind)
        return tuple(found)

    def policy_id(self, value: Any, path: str) -> str | None:
        policy_id = self.text(value, path)
        if policy_id is None:
            return None
        if not _POLICY_ID.match(policy_id):
            self.problem(
                path,
                f"'{policy_id}' is not a valid policy id: use lower-case letters, digits,"
                " hyphens and underscores, e.g. 'anytown-2024'.",
            )
        elif policy_id != self.stem:
            self.problem(
                path,
                f"The id '{policy_id}' does not match the file name '{self.file}'. Make"
                f" them the same: set 'id: {self.stem}', or rename the file to"
                f" '{policy_id}.yaml'.",
            )
        return policy_id

    def policy(self, data: Any, file_path: str) -> Policy | None:
        """The whole file. Values that were wrong are None in the result; the caller
        throws it away whenever any problem was recorded."""
        top = self.block(data, "", _POLICY)
        if top is None:
            return None
        themes = self.field(top, "", "themes", self.themes)
        key_documents = self.field(top, "", "key_documents", self.identified, _DOCUMENT)
        policy = Policy(
            id=self.field(top, "", "id", self.policy_id),
            version=self.field(top, "", "version", self.version),
            authority=self.field(top, "", "authority", self.text),
            source=self.optional(top, "", "source", self.text, may_be_empty=True, default=""),
            summary=self.field(top, "", "summary", self.text),
            themes=themes,
            tracks=MappingProxyType(self.field(top, "", "tracks", self.tracks, themes) or {}),
            cafcass_gate=self.optional(top, "", "cafcass", self.cafcass_gate),
            legal_advice=self.optional(
                top, "", "legal_advice", self.legal_advice, default=LegalAdvice((), "")
            ),
            rag=self.field(top, "", "rag", self.rag),
            review_decisions=self.field(top, "", "review_decisions", self.review_decisions),
            acknowledge_days=self.field(top, "", "acknowledge_days", self.days),
            key_documents=tuple(Document(i, label) for i, label, _ in key_documents or ()),
            significant_changes=self.field(
                top, "", "significant_changes", self.significant_changes
            ),
            permanence=self.optional(top, "", "permanence", self.permanence),
            practice_concerns=self.optional(top, "", "practice_concerns", self.practice_concerns),
            access=self.optional(top, "", "access", self.access, default=Access()),
            closure_days=self.optional(top, "", "closure_days", self.closure_days, default=()),
            assumptions=self.optional(top, "", "assumptions", self.assumptions, default=()),
            path=file_path,
        )
        # read last: a question's review kinds are checked against the tracks just read
        questions = self.optional(top, "", "review_questions", self.review_questions,
                                  policy.tracks, default=())
        months = self.optional(top, "", "impact", self.impact, default=3)
        return replace(policy, review_questions=questions, impact_follow_up_months=months or 3)


def _duplicate_keys(node: yaml.Node, path: str, checker: _Checker, seen: set[int]) -> None:
    """Report keys written twice in one block: YAML silently keeps the last one, so a
    pasted level with two ``response_days`` would otherwise lose one without a word."""
    if id(node) in seen:  # an alias to a block already walked
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            line = key_node.start_mark.line + 1
            if key in first_line:
                checker.problem(
                    _join(path, key),
                    f"This field is written twice (lines {first_line[key]} and {line});"
                    " YAML would quietly keep only the second. Delete one of them.",
                )
            else:
                first_line[key] = line
            _duplicate_keys(value_node, _join(path, key), checker, seen)
    elif isinstance(node, yaml.SequenceNode):
        for number, item in enumerate(node.value, 1):
            _duplicate_keys(item, f"{path}[{number}]", checker, seen)


def read_policy_file(path: str | os.PathLike[str]) -> tuple[Policy | None, list[PolicyProblem]]:
    """Read and check one file; never raises for anything wrong with the file."""
    file_path = Path(path)
    checker = _Checker(file_path.name, file_path.stem)
    try:
        size = file_path.stat().st_size
        if size > MAX_POLICY_BYTES and file_path.is_file():  # refused before it is read
            checker.problem("", _too_many_bytes(size))
            return None, checker.problems
        text = file_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        checker.problem(
            "", f"There is no policy file at {file_path}. Check the name and the folder."
        )
        return None, checker.problems
    except IsADirectoryError:
        checker.problem("", f"{file_path} is a folder, not a policy file.")
        return None, checker.problems
    except UnicodeDecodeError as exc:
        checker.problem(
            "",
            f"The file is not UTF-8 text (unreadable byte at position {exc.start})."
            " Save it as UTF-8 from your editor.",
        )
        return None, checker.problems
    except OSError as exc:
        checker.problem("", f"The file could not be read: {exc.strerror or exc}.")
        return None, checker.problems
    return _read_text(text, checker, str(file_path))


def read_policy_text(
    text: str, file_name: str, path: str | None = None
) -> tuple[Policy | None, list[PolicyProblem]]:
    """Check a policy held as text (a version kept in a store, a draft being edited) exactly
    as :func:`read_policy_file` checks a file called ``file_name``: the same problems, the
    same messages, and ``id`` must match the name without ``.yaml``. ``path`` is what the
    policy says it was read from (default: ``file_name``). Never raises."""
    name = Path(file_name)
    checker = _Checker(name.name, name.stem)
    return _read_text(text, checker, path if path is not None else file_name)


def _read_text(
    text: str, checker: _Checker, source: str
) -> tuple[Policy | None, list[PolicyProblem]]:
    try:
        _check_size(text)
        loader = _BoundedLoader(text)  # a SafeLoader: no arbitrary objects
        try:
            node = loader.get_single_node()
            data = None
            if node is not None:
                # before constructing: merge keys (<<) are folded into the node then
                _duplicate_keys(node, "", checker, set())
                data = loader.construct_document(node)
        finally:
            loader.dispose()
    except PolicyTooLarge as exc:
        checker.problem("", str(exc))
        return None, checker.problems
    except yaml.YAMLError as exc:
        checker.problem("", _yaml_message(exc))
        return None, checker.problems
    except (ValueError, TypeError) as exc:  # e.g. an explicit !!timestamp that is no date
        checker.problem("", f"This is not valid YAML: {exc}.")
        return None, checker.problems
    except RecursionError:  # the limits should make this unreachable; never a traceback
        checker.problem("", "The file is nested too deeply to read. Check the indentation.")
        return None, checker.problems
    if data is None:
        checker.problem(
            "",
            "The file is empty. Start from one of the presets in"
            " rules/policies/ and change what differs.",
        )
        return None, checker.problems
    policy = checker.policy(data, source)
    return (None if checker.problems else policy), checker.problems
