"""Driving the app headless with Streamlit's AppTest, as a signed-in person."""

from __future__ import annotations

import atexit
import datetime as dt
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

from streamlit.testing.v1 import AppTest

from db.connection import open_db
from ui.auth import TOKEN_KEY
from usecases.accounts import SignedInUser, authenticate
from usecases.demo import DEMO_PASSWORD
from usecases.policy_versions import policy_in_store
from usecases.sessions import sign_in_with_password
from usecases.store import Store, create_store

APP = str(Path(__file__).resolve().parent.parent / "app.py")
AS_OF = dt.date(2026, 11, 23)


#: One demonstration store per policy, built once per test process and copied for each
#: test: building plays three years of history through the use cases (two seconds), a
#: copy takes milliseconds, and each test still has a store of its own.
_TEMPLATES: dict[str, Path] = {}


def demo_store(tmp_path: Path, policy_id: str = "seed-001") -> Store:
    """A demonstration store of this test's own, at ``tmp_path/app.db`` (a copy of the
    demo ``create_store`` makes for ``AS_OF``)."""
    template = _TEMPLATES.get(policy_id)
    if template is None or not template.exists():
        folder = Path(tempfile.mkdtemp(prefix="iro-demo-template-"))
        atexit.register(shutil.rmtree, folder, True)
        create_store(folder / "app.db", policy_id, demo=True, as_of=AS_OF).db.close()
        template = _TEMPLATES[policy_id] = folder / "app.db"
    path = tmp_path / "app.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))  # private, as made
    source, target = sqlite3.connect(template), sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    db = open_db(path)
    return Store(db=db, policy=policy_in_store(db, path, AS_OF), path=path)


def user_with_role(store: Store, role: str) -> SignedInUser:
    row = next(store.db.query("SELECT email FROM staff WHERE role = ? ORDER BY id LIMIT 1",
                              [role]))
    user = authenticate(store, row["email"], DEMO_PASSWORD)
    assert user is not None
    return user


def session_token(store: Store, user: SignedInUser) -> str:
    """A real server-side session for ``user``, signed in with the demo password."""
    now = dt.datetime.combine(AS_OF, dt.datetime.now(dt.UTC).timetz())
    outcome = sign_in_with_password(store, user.email, DEMO_PASSWORD, client="apptest", now=now)
    assert outcome.token is not None, outcome.message
    return outcome.token


def sign_in_as(at: AppTest, store: Store, user: SignedInUser) -> None:
    """Sign ``user`` in to an AppTest session (AppTest cannot send the browser's cookie,
    so the session's token goes where ``ui.auth`` also looks for one)."""
    at.session_state[TOKEN_KEY] = session_token(store, user)


def app(monkeypatch, store: Store, user: SignedInUser | None = None) -> AppTest:
    monkeypatch.setenv("IRO_DB", str(store.path))
    monkeypatch.setenv("IRO_AS_OF", AS_OF.isoformat())
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if user is not None:
        sign_in_as(at, store, user)
        at.run()
        at.switch_page("app.py")  # the entry point, as the browser lands after signing in
        at.run()
    assert not at.exception, at.exception
    return at


def open_page(at: AppTest, page: str, **query: str) -> AppTest:
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    """Everything written on the page, for looking up a phrase."""
    parts = [e.value for kind in ("title", "subheader", "markdown", "caption", "info",
                                  "warning", "error", "success", "text")
             for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)
