"""Authority policies: an escalation procedure as data, read from one YAML file each.

Why data and not code: every local authority words its dispute-resolution procedure
differently (who is on the ladder, how many working days each level has, who is copied,
what silence means), and an administrator must be able to describe their own authority's
without a programmer. This module turns such a file into frozen dataclasses that the rules
and pages read, and checks it first. The check reports *every* problem it can find at
once, in plain English, with where it is and what to do, so a mistake is found when the
file is written and not when a child's alert escalates to the wrong person.

The file format is documented field by field in ``rules/policies/README.md``; the five
presets there (``seed-000`` ... ``seed-004``) are worked examples taken from real
procedures.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from rules.policy_check import read_policy_file, read_policy_text
from rules.policy_model import (  # noqa: F401 - re-exported: the public API
    DEFAULT_ACT_FOR_REVIEWER,
    DEFAULT_AUTHORITY_WIDE,
    ESCALATION_WORDS,
    MAX_DAYS,
    MAX_MONTHS,
    PRESETS_DIR,
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
    NotInPolicy,
    Permanence,
    Policy,
    PolicyInvalid,
    PolicyProblem,
    PracticeConcerns,
    RagRouting,
    ReviewDecisions,
    SignificantChanges,
    Track,
)


def check_policy_file(path: str | os.PathLike[str]) -> list[PolicyProblem]:
    """Every problem in the policy file at ``path`` (empty when it is fine).

    Never raises for a bad file: a missing file, broken YAML or a wrong value all come
    back as problems, so a settings page can show them all at once.
    """
    return read_policy_file(path)[1]


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """The policy in the file at ``path``; PolicyInvalid listing every problem if any."""
    policy, problems = read_policy_file(path)
    if problems or policy is None:
        raise PolicyInvalid(problems)
    return policy


def check_policy_text(text: str, file_name: str) -> list[PolicyProblem]:
    """Every problem in a policy held as text, checked as if it were the file ``file_name``
    (so ``id`` must match the name without ``.yaml``); empty when it is fine."""
    return read_policy_text(text, file_name)[1]


def load_policy_text(text: str, file_name: str, path: str | None = None) -> Policy:
    """The policy in ``text``, checked as the file ``file_name``; PolicyInvalid if any
    problem. ``path`` is where the policy says it came from (default ``file_name``)."""
    policy, problems = read_policy_text(text, file_name, path)
    if problems or policy is None:
        raise PolicyInvalid(problems)
    return policy


# --------------------------------------------------------------------------- presets


def preset_ids() -> list[str]:
    """The ids of the shipped presets, sorted (the ``*.yaml`` files in PRESETS_DIR)."""
    return sorted(file.stem for file in PRESETS_DIR.glob("*.yaml"))


def preset_path(policy_id: str) -> Path:
    """The file of a shipped preset; ValueError naming the presets for an unknown id."""
    ids = preset_ids()
    if policy_id not in ids:
        raise ValueError(
            f"No policy preset called {policy_id!r}. The presets are: {', '.join(ids)}."
        )
    return PRESETS_DIR / f"{policy_id}.yaml"


@functools.cache
def load_preset(policy_id: str) -> Policy:
    """A shipped preset, read once per process (policies are immutable)."""
    return load_policy(preset_path(policy_id))
