"""The procedure: its versions and what changed, an editor for a draft, and adopting it.

For the people the procedure names as its editors (the administrator and the principal IRO
by default; ``usecases.access.may_manage_policy``). The draft is rebuilt on every run from
the file it started from plus what the forms now hold (``ui.policy_forms``), then checked
by the same checker as ``manage.py policy check``; each problem is shown next to its part
and listed at the top. The checked draft is kept for the what-if page.
"""

from __future__ import annotations

import copy

import streamlit as st

from rules.policy import PolicyInvalid
from ui import policy_forms
from ui.auth import require_user
from ui.context import current_store, or_stop, today
from ui.format import uk_date
from ui.text import as_typed
from ui.widgets import date_field
from usecases.access import require_manage_policy
from usecases.errors import UserError
from usecases.policy_editor import (
    IN_FORCE,
    changes_in_words,
    check_draft,
    draft_from_text,
    draft_yaml,
    drop_added_empties,
    start_draft,
    starting_points,
    version_changes,
    where_in_words,
)
from usecases.policy_versions import (
    apply_policy_version,
    due_date_changes,
    migrate_open_alerts,
    version_in_force,
    versions,
)

BASE, GEN, DRAFT_TEXT, FLASH = "policy_base", "policy_gen", "policy_draft_text", "policy_flash"

store = current_store()
user = require_user()
as_of = today()
or_stop(require_manage_policy, store, user)


def _start(data: dict) -> None:
    """A new draft: fresh widgets, filled from ``data``."""
    st.session_state[BASE] = data
    st.session_state[GEN] = st.session_state.get(GEN, 0) + 1


st.title("The procedure")
st.caption(f"The escalation procedure this service runs under: {as_typed(store.policy.id)}, "
           f"version {version_in_force(store, as_of)} in force today. Change it here through "
           "forms, try a draft on past alerts, and adopt it from a date. Alerts and reviews "
           "keep the version they started under unless you move them deliberately.")
if message := st.session_state.pop(FLASH, None):
    st.success(message, icon=":material/check_circle:")

versions_tab, edit_tab, adopt_tab = st.tabs(["Versions", "Edit a draft", "Adopt the draft"])

# -- versions ----------------------------------------------------------------------------------
with versions_tab:
    kept = versions(store)
    st.dataframe([{"Version": v.version, "Takes effect": uk_date(v.effective_from),
                   "Adopted by": v.adopted_by, "On": uk_date(v.recorded_on), "Why": v.reason}
                  for v in kept], hide_index=True, width="stretch")
    if len(kept) > 1:
        numbers = [v.version for v in kept]
        cols = st.columns(2)
        older = cols[0].selectbox("Compare version", numbers, index=len(numbers) - 2,
                                  key="policy_compare_old")
        newer = cols[1].selectbox("with version", numbers, index=len(numbers) - 1,
                                  key="policy_compare_new")
        changes = version_changes(store, older, newer)
        st.markdown(f"**What changed from version {older} to version {newer}**")
        st.text("\n".join(changes) if changes else "Nothing: the two say the same.")
    else:
        st.caption("Only one version so far: what changed between versions shows here once a "
                   "second is adopted.")

# -- the draft ---------------------------------------------------------------------------------
with edit_tab:
    points = starting_points(store, as_of)
    cols = st.columns([3, 1])
    point = cols[0].selectbox("Start a new draft from", list(points), format_func=points.get,
                              key="policy_start_from")
    cols[1].write("")
    if cols[1].button("Start the draft", key="policy_start"):
        _start(or_stop(start_draft, store, point, as_of))
        st.rerun()
    upload = st.file_uploader("Or upload a procedure file (YAML)", type=["yaml", "yml"],
                              key=f"policy_upload_{st.session_state.get(GEN, 0)}")
    if upload is not None:
        try:
            uploaded = draft_from_text(upload.getvalue())
        except UserError as wrong:
            st.error(f"{upload.name}: {wrong}", icon=":material/error:")
        else:
            _start(uploaded)
            st.session_state[FLASH] = (f"The draft now holds {upload.name}: check what the "
                                       "forms say about it below.")
            st.rerun()
    if BASE not in st.session_state:
        _start(start_draft(store, IN_FORCE, as_of))

base: dict = st.session_state[BASE]
gen: int = st.session_state[GEN]
draft = copy.deepcopy(base)

with edit_tab:
    summary_slot = st.container()
    parts = []
    with policy_forms.expander("About this procedure", first=True):
        parts.append(policy_forms.about(draft, gen))
    for track_id in list(draft.get("tracks") or {}):
        label = (draft["tracks"][track_id] or {}).get("label") or track_id
        with policy_forms.expander(f"Track: {label}"):
            parts.append(policy_forms.track(draft, track_id, gen))
    for title, part in policy_forms.PARTS:
        with policy_forms.expander(title):
            parts.append(part(draft, gen))

draft = drop_added_empties(base, draft)
if policy_forms.apply_changes(draft):  # a level or question added or removed
    _start(draft)
    st.rerun()
check = check_draft(store, draft)
st.session_state[DRAFT_TEXT] = draft_yaml(draft)

with edit_tab:
    with summary_slot:
        changed = changes_in_words(start_draft(store, IN_FORCE, as_of), draft)
        if check.ok:
            st.success(f"The draft is a valid procedure. {len(changed)} change(s) from the "
                       "version in force.", icon=":material/check_circle:")
        else:
            st.error("There is a problem: the draft cannot be adopted until each of these is "
                     "put right.\n\n" + "\n".join(
                         f"- **{as_typed(where_in_words(draft, p.path))}**: "
                         f"{as_typed(p.message)}" for p in check.problems),
                     icon=":material/error:")
        st.download_button("Download the draft (YAML)", st.session_state[DRAFT_TEXT],
                           file_name=f"{store.policy.id}.yaml", mime="text/yaml",
                           key="policy_download")
        if changed:
            with st.expander(f"What the draft changes ({len(changed)})"):
                st.text("\n".join(changed))
    for part in parts:
        problems = check.under(*part.paths)
        if problems:
            part.slot.error("\n".join(f"- **{as_typed(where_in_words(draft, p.path))}**: "
                                      f"{as_typed(p.message)}" for p in problems),
                            icon=":material/error:")

# -- adopting it ---------------------------------------------------------------------------------
with adopt_tab:
    if not check.ok:
        st.info("The draft has problems (see Edit a draft); put them right to adopt it.")
    else:
        st.write("Adopting keeps the draft as the procedure's next version, from the date you "
                 "give. Alerts and reviews started before that date keep the version they "
                 "started under.")
        effective = date_field("Takes effect from", key=f"policy_effective_{gen}",
                               value=as_of)
        reason = st.text_area("Why the procedure changes (kept with the version)",
                              key=f"policy_reason_{gen}")
        sure = st.checkbox("I am sure: adopt this draft as the next version",
                           key=f"policy_sure_{gen}")
        if st.button("Adopt the draft", type="primary", key=f"policy_adopt_{gen}"):
            if effective.value is None:
                st.error("Takes effect from: " + (effective.problem or "give the date."))
            elif not sure:
                st.error('Tick "I am sure" to adopt the draft.')
            else:
                try:
                    adopted = apply_policy_version(
                        store, st.session_state[DRAFT_TEXT], file_name=f"{store.policy.id}.yaml",
                        effective_from=effective.value, reason=reason, as_of=as_of,
                        adopted_by=user.name, actor_id=user.staff_id, actor_role=user.role)
                except PolicyInvalid as invalid:
                    st.error("\n".join(f"- {p.path}: {p.message}" for p in invalid.problems))
                except UserError as refused:
                    st.error(str(refused))
                else:
                    st.session_state[FLASH] = (
                        f"Version {adopted.version} adopted, taking effect on "
                        f"{uk_date(adopted.effective_from)}. " + " ".join(adopted.notes))
                    _start(start_draft(store, IN_FORCE, as_of))
                    st.rerun()

    latest = versions(store)[-1].version
    moves = due_date_changes(store, latest, as_of) if latest > 1 else []
    if moves:
        st.subheader(f"Open alerts still under an older version than {latest}")
        st.caption("They keep their dates unless you move them. Moving changes the due dates "
                   "below; those that cannot be moved say why.")
        st.dataframe([{"Alert": m.ref, "Now under version": m.from_version,
                       "Due now": uk_date(m.due_before) if m.due_before else "-",
                       "Due if moved": uk_date(m.due_after) if m.due_after else "-",
                       "Formal limit now": uk_date(m.formal_due_before)
                       if m.formal_due_before else "-",
                       "Formal limit if moved": uk_date(m.formal_due_after)
                       if m.formal_due_after else "-",
                       "Cannot be moved because": m.problem} for m in moves],
                     hide_index=True, width="stretch")
        why = st.text_input("Why they are moved (kept on each alert)", key="policy_move_why")
        if st.button(f"Move these open alerts to version {latest}", key="policy_move"):
            try:
                moved = migrate_open_alerts(store, latest, as_of, reason=why,
                                            actor_id=user.staff_id)
            except UserError as refused:
                st.error(str(refused))
            else:
                done = sum(1 for m in moved if not m.problem)
                st.session_state[FLASH] = f"Moved {done} open alert(s) to version {latest}."
                st.rerun()
