"""Local accounts: adding people who can sign in, setting passwords, signing in.

Passwords are stored only as argon2 hashes. Signing in answers the same "e-mail or
password not recognised" whatever was wrong, so the form does not reveal who has an
account. A single sign-on provider can later replace :func:`authenticate` without the
pages changing: they only see a :class:`SignedInUser`.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from db.accounts import account_by_email, set_password_hash, team_by_name
from db.connection import write_transaction
from db.events import append_event
from db.people import insert_staff
from rules.roles import ROLES, role_name
from usecases.errors import UserError
from usecases.store import Store

MIN_PASSWORD_LENGTH = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()


@dataclass(frozen=True)
class SignedInUser:
    """Who is using the app; what the pages check to decide what to show."""

    staff_id: int
    name: str
    email: str
    role: str
    team_id: int | None
    team_name: str | None

    @property
    def role_name(self) -> str:
        return role_name(self.role)


class AccountInvalid(UserError):
    """What is wrong with the details given, field by field."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("\n".join(errors.values()))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"The password must be at least {MIN_PASSWORD_LENGTH} characters long."
    return None


def add_user(
    store: Store,
    *,
    name: str,
    email: str,
    role: str,
    password: str,
    as_of: dt.date,
    team: str | None = None,
    line_manager_email: str | None = None,
    added_by: int | None = None,
) -> int:
    """Add a member of staff who can sign in; every field is checked before anything is saved."""
    db = store.db
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Give the person's full name."
    if not _EMAIL.match(email.strip()):
        errors["email"] = f"'{email}' is not an e-mail address."
    elif account_by_email(db, email) is not None:
        errors["email"] = f"{email} already has an account."
    if role not in ROLES:
        errors["role"] = f"'{role}' is not a role. Use one of: {', '.join(ROLES)}."
    problem = _password_problem(password)
    if problem:
        errors["password"] = problem
    team_id = None
    if team:
        found = team_by_name(db, team)
        if found is None:
            names = ", ".join(r["name"] for r in db.query("SELECT name FROM teams ORDER BY name"))
            errors["team"] = f"There is no team called '{team}'. Teams: {names or 'none yet'}."
        else:
            team_id = found["id"]
    manager_id = None
    if line_manager_email:
        manager = account_by_email(db, line_manager_email)
        if manager is None:
            errors["line_manager"] = f"No member of staff has the e-mail {line_manager_email}."
        else:
            manager_id = manager["id"]
    if errors:
        raise AccountInvalid(errors)
    # Hashed before the write begins: argon2 is slow on purpose, and other writers should
    # not queue behind it.
    password_hash = hash_password(password)
    taken = AccountInvalid({"email": f"{email} already has an account."})
    with write_transaction(db):
        # Checked again where it counts: someone else may have added this e-mail since the
        # check above, and they must get the same plain answer as a later duplicate does.
        if account_by_email(db, email) is not None:
            raise taken
        try:
            staff_id = insert_staff(db, name=name.strip(), email=email.strip().lower(),
                                    role=role, team_id=team_id, line_manager_id=manager_id)
        except sqlite3.IntegrityError as exc:
            if "staff.email" not in str(exc):
                raise
            raise taken from None
        set_password_hash(db, staff_id, password_hash)
        # the whole row but the password hash (a secret is never logged): the staff table
        # is a projection of the log
        append_event(db, kind="staff_added", occurred_on=as_of, actor_id=added_by,
                     actor_role="admin",
                     data={"staff_id": staff_id, "role": role, "name": name.strip(),
                           "email": email.strip().lower(), "team_id": team_id,
                           "line_manager_id": manager_id, "active": 1},
                     reason=f"{name.strip()} added as {role_name(role)}, able to sign in.")
    return staff_id


def set_password(store: Store, email: str, password: str, *, as_of: dt.date) -> None:
    account = account_by_email(store.db, email)
    if account is None:
        raise AccountInvalid({"email": f"No member of staff has the e-mail {email}."})
    problem = _password_problem(password)
    if problem:
        raise AccountInvalid({"password": problem})
    with write_transaction(store.db):
        set_password_hash(store.db, account["id"], hash_password(password))
        append_event(store.db, kind="password_set", occurred_on=as_of, actor_role="admin",
                     data={"staff_id": account["id"]},
                     reason=f"Password set for {account['name']}.")


def authenticate(store: Store, email: str, password: str) -> SignedInUser | None:
    """The user, if the e-mail and password match an active account; otherwise None."""
    account = account_by_email(store.db, email) if email.strip() else None
    if account is None or not account["active"] or not account["password_hash"]:
        _hasher.hash(password or "x")  # take as long as a real check: no timing hint
        return None
    try:
        _hasher.verify(account["password_hash"], password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(account["password_hash"]):
        with write_transaction(store.db):
            set_password_hash(store.db, account["id"], hash_password(password))
    return user_from_account(account)


def user_from_account(account: dict) -> SignedInUser:
    """The signed-in person as their account stands now (role and team re-read)."""
    return SignedInUser(staff_id=account["id"], name=account["name"], email=account["email"],
                        role=account["role"], team_id=account["team_id"],
                        team_name=account["team_name"])
