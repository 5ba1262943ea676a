"""Import teams, staff and children (administrator): see what would change, then apply."""

from __future__ import annotations

import streamlit as st

from ui.auth import require_user
from ui.context import current_store, or_stop, today
from usecases.errors import UserError
from usecases.import_people import KINDS, import_people, require_admin
from usecases.importing.problems import ImportRefused
from usecases.importing.reader import MAX_FILE_BYTES, ImportFile

DONE = "import_people_done"
SHOWN = 200

store = current_store()
user = require_user()
or_stop(require_admin, user)
as_of = today()

st.title("Import teams, staff and children")
st.caption("One Excel workbook with sheets named teams, staff and children (any of them), or "
           "a CSV file of one of them. Rows are matched by team name, e-mail address and case "
           "reference: new ones are added, known ones updated; nobody is removed. The whole "
           "file is checked first, and nothing is saved unless every row is right. Imported "
           "staff have no password: they sign in with the council account (single sign-on), "
           "or you set one with 'manage.py users set-password'.")
with st.expander("The columns each sheet has"):
    st.markdown(
        "- **teams**: `name`\n"
        "- **staff**: `name, email, role, team, line_manager_email, active` (`role` a role "
        "slug such as `iro` or `team_manager`; `active` yes or no, yes if empty)\n"
        "- **children**: `case_ref, name, date_of_birth, legal_status, team, "
        "social_worker_email, reviewer_email` (`legal_status` looked_after or "
        "child_protection; dates YYYY-MM-DD or DD/MM/YYYY)")

done = st.session_state.pop(DONE, None)
if done:
    st.success("\n\n".join(done))

upload = st.file_uploader("The file (.xlsx or .csv)", type=["xlsx", "csv"], key="people_file",
                          max_upload_size=MAX_FILE_BYTES // (1024 * 1024))
if upload is None:
    st.info(f"Choose a file (at most {MAX_FILE_BYTES // (1024 * 1024)} MB).")
    st.stop()
kind = None
if upload.name.lower().endswith(".csv"):
    kind = st.radio("The CSV file holds", KINDS, horizontal=True, key="people_kind")
file = ImportFile.from_bytes(upload.name, upload.getvalue())


def progress_bar(words: str):
    bar = st.progress(0.0, text=words)

    def update(stage: str, done: int, total: int | None) -> None:
        bar.progress(min(done / total, 1.0) if total else 0.0, text=words)

    return bar, update


bar, update = progress_bar("Checking the file")
try:
    preview = import_people(store, file, kind=kind, as_of=as_of, dry_run=True,
                            progress=update, user=user)
except ImportRefused as refused:
    bar.empty()
    st.error(str(refused).split("\n", 1)[0])
    st.dataframe([{"Sheet": p.sheet, "Line": p.line, "Column": p.column, "Problem": p.message}
                  for p in refused.problems], hide_index=True, width="stretch")
    st.stop()
except UserError as exc:
    bar.empty()
    st.error(str(exc))
    st.stop()
bar.empty()

st.subheader("What the file would change")
cols = st.columns(5)
for col, (what, n) in zip(cols, preview.counts().items(), strict=True):
    col.metric(what.capitalize(), f"{n:,}")
if preview.nothing_to_do:
    st.success("Nothing to change: the store already holds what the file says.")
    st.stop()

sections = [
    ("Teams to add", [{"Line": t.line, "Team": t.name} for t in preview.teams_added]),
    ("Staff to add", [{"Line": s.line, "Name": s.name, "E-mail": s.email, "Role": s.role,
                       "Team": s.team or "", "Line manager": s.manager or "",
                       "Active": "yes" if s.active else "no"} for s in preview.staff_added]),
    ("Staff to change", [{"Line": c.line, "E-mail": c.key,
                          "Changes": "; ".join(f"{k}: {a or '-'} -> {b or '-'}"
                                               for k, (a, b) in c.fields.items())}
                         for _, c in preview.staff_changed]),
    ("Children to add", [{"Line": c.line, "Case reference": c.case_ref, "Name": c.name,
                          "Legal status": c.legal_status, "Team": c.team or "",
                          "Social worker": c.social_worker or "",
                          "Reviewer": c.reviewer or ""} for c in preview.children_added]),
    ("Children to change", [{"Line": c.line, "Case reference": c.key,
                             "Changes": "; ".join(f"{k}: {a or '-'} -> {b or '-'}"
                                                  for k, (a, b) in c.fields.items())}
                            for _, c in preview.children_changed]),
]
for title, rows in sections:
    if rows:
        with st.expander(f"{title} ({len(rows):,})", expanded=len(rows) <= 20):
            st.dataframe(rows[:SHOWN], hide_index=True, width="stretch")
            if len(rows) > SHOWN:
                st.caption(f"The first {SHOWN} of {len(rows):,} are shown.")

if st.button("Apply these changes", type="primary", key="people_apply"):
    bar, update = progress_bar("Saving")
    try:
        result = import_people(store, file, kind=kind, as_of=as_of, expect=preview.fingerprint,
                               progress=update, user=user)
    except UserError as exc:
        bar.empty()
        st.error(str(exc))
        st.stop()
    bar.empty()
    st.session_state[DONE] = result.report(limit=0)
    st.rerun()
