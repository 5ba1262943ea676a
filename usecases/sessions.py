"""Signing in and staying signed in: throttled password checks, server-side sessions,
single sign-on identities, idle timeout and sign-out, every step in the access audit.

The browser keeps one signed, random token (an HttpOnly cookie set by ``ui.auth_routes``);
the store keeps only its hash. Every page run asks :func:`user_for_session`, which
re-reads the person's account, so a deactivated account or a changed role takes effect at
the next click. Times are passed in (``now``, timezone-aware UTC): nothing here reads the
clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, Signer

from db import sessions as q
from db.accounts import account_by_email
from db.connection import write_transaction
from db.settings import get_setting, set_setting
from usecases.accounts import SignedInUser, authenticate, user_from_account
from usecases.audit import record, stamp
from usecases.store import Store

#: Minutes without a click after which a session ends (``IRO_SESSION_IDLE_MINUTES``).
DEFAULT_IDLE_MINUTES = 30
#: Failed attempts (per e-mail address) before each further try must wait a little.
DELAY_AFTER = 3
#: Longest wait between attempts, in seconds.
MAX_DELAY_SECONDS = 30
#: Failed attempts that lock an e-mail address, and a client (one address, many accounts).
LOCK_ACCOUNT_AFTER = 10
LOCK_CLIENT_AFTER = 30
LOCK_MINUTES = 15
#: Failures older than this are forgotten.
FAILURE_MEMORY = dt.timedelta(hours=1)
#: Last-seen stamps are written at most this often, to keep page runs read-only.
TOUCH_EVERY = dt.timedelta(seconds=60)

SECRET_SETTING = "session_secret"
LONDON = ZoneInfo("Europe/London")
WRONG = ("The e-mail address or password is wrong. Check them and try again; your "
         "administrator can set a new password.")


@dataclass(frozen=True)
class SignInOutcome:
    """What a sign-in attempt gave: a user and a token for the cookie, or why not."""

    user: SignedInUser | None
    token: str | None
    problem: str  # "" when signed in; "wrong", "wait", "locked" or "refused"
    message: str


@dataclass(frozen=True)
class SessionCheck:
    """Who a session belongs to now, or why it is no longer valid ("" if never valid)."""

    user: SignedInUser | None
    notice: str = ""


def idle_limit(minutes: int | None = None) -> dt.timedelta:
    return dt.timedelta(minutes=minutes or DEFAULT_IDLE_MINUTES)


# ------------------------------------------------------------------ tokens


def signing_key(store: Store) -> str:
    """The store's signing key, made once (kept in the store's settings)."""
    value = get_setting(store.db, SECRET_SETTING)
    if value:
        return value
    with write_transaction(store.db):
        value = get_setting(store.db, SECRET_SETTING)
        if not value:
            value = secrets.token_hex(32)
            set_setting(store.db, SECRET_SETTING, value)
    return value


def _signer(store: Store) -> Signer:
    return Signer(signing_key(store), salt="iro-alerts-session")


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _unsign(store: Store, token: str) -> str | None:
    try:
        return _signer(store).unsign(token.encode()).decode()
    except (BadSignature, UnicodeDecodeError, ValueError):
        return None


def _start(store: Store, staff_id: int, method: str, client: str, now: dt.datetime,
           raw: str) -> None:
    q.insert_session(store.db, token_hash=_hash(raw), staff_id=staff_id, method=method,
                     client=client, at=stamp(now))


# ------------------------------------------------------------------ throttling


def _parse(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text.rstrip("Z")).replace(tzinfo=dt.UTC) if text else None


def _local_time(moment: dt.datetime) -> str:
    return moment.astimezone(LONDON).strftime("%H:%M")


def _live_failures(store: Store, key: str, now: dt.datetime) -> tuple[int, dt.datetime | None,
                                                                     dt.datetime | None]:
    """(failures, last failed at, locked until) for a key, forgetting old failures."""
    row = q.failures(store.db, key)
    if row is None:
        return 0, None, None
    last, locked = _parse(row["last_failed_at"]), _parse(row["locked_until"])
    if locked and locked <= now:
        locked = None
        if last and now - last > FAILURE_MEMORY:
            return 0, None, None
    if locked is None and last and now - last > FAILURE_MEMORY:
        return 0, None, None
    return row["failures"], last, locked


def delay_after(failures: int) -> dt.timedelta:
    """How long to wait after ``failures`` failed attempts before the next is checked."""
    if failures < DELAY_AFTER:
        return dt.timedelta(0)
    return dt.timedelta(seconds=min(2 ** (failures - DELAY_AFTER), MAX_DELAY_SECONDS))


def _account_key(email: str) -> str:
    return "account:" + email.strip().lower()


def _client_key(client: str) -> str:
    return "client:" + (client or "unknown")


def _fail(store: Store, email: str, client: str, now: dt.datetime, detail: str) -> SignInOutcome:
    """Count a failed attempt against the e-mail address and the client; lock if due."""
    locked_message = ""
    with write_transaction(store.db):
        for key, limit, whose in ((_account_key(email), LOCK_ACCOUNT_AFTER, "this e-mail address"),
                                  (_client_key(client), LOCK_CLIENT_AFTER, "this computer")):
            count, _, _ = _live_failures(store, key, now)
            count += 1
            locked_until = None
            if count >= limit:
                locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
                locked_message = locked_message or _locked_text(whose, locked_until)
            q.save_failures(store.db, key, count, stamp(now),
                            stamp(locked_until) if locked_until else None)
        record(store, now=now, kind="locked" if locked_message else "sign_in_failed",
               staff_id=_staff_id(store, email), email=email.strip().lower()[:200],
               client=client, detail=detail + (" The sign-in is now locked." if locked_message
                                                else ""))
    if locked_message:
        return SignInOutcome(None, None, "locked", locked_message)
    return SignInOutcome(None, None, "wrong", WRONG)


def _locked_text(whose: str, until: dt.datetime) -> str:
    return (f"Too many failed sign-ins: signing in with {whose} is locked for {LOCK_MINUTES} "
            f"minutes. Try again after {_local_time(until)}, or ask your administrator to "
            "check the account.")


def _staff_id(store: Store, email: str) -> int | None:
    account = account_by_email(store.db, email) if email.strip() else None
    return account["id"] if account else None


# ------------------------------------------------------------------ signing in


def sign_in_with_password(store: Store, email: str, password: str, *, client: str,
                          now: dt.datetime) -> SignInOutcome:
    """Check an e-mail address and password, throttled per address and per client.

    Whatever is wrong (no such person, inactive, wrong password) the message is the same,
    so the form does not reveal who has an account. A refused attempt during a wait or a
    lock is counted too: hammering the form only makes the lock longer in coming.
    """
    email = email.strip()
    for key, whose in ((_account_key(email), "this e-mail address"),
                       (_client_key(client), "this computer")):
        _, _, locked = _live_failures(store, key, now)
        if locked:
            record(store, now=now, kind="locked", staff_id=_staff_id(store, email),
                   email=email.lower()[:200], client=client,
                   detail=f"Attempt refused: {whose} is locked until {stamp(locked)}.")
            return SignInOutcome(None, None, "locked", _locked_text(whose, locked))
    count, last, _ = _live_failures(store, _account_key(email), now)
    wait = delay_after(count)
    if last and now < last + wait:
        outcome = _fail(store, email, client, now, "Attempt too soon after failed ones.")
        if outcome.problem == "locked":
            return outcome
        seconds = max(1, int((last + wait - now).total_seconds() + 0.999))
        return SignInOutcome(None, None, "wait",
                             f"Too many failed sign-ins. Wait {seconds} second"
                             f"{'s' if seconds > 1 else ''} and try again.")
    user = authenticate(store, email, password)
    if user is None:
        return _fail(store, email, client, now, "Wrong e-mail address or password.")
    raw = secrets.token_urlsafe(32)
    with write_transaction(store.db):
        q.clear_failures(store.db, _account_key(email))
        _start(store, user.staff_id, "password", client, now, raw)
        record(store, now=now, kind="signed_in", staff_id=user.staff_id, email=user.email,
               client=client, detail="Signed in with a password.")
    return SignInOutcome(user, _signer(store).sign(raw.encode()).decode(), "", "")


def user_for_session(store: Store, token: str | None, *, now: dt.datetime,
                     idle: dt.timedelta | None = None) -> SessionCheck:
    """The person a session token belongs to, read afresh from their account.

    An unknown or tampered token gives nobody; an idle, signed-out or deactivated one
    gives nobody and a notice saying why.
    """
    raw = _unsign(store, token) if token else None
    if raw is None:
        return SessionCheck(None)
    return _check(store, _hash(raw), now=now, idle=idle or idle_limit())


def _check(store: Store, token_hash: str, *, now: dt.datetime,
           idle: dt.timedelta) -> SessionCheck:
    row = q.session_by_hash(store.db, token_hash)
    if row is None:
        return SessionCheck(None)
    if row["ended_at"]:
        return SessionCheck(None, _ENDED.get(row["end_reason"], ""))
    last_seen = _parse(row["last_seen_at"])
    account = _account(store, row["staff_id"])
    if last_seen and now - last_seen > idle:
        _end(store, row, now, "idle", "session_expired",
             f"No activity for more than {int(idle.total_seconds() // 60)} minutes.")
        return SessionCheck(None, _ENDED["idle"])
    if account is None or not account["active"]:
        _end(store, row, now, "deactivated", "signed_out", "The account is no longer active.")
        return SessionCheck(None, _ENDED["deactivated"])
    if last_seen is None or now - last_seen >= TOUCH_EVERY:
        with write_transaction(store.db):
            q.touch_session(store.db, row["id"], stamp(now))
    return SessionCheck(user_from_account(account))


_ENDED = {
    "idle": "You were signed out after a period without activity. Sign in again to go on.",
    "signed_out": "You have signed out.",
    "deactivated": "Your account is no longer active. Ask your administrator if this is wrong.",
}


def _account(store: Store, staff_id: int) -> dict | None:
    rows = list(store.db.query("SELECT email FROM staff WHERE id = ?", [staff_id]))
    return account_by_email(store.db, rows[0]["email"]) if rows else None


def _end(store: Store, row: dict, now: dt.datetime, reason: str, kind: str,
         detail: str) -> None:
    with write_transaction(store.db):
        if q.end_session(store.db, row["id"], stamp(now), reason):
            record(store, now=now, kind=kind, staff_id=row["staff_id"], client=row["client"],
                   detail=detail)


def sign_out(store: Store, token: str | None, *, now: dt.datetime) -> None:
    """End the session on the server: the token is worthless from now on."""
    raw = _unsign(store, token) if token else None
    row = q.session_by_hash(store.db, _hash(raw)) if raw else None
    if row is not None:
        _end(store, row, now, "signed_out", "signed_out", "Signed out.")


# ------------------------------------------------------------------ single sign-on


def identity_key(cookie_values: list[str]) -> str:
    """A stable key for one single sign-on login: the hash of its identity cookie."""
    return _hash("oidc:" + "|".join(cookie_values))


def user_for_identity(store: Store, email: str, key: str, *, client: str, now: dt.datetime,
                      idle: dt.timedelta | None = None) -> tuple[SessionCheck, bool]:
    """The member of staff behind a single sign-on identity, and whether the session is new.

    The identity provider vouches for the e-mail address; this matches it to the staff
    list. Someone the provider knows but the staff list does not is refused politely.
    A login that was signed out or went idle stays ended: the page signs it out of the
    provider's cookie too.
    """
    existing = q.session_by_hash(store.db, key)
    if existing is not None:
        return _check(store, key, now=now, idle=idle or idle_limit()), False
    account = account_by_email(store.db, email) if email and email.strip() else None
    if account is None or not account["active"]:
        record(store, now=now, kind="sign_in_refused", email=(email or "").strip().lower()[:200],
               client=client, staff_id=account["id"] if account else None,
               detail="Single sign-on identity with no active staff record.")
        return SessionCheck(None, (
            f"You signed in as {email or 'an account with no e-mail address'}, but nobody "
            "with that e-mail address is on this service's staff list. Ask your "
            "administrator to add you, then sign in again.")), False
    with write_transaction(store.db):
        q.insert_session(store.db, token_hash=key, staff_id=account["id"], method="oidc",
                         client=client, at=stamp(now))
        record(store, now=now, kind="signed_in", staff_id=account["id"], email=account["email"],
               client=client, detail="Signed in through single sign-on.")
    return SessionCheck(user_from_account(account)), True


def sign_out_identity(store: Store, key: str, *, now: dt.datetime) -> None:
    row = q.session_by_hash(store.db, key)
    if row is not None:
        _end(store, row, now, "signed_out", "signed_out", "Signed out.")
