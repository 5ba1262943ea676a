"""Charts as the standards ask: a title, labelled axes, colour-blind-safe colours, a tooltip,
the numbers as a table beside them, and a CSV download.

Labels are never cut short: names (teams, categories, stages) go up the side of a
horizontal chart in full, wrapped onto several lines when long, so two teams called
"Children in Care ..." stay two different bars. A chart is as tall as its bars need, and
its number axis starts at nought with whole-number ticks for counts (0-100 for
percentages), so a chart narrowed by the filters to one bar, or to none, still has a
readable scale.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import altair as alt
import streamlit as st

from usecases.report_files import Table, display_rows, table_csv

#: Okabe and Ito's palette, distinguishable with the common colour-vision deficiencies.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#000000"]
RAG_COLOURS = alt.Scale(domain=["Green", "Amber", "Red"], range=["#009E73", "#E69F00",
                                                                 "#D55E00"])

LINE_WIDTH = 28      # characters on one line of a wrapped name
LINE_HEIGHT = 14     # pixels per line of a label
BAR_GAP = 12         # pixels between bands
VERTICAL_HEIGHT = 300
AXIS_AND_TITLE = 120  # pixels a horizontal chart needs for its title, number axis and padding
LEGEND_ON_TOP = 50   # pixels for a legend above a horizontal chart
LABEL_SUFFIX = "__label"
NOTHING = "Nothing recorded for this choice"


def wrap(text: object, width: int = LINE_WIDTH) -> str:
    """A label on lines of at most ``width`` characters (words are not broken)."""
    return "\n".join(textwrap.wrap(str(text), width, break_long_words=False)) or str(text)


def _lines(rows: Sequence[dict], field: str) -> int:
    return max((r[field].count("\n") + 1 for r in rows), default=1)


def bar(rows: list[dict], *, x: str, y: str, title: str, x_title: str, y_title: str,
        colour: str | None = None, colour_title: str = "", pick: Sequence[str] | str | None = None,
        horizontal: bool = False, scale: alt.Scale | None = None, offset: str | None = None,
        label: str | None = None, words: str | None = None, percent: bool = False,
        whole: bool = True) -> alt.Chart:
    """A bar chart of ``y`` (a number) for each ``x`` (a name or a period).

    ``label`` is the field whose words are shown for ``x`` on the axis (default ``x``
    itself), ``words`` the field shown for it in the tooltip (default ``label``);
    ``colour`` splits bars by colour (stacked), ``offset`` puts them side by side instead
    (the tracks, so that the two tracks' figures are never added together); ``pick``
    names the fields a click selects, to list the alerts behind that one bar; ``percent``
    fixes the scale at 0-100 and ``whole`` gives whole-number ticks for counts.
    """
    shown = label or x
    axis_field = shown + LABEL_SUFFIX
    # names up the side wrap at LINE_WIDTH; periods along the bottom go one word a line
    data_rows = [{**r, axis_field: wrap(r[shown], LINE_WIDTH if horizontal else 1)}
                 for r in rows]
    data = alt.Data(values=data_rows)

    values = [r[y] for r in rows if isinstance(r.get(y), int | float)]
    if percent:
        value_scale = alt.Scale(domain=[0, 100])
    elif not values or max(values) <= 0:
        value_scale = alt.Scale(domain=[0, 1])
    else:
        value_scale = alt.Scale(domainMin=0, nice=True)
    value_axis = alt.Axis(format="d" if whole or percent else ",.1~f",
                          tickMinStep=1 if whole or percent else alt.Undefined,
                          grid=True)
    label_axis = alt.Axis(labelLimit=0, labelAngle=0, labelExpr="split(datum.label, '\\n')",
                          labelLineHeight=LINE_HEIGHT)
    names = alt.X(f"{axis_field}:N", title=x_title, sort=None, axis=label_axis)
    numbers = alt.Y(f"{y}:Q", title=y_title, scale=value_scale, axis=value_axis)
    bands = len({r[axis_field] for r in data_rows})
    groups = len({r[offset] for r in rows}) if offset else 1
    if horizontal:
        names = alt.Y(f"{axis_field}:N", title=x_title, sort=None, axis=label_axis)
        numbers = alt.X(f"{y}:Q", title=y_title, scale=value_scale, axis=value_axis)
        band = max(_lines(data_rows, axis_field) * LINE_HEIGHT + BAR_GAP, 22 * groups + BAR_GAP)
        height = AXIS_AND_TITLE + max(bands, 1) * band + (LEGEND_ON_TOP if colour else 0)
    else:
        height = VERTICAL_HEIGHT

    tooltip = [alt.Tooltip(f"{words or shown}:N", title=x_title),
               alt.Tooltip(f"{y}:Q", title=y_title)]
    chart_title = alt.Title(title, subtitle=NOTHING) if not rows else title
    chart = alt.Chart(data, title=chart_title).mark_bar().encode(
        **({"y": names, "x": numbers} if horizontal else {"x": names, "y": numbers}))
    if colour:
        # beside a short horizontal chart a legend would squeeze the bars: put it on top
        legend = alt.Legend(orient="top") if horizontal else alt.Undefined
        chart = chart.encode(color=alt.Color(
            f"{colour}:N", title=colour_title, sort=None, legend=legend,
            scale=scale or alt.Scale(range=OKABE_ITO)))
        tooltip.insert(1, alt.Tooltip(f"{colour}:N", title=colour_title))
    if offset:
        side_by_side = (alt.YOffset if horizontal else alt.XOffset)(f"{offset}:N", sort=None)
        chart = chart.encode(**{"yOffset" if horizontal else "xOffset": side_by_side})
    chart = chart.encode(tooltip=tooltip)
    if pick:
        fields = [pick] if isinstance(pick, str) else list(pick)
        selection = alt.selection_point(fields=fields, name="pick")
        chart = chart.add_params(selection).encode(
            opacity=alt.condition(selection, alt.value(1.0), alt.value(0.35)))
    return chart.properties(height=height)


def picked(event: object, *fields: str) -> list[dict]:
    """The bars the user clicked on a chart shown with on_select: for each, the values of
    ``fields`` that pick it out (bars missing any of them are ignored)."""
    selection = getattr(event, "selection", None) or {}
    points = selection.get("pick", []) if isinstance(selection, dict) else []
    return [{f: p[f] for f in fields} for p in points
            if isinstance(p, dict) and all(f in p for f in fields)]


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
        st.dataframe(display_rows(table), hide_index=True, width="stretch", height=260)
        st.download_button("Download these numbers (CSV)", lambda: table_csv(table),
                           file_name=f"{key}.csv", mime="text/csv", key=f"csv_{key}")
    return event
