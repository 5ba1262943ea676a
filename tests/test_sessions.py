"""Signing in, staying signed in and signing out: throttling, idle timeout, deactivation,
single sign-on identities, and the access audit each step writes."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.page_support import demo_store, user_with_role
from usecases.audit import audit_entries
from usecases.demo import DEMO_PASSWORD
from usecases.sessions import (
    LOCK_ACCOUNT_AFTER,
    WRONG,
    delay_after,
    identity_key,
    sign_in_with_password,
    sign_out,
    sign_out_identity,
    user_for_identity,
    user_for_session,
)

T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def store(tmp_path):
    return demo_store(tmp_path)


def _kinds(store) -> list[str]:
    return [e["kind"] for e in audit_entries(store)]


def test_right_password_gives_a_session_that_reads_the_account(store):
    iro = user_with_role(store, "iro")
    outcome = sign_in_with_password(store, iro.email.upper(), DEMO_PASSWORD, client="10.0.0.1",
                                    now=T0)
    assert outcome.user == iro and outcome.token and outcome.problem == ""
    check = user_for_session(store, outcome.token, now=T0 + dt.timedelta(minutes=5))
    assert check.user == iro
    entry = audit_entries(store)[-1]
    assert (entry["kind"], entry["email"], entry["client"]) == ("signed_in", iro.email,
                                                                "10.0.0.1")
    assert entry["at"] == "2026-11-23T09:00:00Z"


def test_the_store_keeps_only_a_hash_of_the_token(store):
    iro = user_with_role(store, "iro")
    token = sign_in_with_password(store, iro.email, DEMO_PASSWORD, client="", now=T0).token
    stored = [r["token_hash"] for r in store.db.query("SELECT token_hash FROM sessions")]
    assert stored and all(part not in stored[0] for part in token.split("."))


def test_a_tampered_or_unknown_token_is_nobody(store):
    iro = user_with_role(store, "iro")
    token = sign_in_with_password(store, iro.email, DEMO_PASSWORD, client="", now=T0).token
    assert user_for_session(store, token[:-2] + "xx", now=T0).user is None
    assert user_for_session(store, "made-up", now=T0).user is None
    assert user_for_session(store, None, now=T0).user is None


@pytest.mark.parametrize("email,password", [
    ("nobody@demo-authority.invalid", DEMO_PASSWORD),
    (None, "wrong-password"),
    ("", ""),
])
def test_every_failure_says_the_same_thing(store, email, password):
    iro = user_with_role(store, "iro")
    outcome = sign_in_with_password(store, email if email is not None else iro.email, password,
                                    client="", now=T0)
    assert (outcome.user, outcome.token, outcome.problem, outcome.message) == (
        None, None, "wrong", WRONG)
    assert _kinds(store)[-1] == "sign_in_failed"


def test_an_inactive_account_cannot_sign_in(store):
    iro = user_with_role(store, "iro")
    store.db.execute("UPDATE staff SET active = 0 WHERE id = ?", [iro.staff_id])
    assert sign_in_with_password(store, iro.email, DEMO_PASSWORD, client="",
                                 now=T0).message == WRONG


def test_failures_bring_growing_waits_then_a_lock_with_a_clear_message(store):
    iro = user_with_role(store, "iro")
    assert [delay_after(n).total_seconds() for n in range(1, 9)] == [0, 0, 1, 2, 4, 8, 16, 30]
    now = T0
    problems = []
    for _ in range(LOCK_ACCOUNT_AFTER):
        outcome = sign_in_with_password(store, iro.email, "wrong-password", client="c", now=now)
        problems.append(outcome.problem)
        now += dt.timedelta(seconds=40)  # longer than any wait: each attempt is checked
    assert problems == ["wrong"] * (LOCK_ACCOUNT_AFTER - 1) + ["locked"]
    locked = sign_in_with_password(store, iro.email, DEMO_PASSWORD, client="c", now=now)
    assert locked.token is None and locked.problem == "locked"
    assert "locked for 15 minutes" in locked.message and "Try again after" in locked.message
    later = now + dt.timedelta(minutes=16)
    assert sign_in_with_password(store, iro.email, DEMO_PASSWORD, client="c",
                                 now=later).user == iro
    kinds = _kinds(store)
    assert kinds.count("sign_in_failed") == LOCK_ACCOUNT_AFTER - 1
    assert kinds.count("locked") == 2 and kinds[-1] == "signed_in"


def test_fifty_fast_wrong_passwords_then_the_right_one_does_not_sign_in(store):
    iro = user_with_role(store, "iro")
    now = T0
    for _ in range(50):
        sign_in_with_password(store, iro.email, "wrong-password", client="c", now=now)
        now += dt.timedelta(milliseconds=560)  # 50 in 28 seconds
    outcome = sign_in_with_password(store, iro.email, DEMO_PASSWORD, client="c", now=now)
    assert outcome.token is None and outcome.problem == "locked"


def test_an_attempt_inside_the_wait_is_refused_and_counted(store):
    iro = user_with_role(store, "iro")
    for second in range(3):
        sign_in_with_password(store, iro.email, "wrong-password", client="c",
                              now=T0 + dt.timedelta(seconds=second))
    too_soon = sign_in_with_password(store, iro.email, DEMO_PASSWORD, client="c",
                                     now=T0 + dt.timedelta(seconds=2, milliseconds=500))
    assert too_soon.problem == "wait" and "Wait 1 second" in too_soon.message
    after = sign_in_with_password(store, iro.email, DEMO_PASSWORD, client="c",
                                  now=T0 + dt.timedelta(seconds=30))
    assert after.user == iro


def test_one_client_trying_many_accounts_is_locked_too(store):
    emails = [r["email"] for r in store.db.query("SELECT email FROM staff LIMIT 40")]
    outcomes = [sign_in_with_password(store, email, "wrong-password", client="10.9.9.9",
                                      now=T0 + dt.timedelta(minutes=i))
                for i, email in enumerate(emails)]
    assert outcomes[-1].problem == "locked"
    assert "this computer" in outcomes[-1].message
    other_client = sign_in_with_password(store, emails[0], DEMO_PASSWORD, client="10.1.1.1",
                                         now=T0 + dt.timedelta(minutes=41))
    assert other_client.token is not None


def test_idle_sessions_end_and_say_why(store):
    iro = user_with_role(store, "iro")
    token = sign_in_with_password(store, iro.email, DEMO_PASSWORD, client="", now=T0).token
    assert user_for_session(store, token, now=T0 + dt.timedelta(minutes=29)).user == iro
    # each click moves the idle clock on
    assert user_for_session(store, token, now=T0 + dt.timedelta(minutes=58)).user == iro
    check = user_for_session(store, token, now=T0 + dt.timedelta(minutes=89))
    assert check.user is None and "without activity" in check.notice
    assert user_for_session(store, token, now=T0 + dt.timedelta(minutes=90)).user is None
    assert _kinds(store)[-1] == "session_expired"


def test_a_shorter_idle_limit_is_honoured(store):
    iro = user_with_role(store, "iro")
    token = sign_in_with_password(store, iro.email, DEMO_PASSWORD, client="", now=T0).token
    assert user_for_session(store, token, now=T0 + dt.timedelta(minutes=6),
                            idle=dt.timedelta(minutes=5)).user is None


def test_deactivation_and_role_changes_bite_at_the_next_click(store):
    iro = user_with_role(store, "iro")
    token = sign_in_with_password(store, iro.email, DEMO_PASSWORD, client="", now=T0).token
    store.db.execute("UPDATE staff SET role = 'social_worker' WHERE id = ?", [iro.staff_id])
    assert user_for_session(store, token, now=T0).user.role == "social_worker"
    store.db.execute("UPDATE staff SET active = 0 WHERE id = ?", [iro.staff_id])
    check = user_for_session(store, token, now=T0)
    assert check.user is None and "no longer active" in check.notice
    store.db.execute("UPDATE staff SET active = 1 WHERE id = ?", [iro.staff_id])
    assert user_for_session(store, token, now=T0).user is None  # that session stays ended


def test_sign_out_ends_the_session_on_the_server(store):
    iro = user_with_role(store, "iro")
    token = sign_in_with_password(store, iro.email, DEMO_PASSWORD, client="", now=T0).token
    sign_out(store, token, now=T0)
    assert user_for_session(store, token, now=T0).user is None
    assert _kinds(store)[-1] == "signed_out"
    sign_out(store, token, now=T0)  # twice is harmless and audited once
    assert _kinds(store).count("signed_out") == 1


def test_single_sign_on_matches_the_staff_list_by_e_mail(store):
    manager = user_with_role(store, "team_manager")
    key = identity_key(["signed-cookie-value"])
    check, started = user_for_identity(store, manager.email.upper(), key, client="", now=T0)
    assert check.user == manager and started
    check, started = user_for_identity(store, manager.email, key, client="", now=T0)
    assert check.user == manager and not started
    sign_out_identity(store, key, now=T0)
    check, _ = user_for_identity(store, manager.email, key, client="", now=T0)
    assert check.user is None


def test_single_sign_on_refuses_someone_not_on_the_staff_list_politely(store):
    check, started = user_for_identity(store, "stranger@elsewhere.invalid",
                                       identity_key(["x"]), client="", now=T0)
    assert check.user is None and not started
    assert "nobody with that e-mail address is on this service's staff list" in check.notice
    assert _kinds(store)[-1] == "sign_in_refused"


def test_the_audit_cannot_be_changed(store):
    import sqlite3

    iro = user_with_role(store, "iro")
    sign_in_with_password(store, iro.email, DEMO_PASSWORD, client="", now=T0)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("UPDATE access_audit SET kind = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("DELETE FROM access_audit")
