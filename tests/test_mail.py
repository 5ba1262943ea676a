"""Delivering the outbox to a real SMTP server (aiosmtpd on a free 127.0.0.1 port).

Every test has its own store and its own server; time is passed in, never slept through.
Addresses are synthetic (example.org / .invalid).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from db.connection import close_thread_connections, write_transaction
from db.outbox import enqueue_mail
from db.outbox_delivery import mark_sent, outbox_rows, stamp
from tests.support import new_store
from usecases.errors import UserError
from usecases.mail import (
    MAX_ATTEMPTS,
    MailSettings,
    SendReport,
    backoff,
    claim_batch,
    send_pending,
)
from usecases.store import Store, open_store

T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)
LINK = "http://localhost:8501/alert?ref=A1"


from tests.smtp_support import Recorder, free_port, smtp_server  # noqa: E402


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def server(recorder: Recorder) -> Iterator[int]:
    with smtp_server(recorder) as port:
        yield port


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    created = new_store(tmp_path, "seed-001")
    yield created
    created.db.close()


def settings_for(port: int, **overrides) -> MailSettings:
    values = {"host": "127.0.0.1", "port": port, "sender": "iro-alerts@example.org",
              "timeout": 2.0}
    return MailSettings(**{**values, **overrides})


def queue(store: Store, *, to: tuple[str, ...] = ("iro.one@example.org",),
          cc: tuple[str, ...] = (), subject: str = "Alert A1 needs a response",
          body: str = "The alert on DEMO-0001 is waiting for you.", link: str | None = LINK,
          queued_at: dt.datetime = T0) -> int:
    with write_transaction(store.db):
        outbox_id = enqueue_mail(store.db, to=list(to), cc=list(cc), subject=subject,
                                 body=body, link=link, queued_at=stamp(queued_at))
    assert outbox_id is not None
    return outbox_id


def row(store: Store, outbox_id: int) -> dict:
    return store.db["outbox"].get(outbox_id)


def when(text: str | None) -> dt.datetime:
    assert text is not None
    return dt.datetime.fromisoformat(text)


def run(store: Store, port: int, now: dt.datetime, worker: str = "test-worker",
        **kwargs) -> SendReport:
    return send_pending(store, settings_for(port), now=now, worker=worker, **kwargs)


# --------------------------------------------------------------------------- delivery


def test_a_queued_message_is_delivered_once_as_queued(
    store: Store, server: int, recorder: Recorder
) -> None:
    outbox_id = queue(store, to=("iro.one@example.org", "tm.two@example.org"),
                      cc=("hos@example.org",))
    report = run(store, server, T0)

    assert report == SendReport(sent=1, retried=0, failed=0, refused_recipients=0)
    assert len(recorder.messages) == 1
    got = recorder.messages[0]
    stored = row(store, outbox_id)
    assert got.mail_from == "iro-alerts@example.org"
    assert sorted(got.rcpt_tos) == ["hos@example.org", "iro.one@example.org",
                                    "tm.two@example.org"]
    assert got.headers["From"] == "iro-alerts@example.org"
    assert got.headers["To"] == "iro.one@example.org, tm.two@example.org"
    assert got.headers["Cc"] == "hos@example.org"
    assert got.headers["Subject"] == "Alert A1 needs a response"
    assert got.headers["Message-ID"] == stored["message_id"]
    assert got.headers["Auto-Submitted"] == "auto-generated"
    assert email.utils.parsedate_to_datetime(got.headers["Date"]) == T0
    assert got.body.startswith("The alert on DEMO-0001 is waiting for you.\n")
    assert LINK in got.body.splitlines()

    assert stored["status"] == "sent"
    assert when(stored["sent_at"]) == T0
    assert stored["attempts"] == 1
    assert stored["claimed_until"] is None and stored["claimed_by"] is None
    assert stored["last_error"] is None


def test_running_again_sends_nothing(store: Store, server: int, recorder: Recorder) -> None:
    queue(store)
    assert run(store, server, T0).sent == 1
    again = run(store, server, T0 + 10 * MINUTE)
    assert again == SendReport()
    assert again.summary() == "No mail was due to be sent."
    assert len(recorder.messages) == 1


def test_a_message_queued_for_later_waits(store: Store, server: int, recorder: Recorder) -> None:
    queue(store, queued_at=T0 + 5 * MINUTE)
    assert run(store, server, T0).sent == 0
    assert run(store, server, T0 + 5 * MINUTE).sent == 1


def test_a_message_without_a_link_has_just_its_body(
    store: Store, server: int, recorder: Recorder
) -> None:
    queue(store, link=None, body="Plain words.")
    run(store, server, T0)
    assert recorder.messages[0].body == "Plain words.\n"


# --------------------------------------------------------------------------- server down


def test_a_server_that_is_down_loses_nothing(store: Store, recorder: Recorder) -> None:
    port = free_port()  # nothing listens here yet
    first, second = queue(store), queue(store, subject="Second")

    report = run(store, port, T0)
    assert report == SendReport(retried=2)
    for outbox_id in (first, second):
        r = row(store, outbox_id)
        assert r["status"] == "pending"
        assert r["attempts"] == 1
        assert when(r["next_attempt_at"]) == T0 + MINUTE
        assert r["claimed_until"] is None
        assert "connection was refused" in r["last_error"]
        assert f"127.0.0.1:{port}" in r["last_error"]

    with smtp_server(recorder, port):
        assert run(store, port, T0 + 30 * dt.timedelta(seconds=1)).sent == 0  # not yet due
        assert run(store, port, T0 + 2 * MINUTE).sent == 2
    assert len(recorder.messages) == 2
    assert row(store, first)["status"] == "sent"
    assert row(store, first)["attempts"] == 2
    assert row(store, first)["last_error"] is None


def test_a_hung_server_costs_one_timeout_per_run_not_one_per_message(store: Store) -> None:
    for n in range(5):
        queue(store, subject=f"Message {n}")
    with socket.socket() as silent:  # accepts connections, never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        started = time.monotonic()
        report = send_pending(store, settings_for(port, timeout=0.3), now=T0, worker="w")
        elapsed = time.monotonic() - started
    assert report.retried == 5
    assert elapsed < 1.0, f"took {elapsed:.2f}s: each message waited for the timeout"
    assert "did not answer within 0.3 seconds" in row(store, 1)["last_error"]


def test_back_off_grows_then_the_message_fails_at_max_attempts(store: Store) -> None:
    port = free_port()
    outbox_id = queue(store)
    now = T0
    gaps = []
    for attempt in range(1, MAX_ATTEMPTS):
        report = run(store, port, now)
        assert report.retried == 1
        r = row(store, outbox_id)
        assert r["attempts"] == attempt
        gap = when(r["next_attempt_at"]) - now
        gaps.append(gap)
        assert run(store, port, now + gap - dt.timedelta(seconds=1)) == SendReport()
        now += gap
    assert gaps == [dt.timedelta(minutes=m) for m in (1, 5, 15, 60, 240, 240, 240)]

    last = run(store, port, now)
    assert last == SendReport(failed=1)
    r = row(store, outbox_id)
    assert r["status"] == "failed"
    assert r["attempts"] == MAX_ATTEMPTS
    assert r["last_error"].startswith(f"Gave up after {MAX_ATTEMPTS} attempts.")
    assert run(store, port, now + dt.timedelta(days=30)) == SendReport()


def test_backoff_schedule() -> None:
    assert [backoff(n) for n in range(1, 8)] == [
        dt.timedelta(minutes=m) for m in (1, 5, 15, 60, 240, 240, 240)]


# --------------------------------------------------------------------------- refusals


def test_a_refused_recipient_is_recorded_and_the_others_get_it(
    store: Store, server: int, recorder: Recorder
) -> None:
    recorder.refuse_rcpt["gone@example.org"] = "550 5.1.1 No such mailbox"
    outbox_id = queue(store, to=("iro.one@example.org",), cc=("gone@example.org",))

    report = run(store, server, T0)
    assert report == SendReport(sent=1, refused_recipients=1)
    assert "1 recipient refused" in report.summary()
    assert recorder.messages[0].rcpt_tos == ["iro.one@example.org"]
    r = row(store, outbox_id)
    assert r["status"] == "sent"
    assert "gone@example.org (550 5.1.1 No such mailbox)" in r["last_error"]
    assert "iro.one@example.org" not in r["last_error"]


def test_every_recipient_refused_for_good_fails(
    store: Store, server: int, recorder: Recorder
) -> None:
    recorder.refuse_rcpt["gone@example.org"] = "550 5.1.1 No such mailbox"
    recorder.refuse_rcpt["left@example.org"] = "553 5.1.3 Bad address"
    outbox_id = queue(store, to=("gone@example.org", "left@example.org"))
    next_one = queue(store, subject="Next")

    report = run(store, server, T0)
    assert report == SendReport(sent=1, failed=1)
    r = row(store, outbox_id)
    assert r["status"] == "failed"
    assert r["attempts"] == 1
    assert "gone@example.org (550" in r["last_error"]
    assert "left@example.org (553" in r["last_error"]
    assert row(store, next_one)["status"] == "sent"  # the same connection carried on
    assert run(store, server, T0 + dt.timedelta(days=1)) == SendReport()


@pytest.mark.parametrize("where", ["rcpt", "data"])
def test_a_temporary_refusal_is_retried_later(
    store: Store, server: int, recorder: Recorder, where: str
) -> None:
    if where == "rcpt":
        recorder.refuse_rcpt["iro.one@example.org"] = "451 4.3.0 Try again later"
    else:
        recorder.refuse_data.append("451 4.3.0 Try again later")
    outbox_id = queue(store)

    assert run(store, server, T0) == SendReport(retried=1)
    r = row(store, outbox_id)
    assert r["status"] == "pending"
    assert r["attempts"] == 1
    assert when(r["next_attempt_at"]) == T0 + MINUTE
    assert "451 4.3.0 Try again later" in r["last_error"]

    recorder.refuse_rcpt.clear()
    assert run(store, server, T0 + MINUTE).sent == 1
    assert recorder.message_ids() == [r["message_id"]]


def test_a_server_closing_the_connection_is_reconnected_to(
    store: Store, server: int, recorder: Recorder
) -> None:
    # 421 makes smtplib close the connection: the next message needs a new one.
    recorder.refuse_data.append("421 4.3.2 Service shutting down")
    first, second = queue(store, subject="First"), queue(store, subject="Second")

    assert run(store, server, T0) == SendReport(sent=1, retried=1)
    assert row(store, first)["status"] == "pending"
    assert row(store, second)["status"] == "sent"
    assert run(store, server, T0 + MINUTE).sent == 1
    assert sorted(recorder.message_ids()) == sorted(
        [row(store, first)["message_id"], row(store, second)["message_id"]])


# --------------------------------------------------------------------------- concurrency


def test_two_runs_at_once_send_each_message_exactly_once(
    store: Store, server: int, recorder: Recorder
) -> None:
    ids = [queue(store, subject=f"Message {n}") for n in range(30)]
    barrier = threading.Barrier(2)
    reports: dict[str, list[SendReport]] = {}
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            mine = open_store(store.path)  # this thread's own connection
            barrier.wait(timeout=5)
            runs = reports.setdefault(name, [])
            while True:
                report = send_pending(mine, settings_for(server), now=T0, worker=name,
                                      batch=4)
                if report == SendReport():
                    break
                runs.append(report)
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)
        finally:
            close_thread_connections()

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors

    counts = Counter(recorder.message_ids())
    expected = {row(store, i)["message_id"] for i in ids}
    assert set(counts) == expected
    assert set(counts.values()) == {1}
    assert sum(r.sent for runs in reports.values() for r in runs) == 30
    assert all(row(store, i)["status"] == "sent" for i in ids)
    assert all(reports.get(name) for name in ("w1", "w2")), "both workers should have sent"


def test_a_dead_workers_claim_is_taken_over_when_its_lease_ends(
    store: Store, server: int, recorder: Recorder
) -> None:
    outbox_id = queue(store)
    claimed = claim_batch(store.db, now=T0, worker="dead-worker",
                          lease=dt.timedelta(minutes=10))
    assert [m.id for m in claimed] == [outbox_id]
    message_id = claimed[0].message_id

    assert run(store, server, T0 + 5 * MINUTE, worker="rescuer") == SendReport()
    assert run(store, server, T0 + 10 * MINUTE, worker="rescuer") == SendReport()
    assert recorder.messages == []

    assert run(store, server, T0 + 11 * MINUTE, worker="rescuer").sent == 1
    assert recorder.message_ids() == [message_id]
    r = row(store, outbox_id)
    assert r["status"] == "sent" and r["message_id"] == message_id

    # The dead worker, coming back to life, cannot overwrite what the rescuer recorded.
    with write_transaction(store.db):
        assert not mark_sent(store.db, outbox_id, worker="dead-worker", sent_at=T0)
    assert when(row(store, outbox_id)["sent_at"]) == T0 + 11 * MINUTE


# --------------------------------------------------------------------------- connection set-up


def test_signs_in_when_a_username_is_set(store: Store, recorder: Recorder) -> None:
    queue(store)
    with smtp_server(recorder, auth_require_tls=False,
                     authenticator=recorder.authenticate) as port:
        wrong = settings_for(port, username="iro-mailer", password="wrong-password")
        report = send_pending(store, wrong, now=T0, worker="w")
        assert report == SendReport(retried=1)
        assert "refused the sign-in for iro-mailer" in row(store, 1)["last_error"]
        assert "wrong-password" not in row(store, 1)["last_error"]

        right = settings_for(port, username="iro-mailer", password="right-password")
        assert send_pending(store, right, now=T0 + MINUTE, worker="w").sent == 1
    assert recorder.logins[-1] == (b"iro-mailer", b"right-password")


def test_starttls_against_a_server_without_it_is_retried_with_a_reason(
    store: Store, server: int, recorder: Recorder
) -> None:
    queue(store)
    report = send_pending(store, settings_for(server, security="starttls"), now=T0,
                          worker="w")
    assert report == SendReport(retried=1)
    assert "STARTTLS" in row(store, 1)["last_error"]
    assert recorder.messages == []


def test_the_password_is_not_in_the_settings_repr() -> None:
    assert "s3cret" not in repr(MailSettings(username="u", password="s3cret"))


# --------------------------------------------------------------------------- settings


def test_settings_defaults() -> None:
    assert MailSettings.from_env({}) == MailSettings(
        host="localhost", port=25, security="none", username=None, password=None,
        sender="iro-alerts@localhost", timeout=30.0, base_url="http://localhost:8501")


def test_settings_from_the_environment() -> None:
    settings = MailSettings.from_env({
        "IRO_SMTP_HOST": "smtp.example.org", "IRO_SMTP_PORT": "587",
        "IRO_SMTP_SECURITY": "STARTTLS", "IRO_SMTP_USER": "mailer",
        "IRO_SMTP_PASSWORD": " pass word ", "IRO_MAIL_FROM": "IRO alerts <iro@example.org>",
        "IRO_SMTP_TIMEOUT": "7.5", "IRO_BASE_URL": "https://iro.example.org/",
    })
    assert settings == MailSettings(
        host="smtp.example.org", port=587, security="starttls", username="mailer",
        password=" pass word ", sender="IRO alerts <iro@example.org>", timeout=7.5,
        base_url="https://iro.example.org")
    assert settings.envelope_sender == "iro@example.org"


@pytest.mark.parametrize(("environ", "names"), [
    ({"IRO_SMTP_PORT": "twenty-five"}, "IRO_SMTP_PORT"),
    ({"IRO_SMTP_PORT": "70000"}, "IRO_SMTP_PORT"),
    ({"IRO_SMTP_PORT": "0"}, "IRO_SMTP_PORT"),
    ({"IRO_SMTP_SECURITY": "tls"}, "IRO_SMTP_SECURITY"),
    ({"IRO_SMTP_TIMEOUT": "soon"}, "IRO_SMTP_TIMEOUT"),
    ({"IRO_SMTP_TIMEOUT": "0"}, "IRO_SMTP_TIMEOUT"),
    ({"IRO_SMTP_TIMEOUT": "nan"}, "IRO_SMTP_TIMEOUT"),
    ({"IRO_MAIL_FROM": "not an address"}, "IRO_MAIL_FROM"),
    ({"IRO_BASE_URL": "iro.example.org"}, "IRO_BASE_URL"),
    ({"IRO_SMTP_USER": "mailer"}, "IRO_SMTP_PASSWORD"),
    ({"IRO_SMTP_PASSWORD": "secret"}, "IRO_SMTP_USER"),
])
def test_bad_settings_name_the_variable(environ: dict[str, str], names: str) -> None:
    with pytest.raises(UserError, match=names):
        MailSettings.from_env(environ)


def test_empty_variables_count_as_unset() -> None:
    assert MailSettings.from_env({"IRO_SMTP_PORT": "", "IRO_SMTP_HOST": " "}) == MailSettings()


# --------------------------------------------------------------------------- report, admin view


def test_summary_is_one_plain_sentence() -> None:
    assert SendReport(sent=1).summary() == (
        "Mail: 1 message sent, 0 to be retried later, 0 failed for good.")
    assert SendReport(sent=3, retried=2, failed=1, refused_recipients=2).summary() == (
        "Mail: 3 messages sent (2 recipients refused by the server), "
        "2 to be retried later, 1 failed for good.")


def test_outbox_rows_lists_newest_first_and_filters(
    store: Store, server: int, recorder: Recorder
) -> None:
    recorder.refuse_rcpt["gone@example.org"] = "550 5.1.1 No such mailbox"
    sent = queue(store, subject="Goes")
    failed = queue(store, to=("gone@example.org",), subject="Bounces")
    run(store, server, T0)
    waiting = queue(store, subject="Later", queued_at=T0 + dt.timedelta(hours=1))

    rows = outbox_rows(store.db)
    assert [r.id for r in rows] == [waiting, failed, sent]
    assert [r.id for r in outbox_rows(store.db, status="failed")] == [failed]
    assert [r.id for r in outbox_rows(store.db, status="pending")] == [waiting]
    assert len(outbox_rows(store.db, limit=2)) == 2
    failed_row = outbox_rows(store.db, status="failed")[0]
    assert (failed_row.to, failed_row.subject, failed_row.attempts) == (
        "gone@example.org", "Bounces", 1)
    assert "550" in (failed_row.last_error or "")
    with pytest.raises(ValueError, match="Unknown outbox status"):
        outbox_rows(store.db, status="lost")
