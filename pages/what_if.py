"""Try a procedure on past alerts: the alerts raised in a period replayed under a draft (a
file, an adopted version, or the draft on the procedure page) and compared with what the
store records. Nothing is written (``usecases.what_if``)."""

from __future__ import annotations

import datetime as dt
import math

import altair as alt
import streamlit as st

from rules.dates import uk_date
from ui.auth import require_user
from ui.charts import bar
from ui.context import current_store, or_stop, today
from ui.format import plural
from ui.text import as_typed
from ui.widgets import date_field, link_to_alert
from usecases.access import require_manage_policy
from usecases.errors import UserError
from usecases.report_files import display_rows, table_csv
from usecases.what_if import WhatIf
from usecases.what_if_view import (
    MAX_FILE_BYTES,
    Candidate,
    alerts_in_period,
    chart_rows,
    default_period,
    differed_alerts,
    differences_table,
    fingerprint,
    linkable_refs,
    period_problem,
    read_editing_draft,
    read_upload,
    read_version,
    replay,
    total_rows,
    totals_table,
    version_choices,
)

EDITING_KEY = "policy_draft_text"  # the procedure page keeps its draft's YAML here
RESULT_KEY = "what_if_result"
PER_PAGE = 25
COLOURS = ["#0072B2", "#E69F00"]  # Okabe and Ito: as recorded, under the draft
SOURCES = {"editing": "The draft on the procedure page",
           "file": "A policy file from your computer",
           "version": "A version the store has adopted"}
RECOMPUTED = ("People's actions stay as recorded, on the days they were recorded. What time "
              "does is worked out again under the procedure tried: due dates, escalation when "
              "a level does not answer in time, reminders that an answer is overdue, and the "
              "formal stage's time limit. Nothing is saved and nobody is told.")

store = current_store()
user = require_user()
or_stop(require_manage_policy, store, user)
as_of = today()

st.title("Try a procedure on past alerts")
st.caption("See what a changed procedure would have done to the alerts already raised, "
           "before anyone adopts it. Nothing is saved and nobody is told.")


def _alerts(n: int) -> str:
    return f"{n:,} alert" + ("" if n == 1 else "s")


def choose_candidate() -> Candidate | None:
    """Step 1: the policy to try, checked (None until a file is chosen)."""
    st.subheader("1. Choose what to try")
    editing = st.session_state.get(EDITING_KEY)
    options = [*(["editing"] if editing else []), "file", "version"]
    source = st.radio("What to try", options, format_func=SOURCES.get, key="what_if_source")
    if source == "editing":
        return read_editing_draft(store, editing)
    if source == "version":
        choices = version_choices(store)
        if not choices:
            st.info("This store keeps no versions of its procedure yet.")
            return None
        choice = st.selectbox("Version", choices, key="what_if_version",
                              format_func=lambda c: c.words)
        return or_stop(read_version, store, choice.version)
    upload = st.file_uploader(
        "The policy file (.yaml)", type=["yaml", "yml"], key="what_if_file",
        max_upload_size=max(1, MAX_FILE_BYTES // 2**20),
        help="A policy file as the procedure page or 'manage.py policy export' gives it. Its "
             "name must be its id: seed-001.yaml for 'id: seed-001'.")
    if upload is None:
        st.info("Upload the policy file to try, or choose a version the store has adopted.")
        return None
    return read_upload(upload.name, upload.getvalue())


def show_candidate(candidate: Candidate | None) -> None:
    if candidate is None:
        return
    if candidate.problems:
        st.error(f"This policy cannot be tried: {plural(len(candidate.problems), 'problem')} "
                 "to correct first.", icon=":material/error:")
        st.markdown("\n".join(f"- {as_typed(p)}" for p in candidate.problems))
        return
    draft = candidate.draft
    assert draft is not None
    st.caption(f"Checked, no problems found: {as_typed(draft.file_name)}, policy "
               f"{as_typed(draft.policy.id)} version {draft.policy.version}.")


def choose_period() -> tuple[dt.date | None, dt.date | None, str, int | None]:
    """Step 2: raised from / to; the problem with them, and how many alerts they take."""
    st.subheader("2. Choose which alerts")
    first, last = default_period(as_of)
    left, right = st.columns(2)
    with left:
        start = date_field("Raised from", key="what_if_from", value=first)
    with right:
        end = date_field("Raised to", key="what_if_to", value=last)
    if start.problem or end.problem:
        return start.value, end.value, "Correct the dates in step 2 first.", None
    problem = period_problem(start.value, end.value, as_of)
    if problem:
        st.error(problem, icon=":material/error:")
        return start.value, end.value, problem, None
    count = alerts_in_period(store, start.value, end.value)
    st.caption(f"{_alerts(count)} raised in this period will be replayed.")
    return start.value, end.value, "", count


def run(candidate: Candidate, start: dt.date, end: dt.date, count: int) -> None:
    draft = candidate.draft
    assert draft is not None
    words = f"Replaying {_alerts(count)} under {candidate.name}"
    progress_bar = st.progress(0.0, text=words)

    def progress(done: int, total: int) -> None:
        progress_bar.progress(min(done / total, 1.0) if total else 1.0,
                              text=f"{words}: {done:,} of {total:,} done")

    try:
        report = replay(store, draft, start, end, progress)
    except UserError as exc:
        progress_bar.empty()
        st.error(str(exc))
        return
    progress_bar.empty()
    st.session_state[RESULT_KEY] = {"key": fingerprint(candidate, start, end),
                                    "report": report, "candidate": candidate}


def show_totals(report: WhatIf, candidate: Candidate) -> None:
    rows = total_rows(report, store.policy, candidate.draft.policy, candidate.name)
    table = totals_table(rows, candidate.name)
    chart = bar(chart_rows(rows, candidate.name), x="measure", y="count",
                title=f"As recorded and under {candidate.name}", x_title="What was counted",
                y_title="Number", colour="side", colour_title="", offset="side",
                horizontal=True, scale=alt.Scale(
                    domain=["As recorded", f"Under {candidate.name}"], range=COLOURS))
    left, right = st.columns([3, 2])
    with left:
        st.altair_chart(chart, key="chart_what_if", width="stretch")
    with right:
        # a plain table, not a grid: every figure in view, long names wrapped
        shown = [{**row, "Change": f"{row['Change']:+,}" if row["Change"] else "none"}
                 for row in display_rows(table)]
        st.table(shown, hide_index=True,
                 alt="The figures in the chart, as recorded and under " + candidate.name)
        st.download_button("Download these numbers (CSV)", table_csv(table),
                           file_name="what-if-totals.csv", mime="text/csv",
                           key="what_if_totals_csv")


def show_differences(report: WhatIf, candidate: Candidate) -> None:
    differed = differed_alerts(report, store.policy, candidate.draft.policy, candidate.name)
    st.subheader(f"Alerts that would have gone differently ({len(differed):,})")
    if not differed:
        st.write(f"None: every alert would have gone the same way under {candidate.name}.")
        return
    shown = differed
    if len(differed) > PER_PAGE:
        pages = math.ceil(len(differed) / PER_PAGE)
        page = st.selectbox(
            "Alerts shown", range(pages), key="what_if_page",
            format_func=lambda n: (f"{n * PER_PAGE + 1} to "
                                   f"{min((n + 1) * PER_PAGE, len(differed))} "
                                   f"of {len(differed)}"))
        shown = differed[page * PER_PAGE:(page + 1) * PER_PAGE]
    links = linkable_refs(store, user, (d.ref for d in shown))
    widths = [1, 5]
    header = st.columns(widths)
    header[0].markdown("**Alert**")
    header[1].markdown("**What would have been different**")
    for alert in shown:
        cols = st.columns(widths)
        with cols[0]:
            if alert.ref in links:
                link_to_alert(alert.ref, alert.ref)
            else:
                st.markdown(as_typed(alert.ref))
        cols[1].markdown(as_typed(alert.first))
        if len(alert.words) > 1:
            cols[1].caption("Also: " + as_typed(" ".join(alert.words[1:])))
    st.download_button("Download every alert that would have gone differently (CSV)",
                       table_csv(differences_table(differed)),
                       file_name="what-if-differences.csv", mime="text/csv",
                       key="what_if_differences_csv")


def show_result(candidate: Candidate, start: dt.date, end: dt.date) -> None:
    result = st.session_state.get(RESULT_KEY)
    if not result:
        return
    if result["key"] != fingerprint(candidate, start, end):
        st.info("You have changed what to try or the dates since the last try: click Try it "
                "to see what these would do.")
        return
    report, tried = result["report"], result["candidate"]
    st.subheader("What would have been different")
    st.markdown(
        f"Of the **{report.alerts:,}** alerts raised from {uk_date(report.start)} to "
        f"{uk_date(report.end)}, **{report.changed:,}** would have gone differently under "
        f"{tried.name} ({as_typed(tried.draft.file_name)}).")
    st.caption(RECOMPUTED)
    show_totals(report, tried)
    show_differences(report, tried)


candidate = choose_candidate()
show_candidate(candidate)
start, end, period_wrong, count = choose_period()
st.subheader("3. Try it")
if st.button("Try it", type="primary", key="what_if_run"):
    if candidate is None:
        st.error("Choose a policy file in step 1 first.", icon=":material/error:")
    elif candidate.problems:
        st.error("Correct the problems with the policy in step 1 first.",
                 icon=":material/error:")
    elif period_wrong:
        st.error(period_wrong, icon=":material/error:")
    elif not count:
        st.info("No alert was raised in this period: choose other dates in step 2.")
    else:
        run(candidate, start, end, count)
if candidate is not None and not candidate.problems and not period_wrong:
    show_result(candidate, start, end)
