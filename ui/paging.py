"""Long lists a page at a time: what a screen holds, with Previous and Next.

Why: Streamlit draws every row of a list as its own elements, so a head of service's
every-team inbox (hundreds of rows, each with its forms) or a service manager's children
(thousands) took seconds to draw, most of it rows nobody scrolls to (issue 15). The
person sees where they are ("21 to 40 of 476 children") and moves a page at a time; the
search boxes above the lists narrow them first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

import streamlit as st

T = TypeVar("T")
#: Rows per page: a screen or two of rows, each a line or an expander.
PER_PAGE = 25


def _move(key: str, to: int) -> None:
    st.session_state[key] = to


def paged(rows: Sequence[T], key: str, noun: str, per_page: int = PER_PAGE) -> Sequence[T]:
    """The rows of the page being shown, with where it is and Previous/Next above them.

    ``key`` names the page number in the session (one per list); ``noun`` is what the
    rows are, in the plural ("children"). A list that fits one page is returned whole,
    with nothing drawn.
    """
    total = len(rows)
    if total <= per_page:
        return rows
    pages = math.ceil(total / per_page)
    page = min(max(int(st.session_state.get(key, 1)), 1), pages)
    st.session_state[key] = page
    first = (page - 1) * per_page
    last = min(first + per_page, total)
    cols = st.columns([4, 1, 1])
    cols[0].caption(f"Showing {first + 1:,} to {last:,} of {total:,} {noun} "
                    f"(page {page:,} of {pages:,}).")
    cols[1].button("Previous", key=f"{key}_previous", disabled=page == 1,
                   on_click=_move, args=(key, page - 1), width="stretch",
                   help=f"The {per_page} {noun} before these")
    cols[2].button("Next", key=f"{key}_next", disabled=page == pages,
                   on_click=_move, args=(key, page + 1), width="stretch",
                   help=f"The next {per_page} {noun}")
    return rows[first:last]
