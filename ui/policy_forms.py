"""The procedure editor's forms: one function per part of the policy file.

Each function draws the widgets for its part and writes what they hold back into the draft
(the policy file as plain data, ``usecases.policy_editor``), so the page can check the whole
draft once per run. Problems are shown by the page next to each part, through the slot each
function returns: the checker names the dotted path of what is wrong, and each part knows
its paths.

Widget keys carry the draft's *generation*: starting a new draft or uploading a file gives
fresh, empty widgets filled from the new draft, never the old one's leftovers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from rules.policy_model import ESCALATION_WORDS, REVIEW_KINDS, REVIEW_SILENCE_WORDS
from rules.roles import ROLES, role_name
from usecases.policy_editor import items_to_rows, rows_to_items, words_list

Slot = Any  # a st.empty() placeholder the page fills with the part's problems
ROLE_SLUGS = [r for r in ROLES if r != "admin"]
QUESTION_KINDS = {"text": "Text", "yes_no": "Yes or no", "choice": "A choice from a list",
                  "date": "A date"}
QUESTION_REQUIRED = {"never": "Optional", "always": "Always",
                     "amber_red": "Only when the plan is judged amber or red"}
#: Adding or removing an item waits for the end of the run, when the draft is whole:
#: ("add", path, item) or ("remove", path, index), applied by :func:`apply_changes`.
CHANGES = "policy_changes"
PART, OPEN = "policy_part", "policy_open"  # the part being drawn; the part to keep open


def expander(title: str, *, first: bool = False):
    """A part's expander: open if it is the first, or if the last add or remove was in it."""
    st.session_state[PART] = title
    return st.expander(title, expanded=first or st.session_state.get(OPEN) == title)


class Part:
    """One part of the form: its heading, the file paths it edits, and a slot for problems."""

    def __init__(self, title: str, paths: Sequence[str], slot: Slot) -> None:
        self.title, self.paths, self.slot = title, tuple(paths), slot


def _key(generation: int, *parts: str) -> str:
    return "policy." + str(generation) + "." + ".".join(parts)


def _roles(label: str, current: Any, key: str, help: str | None = None) -> list[str]:
    chosen = [r for r in (current or []) if isinstance(r, str)]
    options = ROLE_SLUGS + [r for r in chosen if r not in ROLE_SLUGS]
    return st.multiselect(label, options, default=chosen, key=key, format_func=role_name,
                          help=help)


def _days(label: str, current: Any, key: str, help: str | None = None,
          allow_none: bool = False) -> int | None:
    """A number of working days. Empty when the file gives none: for a field that may be
    left out (``allow_none``) that means "no limit"; for one that must be given, the
    checker then says so beside the part."""
    value = current if isinstance(current, int) and not isinstance(current, bool) else None
    number = st.number_input(label, min_value=0, max_value=400, value=value, step=1,
                             key=key, help=help,
                             placeholder="No limit" if allow_none else "Working days")
    return None if number is None else int(number)


def _table(rows: list[dict], key: str, columns: dict[str, Any], label: str) -> list[dict]:
    """An editable table (rows can be added and removed); returns its rows as dicts."""
    frame = pd.DataFrame(rows, columns=list(columns))
    edited = st.data_editor(frame, key=key, num_rows="dynamic", hide_index=True,
                            width="stretch", column_config=columns)
    st.caption(f"{label}: add a row at the bottom of the table; select rows to delete them.")
    out = []
    for record in edited.to_dict("records"):
        out.append({k: (None if _is_missing(v) else v) for k, v in record.items()})
    return out


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _slot() -> Slot:
    return st.empty()


def add(label: str, key: str, path: tuple[str, ...], item: dict) -> None:
    """A button that adds ``item`` to the list at ``path`` once the run is over."""
    if st.button(label, key=key, icon=":material/add:"):
        st.session_state.setdefault(CHANGES, []).append(("add", path, item))
        st.session_state[OPEN] = st.session_state.get(PART)


def remove(label: str, key: str, path: tuple[str, ...], index: int) -> None:
    """A button that removes item ``index`` of the list at ``path`` once the run is over."""
    if st.button(label, key=key, icon=":material/delete:"):
        st.session_state.setdefault(CHANGES, []).append(("remove", path, index))
        st.session_state[OPEN] = st.session_state.get(PART)


def apply_changes(draft: dict) -> bool:
    """Carry out the adds and removes asked for in this run; True if there were any."""
    changes = st.session_state.pop(CHANGES, [])
    for what, path, arg in changes:
        node: Any = draft
        for part in path[:-1]:
            node = node.setdefault(part, {})
        items = node.get(path[-1]) if isinstance(node.get(path[-1]), list) else []
        if what == "add":
            items.append(arg)
        elif 0 <= arg < len(items):
            items.pop(arg)
        node[path[-1]] = items
    return bool(changes)


# -- the parts ------------------------------------------------------------------------------------


def about(draft: dict, gen: int) -> Part:
    """Who the procedure is for, its themes, closure days and acknowledgement time."""
    draft["authority"] = st.text_input("Authority", draft.get("authority") or "",
                                       key=_key(gen, "authority"))
    draft["summary"] = st.text_area("Summary (what the procedure says, in a few sentences)",
                                    draft.get("summary") or "", key=_key(gen, "summary"))
    themes = st.text_input("Themes (separated by commas)",
                           ", ".join(draft.get("themes") or []), key=_key(gen, "themes"),
                           help="Every category of concern belongs to one theme; the "
                                "dashboard groups alerts by them.")
    draft["themes"] = words_list(themes)
    draft["acknowledge_days"] = _days("Working days a manager has to acknowledge an alert",
                                      draft.get("acknowledge_days"), _key(gen, "ack"))
    st.markdown("**Local closure days** (besides weekends and bank holidays)")
    days = [{"day": _as_date(d)} for d in draft.get("closure_days") or []]
    rows = _table(days, _key(gen, "closure"), {"day": st.column_config.DateColumn(
        "Day the offices are closed", format="D MMM YYYY")}, "Closure days")
    draft["closure_days"] = [r["day"].isoformat() if isinstance(r["day"], dt.date)
                             else str(r["day"]) for r in rows if r.get("day")]
    return Part("About this procedure", ("authority", "summary", "themes", "acknowledge_days",
                                         "closure_days"), _slot())


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def track(draft: dict, track_id: str, gen: int) -> Part:
    """One track: who raises, the informal stage, going formal, the ladder, the cap, the
    categories."""
    t = draft["tracks"][track_id]
    k = lambda *p: _key(gen, "track", track_id, *p)  # noqa: E731 - a short local helper
    t["label"] = st.text_input("Name of this track", t.get("label") or "", key=k("label"))
    t["raised_by"] = _roles("Who raises alerts on it", t.get("raised_by"), k("raised_by"))
    t["raise_within_days"] = _days(
        "Working days after the review to raise a concern (empty: no limit)",
        t.get("raise_within_days"), k("raise_within"), allow_none=True)

    st.markdown("**The informal stage**")
    informal = t.get("informal")
    has_informal = st.checkbox("This track starts with an informal stage",
                               value=isinstance(informal, dict), key=k("has_informal"))
    if has_informal:
        informal = informal if isinstance(informal, dict) else {
            "label": "Informal stage", "with": [], "copy": [], "response_days": 5,
            "max_days": 10}
        informal["label"] = st.text_input("Name of the informal stage",
                                          informal.get("label") or "", key=k("inf_label"))
        informal["with"] = _roles("Whom the informal stage is with", informal.get("with"),
                                  k("inf_with"))
        informal["copy"] = _roles("Who is copied at the informal stage",
                                  informal.get("copy"), k("inf_copy"))
        cols = st.columns(2)
        with cols[0]:
            informal["response_days"] = _days("Working days to respond (informal)",
                                              informal.get("response_days"), k("inf_days"))
        with cols[1]:
            longest = _days("Longest an informal stage may be agreed for (working days; "
                            "empty: no limit)", informal.get("max_days"), k("inf_max"),
                            allow_none=True)
            if longest is None:
                informal.pop("max_days", None)
            else:
                informal["max_days"] = longest
        gate = informal.get("gate_to_formal")
        informal["gate_to_formal"] = _gate(gate, "going from informal to formal",
                                           k("inf_gate"))
        t["informal"] = informal
    else:
        t["informal"] = None

    bypass = t.get("bypass") if isinstance(t.get("bypass"), dict) else {"allowed": False}
    bypass["allowed"] = st.checkbox("A reviewer may start at a formal level (bypass the "
                                    "informal stage)", value=bool(bypass.get("allowed")),
                                    key=k("bypass"))
    if bypass["allowed"]:
        bypass["gate"] = _gate(bypass.get("gate"), "starting at a formal level",
                               k("bypass_gate"))
    t["bypass"] = bypass

    st.markdown("**The ladder** (the formal levels, lowest first)")
    name = t.get("label") or track_id
    levels = t.get("levels") if isinstance(t.get("levels"), list) else []
    for n, level in enumerate(levels, start=1):
        with st.container(border=True):
            _level(level, n, name, k(f"level{n}"))
            remove(f"Remove level {n} ({name})", k(f"level{n}.remove"),
                   ("tracks", track_id, "levels"), n - 1)
    add(f"Add a level at the top of the ladder ({name})", k("level.add"),
        ("tracks", track_id, "levels"),
        {"role": "director", "label": f"Level {len(levels) + 1}", "copy": [],
         "response_days": 5, "on_silence": "escalate", "on_not_satisfied": "prompt"})
    cols = st.columns(2)
    with cols[0]:
        t["formal_cap_days"] = _days("Working days the whole formal stage may take",
                                     t.get("formal_cap_days"), k("cap"))
    with cols[1]:
        t["at_risk_days"] = _days("Warn this many working days before that limit",
                                  t.get("at_risk_days"), k("at_risk"))

    st.markdown("**Categories of concern**")
    themes = list(draft.get("themes") or [])
    rows = _table(items_to_rows(t.get("categories"), ("id", "label", "theme")), k("categories"),
                  {"id": st.column_config.TextColumn("Code (lower case, no spaces)",
                                                     required=True),
                   "label": st.column_config.TextColumn("Category", required=True),
                   "theme": st.column_config.SelectboxColumn("Theme", options=themes,
                                                             required=True)},
                  "Categories")
    t["categories"] = rows_to_items(rows)
    return Part(f"Track: {t.get('label') or track_id}", (f"tracks.{track_id}",), _slot())


def _level(level: dict, n: int, track_name: str, key: str) -> None:
    """One rung of the ladder: who responds, its name, who is copied, time, what follows."""
    where = f"level {n} ({track_name})"
    role = level.get("role")
    options = ROLE_SLUGS + ([role] if role and role not in ROLE_SLUGS else [])
    level["role"] = st.selectbox(f"Who responds at {where}", options,
                                 index=options.index(role) if role in options else None,
                                 format_func=role_name, key=key + ".role")
    level["label"] = st.text_input(f"Name of {where}", level.get("label") or "",
                                   key=key + ".label")
    level["copy"] = _roles(f"Who is copied at {where}", level.get("copy"), key + ".copy")
    cols = st.columns(3)
    with cols[0]:
        level["response_days"] = _days(f"Working days to respond at {where}",
                                       level.get("response_days"), key + ".days")
    words = list(ESCALATION_WORDS)
    for col, field, what in ((cols[1], "on_silence", "If there is no reply in time"),
                             (cols[2], "on_not_satisfied", "If the reviewer is not satisfied")):
        current = level.get(field)
        level[field] = col.selectbox(f"{what} at {where}", words,
                                     index=words.index(current) if current in words else 0,
                                     format_func=lambda w: ESCALATION_WORDS[w].capitalize(),
                                     key=f"{key}.{field}")
    if st.checkbox(f"Reached only by the reviewer's choice, outside the formal time limit "
                   f"({where})", value=bool(level.get("exceptional")), key=key + ".exceptional"):
        level["exceptional"] = True
    else:
        level.pop("exceptional", None)


def _gate(gate: Any, when: str, key: str) -> dict | None:
    """Who must be consulted before a step, and within how long."""
    gate = gate if isinstance(gate, dict) else None
    needed = st.checkbox(f"Someone must be consulted before {when}", value=gate is not None,
                         key=key + ".needed")
    if not needed:
        return None
    gate = gate or {"consult": [], "within_days": 1, "emergency_exempt": False, "note": ""}
    gate["consult"] = _roles(f"Whom to consult before {when}", gate.get("consult"),
                             key + ".consult")
    gate["within_days"] = _days(f"Working days they have to decide ({when})",
                                gate.get("within_days"), key + ".days")
    gate["emergency_exempt"] = st.checkbox(f"Not needed in an emergency ({when})",
                                           value=bool(gate.get("emergency_exempt")),
                                           key=key + ".emergency")
    gate["note"] = st.text_area(f"What the procedure says about {when}",
                                gate.get("note") or "", key=key + ".note")
    return gate


def routing(draft: dict, gen: int) -> Part:
    """Who hears of amber and red judgements, and review decisions' timescales."""
    rag = draft.get("rag") if isinstance(draft.get("rag"), dict) else {}
    for colour in ("amber", "red"):
        block = rag.get(colour) if isinstance(rag.get(colour), dict) else {}
        block["notify"] = _roles(f"Who is told of a {colour} judgement", block.get("notify"),
                                 _key(gen, "rag", colour))
        block.setdefault("note", "")
        rag[colour] = block
    draft["rag"] = rag
    decisions = draft.get("review_decisions") if isinstance(
        draft.get("review_decisions"), dict) else {}
    cols = st.columns(3)
    with cols[0]:
        decisions["send_within_days"] = _days(
            "Working days to send the decisions after a review",
            decisions.get("send_within_days"), _key(gen, "dec_send"))
    with cols[1]:
        decisions["reply_within_days"] = _days(
            "Working days the team manager has to reply", decisions.get("reply_within_days"),
            _key(gen, "dec_reply"))
    with cols[2]:
        words = list(REVIEW_SILENCE_WORDS)
        current = decisions.get("on_silence")
        decisions["on_silence"] = st.selectbox(
            "If the team manager does not reply", words,
            index=words.index(current) if current in words else 0,
            format_func=lambda w: REVIEW_SILENCE_WORDS[w].capitalize(),
            key=_key(gen, "dec_silence"))
    draft["review_decisions"] = decisions
    return Part("Red, amber, green and review decisions", ("rag", "review_decisions"), _slot())


def documents_and_changes(draft: dict, gen: int) -> Part:
    """Key documents, and the significant changes the reviewer must be told of."""
    st.markdown("**Key documents**")
    rows = _table(items_to_rows(draft.get("key_documents"), ("id", "label")),
                  _key(gen, "documents"),
                  {"id": st.column_config.TextColumn("Code (lower case, no spaces)",
                                                     required=True),
                   "label": st.column_config.TextColumn("Document", required=True)},
                  "Key documents")
    draft["key_documents"] = rows_to_items(rows)
    changes = draft.get("significant_changes")
    if isinstance(changes, dict):
        st.markdown("**Significant changes**")
        changes["notify_within_days"] = _days(
            "Working days to tell the reviewer of a significant change",
            changes.get("notify_within_days"), _key(gen, "changes_days"))
        rows = _table(items_to_rows(changes.get("types"), ("id", "label", "review_before")),
                      _key(gen, "changes"),
                      {"id": st.column_config.TextColumn("Code (lower case, no spaces)",
                                                         required=True),
                       "label": st.column_config.TextColumn("Change", required=True),
                       "review_before": st.column_config.CheckboxColumn(
                           "Needs a review before it happens")},
                      "Significant changes")
        changes["types"] = rows_to_items(rows, flags=("review_before",))
    return Part("Key documents and significant changes",
                ("key_documents", "significant_changes"), _slot())


def questions(draft: dict, gen: int) -> Part:
    """The authority's own questions on the post-review monitoring form."""
    st.caption("Extra questions the reviewer answers on the monitoring form after each "
               "review. The child's record and the reports carry the answers.")
    items = draft.get("review_questions") if isinstance(draft.get("review_questions"),
                                                        list) else []
    for n, item in enumerate(items, start=1):
        with st.container(border=True):
            _question(item, n, _key(gen, f"question{n}"))
            remove(f"Remove question {n}", _key(gen, f"question{n}.remove"),
                   ("review_questions",), n - 1)
    add("Add a question", _key(gen, "question.add"), ("review_questions",),
        {"id": f"question_{len(items) + 1}", "label": "", "kind": "yes_no",
         "required": "never"})
    if not items:
        draft.pop("review_questions", None)
    return Part("Questions on the monitoring form", ("review_questions",), _slot())


def _question(item: dict, n: int, key: str) -> None:
    """One question: its words, its code, the kind of answer, when it must be answered."""
    item["label"] = st.text_input(f"Question {n}: the question as the reviewer reads it",
                                  item.get("label") or "", key=key + ".label")
    item["id"] = st.text_input(f"Question {n}: code (lower case, no spaces; kept with the "
                               "answers)", item.get("id") or "", key=key + ".id")
    cols = st.columns(2)
    kinds, needs = list(QUESTION_KINDS), list(QUESTION_REQUIRED)
    item["kind"] = cols[0].selectbox(
        f"Question {n}: kind of answer", kinds,
        index=kinds.index(item["kind"]) if item.get("kind") in kinds else 0,
        format_func=QUESTION_KINDS.get, key=key + ".kind")
    item["required"] = cols[1].selectbox(
        f"Question {n}: must it be answered?", needs,
        index=needs.index(item["required"]) if item.get("required") in needs else 0,
        format_func=QUESTION_REQUIRED.get, key=key + ".required")
    if item["kind"] == "choice":
        item["options"] = words_list(st.text_input(
            f"Question {n}: the answers to choose from (separated by commas)",
            ", ".join(item.get("options") or []), key=key + ".options"))
    else:
        item.pop("options", None)
    kinds_of_review = list(REVIEW_KINDS)
    applies = st.multiselect(f"Question {n}: asked after (empty: every kind of review)",
                             kinds_of_review, default=[k for k in item.get("applies_to") or []
                                                       if k in kinds_of_review],
                             format_func=lambda k: REVIEW_KINDS[k].capitalize(),
                             key=key + ".applies")
    if applies:
        item["applies_to"] = applies
    else:
        item.pop("applies_to", None)
    hint = st.text_input(f"Question {n}: hint under the question (optional)",
                         item.get("help") or "", key=key + ".help")
    if hint.strip():
        item["help"] = hint.strip()
    else:
        item.pop("help", None)


def other_steps(draft: dict, gen: int) -> Part:
    """CAFCASS referral and legal advice: who must be told or consulted first."""
    cafcass = draft.get("cafcass") if isinstance(draft.get("cafcass"), dict) else {}
    gate = cafcass.get("gate") if isinstance(cafcass.get("gate"), dict) else None
    told = st.checkbox("Someone must be told before a referral to CAFCASS",
                       value=gate is not None, key=_key(gen, "cafcass"))
    if told:
        gate = gate or {"notify": [], "note": ""}
        gate["notify"] = _roles("Who must be told before a referral to CAFCASS",
                                gate.get("notify"), _key(gen, "cafcass_notify"))
        gate["note"] = st.text_area("What the procedure says about CAFCASS referrals",
                                    gate.get("note") or "", key=_key(gen, "cafcass_note"))
    cafcass["gate"] = gate if told else None
    draft["cafcass"] = cafcass
    legal = draft.get("legal_advice") if isinstance(draft.get("legal_advice"), dict) else {}
    legal["consult"] = _roles("Whom to consult before seeking legal advice",
                              legal.get("consult"), _key(gen, "legal"))
    legal["note"] = st.text_area("What the procedure says about legal advice",
                                 legal.get("note") or "", key=_key(gen, "legal_note"))
    draft["legal_advice"] = legal
    assumptions = st.text_area(
        "Assumptions: one per line, where the procedure is silent and what was chosen",
        "\n".join(draft.get("assumptions") or []), key=_key(gen, "assumptions"), height=160)
    draft["assumptions"] = [line.strip() for line in assumptions.splitlines() if line.strip()]
    return Part("CAFCASS, legal advice and assumptions",
                ("cafcass", "legal_advice", "assumptions"), _slot())


#: The parts after the tracks, in the order the form shows them, with their headings.
PARTS: tuple[tuple[str, Callable[[dict, int], Part]], ...] = (
    ("Red, amber, green and review decisions", routing),
    ("Key documents and significant changes", documents_and_changes),
    ("Questions on the monitoring form", questions),
    ("CAFCASS, legal advice and assumptions", other_steps),
)
