"""A policy's YAML text as the store keeps it: numbered by the store, otherwise verbatim.

A store keeps every version of its policy as the text the administrator adopted, comments
and all, so ``policy export`` gives back what was written. The one thing the store owns is
the version number: versions are numbered 1, 2, 3 ... in the order they are adopted, and
the ``version:`` line of the kept text is set to that number, so the text, the events
stamped with it and the version list always agree.

Pure: text in, text out; no database.
"""

from __future__ import annotations

import re

import yaml

from rules.policy_check import load_policy_yaml

#: The top-level ``version:`` line: at the start of a line (not indented), with its value
#: and any trailing comment.
_VERSION_LINE = re.compile(
    r"^version[ \t]*:(?P<space>[ \t]*)(?P<value>[^#\n]*?)(?P<tail>[ \t]*(?:#[^\n]*)?)$",
    re.MULTILINE,
)


def with_version(text: str, version: int) -> str:
    """``text`` with its top-level ``version:`` set to ``version``; everything else as it was.

    A file written in an unusual layout (``version`` not on a line of its own) is written
    out again from its data instead: the same policy, without its comments.
    """
    if version < 1:
        raise ValueError(f"A policy version is a whole number from 1 (got {version}).")
    matches = list(_VERSION_LINE.finditer(text))
    if len(matches) == 1:
        found = matches[0]
        if found.group("value") == str(version):
            return text
        space = found.group("space") or " "
        line = f"version:{space}{version}{found.group('tail')}"
        return text[: found.start()] + line + text[found.end():]
    data = load_policy_yaml(text)
    if not isinstance(data, dict):
        raise ValueError("This is not a policy: it is not a block of 'key: value' lines.")
    data["version"] = version
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False,
                          width=100)


def written_version(text: str) -> object:
    """What the text's own ``version:`` says (whatever it is), or None if it says nothing."""
    try:
        data = load_policy_yaml(text)
    except yaml.YAMLError:
        return None
    return data.get("version") if isinstance(data, dict) else None


def same_rules(first: str, second: str) -> bool:
    """True when two policy texts differ at most in their ``version:`` and layout (the data
    they hold is the same)."""
    try:
        a = load_policy_yaml(first)
        b = load_policy_yaml(second)
    except yaml.YAMLError:
        return False
    if not isinstance(a, dict) or not isinstance(b, dict):
        return False
    return {**a, "version": None} == {**b, "version": None}
