"""Charts as the standards ask: a title, labelled axes, colour-blind-safe colours, a tooltip,
the numbers as a table beside them, and a CSV download."""

from __future__ import annotations

import altair as alt
import streamlit as st

from usecases.report_files import Table, table_csv

#: Okabe and Ito's palette, distinguishable with the common colour-vision deficiencies.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#000000"]
RAG_COLOURS = alt.Scale(domain=["green", "amber", "red"], range=["#009E73", "#E69F00",
                                                                 "#D55E00"])


def bar(rows: list[dict], *, x: str, y: str, title: str, x_title: str, y_title: str,
        colour: str | None = None, colour_title: str = "", pick: str | None = None,
        horizontal: bool = False, scale: alt.Scale | None = None) -> alt.Chart:
    """A bar chart; ``pick`` names the field a click selects (to narrow the tables)."""
    data = alt.Data(values=rows)
    x_enc = alt.X(f"{x}:N", title=x_title, sort=None)
    y_enc = alt.Y(f"{y}:Q", title=y_title)
    if horizontal:
        x_enc, y_enc = alt.X(f"{y}:Q", title=y_title), alt.Y(f"{x}:N", title=x_title, sort=None)
    tooltip = [alt.Tooltip(f"{x}:N", title=x_title), alt.Tooltip(f"{y}:Q", title=y_title)]
    chart = alt.Chart(data, title=title).mark_bar().encode(x=x_enc, y=y_enc)
    if colour:
        chart = chart.encode(color=alt.Color(
            f"{colour}:N", title=colour_title,
            scale=scale or alt.Scale(range=OKABE_ITO)))
        tooltip.insert(1, alt.Tooltip(f"{colour}:N", title=colour_title))
    chart = chart.encode(tooltip=tooltip)
    if pick:
        selection = alt.selection_point(fields=[pick], name="pick")
        chart = chart.add_params(selection).encode(
            opacity=alt.condition(selection, alt.value(1.0), alt.value(0.35)))
    return chart.properties(height=260)


def picked(event: object, field: str) -> list[str]:
    """The values of ``field`` the user clicked on a chart shown with on_select."""
    selection = getattr(event, "selection", None) or {}
    points = selection.get("pick", []) if isinstance(selection, dict) else []
    return [p[field] for p in points if isinstance(p, dict) and field in p]


def chart_and_table(key: str, chart: alt.Chart, table: Table, *, selectable: bool = False):
    """The chart, its numbers in a table beside it, and the numbers as CSV."""
    left, right = st.columns([3, 2])
    with left:
        if selectable:
            event = st.altair_chart(chart, on_select="rerun", key=f"chart_{key}",
                                    width="stretch")
        else:
            st.altair_chart(chart, key=f"chart_{key}", width="stretch")
            event = None
    with right:
        st.dataframe([dict(zip(table.columns, row, strict=True)) for row in table.rows],
                     hide_index=True, width="stretch", height=260)
        st.download_button("Download these numbers (CSV)", table_csv(table),
                           file_name=f"{key}.csv", mime="text/csv", key=f"csv_{key}")
    return event
