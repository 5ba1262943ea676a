"""Dashboard: what the alerts and reviews say about practice, for heads of service."""

from __future__ import annotations

import datetime as dt

import altair as alt
import streamlit as st

from ui.auth import require_user
from ui.charts import OKABE_ITO, RAG_COLOURS, bar, chart_and_table, picked
from ui.context import current_store, or_stop, today
from ui.format import uk_date
from ui.widgets import link_to_alert
from usecases.dashboard import (
    SECTIONS,
    alerts_behind,
    choices,
    data_version,
    figures,
    make_filter,
    period_label,
    require_dashboard,
    visible_to,
)
from usecases.impact_figures import (
    IMPACT_WORDS,
    LASTED_WORDS,
    impact_bars,
    impact_table,
    lasted_bars,
    lasted_table,
)
from usecases.report_files import Table, display_rows, table_csv

store = current_store()
user = require_user()
or_stop(require_dashboard, user)
as_of = today()

st.title("Dashboard")
options = choices(store)
cols = st.columns([2, 2, 2, 2, 1])
start = cols[0].date_input("From", as_of.replace(month=1, day=1) if as_of.month > 3
                           else as_of.replace(year=as_of.year - 1, month=4, day=1),
                           format="DD/MM/YYYY", key="dash_from")
end = cols[1].date_input("To", as_of, format="DD/MM/YYYY", key="dash_to")
team_id = cols[2].selectbox("Team", list(options.teams), format_func=options.teams.get,
                            index=None, placeholder="All teams", key="dash_team")
track = cols[3].selectbox("Track", list(options.tracks), format_func=options.tracks.get,
                          index=None, placeholder="Both tracks", key="dash_track")
period = cols[4].radio("By", ["month", "quarter"], key="dash_period",
                       format_func=str.capitalize)
theme = st.pills("Theme", list(options.themes), key="dash_theme")
if start > end:
    st.error("The 'From' date is after the 'To' date: choose a period that runs forwards.")
    st.stop()
st.caption(f"From {uk_date(start)} to {uk_date(end)}"
           + (f", {options.teams[team_id]}" if team_id is not None else "")
           + (f", {options.tracks[track]}" if track else "")
           + (f", theme {theme}" if theme else "") + ".")

f = make_filter(store, start, end, team_id, track, theme)


def _part_in_address() -> None:
    """The part shown is in the address (``?part=ladder``): bookmarked, or shared."""
    st.query_params["part"] = st.session_state["dash_section"]


if "dash_section" not in st.session_state and st.query_params.get("part") in SECTIONS:
    st.session_state["dash_section"] = st.query_params["part"]
section = st.radio("Show", list(SECTIONS), format_func=SECTIONS.get, horizontal=True,
                   key="dash_section", on_change=_part_in_address,
                   help="One part of the dashboard at a time; the filters above apply to "
                        "every part.")


@st.cache_data(show_spinner="Counting...", max_entries=64)
def _figures(path: str, version: tuple[int, int], f_key: tuple, period: str, day: dt.date,
             part: str):
    # cached per filter and part until anything new is recorded (the data version changes)
    return figures(store, f, day, period, sections=(part,))


fig = _figures(str(store.path), data_version(store),
               (f.start, f.end, f.team_id, f.track, f.categories), period, as_of, section)
PERIOD = period.capitalize()


def alerts_behind_the_bars(theme_bars: list[dict], team_bars: list[dict]) -> None:
    """The alerts behind the bars clicked, each a link to its page."""
    if not theme_bars and not team_bars:
        return
    behind = alerts_behind(store, user, f, as_of, period, theme_bars, team_bars)
    chosen = ([f"{period_label(b['period'])}, {b['theme']}" for b in theme_bars]
              + [b["team"] for b in team_bars])
    st.markdown("**The alerts behind your selection** (" + "; ".join(chosen)
                + f"): {len(behind)}")
    for alert in behind[:100]:
        row = st.columns([3, 2, 2, 3])
        with row[0]:
            link_to_alert(alert["ref"], f"{alert['ref']} ({alert['child_ref']})")
        row[1].write(alert["team"])
        row[2].write(f"{alert['theme']}, {alert['period_label']}")
        row[3].write(f"{alert['status'].capitalize()}, raised {uk_date(alert['raised_on'])}"
                     + ("; over the formal limit" if alert["breached"] else ""))


def alerts_raised() -> None:
    st.caption("Alerts raised in the period. Click a bar to list the alerts behind it.")
    event_theme = chart_and_table(
        "raised_by_theme",
        bar(fig.by_theme, x="period", label="period_short", words="period_label", y="alerts",
            colour="theme", colour_title="Theme", title=f"Alerts raised per {period}, by theme",
            x_title=PERIOD, y_title="Alerts raised", pick=("period", "theme")),
        Table("Alerts raised by theme", (PERIOD, "Theme", "Alerts"),
              tuple((r["period_label"], r["theme"], r["alerts"]) for r in fig.by_theme)),
        selectable=True)
    alerts_behind_the_bars(picked(event_theme, "period", "theme"), [])


def by_category_and_team() -> None:
    st.caption("Alerts raised in the period, by category and by team. Click a team's bar to "
               "list the alerts behind it.")
    chart_and_table(
        "raised_by_category",
        bar(fig.by_category, x="category_label", y="alerts", title="Alerts raised, by category",
            x_title="Category of concern", y_title="Alerts raised", horizontal=True),
        Table("Alerts by category", ("Category", "Alerts"),
              tuple((r["category_label"], r["alerts"]) for r in fig.by_category)))
    event_team = chart_and_table(
        "by_team",
        bar(fig.by_team, x="team", y="per_100_children", title="Alerts per 100 children, by team",
            x_title="Team", y_title="Alerts per 100 children", pick="team", horizontal=True,
            whole=False),
        Table("Alerts by team", ("Team", "Alerts", "Children", "Per 100 children"),
              tuple((r["team"], r["alerts"], r["children"], r["per_100_children"])
                    for r in fig.by_team)),
        selectable=True)
    alerts_behind_the_bars([], picked(event_team, "team"))


def the_ladder() -> None:
    chart_and_table(
        "ladder",
        bar(fig.ladder, x="stage", y="reached", colour="track_label", colour_title="Track",
            offset="track_label", horizontal=True,
            title="How far alerts went: the number that reached each stage",
            x_title="Stage", y_title="Alerts that reached it"),
        Table("The ladder", ("Track", "Stage", "Reached", "Resolved there"),
              tuple((r["track_label"], r["stage"], r["reached"], r["resolved_here"])
                    for r in fig.ladder)))
    chart_and_table(
        "on_time",
        bar([{**r, "percent_on_time": round(100 * r["share_on_time"], 1)} for r in fig.on_time],
            x="stage", y="percent_on_time", colour="track_label", colour_title="Track",
            offset="track_label", horizontal=True, percent=True,
            title="Responses on time, by stage and track", x_title="Stage",
            y_title="Responses on time (%)"),
        Table("Responses on time", ("Track", "Stage", "Responses", "On time", "Share on time"),
              tuple((r["track_label"], r["stage"], r["responses"], r["on_time"],
                     r["share_on_time"]) for r in fig.on_time)))
    res_cols = st.columns(2)
    with res_cols[0]:
        st.markdown("**Working days from raising to resolution**")
        st.dataframe(fig.resolution, hide_index=True, width="stretch",
                     column_config={"track": "Track", "resolved": "Resolved",
                                    "median_working_days": "Median working days",
                                    "mean_working_days": "Mean working days",
                                    "within_limit": "Within the formal limit",
                                    "over_limit": "Over the formal limit"})
    with res_cols[1]:
        st.markdown("**Alerts over the 20-working-day limit**")
        st.dataframe(display_rows(Table(
            "Over the limit", ("Month the limit passed", "Track", "Alerts", "Closed after it"),
            tuple((r["period_label"], r["track_label"], r["alerts"], r["closed"])
                  for r in fig.over_cap))), hide_index=True, width="stretch")


SHOWN = 200


def outstanding_now() -> None:
    overdue = sum(1 for r in fig.outstanding if r["overdue"])
    st.caption(f"On {uk_date(as_of)}: {len(fig.outstanding)} open, {overdue} overdue "
               "(overdue first)"
               + (f"; the first {SHOWN} are shown, all are in the download." if
                  len(fig.outstanding) > SHOWN else "."))
    outstanding_table = Table(
        "Outstanding", ("Alert", "Child", "Team", "Track", "Stage", "Waiting for", "Due",
                        "Overdue"),
        tuple((r["alert"], r["child"], r["team"], r["track"], r["stage"], r["waiting_for"],
               r["due"], "Yes" if r["overdue"] else "")
              for r in visible_to(store, user, fig.outstanding, "alert")))
    st.dataframe(display_rows(Table(outstanding_table.title, outstanding_table.columns,
                                    outstanding_table.rows[:SHOWN])),
                 hide_index=True, width="stretch")
    st.download_button("Download all outstanding alerts (CSV)",
                       lambda: table_csv(outstanding_table),  # made when asked for
                       file_name="outstanding.csv", mime="text/csv", key="csv_outstanding")


def reviews() -> None:
    chart_and_table(
        "rag",
        bar(fig.rag_totals, x="period", label="period_short", words="period_label", y="reviews",
            colour="judgement", colour_title="Judgement", title=f"Review judgements per {period}",
            x_title=PERIOD, y_title="Reviews", scale=RAG_COLOURS),
        Table("Review judgements", (PERIOD, "Team", "Judgement", "Reviews"),
              tuple((r["period_label"], r["team"], r["judgement"], r["reviews"])
                    for r in fig.rag)))
    st.markdown(f"**Children with two or more amber or red reviews in a row:** {len(fig.drift)}")
    if fig.drift:
        st.dataframe(display_rows(Table(
            "Two or more in a row",
            ("Child", "Team", "Track", "Amber or red reviews in a row", "Latest review"),
            tuple((r["child_ref"], r["team"], r["track_label"], r["in_a_row"], r["latest"])
                  for r in fig.drift[:SHOWN]))), hide_index=True, width="stretch")


def the_rest() -> None:
    chart_and_table(
        "good_practice",
        bar(fig.good_practice, x="team", y="notes", title="Notes of good practice, by team",
            x_title="Team", y_title="Notes", horizontal=True),
        Table("Good practice", ("Team", "Notes"),
              tuple((r["team"], r["notes"]) for r in fig.good_practice)))
    other = st.columns(2)
    with other[0]:
        st.markdown(f"**Referrals to CAFCASS:** {sum(r['events'] for r in fig.cafcass)}")
        st.dataframe(display_rows(Table(
            "CAFCASS", ("Month", "Team", "Referrals"),
            tuple((r["period_label"], r["team"], r["events"]) for r in fig.cafcass))),
            hide_index=True, width="stretch")
    with other[1]:
        late = sum(r["told_late"] or 0 for r in fig.late_changes)
        st.markdown(f"**Significant changes the IRO was told of late:** {late}")
        st.dataframe(display_rows(Table(
            "Late changes", ("Month", "Team", "Changes", "Told late"),
            tuple((r["period_label"], r["team"], r["changes"], r["told_late"] or 0)
                  for r in fig.late_changes))), hide_index=True, width="stretch")


#: Okabe-Ito colours with one meaning on every chart of the part: green for improved or
#: lasting, vermillion for not, sky blue for partly, orange for not yet followed up and
#: reddish purple for not recorded.
IMPACT_COLOURS = alt.Scale(domain=list(IMPACT_WORDS.values()),
                           range=[OKABE_ITO[2], OKABE_ITO[4], OKABE_ITO[5], OKABE_ITO[3]])
LASTED_COLOURS = alt.Scale(domain=list(LASTED_WORDS.values()),
                           range=[OKABE_ITO[2], OKABE_ITO[5], OKABE_ITO[1]])
IMPACT_GROUPS = {"theme": (("theme", "Theme"),),
                 "stage_in_track": (("track_label", "Track"), ("stage", "Highest stage")),
                 "team": (("team", "Team"),)}
IMPACT_AXES = {"theme": "Theme", "stage_in_track": "Highest stage reached", "team": "Team"}


def _share_words(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}"


def impact_for_the_child() -> None:
    impact = fig.impact
    assert impact is not None  # counted for this part
    o = impact.overall
    st.caption(f"Alerts resolved from {uk_date(start)} to {uk_date(end)} (not raised: the "
               "difference made is known when an alert is resolved), with the filters above; "
               f"follow-ups as answered by {uk_date(as_of)}. Shares of improved, partly and "
               "not improved are of the alerts whose difference was recorded; sustained and "
               "not sustained of those followed up. The charts show each group's alerts as "
               "100%.")
    cards = st.columns(3)
    cards[0].metric("Alerts resolved", o["resolved"],
                    help=f"{o['not_recorded']} with the difference not recorded")
    cards[1].metric("Improved things for the child", _share_words(o["share_improved"]),
                    help=f"{o['improved']} of {o['recorded']} with the difference recorded; "
                         f"partly improved: {_share_words(o['share_partly'])}")
    cards[2].metric("The change lasted", _share_words(o["share_sustained"]),
                    help=f"{o['sustained']} of {o['answered']} followed up; "
                         f"{o['not_followed_up']} not yet followed up")
    breakdowns = (("theme", impact.by_theme, "theme"),
                  ("stage", impact.by_level, "stage_in_track"),
                  ("team", impact.by_team, "team"))
    for name, rows, key in breakdowns:
        axis = IMPACT_AXES[key]
        chart_and_table(
            f"impact_by_{name}",
            bar(impact_bars(rows, key), x=key, y="percent", colour="difference",
                colour_title="Difference for the child", scale=IMPACT_COLOURS,
                horizontal=True, percent=True,
                title=f"Difference made for the child, by {axis.lower()}",
                x_title=axis, y_title="Alerts resolved (%)"),
            impact_table(f"Difference made by {axis.lower()}", rows, IMPACT_GROUPS[key]))
    for name, rows, key in breakdowns:
        axis = IMPACT_AXES[key]
        chart_and_table(
            f"lasted_by_{name}",
            bar(lasted_bars(rows, key), x=key, y="percent", colour="lasted",
                colour_title="Whether it lasted", scale=LASTED_COLOURS,
                horizontal=True, percent=True,
                title=f"Whether the change lasted, by {axis.lower()}",
                x_title=axis, y_title="Alerts improved or partly improved (%)"),
            lasted_table(f"Whether it lasted by {axis.lower()}", rows, IMPACT_GROUPS[key]))
    st.markdown("**Working days from raising to the agreed actions** (resolutions that "
                "recorded actions)")
    st.dataframe(display_rows(Table(
        "To the agreed actions", ("Track", "Resolutions with actions", "Median working days",
                                  "Mean working days"),
        tuple((r["track_label"], r["alerts"], r["median_working_days"], r["mean_working_days"])
              for r in impact.to_actions))), hide_index=True, width="stretch")


PARTS = {"raised": alerts_raised, "where": by_category_and_team, "ladder": the_ladder,
         "outstanding": outstanding_now, "reviews": reviews, "other": the_rest,
         "impact": impact_for_the_child}
st.subheader(SECTIONS[section])
PARTS[section]()
