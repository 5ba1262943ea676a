"""Reports: monthly outstanding alerts, quarterly themes by team, the annual report's
tables; each as Excel (a sheet per table) and CSV. Each also lists the period's reviews with
the answers to the procedure's own monitoring-form questions, when it has any (only the
reviews of children whose record this person may see)."""

from __future__ import annotations

import streamlit as st

from ui.auth import require_user
from ui.context import current_store, or_stop, today
from usecases.dashboard import MONTHS, QUARTERS, require_dashboard
from usecases.report_files import display_rows, table_csv, workbook_bytes
from usecases.reports import annual, monthly, quarterly

store = current_store()
user = require_user()
or_stop(require_dashboard, user)
as_of = today()

st.title("Reports")
KINDS = ["monthly", "quarterly", "annual"]


def _address() -> None:
    """The report chosen is in the address (``?report=annual``): bookmarked, or shared."""
    st.query_params["report"] = st.session_state["report_kind"]


if "report_kind" not in st.session_state and st.query_params.get("report") in KINDS:
    st.session_state["report_kind"] = st.query_params["report"]
kind = st.radio("Report", KINDS, horizontal=True, key="report_kind", on_change=_address,
                format_func={
                    "monthly": "Monthly: outstanding alerts",
                    "quarterly": "Quarterly: themes by team",
                    "annual": "Annual: IRO annual report tables"}.get)
years = list(range(as_of.year, as_of.year - 6, -1))
cols = st.columns(2)
year = cols[0].selectbox("Year", years, key="report_year")
if kind == "monthly":
    months = list(range(1, 13))
    month = cols[1].selectbox("Month", months, index=as_of.month - 1, key="report_month",
                              format_func=lambda m: MONTHS[m - 1])
    tables, name = (monthly(store, year, month, as_of, user=user),
                    f"outstanding-{MONTHS[month - 1].lower()}-{year}")
elif kind == "quarterly":
    quarter = cols[1].selectbox("Quarter", [1, 2, 3, 4], index=(as_of.month - 1) // 3,
                                key="report_quarter", format_func=lambda n: QUARTERS[n - 1])
    tables, name = (quarterly(store, year, quarter, as_of, user=user),
                    f"themes-{QUARTERS[quarter - 1].lower()}-{year}")
else:
    cols[1].caption(f"April {year} to March {year + 1}")
    tables, name = annual(store, year, as_of, user=user), f"annual-{year}-{year + 1}"

# files are made when asked for (a callable), not on every drawing of the page
st.download_button("Download as Excel (a sheet per table)", lambda: workbook_bytes(tables),
                   file_name=f"{name}.xlsx", key="report_xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
for n, table in enumerate(tables):
    st.subheader(table.title)
    if table.rows:
        st.dataframe(display_rows(table), hide_index=True, width="stretch")
    else:
        st.write("Nothing to report for this period.")
    st.download_button(f"Download '{table.title}' as CSV", lambda t=table: table_csv(t),
                       file_name=f"{name}-{n + 1}.csv", mime="text/csv", key=f"report_csv_{n}")
