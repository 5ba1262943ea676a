"""Delivering the mail outbox by SMTP: leased claims, retries with back-off, no lost mail.

The outbox row is written in the same transaction as the event it tells of; this module
only moves rows from 'pending' to 'sent' or 'failed'. The design choices, and why:

- **Claims are leases.** A run claims a batch under ``BEGIN IMMEDIATE`` (so two runs, in
  threads or processes, never claim the same row) for ``lease``. A worker killed mid-send
  leaves its rows claimed until the lease runs out; then another run sends them again
  with the *same* Message-ID, fixed when the message was queued, so the one duplicate
  nobody can rule out (sent, then killed before recording it) is recognisably the same.
- **Each outcome is its own short transaction**, written only while the row is still
  claimed by this worker, so the write lock is never held across network I/O.
- **A server that is down costs one timeout, not one per message**: the rest of the batch
  is rescheduled without trying each row.
- **Time is an input.** ``now`` comes in; the wall clock is never read here.

Lease and batch go together: a run should finish its batch well inside the lease (roughly
``batch`` x a message's send time). Before each message the run checks that its lease was
not taken over, which narrows, but cannot close, the window for an overlong run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.policy
import email.utils
import os
import re
import smtplib
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage

import sqlite_utils

from db.connection import write_transaction
from db.outbox_delivery import (
    OutboxMessage,
    claim_due,
    is_claimed_by,
    mark_failed,
    mark_sent,
    schedule_retry,
)
from usecases.errors import UserError
from usecases.store import Store

SECURITY_MODES = ("none", "starttls", "ssl")

#: A message that has failed this many times is given up on ('failed').
MAX_ATTEMPTS = 8

#: Minutes to wait after the 1st, 2nd, ... failed attempt; the last repeats.
BACKOFF_MINUTES = (1, 5, 15, 60, 240)

DEFAULT_LEASE = dt.timedelta(minutes=10)

#: The variable naming the mail server; until it is set no e-mail is sent.
MAIL_HOST_ENV = "IRO_SMTP_HOST"

#: Characters a header may not hold: C0 controls (CR and LF among them), DEL, the C1
#: controls and Unicode's line and paragraph separators (which Python's header folding
#: also treats as line breaks).
_HEADER_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def mail_server_set(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether ``IRO_SMTP_HOST`` names a mail server (blank counts as unset).

    Unset means "send no e-mail" (the README promises it): the settings' default host
    (localhost) is only a default for a server that is set, never a reason to send.
    """
    return bool((environ.get(MAIL_HOST_ENV) or "").strip())


def waiting_mail(store: Store) -> int:
    """How many messages wait in the outbox to be sent (due now or later)."""
    return store.db.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()[0]


def nothing_sent_summary(waiting: int) -> str:
    """What ``send-mail`` says when no mail server is set: nothing sent, nothing changed."""
    messages = "1 message is" if waiting == 1 else f"{waiting:,} messages are"
    return (f"No mail server is set ({MAIL_HOST_ENV}): nothing was sent; "
            f"{messages} waiting.")


def header_text(value: str) -> str:
    """Text made safe for one e-mail header: each run of control characters (a CR or LF
    typed into a name, say) becomes a single space.

    A header cannot hold a line break, so a subject naming someone whose name has one
    could not be built, and the message would fail for good; a space keeps the name
    readable and the message deliverable. The stored text is left as it was.
    """
    return _HEADER_CONTROLS.sub(" ", value).strip()


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after ``attempts`` failed attempts: 1, 5, 15, 60, 240, 240 ... min."""
    index = min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1
    return dt.timedelta(minutes=BACKOFF_MINUTES[index])


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class MailSettings:
    """How to reach the SMTP server and whom the mail is from.

    The password is left out of ``repr`` so settings can be logged safely.
    """

    host: str = "localhost"
    port: int = 25
    security: str = "none"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "iro-alerts@localhost"
    timeout: float = 30.0
    base_url: str = "http://localhost:8501"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> MailSettings:
        """Read the IRO_SMTP_* / IRO_MAIL_FROM / IRO_BASE_URL variables; empty means unset.

        Raises ``UserError`` naming the variable, so an operator sees what to fix.
        """

        def value(name: str) -> str | None:
            raw = environ.get(name)
            return raw.strip() if raw is not None and raw.strip() else None

        host = value("IRO_SMTP_HOST") or "localhost"

        port_text = value("IRO_SMTP_PORT")
        port = 25
        if port_text is not None:
            if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
                raise UserError(
                    f"IRO_SMTP_PORT must be a port number from 1 to 65535, not {port_text!r}."
                )
            port = int(port_text)

        security = (value("IRO_SMTP_SECURITY") or "none").lower()
        if security not in SECURITY_MODES:
            raise UserError(
                f"IRO_SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}, "
                f"not {security!r}."
            )

        username = value("IRO_SMTP_USER")
        # A password may legitimately start or end with spaces: take it as written.
        password = environ.get("IRO_SMTP_PASSWORD") or None
        if password is not None and username is None:
            raise UserError("IRO_SMTP_PASSWORD is set but IRO_SMTP_USER is not: set both.")
        if username is not None and password is None:
            raise UserError("IRO_SMTP_USER is set but IRO_SMTP_PASSWORD is not: set both.")

        sender = value("IRO_MAIL_FROM") or "iro-alerts@localhost"
        if "@" not in email.utils.parseaddr(sender)[1]:
            raise UserError(
                f"IRO_MAIL_FROM must be an e-mail address such as iro-alerts@example.org, "
                f"not {sender!r}."
            )

        timeout_text = value("IRO_SMTP_TIMEOUT")
        timeout = 30.0
        if timeout_text is not None:
            try:
                timeout = float(timeout_text)
            except ValueError:
                timeout = -1.0
            if not 0 < timeout < float("inf"):
                raise UserError(
                    f"IRO_SMTP_TIMEOUT must be a number of seconds greater than 0, "
                    f"not {timeout_text!r}."
                )

        base_url = value("IRO_BASE_URL") or "http://localhost:8501"
        if not base_url.startswith(("http://", "https://")):
            raise UserError(
                f"IRO_BASE_URL must start with http:// or https://, not {base_url!r}."
            )

        return cls(host=host, port=port, security=security, username=username,
                   password=password, sender=sender, timeout=timeout,
                   base_url=base_url.rstrip("/"))

    @property
    def envelope_sender(self) -> str:
        """The bare address for MAIL FROM, even when ``sender`` carries a display name."""
        return email.utils.parseaddr(self.sender)[1]


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class SendReport:
    """What one run did: messages sent, rescheduled and given up; recipients refused."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    refused_recipients: int = 0

    def summary(self) -> str:
        """One plain sentence for the command line (counts only: addresses are personal)."""
        if not (self.sent or self.retried or self.failed):
            return "No mail was due to be sent."
        sent = f"{self.sent} message{'' if self.sent == 1 else 's'} sent"
        if self.refused_recipients:
            n = self.refused_recipients
            sent += f" ({n} recipient{'' if n == 1 else 's'} refused by the server)"
        return (f"Mail: {sent}, {self.retried} to be retried later, "
                f"{self.failed} failed for good.")


# --------------------------------------------------------------------------- sending


class _ServerUnavailable(Exception):
    """Connecting, securing or signing in failed: no message in this run can be sent."""


@dataclass(frozen=True)
class _Outcome:
    """What happened to one message; ``kind`` is 'sent', 'retry' or 'failed'."""

    kind: str
    error: str | None = None
    refused: int = 0


def _decode(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())


def _describe(exc: BaseException, settings: MailSettings) -> str:
    """A readable sentence for an administrator, never a stack trace."""
    where = f"{settings.host}:{settings.port}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return (f"The mail server at {where} refused the sign-in for {settings.username} "
                f"({exc.smtp_code} {_decode(exc.smtp_error)}); check IRO_SMTP_USER and "
                "IRO_SMTP_PASSWORD.")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"The mail server at {where} does not support what was asked of it: {exc}."
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return (f"The mail server refused the sender {exc.sender} ({exc.smtp_code} "
                f"{_decode(exc.smtp_error)}); check IRO_MAIL_FROM.")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "The mail server refused every recipient: " + _refused_list(exc.recipients) + "."
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"The mail server at {where} answered {exc.smtp_code} {_decode(exc.smtp_error)}."
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        if isinstance(exc.__context__, OSError):
            # smtplib reports a read that timed out or was reset as a disconnection.
            return _describe(exc.__context__, settings)
        return f"The mail server at {where} closed the connection unexpectedly."
    if isinstance(exc, ConnectionRefusedError):
        return f"Could not connect to the mail server at {where}: the connection was refused."
    if isinstance(exc, TimeoutError):
        return (f"The mail server at {where} did not answer within {settings.timeout:g} "
                "seconds.")
    if isinstance(exc, ssl.SSLError):
        return f"The secure connection to the mail server at {where} failed: {exc}."
    if isinstance(exc, socket.gaierror):
        return f"Could not find the mail server {settings.host!r}: {exc.strerror or exc}."
    if isinstance(exc, OSError):
        return f"Could not talk to the mail server at {where}: {exc.strerror or exc}."
    return f"Sending failed: {exc}."


def _refused_list(refused: Mapping[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{address} ({code} {_decode(reply)})"
                     for address, (code, reply) in sorted(refused.items()))


class _Connection:
    """One SMTP connection per run, opened on first use and reopened if it drops."""

    def __init__(self, settings: MailSettings) -> None:
        self._settings = settings
        self._smtp: smtplib.SMTP | None = None

    def get(self) -> smtplib.SMTP:
        if self._smtp is not None and self._smtp.sock is not None:
            return self._smtp
        self.drop()
        self._smtp = self._open()
        return self._smtp

    def _open(self) -> smtplib.SMTP:
        s = self._settings
        smtp: smtplib.SMTP | None = None
        try:
            if s.security == "ssl":
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                        context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            # Greet now, so a server that refuses our EHLO counts against the run, not
            # against each message in turn.
            smtp.ehlo_or_helo_if_needed()
            if s.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if s.username:
                smtp.login(s.username, s.password or "")
            return smtp
        except (smtplib.SMTPException, OSError) as exc:
            if smtp is not None:
                _close_quietly(smtp)
            raise _ServerUnavailable(_describe(exc, s)) from exc

    def drop(self) -> None:
        """Forget a connection that failed, without waiting for a polite goodbye."""
        if self._smtp is not None:
            _close_quietly(self._smtp)
            self._smtp = None

    def close(self) -> None:
        """End the run's connection politely."""
        if self._smtp is not None and self._smtp.sock is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()
        self.drop()


def _close_quietly(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        smtp.close()


def _addresses(header_value: str) -> list[str]:
    return [addr for _, addr in email.utils.getaddresses([header_value]) if addr]


def _date_header(message: OutboxMessage, now: dt.datetime) -> str:
    """When the message was queued (RFC 5322's origination date), else when it is sent.

    Keeping the queue time makes a resend after a crash look the same as the first send.
    A time without an offset is written with -0000, RFC 5322's "zone unknown".
    """
    try:
        queued = dt.datetime.fromisoformat(message.created_at.replace("Z", "+00:00"))
    except ValueError:
        queued = now
    return email.utils.format_datetime(queued)


def build_message(message: OutboxMessage, settings: MailSettings, now: dt.datetime
                  ) -> EmailMessage:
    """The e-mail for one outbox row, carrying the Message-ID fixed when it was queued."""
    mail = EmailMessage(policy=email.policy.SMTP)
    # Names and subjects come from what people typed: no control character may reach a
    # header (see header_text).
    mail["From"] = header_text(settings.sender)
    if message.to_addrs.strip():
        mail["To"] = header_text(message.to_addrs)
    if message.cc_addrs.strip():
        mail["Cc"] = header_text(message.cc_addrs)
    mail["Subject"] = header_text(message.subject)
    mail["Date"] = _date_header(message, now)
    mail["Message-ID"] = message.message_id
    # RFC 3834: tells mail systems not to send out-of-office replies to an automatic notice.
    mail["Auto-Submitted"] = "auto-generated"
    text = message.body.rstrip("\n")
    if message.link:
        text = f"{text}\n\n{message.link}" if text else message.link
    mail.set_content(text + "\n")
    return mail


def _send_one(conn: _Connection, message: OutboxMessage, settings: MailSettings,
              now: dt.datetime) -> _Outcome:
    """Send one message; reconnect and try once more if the connection had dropped.

    Raises ``_ServerUnavailable`` when no connection can be made at all.
    """
    recipients = _addresses(message.to_addrs) + _addresses(message.cc_addrs)
    if not recipients:
        return _Outcome("failed", "The message has no recipient addresses.")
    try:
        mail = build_message(message, settings, now)
    except (ValueError, TypeError) as exc:
        return _Outcome("failed", f"The message could not be built: {exc}.")

    for attempt in (1, 2):
        smtp = conn.get()
        try:
            refused = smtp.send_message(mail, from_addr=settings.envelope_sender,
                                        to_addrs=recipients)
        except smtplib.SMTPServerDisconnected as exc:
            # Most often an idle connection the server has since closed: one fresh try.
            conn.drop()
            if attempt == 1:
                continue
            return _Outcome("retry", _describe(exc, settings))
        except smtplib.SMTPRecipientsRefused as exc:
            _drop_if_closed(conn, smtp)
            codes = [code for code, _ in exc.recipients.values()]
            permanent = bool(codes) and all(500 <= code < 600 for code in codes)
            return _Outcome("failed" if permanent else "retry", _describe(exc, settings))
        except smtplib.SMTPSenderRefused as exc:
            # About our configuration, not this message: retry rather than lose it.
            _drop_if_closed(conn, smtp)
            return _Outcome("retry", _describe(exc, settings))
        except smtplib.SMTPResponseException as exc:
            _drop_if_closed(conn, smtp)
            permanent = 500 <= exc.smtp_code < 600
            return _Outcome("failed" if permanent else "retry", _describe(exc, settings))
        except (smtplib.SMTPException, OSError) as exc:
            # Timeouts, resets, TLS errors: the connection's state is unknown; start afresh.
            conn.drop()
            return _Outcome("retry", _describe(exc, settings))
        except UnicodeError as exc:
            _drop_if_closed(conn, smtp)
            return _Outcome("failed", f"The message could not be encoded for sending: {exc}.")
        if refused:
            return _Outcome(
                "sent",
                "Sent, but the mail server refused " + _refused_list(refused) + ".",
                refused=len(refused),
            )
        return _Outcome("sent")
    raise AssertionError("unreachable")  # pragma: no cover


def _drop_if_closed(conn: _Connection, smtp: smtplib.SMTP) -> None:
    # smtplib closes the socket itself after a 421 ("service closing"); start afresh then.
    if smtp.sock is None:
        conn.drop()


# --------------------------------------------------------------------------- use cases


def claim_batch(
    db: sqlite_utils.Database,
    *,
    now: dt.datetime,
    worker: str,
    batch: int = 50,
    lease: dt.timedelta = DEFAULT_LEASE,
) -> list[OutboxMessage]:
    """Lease up to ``batch`` due messages to ``worker`` in one BEGIN IMMEDIATE transaction."""
    with write_transaction(db):
        return claim_due(db, now=now, claimed_until=now + lease, worker=worker, batch=batch)


def _record(db: sqlite_utils.Database, message: OutboxMessage, outcome: _Outcome, *,
            worker: str, now: dt.datetime) -> str | None:
    """Write one outcome in its own transaction; returns the status recorded, or None.

    None means another run took the lease over meanwhile, and its result stands.
    """
    with write_transaction(db):
        if outcome.kind == "sent":
            done = mark_sent(db, message.id, worker=worker, sent_at=now, note=outcome.error)
            return "sent" if done else None
        error = outcome.error or "Sending failed."
        attempts = message.attempts + 1
        if outcome.kind == "failed" or attempts >= MAX_ATTEMPTS:
            if outcome.kind != "failed":
                error = f"Gave up after {attempts} attempts. Last error: {error}"
            return "failed" if mark_failed(db, message.id, worker=worker, error=error) else None
        done = schedule_retry(db, message.id, worker=worker,
                              next_attempt_at=now + backoff(attempts), error=error)
        return "retry" if done else None


def send_pending(
    store: Store,
    settings: MailSettings,
    *,
    now: dt.datetime,
    worker: str,
    batch: int = 50,
    lease: dt.timedelta = DEFAULT_LEASE,
) -> SendReport:
    """Send up to ``batch`` due messages from the outbox over one SMTP connection.

    ``worker`` must differ between runs that may overlap (say host name and process id):
    outcomes are recorded only while the row is still claimed under that name. ``now``
    should be in UTC (aware, or naive meaning UTC), as times without an offset in the
    outbox are read as UTC. Safe to run as often as you like: a 'sent' row is never sent
    again, and a failure leaves the message pending with a later ``next_attempt_at``.
    """
    db = store.db
    claimed = claim_batch(db, now=now, worker=worker, batch=batch, lease=lease)
    counts = {"sent": 0, "retry": 0, "failed": 0}
    refused = 0
    conn = _Connection(settings)
    server_down: str | None = None
    try:
        for message in claimed:
            if server_down is not None:
                outcome = _Outcome("retry", server_down)
            elif not is_claimed_by(db, message.id, worker):
                continue  # our lease ran out and another run has it now
            else:
                try:
                    outcome = _send_one(conn, message, settings, now)
                except _ServerUnavailable as exc:
                    server_down = str(exc)
                    outcome = _Outcome("retry", server_down)
            status = _record(db, message, outcome, worker=worker, now=now)
            if status is not None:
                counts[status] += 1
                if status == "sent":
                    refused += outcome.refused
    finally:
        conn.close()
    return SendReport(sent=counts["sent"], retried=counts["retry"], failed=counts["failed"],
                      refused_recipients=refused)
