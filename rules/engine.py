"""durable_rules, behind one door, with the guardrails it needs.

durable_rules 2.0.28 is the mandated engine and has sharp edges (see DESIGN.md):

- rulesets registered on first use from several threads at once get lost, so they are
  registered exactly once per process, under a lock;
- more than 1,024 live sessions crash the process, so every evaluation uses a session id
  of its own and deletes it in ``finally``;
- every posted fact needs a unique ``id``;
- an exception inside an action is swallowed into the session state: we look for it and
  raise it again;
- its timers live in memory only, so they are never used: time comes in as a fact;
- a fact that no rule matches leaves a session that can neither be deleted (deleting it
  crashes the process with a segmentation fault) nor kept (1,024 of them exhaust its
  memory): so every ruleset declares :func:`every_fact_is_handled`, a rule that matches
  every fact :func:`evaluate` posts and does nothing.

Actions hand their results back through :func:`emit`; the caller's context (policy,
calendar, state) is reachable from an action through :func:`context`.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

from durable.engine import MessageNotHandledException
from durable.lang import get_host, m, when_all

_lock = threading.Lock()
_host: Any = None
_declarers: list[Callable[[], None]] = []
_counter = itertools.count(1)
_results: dict[str, list[Any]] = {}
_contexts: dict[str, Any] = {}
_fired: dict[str, set[str]] = {}


class RuleError(RuntimeError):
    """A rule's action failed: a bug in the rules, never a user's mistake."""


def declares_rulesets(declare: Callable[[], None]) -> Callable[[], None]:
    """Register a function that declares rulesets; it runs once, when the host starts.

    A module imported after the host started (a later feature's rules) is registered at
    once, under the same lock.
    """
    with _lock:
        _declarers.append(declare)
        if _host is not None:
            declare()
            get_host()  # registers the rulesets declared since the host started
    return declare


def _handled(c: Any) -> None:
    """The catch-all rule's action: nothing to do; the fact just must not go unhandled."""


def every_fact_is_handled() -> None:
    """Call inside each ``with ruleset(...)`` block: see the module's note on unmatched facts."""
    when_all(m.evaluated == 1)(_handled)


def _get_host() -> Any:
    global _host
    if _host is None:
        with _lock:
            if _host is None:
                for declare in _declarers:
                    declare()
                _host = get_host()
    return _host


def emit(c: Any, value: Any) -> None:
    """Called from an action: add a result to the evaluation that posted this fact."""
    _results[c.m.sid].append(value)


def first_time(c: Any, key: str) -> bool:
    """True the first time an action asks with ``key`` in this evaluation.

    durable_rules splits a condition with ``|`` into one rule per alternative, so a fact
    that satisfies two alternatives fires the action twice; actions guard with this.
    """
    fired = _fired[c.m.sid]
    if key in fired:
        return False
    fired.add(key)
    return True


def action(maker: Callable[[Any], Any], name: str | None = None) -> Callable[[Any], None]:
    """A rule's action: run ``maker`` on the evaluation's context and emit what it returns,
    once per evaluation however many of the rule's alternatives matched."""
    key = name or maker.__name__

    def run(c: Any) -> None:
        if first_time(c, key):
            for value in maker(context(c)):
                emit(c, value)

    run.__name__ = key
    return run


def context(c: Any) -> Any:
    """Called from an action: the Python object the evaluation was given."""
    return _contexts[c.m.sid]


def evaluate(ruleset: str, fact: dict[str, Any], ctx: Any = None) -> list[Any]:
    """Assert ``fact`` in a fresh session; every rule it matches fires once.

    Returns what the actions emitted, in firing order (empty when no rule matched).
    """
    host = _get_host()
    sid = f"s{next(_counter)}"
    results: list[Any] = []
    _results[sid] = results
    _contexts[sid] = ctx
    _fired[sid] = set()
    try:
        try:
            host.assert_fact(ruleset, {**fact, "evaluated": 1, "sid": sid, "id": f"{sid}-fact"})
        except MessageNotHandledException as exc:  # every_fact_is_handled() was forgotten
            raise RuleError(f"Ruleset {ruleset} has no catch-all rule; add "
                            "every_fact_is_handled() to it.") from exc
        state = host.get_state(ruleset, sid)
        if state.get("exception"):
            raise RuleError(f"A rule in {ruleset} failed: {state['exception']}")
        return list(results)
    finally:
        _results.pop(sid, None)
        _contexts.pop(sid, None)
        _fired.pop(sid, None)
        host.delete_state(ruleset, sid)
