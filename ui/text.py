"""Showing what people typed exactly as they typed it: never as Markdown or HTML.

A concern that says ``**urgent**`` shows the asterisks; a link stays text (nobody's browser
fetches an image from an address someone put in a note). Use :func:`typed` for a labelled
piece of user text, and :func:`as_typed` when user text must sit inside Markdown the app
writes itself (a label, a sentence around it).
"""

from __future__ import annotations

import re

import streamlit as st

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&:=\"'/@^])")


def as_typed(text: str | None) -> str:
    """``text`` escaped for Markdown: every character shows as itself, line breaks kept."""
    if not text:
        return ""
    escaped = _SPECIAL.sub(r"\\\1", text)
    return escaped.replace("\r\n", "\n").replace("\n", "  \n")


def typed(label: str, text: str | None, empty: str = "-") -> None:
    """A bold label, then the person's words as plain text."""
    st.markdown(f"**{label}**")
    st.text(text if text and text.strip() else empty)
