"""Small helpers for driving the forms through AppTest: dates typed the British way, and
messages read back as the person sees them (the app escapes what people typed, so it shows
exactly as typed, never as Markdown)."""

from __future__ import annotations

import datetime as dt
import re

from streamlit.testing.v1 import AppTest

from tests.page_support import texts


def typed(day: dt.date) -> str:
    """A date as someone types it into a form: 21/12/2026."""
    return f"{day:%d/%m/%Y}"


def shown(markdown: str) -> str:
    """Markdown the app escaped (``ui.text.as_typed``) as it reads on the screen."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("  \n", "\n")


def page_text(at: AppTest) -> str:
    """Everything written on the page, as it reads on the screen."""
    return shown(texts(at))


def successes(at: AppTest) -> list[str]:
    return [shown(s.value) for s in at.success]


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def events_count(store, where: str = "1 = 1", params: list | None = None) -> int:
    return store.db.execute(f"SELECT count(*) FROM events WHERE {where}",
                            params or []).fetchone()[0]
