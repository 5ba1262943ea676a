"""The jobs that run when nobody is signed in: the app's own timer, and the commands."""

from __future__ import annotations

import manage
from tests.page_support import AS_OF, demo_store
from tests.smtp_support import Recorder, smtp_server
from ui.background import BackgroundJobs, start_background_jobs


def _pending(store) -> int:
    return store.db.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()[0]


def test_one_turn_sweeps_once_a_day_and_delivers_the_mail(tmp_path, monkeypatch):
    store = demo_store(tmp_path)
    queued = _pending(store)
    assert queued > 0
    recorder = Recorder()
    with smtp_server(recorder) as port:
        monkeypatch.setenv("IRO_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("IRO_SMTP_PORT", str(port))
        monkeypatch.setenv("IRO_AS_OF", AS_OF.isoformat())
        jobs = BackgroundJobs(str(store.path))
        first = jobs.run_once()
        assert first.startswith("Sweep: ")
        sent_first = len(recorder.messages)
        assert sent_first > 0
        for _ in range(queued // 50 + 1):  # batches of 50, however many the demo queued
            if not _pending(store):
                break
            jobs.run_once()
        second = jobs.run_once()
    assert "Sweep" not in second  # the day's sweep has run
    assert _pending(store) == 0
    ids = recorder.message_ids()
    assert len(ids) == len(set(ids)) == queued


def test_mail_is_off_until_configured(tmp_path, monkeypatch):
    store = demo_store(tmp_path)
    monkeypatch.delenv("IRO_SMTP_HOST", raising=False)
    monkeypatch.setenv("IRO_AS_OF", AS_OF.isoformat())
    assert BackgroundJobs(str(store.path)).run_once().endswith(
        "Mail delivery is not configured.")


def test_a_blank_mail_server_counts_as_unset(tmp_path, monkeypatch):
    """As for ``send-mail``: a blank host is no server, so nothing is tried or changed."""
    store = demo_store(tmp_path)
    queued = _pending(store)
    monkeypatch.setenv("IRO_SMTP_HOST", "   ")
    monkeypatch.setenv("IRO_AS_OF", AS_OF.isoformat())
    assert BackgroundJobs(str(store.path)).run_once().endswith(
        "Mail delivery is not configured.")
    tried = store.db.execute(
        "SELECT count(*) FROM outbox WHERE attempts > 0 OR status != 'pending'").fetchone()[0]
    assert tried == 0 and _pending(store) >= queued


def test_the_timer_can_be_turned_off(monkeypatch, tmp_path):
    monkeypatch.setenv("IRO_BACKGROUND_JOBS", "off")
    assert start_background_jobs.__wrapped__(str(tmp_path / "x.db")) is None


def test_send_mail_command(tmp_path, monkeypatch, capsys):
    store = demo_store(tmp_path)
    recorder = Recorder()
    with smtp_server(recorder) as port:
        monkeypatch.setenv("IRO_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("IRO_SMTP_PORT", str(port))
        assert manage.main(["send-mail", "--db", str(store.path), "--batch", "5"]) == 0
    assert capsys.readouterr().out.startswith("Mail: 5 messages sent")
    assert len(recorder.messages) == 5


def test_send_mail_command_with_bad_settings(tmp_path, monkeypatch, capsys):
    store = demo_store(tmp_path)
    monkeypatch.setenv("IRO_SMTP_PORT", "twenty-five")
    assert manage.main(["send-mail", "--db", str(store.path)]) == 2
    err = capsys.readouterr().err
    assert "IRO_SMTP_PORT" in err and "Traceback" not in err
