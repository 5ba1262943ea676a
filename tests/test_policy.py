"""Policies: the five presets say what their seed procedures say, and a broken policy
file is reported in full, in plain English, before it can misroute a child's alert."""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from rules.policy import (
    PRESETS_DIR,
    Level,
    NotInPolicy,
    Policy,
    PolicyInvalid,
    PolicyProblem,
    check_policy_file,
    load_policy,
    load_preset,
    preset_ids,
    preset_path,
)
from rules.roles import LINE_MANAGER, ROLES

SEEDS = ["seed-000", "seed-001", "seed-002", "seed-003", "seed-004"]
SIX_DOCUMENTS = {
    "care_plan",
    "placement_plan",
    "pep",
    "health_assessment",
    "pathway_plan",
    "sw_report",
}


def ladder(policy: Policy, track: str) -> list[tuple[str, int]]:
    return [(level.role, level.response_days) for level in policy.track(track).levels]


# --------------------------------------------------------------------------- presets


def test_the_presets_are_exactly_the_five_seeds() -> None:
    assert preset_ids() == SEEDS
    assert PRESETS_DIR.name == "policies"
    assert preset_path("seed-003") == PRESETS_DIR / "seed-003.yaml"


@pytest.mark.parametrize("policy_id", SEEDS)
def test_every_preset_loads_without_problems(policy_id: str) -> None:
    assert [str(problem) for problem in check_policy_file(preset_path(policy_id))] == []
    policy = load_preset(policy_id)
    assert policy.id == policy_id
    assert policy.source.startswith(f"seeds/{policy_id[-3:]}_")
    assert len(policy.assumptions) >= 5, "every seed is silent somewhere: say where"
    assert load_preset(policy_id) is policy, "presets are read once"


@pytest.mark.parametrize("policy_id", SEEDS)
def test_every_preset_names_only_real_roles_and_the_ladder_is_among_them(policy_id: str) -> None:
    policy = load_preset(policy_id)
    roles = policy.roles()
    assert roles <= set(ROLES)
    assert LINE_MANAGER not in roles
    for track in policy.tracks.values():
        assert set(track.roles_on_ladder) <= roles
        assert set(track.raised_by) <= roles


@pytest.mark.parametrize("policy_id", SEEDS)
def test_every_preset_keeps_the_formal_process_within_twenty_days(policy_id: str) -> None:
    for track in load_preset(policy_id).tracks.values():
        assert track.formal_cap_days == 20
        assert sum(lv.response_days for lv in track.levels if not lv.exceptional) <= 20


@pytest.mark.parametrize("policy_id", SEEDS)
def test_every_preset_monitors_the_six_key_documents(policy_id: str) -> None:
    ids = {document.id for document in load_preset(policy_id).key_documents}
    expected = SIX_DOCUMENTS | (
        {"post_adoption_support_plan"} if policy_id == "seed-002" else set()
    )
    assert ids == expected


@pytest.mark.parametrize("policy_id", ["seed-000", "seed-003", "seed-004"])
def test_silence_prompts_the_reviewer_where_the_reviewer_drives_escalation(
    policy_id: str,
) -> None:
    policy = load_preset(policy_id)
    words = {level.on_silence for track in policy.tracks.values() for level in track.levels}
    assert words == {"prompt"}


@pytest.mark.parametrize("policy_id", ["seed-001", "seed-002"])
def test_silence_escalates_except_into_an_exceptional_level(policy_id: str) -> None:
    for track in load_preset(policy_id).tracks.values():
        for level in track.levels[:-1]:
            above = track.next_level(level)
            assert above is not None
            expected = "prompt" if above.exceptional else "escalate"
            assert level.on_silence == expected, (track.id, level.label)


def test_seed_000_bournemouth_has_four_assumed_five_day_levels_on_both_tracks() -> None:
    policy = load_preset("seed-000")
    expected = [
        ("service_manager", 5),
        ("service_director", 5),
        ("executive_director", 5),
        ("chief_executive", 5),
    ]
    assert ladder(policy, "iro") == expected
    assert ladder(policy, "cp") == expected
    assert "iro" in policy.track("cp").raised_by, "Bournemouth IROs chair CP conferences"
    assert policy.themes == ("Practice", "Care Planning", "Safeguarding", "Human Rights")
    assert any("5 working days" in text for text in policy.assumptions)


def test_seed_001_ladder_informal_stage_and_gate() -> None:
    policy = load_preset("seed-001")
    expected = [
        ("service_manager", 5),
        ("head_of_service", 5),
        ("divisional_director", 5),
        ("director", 5),
    ]
    for track_id in ("iro", "cp"):
        track = policy.track(track_id)
        assert ladder(policy, track_id) == expected
        assert [level.copy for level in track.levels] == [
            ("head_of_service",),
            ("divisional_director",),
            ("director",),
            (),
        ]
        assert [level.on_not_satisfied for level in track.levels[:3]] == ["escalate"] * 3
        assert track.informal.with_roles == ("social_worker", "team_manager")
        assert (track.informal.response_days, track.informal.max_days) == (3, 10)
        gate = track.informal.gate_to_formal
        assert gate is not None
        assert (gate.consult, gate.within_days, gate.emergency_exempt) == (
            ("head_of_service",),
            1,
            False,
        )
    assert policy.track("iro").raised_by == ("iro",)
    assert policy.track("cp").raised_by == ("cp_chair",)
    assert any("Annex A" in text and "15" in text for text in policy.assumptions)


def test_seed_002_iro_track_stages_gates_and_bypass() -> None:
    policy = load_preset("seed-002")
    track = policy.track("iro")
    assert ladder(policy, "iro") == [
        ("team_manager", 5),
        ("head_of_service", 5),
        ("divisional_director", 3),
        ("deputy_chief_executive", 5),
    ]
    assert "qa_head_of_service" in track.level("head_of_service").copy
    stage_4 = track.level("divisional_director")
    assert stage_4.gate is not None
    assert stage_4.gate.consult == ("deputy_head_of_service", "head_of_service")
    assert [level.gate is None for level in track.levels] == [True, True, False, True]
    assert track.bypass.allowed
    assert track.bypass.gate is not None
    assert track.bypass.gate.consult == (LINE_MANAGER,)
    assert track.bypass.gate.emergency_exempt
    assert policy.review_decisions == dataclasses.replace(
        policy.review_decisions, send_within_days=5, reply_within_days=5, on_silence="agreed"
    )
    concerns = policy.practice_concerns
    assert concerns is not None
    assert (concerns.to, concerns.respond_days, concerns.escalate_to) == (
        "deputy_head_of_service",
        15,
        ("qa_head_of_service", "divisional_director"),
    )


def test_seed_002_cp_track_levels_and_the_exceptional_divisional_director() -> None:
    policy = load_preset("seed-002")
    track = policy.track("cp")
    assert track.raised_by == ("cp_chair",)
    assert track.review_kind == "cp_conference"
    assert track.raise_within_days == 2
    assert "Levels 1-2" in track.informal.label
    assert [(lv.role, lv.response_days, lv.exceptional) for lv in track.levels][:3] == [
        ("team_manager", 10, False),
        ("deputy_head_of_service", 5, False),
        ("head_of_service", 5, False),
    ]
    top = track.top_level
    assert (top.number, top.role, top.exceptional) == (4, "divisional_director", True)
    assert [lv.exceptional for lv in track.levels] == [False, False, False, True]
    assert {c.id for c in track.categories} == {
        "inadequate_practice",
        "significant_drift",
        "cp_plan_not_implemented",
        "decision_making",
        "safeguarding_not_addressed",
    }
    assert len(policy.track("iro").categories) == 8


def test_seed_003_review_before_items_are_the_five_plus_childrens_homes() -> None:
    changes = load_preset("seed-003").significant_changes
    assert {change.id for change in changes.types if change.review_before} == {
        "leaving_care_before_18",
        "move_to_unregulated_placement",
        "leaving_secure_or_custody",
        "unplanned_move_disrupting_education",
        "move_from_settled_placement",
        "childrens_home_absence_or_risk",
    }
    assert len(changes.types) == 22
    assert "placement_change_proposed" in {change.id for change in changes.types}


def test_seed_003_ladder_gates_categories_and_legal_advice() -> None:
    policy = load_preset("seed-003")
    iro, cp = policy.track("iro"), policy.track("cp")
    assert (
        ladder(policy, "iro")
        == ladder(policy, "cp")
        == [
            ("team_manager", 5),
            ("service_manager", 5),
            ("strategic_manager", 5),
            ("assistant_director", 5),
        ]
    )
    assert iro.top_level.label == "Level 4: Assistant Director / Director of Children's Services"
    assert iro.informal.with_roles == ("social_worker", "practice_manager")
    assert iro.informal.copy == ("team_manager",)
    assert iro.informal.gate_to_formal is not None
    assert iro.informal.gate_to_formal.consult == (LINE_MANAGER,)
    assert iro.bypass.allowed and iro.bypass.gate is not None
    assert policy.themes == (
        "General issue",
        "Failure to meet statutory requirements for the child",
        "Care plan implementation",
        "Dispute around the provision of services",
    )
    lac_only = {
        "iro_disagrees_with_care_plan",
        "passport_delays",
        "life_story_work_delay",
        "iro_not_consulted_on_final_care_plan",
        "no_pathway_plan",
        "no_pep",
        "no_health_assessment",
        "no_placement_plan",
    }
    iro_ids = {c.id for c in iro.categories}
    cp_ids = {c.id for c in cp.categories}
    assert lac_only <= iro_ids
    assert cp_ids == iro_ids - lac_only
    assert policy.legal_advice.consult == (LINE_MANAGER, "strategic_manager")


def test_seed_004_is_lac_only_with_the_permanence_rule_and_rag_routing() -> None:
    policy = load_preset("seed-004")
    assert list(policy.tracks) == ["iro"]
    with pytest.raises(KeyError):
        policy.track("cp")
    track = policy.track("iro")
    assert track.raise_within_days == 5
    assert ladder(policy, "iro") == [
        ("operations_manager", 5),
        ("service_manager", 5),
        ("head_of_service", 5),
    ]
    assert set(track.level("operations_manager").copy) == {
        "service_manager",
        "head_of_service",
        "qa_head_of_service",
    }
    assert "Children and Families" in track.top_level.label
    permanence = policy.permanence
    assert permanence is not None
    assert (
        permanence.placed_with_parents_months,
        permanence.not_placed_after_decision_months,
        permanence.refer_to,
    ) == (12, 9, "service_manager")
    assert (policy.rag.amber_notify, policy.rag.red_notify) == (
        ("service_manager",),
        ("head_of_service",),
    )


def test_the_cafcass_gate_is_only_where_the_seed_asks_for_it() -> None:
    gated = {pid for pid in SEEDS if load_preset(pid).cafcass_gate is not None}
    assert gated == {"seed-001"}
    gate = load_preset("seed-001").cafcass_gate
    assert gate is not None and gate.notify == ("head_of_service",)


def test_only_seeds_002_and_004_have_practice_concerns_or_permanence() -> None:
    assert [pid for pid in SEEDS if load_preset(pid).practice_concerns] == ["seed-002"]
    assert [pid for pid in SEEDS if load_preset(pid).permanence] == ["seed-004"]


# --------------------------------------------------------------------------- the API


def test_track_lookups_answer_in_ladder_order() -> None:
    track = load_preset("seed-001").track("iro")
    first = track.level("service_manager")
    assert isinstance(first, Level) and first.number == 1
    assert track.level_by_number(2).role == "head_of_service"
    assert track.next_level(first) == track.level_by_number(2)
    assert track.next_level(track.top_level) is None
    assert track.top_level.role == "director"
    assert track.roles_on_ladder == (
        "service_manager",
        "head_of_service",
        "divisional_director",
        "director",
    )
    assert track.category("resources").theme == "Care Planning"


def test_lookups_of_what_a_policy_lacks_raise_key_errors_that_read_as_sentences() -> None:
    policy = load_preset("seed-004")
    track = policy.track("iro")
    with pytest.raises(KeyError) as missing_level:
        track.level("chief_executive")
    assert str(missing_level.value) == (
        "Chief Executive ('chief_executive') is not on the ladder of the iro track"
        " (Looked-after children). The ladder is: operations_manager -> service_manager"
        " -> head_of_service."
    )
    with pytest.raises(NotInPolicy, match="has no level 4: its levels are numbered 1 to 3"):
        track.level_by_number(4)
    with pytest.raises(NotInPolicy, match="has no concern category 'nope'"):
        track.category("nope")
    with pytest.raises(KeyError) as missing_track:
        policy.track("cp")
    assert str(missing_track.value) == (
        "Policy seed-004 (Warwickshire County Council) has no 'cp' track. Its tracks are: iro."
    )
    other = load_preset("seed-002").track("cp").level_by_number(1)
    with pytest.raises(NotInPolicy, match="is not a level of the iro track"):
        track.next_level(other)


def test_an_unknown_preset_id_names_the_presets() -> None:
    with pytest.raises(ValueError) as error:
        load_preset("seed-999")
    assert str(error.value) == (
        "No policy preset called 'seed-999'. The presets are: seed-000, seed-001,"
        " seed-002, seed-003, seed-004."
    )


def test_a_policy_cannot_be_changed_in_place() -> None:
    policy = load_preset("seed-001")
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.version = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        policy.tracks["iro"] = policy.tracks["cp"]  # type: ignore[index]
    fresh = load_policy(preset_path("seed-001"))
    assert fresh is not policy
    assert fresh == policy and hash(fresh) == hash(policy)
    assert fresh != load_policy(preset_path("seed-003"))


def test_problems_and_the_exception_read_one_per_line() -> None:
    first = PolicyProblem("a.yaml", "tracks.iro.levels[2].role", "Something is wrong.")
    second = PolicyProblem("a.yaml", "(file)", "Something else.")
    assert str(first) == "a.yaml: tracks.iro.levels[2].role: Something is wrong."
    error = PolicyInvalid([first, second])
    assert error.problems == [first, second]
    assert str(error) == (
        "a.yaml: tracks.iro.levels[2].role: Something is wrong.\na.yaml: (file): Something else."
    )


# --------------------------------------------------------------------------- broken files


BROKEN = """\
id: anytown-2024
version: 1
authority: "Anytown Council"
summary: "A policy with one of each common mistake."
themes: [Practice, Care Planning]
tracks:
  iro:
    label: "Looked-after children"
    raised_by: [iro]
    review_kind: lac_review
    informal:
      label: "Informal resolution"
      with: [social_worker, team_manager]
      response_days: 3
    levels:
      - role: servce_manager
        label: "Level 1: Service Manager"
        response_days: 5
        on_silence: escalate
        on_not_satisfied: escalate
      - role: head_of_service
        label: "Level 2: Head of Service"
        respnse_days: 5
        on_silence: wait
        on_not_satisfied: prompt
    formal_cap_days: 20
    at_risk_days: 2
    categories:
      - {id: drift, label: "Drift in care planning", theme: Care Planning}
  cp:
    label: "Child protection"
    raised_by: [cp_chair]
    review_kind: cp_conference
    informal: {label: "Informal", with: [team_manager], response_days: 5}
    levels:
      - {role: team_manager, label: "Level 1", response_days: 10, on_silence: escalate,
         on_not_satisfied: escalate}
      - {role: head_of_service, label: "Level 2", response_days: 15, on_silence: prompt,
         on_not_satisfied: prompt}
    formal_cap_days: 20
    at_risk_days: 2
    categories:
      - {id: drift, label: "Drift", theme: Practice}
rag:
  amber: {notify: [team_manager]}
  red: {notify: [head_of_service]}
review_decisions: {send_within_days: 5, reply_within_days: 5, on_silence: agreed}
acknowledge_days: 1
key_documents:
  - {id: care_plan, label: "Care plan"}
significant_changes:
  notify_within_days: 1
  tpyes:
    - {id: placement_change_proposed, label: "Proposed change of placement"}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_broken_file_reports_every_problem_exactly_in_one_pass(tmp_path: Path) -> None:
    path = write(tmp_path, "anytown.yaml", BROKEN)
    assert [str(problem) for problem in check_policy_file(path)] == [
        "anytown.yaml: id: The id 'anytown-2024' does not match the file name 'anytown.yaml'."
        " Make them the same: set 'id: anytown', or rename the file to 'anytown-2024.yaml'.",
        "anytown.yaml: tracks.iro.levels[1].role: 'servce_manager' is not a role this app"
        " knows. Did you mean 'service_manager' (Service Manager)?",
        "anytown.yaml: tracks.iro.levels[2].respnse_days: 'respnse_days' is not a field of"
        " a level. Did you mean 'response_days'?",
        "anytown.yaml: tracks.iro.levels[2].response_days: This required field is missing."
        " Add the working days allowed for a response, e.g. 'response_days: 5'.",
        "anytown.yaml: tracks.iro.levels[2].on_silence: 'wait' is not allowed here. Use"
        " 'escalate' (move the alert to the next level automatically) or 'prompt' (flag it"
        " for the reviewer to decide).",
        "anytown.yaml: tracks.cp.levels: The formal levels' response times add up to 25"
        " working days, more than the formal cap of 20 working days. Shorten some levels'"
        " response_days, mark a level used only by hand 'exceptional: true', or raise"
        " formal_cap_days.",
        "anytown.yaml: significant_changes.tpyes: 'tpyes' is not a field of"
        " significant_changes. Did you mean 'types'?",
        "anytown.yaml: significant_changes.types: This required field is missing. Add the"
        " list of significant changes, e.g. '- {id: placement_change_proposed, label:"
        ' "Proposed change of placement"}\'.',
    ]
    with pytest.raises(PolicyInvalid) as error:
        load_policy(path)
    assert len(error.value.problems) == 8
    assert str(error.value).splitlines()[0].startswith("anytown.yaml: id: The id")


def test_a_yaml_syntax_error_gives_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "anytown.yaml", "id: anytown\n  version: 1\n")
    assert [str(problem) for problem in check_policy_file(path)] == [
        "anytown.yaml: (file): This is not valid YAML: mapping values are not allowed here"
        " at line 2, column 10. Check the indentation and punctuation on that line and the"
        " line before it."
    ]


def test_an_unclosed_quote_points_at_where_it_opened(tmp_path: Path) -> None:
    path = write(tmp_path, "anytown.yaml", 'id: anytown\nauthority: "Anytown\nversion: 1\n')
    assert [str(problem) for problem in check_policy_file(path)] == [
        "anytown.yaml: (file): This is not valid YAML: while scanning a quoted scalar (line"
        " 2), found unexpected end of stream at line 4, column 1. Check the indentation and"
        " punctuation on that line and the line before it."
    ]


def test_a_field_written_twice_is_reported_not_silently_dropped(tmp_path: Path) -> None:
    text = (
        preset_path("seed-004")
        .read_text(encoding="utf-8")
        .replace("id: seed-004\n", "id: seed-004\nversion: 2\n")
    )
    path = write(tmp_path, "seed-004.yaml", text)
    line = text.splitlines().index("version: 1") + 1
    assert [str(problem) for problem in check_policy_file(path)] == [
        f"seed-004.yaml: version: This field is written twice (lines 5 and {line}); YAML"
        " would quietly keep only the second. Delete one of them."
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "",
            "The file is empty. Start from one of the presets in rules/policies/ and"
            " change what differs.",
        ),
        ("- id: anytown\n", "Expected the whole file to be 'key: value' lines, but found a list."),
        (
            "just words\n",
            "Expected the whole file to be 'key: value' lines, but found the text 'just words'.",
        ),
    ],
)
def test_a_file_that_is_not_a_policy_at_all(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, "anytown.yaml", text)
    assert [str(problem) for problem in check_policy_file(path)] == [
        f"anytown.yaml: (file): {expected}"
    ]


def test_a_missing_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    assert [str(problem) for problem in check_policy_file(path)] == [
        f"nowhere.yaml: (file): There is no policy file at {path}. Check the name and the folder."
    ]
    with pytest.raises(PolicyInvalid):
        load_policy(path)


def seed_001_data() -> dict[str, Any]:
    """Seed 001 as plain data (aliases expanded into separate copies, so changing the iro
    track leaves the cp track alone)."""
    data = yaml.safe_load(preset_path("seed-001").read_text(encoding="utf-8"))
    return json.loads(json.dumps(data))


def write_variant(folder: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """Seed 001 with one change, written where the id still matches the file name."""
    data = seed_001_data()
    change(data)
    return write(folder, "seed-001.yaml", yaml.safe_dump(data, sort_keys=False))


def check_variant(folder: Path, change: Callable[[dict[str, Any]], None]) -> list[str]:
    return [str(problem) for problem in check_policy_file(write_variant(folder, change))]


def iro(data: dict[str, Any]) -> dict[str, Any]:
    return data["tracks"]["iro"]


def _set(
    target: Callable[[dict[str, Any]], dict[str, Any]], key: str, value: Any
) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        target(data)[key] = value

    return change


def _level(number: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda data: iro(data)["levels"][number - 1]


def _two_gaps(data: dict[str, Any]) -> None:
    data["closure_days"] = ["2024-02-30", "27/12/2024", "2024-12-27"]


def _move_head_of_service(data: dict[str, Any]) -> None:
    iro(data)["levels"][2]["role"] = "head_of_service"


def _repeat_category(data: dict[str, Any]) -> None:
    iro(data)["categories"][1]["id"] = "care_planning"


def _exceptional_top(data: dict[str, Any]) -> None:
    iro(data)["levels"][3]["exceptional"] = True


def _unknown_track(data: dict[str, Any]) -> None:
    data["tracks"]["lac"] = data["tracks"].pop("cp")


P = "seed-001.yaml: "


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            _set(_level(1), "response_days", 10),
            [
                P + "tracks.iro.levels: The formal levels' response times add up to 25 working"
                " days, more than the formal cap of 20 working days. Shorten some levels'"
                " response_days, mark a level used only by hand 'exceptional: true', or raise"
                " formal_cap_days."
            ],
            id="cap exceeded",
        ),
        pytest.param(
            _set(iro, "levels", []),
            [
                P + "tracks.iro.levels: The ladder has no levels. Add at least one, e.g. '- role:"
                " team_manager' with its label, response_days, on_silence and on_not_satisfied."
            ],
            id="empty ladder",
        ),
        pytest.param(
            _set(iro, "at_risk_days", 20),
            [
                P + "tracks.iro.at_risk_days: at_risk_days (20) must be smaller than"
                " formal_cap_days (20): an alert shows as at risk this many working days before"
                " the cap. Use a smaller number, such as 2."
            ],
            id="at risk not before cap",
        ),
        pytest.param(
            _set(lambda d: iro(d)["informal"], "max_days", 2),
            [
                P + "tracks.iro.informal.max_days: max_days (2) is shorter than response_days"
                " (3), so the informal stage would run out before its own default due date. Make"
                " max_days at least 3, or shorten response_days."
            ],
            id="informal max too short",
        ),
        pytest.param(
            _set(_level(2), "response_days", "five"),
            [
                P + "tracks.iro.levels[2].response_days: Expected a whole number of working days,"
                " like 5, but found the text 'five'."
            ],
            id="wrong type",
        ),
        pytest.param(
            _set(_level(2), "response_days", 90),
            [
                P + "tracks.iro.levels[2].response_days: 90 working days is more than the 60"
                " allowed here; check for a typo."
            ],
            id="absurd days",
        ),
        pytest.param(
            _set(_level(2), "response_days", -1),
            [
                P + "tracks.iro.levels[2].response_days: -1 is negative: working days cannot be"
                " negative."
            ],
            id="negative days",
        ),
        pytest.param(
            _set(_level(3), "on_not_satisfied", "escalte"),
            [
                P + "tracks.iro.levels[3].on_not_satisfied: 'escalte' is not allowed here. Did"
                " you mean 'escalate'? Use 'escalate' (move the alert to the next level"
                " automatically) or 'prompt' (flag it for the reviewer to decide)."
            ],
            id="bad on_not_satisfied",
        ),
        pytest.param(
            _move_head_of_service,
            [
                P + "tracks.iro.levels[3].role: 'head_of_service' is already on this ladder at"
                " levels[2]. A role can answer at only one level of a ladder: remove one of them"
                " or name a different role."
            ],
            id="duplicate role",
        ),
        pytest.param(
            _repeat_category,
            [
                P + "tracks.iro.categories[2].id: 'care_planning' is already the id of"
                " categories[1]. Give each category its own id."
            ],
            id="duplicate category",
        ),
        pytest.param(
            _set(lambda d: iro(d)["categories"][0], "theme", "Care planing"),
            [
                P + "tracks.iro.categories[1].theme: 'Care planing' is not one of the policy's"
                " themes. Did you mean 'Care Planning'? Use one of: Practice, Care Planning,"
                " Safeguarding, Human Rights; or add it to 'themes'."
            ],
            id="unknown theme",
        ),
        pytest.param(
            _set(_level(1), "copy", ["line_manager"]),
            [
                P + "tracks.iro.levels[1].copy[1]: 'line_manager' means the reviewer's own line"
                " manager and can only be used in a 'consult' list. Name a role here instead,"
                " such as 'team_manager'."
            ],
            id="line_manager outside consult",
        ),
        pytest.param(
            _set(
                lambda d: iro(d)["informal"]["gate_to_formal"],
                "consult",
                ["line_manager", "head_of_servise"],
            ),
            [
                P + "tracks.iro.informal.gate_to_formal.consult[2]: 'head_of_servise' is not a"
                " role this app knows. Did you mean 'head_of_service' (Head of Service)?"
            ],
            id="line_manager fine in consult",
        ),
        pytest.param(
            _set(_level(4), "role", "Chief Exec Officer"),
            [
                P + "tracks.iro.levels[4].role: 'Chief Exec Officer' is not a role this app knows."
                " Did you mean 'chief_executive' (Chief Executive)?"
            ],
            id="role in words",
        ),
        pytest.param(
            _set(_level(4), "role", "mayor"),
            [
                P
                + "tracks.iro.levels[4].role: 'mayor' is not a role this app knows. Use one of: "
                + ", ".join(ROLES)
                + "."
            ],
            id="unknown role, no suggestion",
        ),
        pytest.param(
            _set(iro, "raised_by", ["iro", "team_manager"]),
            [
                P + "tracks.iro.raised_by[2]: 'team_manager' does not chair reviews or"
                " conferences, so cannot raise alerts. Use 'iro' or 'cp_chair'."
            ],
            id="raiser not a reviewer",
        ),
        pytest.param(
            _set(iro, "review_kind", "lac"),
            [
                P + "tracks.iro.review_kind: 'lac' is not allowed here. Use 'lac_review' (a"
                " looked-after child's review) or 'cp_conference' (a child protection"
                " conference)."
            ],
            id="review kind",
        ),
        pytest.param(
            _unknown_track,
            [
                P + "tracks.lac: 'lac' is not a track this app knows. Use 'iro' for looked-after"
                " children (reviews by an IRO) or 'cp' for child protection (conferences chaired"
                " by a CP chair)."
            ],
            id="unknown track",
        ),
        pytest.param(
            _exceptional_top,
            [
                P + "tracks.iro.levels[3].on_silence: The next level (Level 4: Director of"
                " Children's Services) is exceptional, reached only by hand, so silence here"
                " cannot escalate to it automatically. Use 'prompt'.",
                P + "tracks.iro.levels[3].on_not_satisfied: The next level (Level 4: Director of"
                " Children's Services) is exceptional, reached only by hand, so a reviewer who is"
                " not satisfied here cannot escalate to it automatically. Use 'prompt'.",
            ],
            id="automatic escalation into an exceptional level",
        ),
        pytest.param(
            _set(lambda d: iro(d)["bypass"], "allowed", False),
            [
                P + "tracks.iro.bypass.gate: A gate is set but bypassing is not allowed"
                " ('allowed: false'). Remove the gate, or set 'allowed: true'."
            ],
            id="bypass gate without bypass",
        ),
        pytest.param(
            _two_gaps,
            [
                P + "closure_days[1]: '2024-02-30' is not a real date (check the month and day)."
                " Write closure days like 2024-12-27.",
                P + "closure_days[2]: '27/12/2024' is not a date written as YYYY-MM-DD. Write"
                " closure days like 2024-12-27.",
            ],
            id="bad closure days",
        ),
        pytest.param(
            _set(lambda d: d, "acknowledge_dayz", 1),
            [
                P + "acknowledge_dayz: 'acknowledge_dayz' is not a field of the policy. Did you"
                " mean 'acknowledge_days'?"
            ],
            id="unknown top-level field",
        ),
        pytest.param(
            _set(lambda d: d["review_decisions"], "on_silence", "yes"),
            [
                P + "review_decisions.on_silence: 'yes' is not allowed here. Use 'agreed' (the"
                " decisions are taken as agreed) or 'prompt' (the reviewer is prompted to"
                " chase)."
            ],
            id="review silence word",
        ),
        pytest.param(
            _set(lambda d: d, "themes", []),
            [P + "themes: List at least one reporting theme, e.g. [Practice]."],
            id="no themes, reported once",
        ),
        pytest.param(
            _set(_level(2), "exceptional", "yes"),
            [
                P + "tracks.iro.levels[2].exceptional: Expected true or false, but found the text"
                " 'yes'."
            ],
            id="bad flag",
        ),
        pytest.param(
            lambda data: iro(data)["levels"][0].pop("label"),
            [
                P + "tracks.iro.levels[1].label: This required field is missing. Add the name"
                " people read, in the procedure's own words."
            ],
            id="missing label",
        ),
        pytest.param(
            _set(lambda d: d, "version", 0),
            [
                P + "version: The version must be a whole number from 1 up, but found the number"
                " 0. Start at 1 and add 1 whenever the rules change."
            ],
            id="version",
        ),
    ],
)
def test_each_defect_is_reported_exactly(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], expected: list[str]
) -> None:
    assert check_variant(tmp_path, change) == expected


def test_an_unaltered_copy_of_a_preset_passes_so_the_defect_tests_isolate_one_defect(
    tmp_path: Path,
) -> None:
    assert check_variant(tmp_path, lambda data: None) == []


def test_closure_days_become_dates(tmp_path: Path) -> None:
    def close_christmas(data: dict[str, Any]) -> None:
        data["closure_days"] = ["2024-12-27", "2025-01-02"]

    path = write_variant(tmp_path, close_christmas)
    policy = load_policy(path)
    assert policy.closure_days == (datetime.date(2024, 12, 27), datetime.date(2025, 1, 2))
    assert policy.path == str(path)
