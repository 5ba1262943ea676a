"""Small pieces the pages share: errors beside fields, UK date inputs, links."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from rules.dates import uk_date

RAG_WORDS = {"red": "Red", "amber": "Amber", "green": "Green", None: "-"}


def field_error(errors: dict[str, str], key: str) -> None:
    """Show the message for one field, straight under it."""
    if key in errors:
        st.error(errors[key], icon=":material/error:")


def uk_date_input(label: str, value: dt.date | None, key: str, **kwargs) -> dt.date | None:
    """A date typed and shown the British way (day/month/year)."""
    return st.date_input(label, value=value, key=key, format="DD/MM/YYYY", **kwargs)


def link_to_alert(ref: str, label: str | None = None) -> None:
    st.page_link("pages/alert.py", label=label or f"Alert {ref}", query_params={"ref": ref},
                 icon=":material/campaign:")


def link_to_child(case_ref: str, label: str | None = None) -> None:
    st.page_link("pages/child.py", label=label or case_ref, query_params={"child": case_ref},
                 icon=":material/child_care:")


def due_text(due: str | dt.date | None, days_left: int | None = None) -> str:
    if not due:
        return "-"
    text = uk_date(due)
    if days_left is not None:
        if days_left < 0:
            text += f" ({-days_left} working days late)"
        elif days_left == 0:
            text += " (today)"
        else:
            text += f" ({days_left} left)"
    return text


def required_query_param(name: str, what: str, page: str, label: str) -> str:
    """The page's subject from the address (``?name=...``); without it, say where to choose
    one and stop the page."""
    value = st.query_params.get(name, "")
    if not value:
        st.info(f"Choose {what} from the {label} page.")
        st.page_link(page, label=label)
        st.stop()
    return value
