"""Import alert histories (administrator): the import's own CSV, or the authority's old
spreadsheet with its own headings and words mapped to the import's, checked before saving."""

from __future__ import annotations

import streamlit as st

from rules.alert_state import OUTCOMES
from rules.impact import IMPACTS, SUSTAINED
from rules.legacy import NOT_RECORDED
from rules.roles import ROLES
from ui.auth import require_user
from ui.context import current_store, or_stop, today
from usecases.errors import UserError
from usecases.import_events import (
    COLUMNS,
    EVENTS,
    MAP_COLUMNS,
    REQUIRED,
    VALUE_COLUMNS,
    ImportResult,
    import_events,
    outline,
    save_map,
    saved_map,
    sheets_of,
)
from usecases.import_people import require_admin
from usecases.importing.mapping import DATE_FORMATS, ColumnMap, fold
from usecases.importing.problems import ImportRefused
from usecases.importing.reader import MAX_FILE_BYTES, ImportFile

DONE = "import_events_done"
OUTLINES = "import_events_outlines"
NOT_IN_FILE = "(not in this file)"
AS_WRITTEN = "(as written)"
WHAT = {
    "alert": "the alert's reference", "child": "the child's case reference",
    "track": "iro or cp (empty: from the child's legal status)", "date": "the event's date",
    "event": "what happened", "level": "the level raised or escalated to",
    "outcome": "a response's outcome, a resolved alert's difference for the child, or "
               "whether that change lasted",
    "by": "who did it (a role or an e-mail address)",
    "until": "a date agreed, or more time asked for", "note": "free text",
    "category": "the concern's category (empty: 'Not recorded')",
    "gate": "who was consulted before a formal step",
    "concern": "a raised row: the issue of concern, as written",
    "outcome_sought": "a raised row: the outcome sought, as written",
    "impact_note": "a satisfied row: what changed for the child, as written",
    "actions": "a satisfied row: the actions agreed, as 2026-12-23: Visits booked; "
               "2027-01-10: Plan shared",
    "follows": "a raised row: the earlier alert whose change did not last",
}

store = current_store()
user = require_user()
or_stop(require_admin, user)
as_of = today()
policy = store.policy

st.title("Import alert histories")
st.caption("Alert histories from a CSV file in the import's own columns (what 'Export events' "
           "writes), or from the authority's old spreadsheet with its own headings and words, "
           "mapped below. Every row is played through the rules in date order; nothing is saved "
           "unless every row is right. A concern with no category is imported as 'Not "
           "recorded', and a formal step with no record of the consultation the policy asks for "
           "is imported flagged 'gate not recorded': each is listed as a warning.")

done = st.session_state.pop(DONE, None)
if done:
    st.success("\n\n".join(done))

upload = st.file_uploader("The file (.xlsx or .csv)", type=["xlsx", "csv"], key="events_file",
                          max_upload_size=MAX_FILE_BYTES // (1024 * 1024))
if upload is None:
    st.info(f"Choose a file (at most {MAX_FILE_BYTES // (1024 * 1024)} MB).")
    st.stop()
file = ImportFile.from_bytes(upload.name, upload.getvalue())
saved = or_stop(saved_map, store)

# -- the mapping step ------------------------------------------------------------------------

sheet = None
if upload.name.lower().endswith(".xlsx"):
    names = or_stop(sheets_of, file)
    if len(names) > 1:
        default = saved.sheet if saved and saved.sheet in names else names[0]
        sheet = st.selectbox("Sheet", names, index=names.index(default), key="events_sheet")
cache = st.session_state.setdefault(OUTLINES, {})
cache_key = (upload.file_id, sheet)
if cache_key not in cache:
    cache.clear()  # one file at a time
    cache[cache_key] = or_stop(outline, file, sheet=sheet)
shape = cache[cache_key]
st.caption(f"{shape.rows:,} rows; headings: {', '.join(shape.header)}.")
own_format = set(shape.header) <= set(COLUMNS)
use_map = st.radio("The file's columns are", ["the import's own", "the spreadsheet's own"],
                   index=0 if own_format else 1, horizontal=True, key="events_layout"
                   ) == "the spreadsheet's own"

column_map: ColumnMap | None = None
if use_map:
    st.subheader("Map the spreadsheet's columns")
    options = [NOT_IN_FILE, *shape.header]
    by_fold = {fold(h): h for h in shape.header}
    chosen: dict[str, str] = {}
    cols = st.columns(3)
    for n, column in enumerate(MAP_COLUMNS):
        guess = (saved.columns.get(column) if saved else None) or column
        default = by_fold.get(fold(guess), NOT_IN_FILE)
        heading = cols[n % 3].selectbox(
            f"{column}{' (required)' if column in REQUIRED else ''}", options,
            index=options.index(default), key=f"events_map_{column}", help=WHAT[column])
        if heading != NOT_IN_FILE:
            chosen[column] = heading
    left_out = [h for h in shape.header if h not in chosen.values()]
    if left_out:
        st.caption("Left out (not imported): " + ", ".join(left_out) + ".")
    track_default = (saved.defaults.get("track") if saved else None) or ""
    track_choices = ["", *policy.tracks]
    default_track = st.selectbox(
        "Track when the file does not say", track_choices,
        index=track_choices.index(track_default) if track_default in track_choices else 0,
        format_func=lambda t: t or "from the child's legal status", key="events_default_track")
    date_format = st.radio("Dates written as text are", DATE_FORMATS, horizontal=True,
                           index=DATE_FORMATS.index(saved.date_format) if saved else 0,
                           key="events_date_format",
                           help="Date cells in an Excel workbook are read whatever this says.")
    allowed = {
        "track": list(policy.tracks),
        "event": list(EVENTS),
        "level": ["informal", *dict.fromkeys(r for t in policy.tracks.values()
                                             for r in t.roles_on_ladder)],
        "outcome": [*OUTCOMES, *IMPACTS, *SUSTAINED],
        "category": [*dict.fromkeys(c.id for t in policy.tracks.values()
                                    for c in t.categories), NOT_RECORDED],
        "by": list(ROLES),
    }
    values: dict[str, dict[str, str]] = {}
    for column in VALUE_COLUMNS:
        heading = chosen.get(column)
        if heading is None:
            continue
        words = [w for w in shape.samples.get(heading, []) if w not in allowed[column]]
        if column == "by":
            words = [w for w in words if "@" not in w]
        if not words:
            continue
        with st.expander(f"The words in '{heading}' ({column})", expanded=True):
            values[column] = {}
            choices = [AS_WRITTEN, *allowed[column]]
            for i, word in enumerate(words):
                known = (saved.values.get(column, {}).get(fold(word)) if saved else None)
                meaning = st.selectbox(f"'{word}' means", choices,
                                       index=choices.index(known) if known in choices else 0,
                                       key=f"events_word_{column}_{i}")
                if meaning != AS_WRITTEN:
                    values[column][fold(word)] = meaning
    column_map = ColumnMap(columns=chosen, values=values,
                           defaults={"track": default_track} if default_track else {},
                           ignore=tuple(left_out), date_format=date_format, sheet=sheet)
    cols = st.columns(2)
    if cols[0].button("Save this mapping for next time", key="events_save_map"):
        or_stop(save_map, store, user, column_map, as_of=as_of)
        st.success("Mapping saved.")
    cols[1].download_button("Download the mapping (for --map)", column_map.to_yaml(),
                            file_name="import-map.yaml", mime="text/yaml",
                            key="events_map_download")

# -- check, then import ------------------------------------------------------------------------


def run(dry_run: bool) -> ImportResult | None:
    words = "Checking" if dry_run else "Importing"
    bar = st.progress(0.0, text=words)

    def update(stage: str, done: int, total: int | None) -> None:
        text = {"check": f"{words}: reading the file",
                "rehearse": f"{words}: trying {done:,} of {total or 0:,} rows on a copy",
                }.get(stage, f"{words}: {'writing ' if not dry_run else ''}"
                             f"{done:,} of {total or 0:,} rows")
        bar.progress(min(done / total, 1.0) if total else 0.0, text=text)

    try:
        return import_events(store, file, as_of=as_of, column_map=column_map, sheet=sheet,
                             dry_run=dry_run, progress=update, actor_id=user.staff_id,
                             on_wait=lambda: bar.progress(0.0, text="Another import is "
                                                          "running: waiting for it to finish"))
    except ImportRefused as refused:
        st.error(str(refused).split("\n", 1)[0])
        st.dataframe([{"Line": p.line, "Column": p.column, "Problem": p.message}
                      for p in refused.problems], hide_index=True, width="stretch")
    except UserError as exc:
        st.error(str(exc))
    finally:
        bar.empty()
    return None


def show(result: ImportResult) -> None:
    st.info("\n\n".join(result.summary()))
    if result.warnings:
        st.dataframe([{"Line": w.line, "Column": w.column, "Warning": w.message}
                      for w in result.warnings], hide_index=True, width="stretch")
        if result.warnings_total > len(result.warnings):
            st.caption(f"The first {len(result.warnings):,} of {result.warnings_total:,} "
                       "warnings are shown.")


cols = st.columns(2)
if cols[0].button("Check the file (nothing is saved)", key="events_check"):
    checked = run(dry_run=True)
    if checked is not None:
        show(checked)
if cols[1].button("Import", type="primary", key="events_import"):
    imported = run(dry_run=False)
    if imported is not None:
        st.session_state[DONE] = imported.summary()
        st.rerun()
