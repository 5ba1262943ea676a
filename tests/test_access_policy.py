"""The policy's optional ``access`` section: who sees every child and who acts for the
reviewer; its defaults, its checks, and the access module and engine following it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from rules.policy import (
    DEFAULT_ACT_FOR_REVIEWER,
    DEFAULT_AUTHORITY_WIDE,
    Access,
    check_policy_file,
    load_policy,
    load_preset,
    preset_ids,
    preset_path,
)
from tests.page_support import AS_OF, demo_store, user_with_role
from usecases import access
from usecases.access import AccessRefused
from usecases.alert_forms import act_from_form

NOW = dt.datetime.combine(AS_OF, dt.time(10), tzinfo=dt.UTC)


def _with_access(folder: Path, section: str) -> Path:
    """seed-001 as 'anytown', with ``section`` added at the end."""
    text = preset_path("seed-001").read_text(encoding="utf-8").replace(
        "id: seed-001", "id: anytown")
    path = folder / "anytown.yaml"
    path.write_text(text + "\n" + section, encoding="utf-8")
    return path


@pytest.mark.parametrize("policy_id", preset_ids())
def test_the_presets_use_the_defaults(policy_id):
    assert load_preset(policy_id).access == Access(DEFAULT_AUTHORITY_WIDE,
                                                   DEFAULT_ACT_FOR_REVIEWER)


def test_the_defaults_are_the_senior_roles_and_the_principal_iro():
    assert set(DEFAULT_AUTHORITY_WIDE) == {
        "head_of_service", "deputy_head_of_service", "qa_head_of_service", "principal_iro",
        "service_director", "divisional_director", "assistant_director", "director",
        "executive_director", "deputy_chief_executive", "chief_executive"}
    assert DEFAULT_ACT_FOR_REVIEWER == ("principal_iro",)


def test_an_access_section_is_read(tmp_path):
    path = _with_access(tmp_path, "access:\n  authority_wide: [strategic_manager, director]\n"
                                  "  act_for_reviewer: []\n")
    assert check_policy_file(path) == []
    policy = load_policy(path)
    assert policy.access == Access(("strategic_manager", "director"), ())


def test_a_missing_list_keeps_its_default(tmp_path):
    path = _with_access(tmp_path, "access:\n  act_for_reviewer: [principal_iro, "
                                  "head_of_service]\n")
    policy = load_policy(path)
    assert policy.access.authority_wide == DEFAULT_AUTHORITY_WIDE
    assert policy.access.act_for_reviewer == ("principal_iro", "head_of_service")


def test_unknown_roles_admin_repeats_and_unknown_fields_are_problems(tmp_path):
    path = _with_access(tmp_path, "access:\n  authority_wide: [head_of_service, "
                                  "head_of_servise, admin]\n"
                                  "  act_for_reviewer: [principal_iro, principal_iro]\n"
                                  "  everyone: true\n")
    assert [str(p) for p in check_policy_file(path)] == [
        "anytown.yaml: access.everyone: 'everyone' is not a field of access. The fields "
        "access can have are: act_for_reviewer, authority_wide, policy_editors.",
        "anytown.yaml: access.authority_wide[2]: 'head_of_servise' is not a role this app "
        "knows. Did you mean 'head_of_service' (Head of Service)?",
        "anytown.yaml: access.authority_wide[3]: 'admin' cannot be here: the administrator "
        "runs the service but sees no child's record and no alert. Remove it.",
        "anytown.yaml: access.act_for_reviewer[2]: 'principal_iro' is listed more than once "
        "here. Remove the repeat.",
    ]


def test_access_that_is_not_a_block_is_a_problem(tmp_path):
    path = _with_access(tmp_path, "access: everyone\n")
    [problem] = check_policy_file(path)
    assert problem.path == "access"
    assert "Expected access written as 'key: value' lines" in problem.message


# -- the module and the engine follow the policy -------------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return demo_store(tmp_path_factory.mktemp("policy-access"))


def _open_alert(store) -> dict:
    return next(store.db.query(
        "SELECT a.ref, c.case_ref FROM alerts a JOIN children c ON c.id = a.child_id "
        "WHERE a.status = 'open' AND c.legal_status = 'looked_after' ORDER BY a.id LIMIT 1"))


def test_without_acting_for_the_reviewer_the_principal_iro_only_sees(store):
    alert = _open_alert(store)
    principal = user_with_role(store, "principal_iro")
    assert access.may_act_on_alert(store, principal, alert["ref"], "withdrawn").may_act
    strict = dataclasses.replace(store, policy=dataclasses.replace(
        store.policy, access=Access(DEFAULT_AUTHORITY_WIDE, ())))
    decision = access.may_act_on_alert(strict, principal, alert["ref"], "withdrawn")
    assert decision.may_view and not decision.may_act
    assert "does not act for the reviewer under policy seed-001" in decision.rule
    with pytest.raises(AccessRefused, match="Only this child's IRO or CP chair can "
                                            "withdraw the alert"):
        act_from_form(strict, alert["ref"], "withdrawn", user=principal, on=AS_OF, now=NOW,
                      note="Test.")


def test_a_role_the_policy_makes_authority_wide_sees_every_child_but_never_admin(store):
    alert = _open_alert(store)
    support = user_with_role(store, "business_support")  # no tie to the child in the demo
    admin = user_with_role(store, "admin")
    assert not access.child_access(store, support, alert["case_ref"]).may_view
    wide = dataclasses.replace(store, policy=dataclasses.replace(
        store.policy, access=Access(("business_support", "admin"), ())))  # unchecked
    seen = access.child_access(wide, support, alert["case_ref"])
    assert seen.may_view and not seen.summary_only and not seen.may_act
    assert "a role that sees every child under policy seed-001" in seen.rule
    assert access.visible_alert_ids(wide, support) is None  # every alert
    assert not access.may_act_on_alert(wide, support, alert["ref"], "responded").may_act
    assert not access.child_access(wide, admin, alert["case_ref"]).may_view
    assert access.visible_alert_ids(wide, admin) == set()
