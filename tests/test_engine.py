"""The durable_rules guardrails: one registration, one session per evaluation, errors raised."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

from rules import engine
from rules.alert_rules import decide_command
from rules.alert_state import AlertState
from rules.alert_transitions import Command
from rules.policy import load_preset
from rules.working_days import calendar_for
from tests.support import D

ROOT = Path(__file__).resolve().parent.parent


def _run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_concurrent_first_use_loses_no_ruleset():
    result = _run_python("""
        import datetime as dt, threading
        from rules.alert_rules import decide_command
        from rules.alert_state import AlertState
        from rules.alert_transitions import Command
        from rules.policy import load_preset
        from rules.working_days import calendar_for
        policy = load_preset("seed-001")
        cal = calendar_for(())
        start = threading.Barrier(8)
        answers = []
        def work():
            start.wait()
            s = AlertState(ref="A", child="C", track="iro")
            c = Command(kind="raised", on=dt.date(2026, 12, 14), actor_role="iro",
                        level="informal", category="care_planning")
            answers.append(len(decide_command(policy, cal, s, c).events))
        threads = [threading.Thread(target=work) for _ in range(8)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        print(answers)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[1, 1, 1, 1, 1, 1, 1, 1]"


def test_an_exception_in_an_action_is_raised_not_swallowed():
    result = _run_python("""
        from durable.lang import m, ruleset, when_all
        from rules import engine
        @engine.declares_rulesets
        def declare():
            with ruleset("broken_for_test"):
                engine.every_fact_is_handled()

                @when_all(m.kind == "boom")
                def explode(c):
                    raise ValueError("deliberate")
        try:
            engine.evaluate("broken_for_test", {"kind": "boom"})
        except engine.RuleError as exc:
            print("RuleError", "deliberate" in str(exc))
        print(engine.evaluate("broken_for_test", {"kind": "nothing"}))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["RuleError True", "[]"]


def test_thousands_of_evaluations_leave_no_session_behind():
    policy = load_preset("seed-001")
    calendar = calendar_for(())
    alert = AlertState(ref="A", child="C", track="iro")
    for n in range(1500):  # past durable_rules' limit of 1,024 live sessions
        command = Command(kind="raised", on=D(2026, 12, 14) + dt.timedelta(days=n % 300),
                          actor_role="iro", level="informal", category="care_planning")
        assert len(decide_command(policy, calendar, alert, command).events) == 1
    assert engine._results == {} and engine._contexts == {} and engine._fired == {}


def test_unmatched_facts_are_handled_and_late_rulesets_are_registered():
    result = _run_python("""
        from durable.lang import m, ruleset, when_all
        from rules import engine
        import rules.alert_rules  # starts the host with the alert rulesets
        from rules.alert_rules import decide_command
        engine.evaluate("alert_clock", {"today": 1})  # host is up; nothing matches
        @engine.declares_rulesets
        def declare():
            with ruleset("late_for_test"):
                engine.every_fact_is_handled()
                @when_all(m.x == 1)
                def one(c):
                    engine.emit(c, "one")
        results = [engine.evaluate("late_for_test", {"x": n % 2}) for n in range(2100)]
        print(sum(1 for r in results if r == ["one"]), sum(1 for r in results if r == []))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1050", "1050"]
