"""What every page needs to know: the store for this session and today's date."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st

from db.connection import resolve_db_path
from db.retry import StoreBusy
from usecases.errors import UserError
from usecases.store import Store, open_store

#: For demonstrations and tests only: pretend today is this date (YYYY-MM-DD).
AS_OF_ENV = "IRO_AS_OF"
DB_PATH_KEY = "db_path"

log = logging.getLogger("iro.ui")
T = TypeVar("T")


def today() -> dt.date:
    """Today's date: the pages are where the wall clock is read, and passed down."""
    override = os.environ.get(AS_OF_ENV)
    if override:
        return dt.date.fromisoformat(override)
    return dt.date.today()


def now_utc() -> dt.datetime:
    """The current moment, on ``today()``'s date (so IRO_AS_OF moves it too), in UTC."""
    now = dt.datetime.now(dt.UTC)
    return dt.datetime.combine(today(), now.timetz())


def now_text() -> str:
    """The current moment as ISO text, for "read at" and mail scheduling stamps."""
    return dt.datetime.combine(today(), dt.datetime.now().time()).isoformat(timespec="seconds")


def current_store() -> Store:
    """This session thread's connection to the store ``app.py`` opened."""
    path = st.session_state.get(DB_PATH_KEY) or resolve_db_path()
    return open_store(Path(path))


def or_stop(action: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``action``; if it refuses with a UserError, show why and stop the page there."""
    try:
        return action(*args, **kwargs)
    except UserError as exc:
        st.error(str(exc))
        st.stop()
        raise  # st.stop() does not return; this keeps type checkers honest


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Show a plain message instead of a stack trace; log the details for the operator."""
    try:
        yield
    except UserError as exc:
        st.error(str(exc))
    except StoreBusy:
        log.exception("The store stayed busy while showing a page")
        st.error("The service is very busy: nothing was saved. Wait a minute, then try again.")
    except Exception:
        log.exception("Unexpected error while showing a page")
        st.error(
            "Something went wrong and this page could not be shown. Nothing was saved "
            "half-way. Try again; if it keeps happening, tell your system administrator "
            "(the details are in the server's log)."
        )
