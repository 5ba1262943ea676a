"""The what-if page's choices and words: which policy to try, over which alerts, and the
comparison (``usecases.what_if``) told in plain English.

Nothing here is display: the page lays these out. Nothing here writes to the store or reads
the clock (the page passes today's date in).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from db.alerts import alert_by_ref, alerts_raised_between
from rules.alert_state import INFORMAL
from rules.dates import uk_date
from rules.policy import Policy, PolicyInvalid
from rules.policy_check import load_policy_yaml
from rules.roles import role_name
from usecases.access import visible_alert_ids
from usecases.accounts import SignedInUser
from usecases.policy_versions import policy_text, versions
from usecases.report_files import Table
from usecases.store import Store
from usecases.what_if import Draft, Progress, WhatIf, draft_from_text, what_if

#: From this many alerts on, the replay uses two processes. Starting them (a new Python
#: that imports the rules engine) costs a second or two, so below this they are slower than
#: one: measured on two cores, 2,842 alerts took 2.0 s in one process and 3.7 s in two;
#: 4,118 took 3.1 s and 2.5 s.
#: The largest policy file the page takes.
MAX_FILE_BYTES = 1024 * 1024

STATUS_WORDS = {"open": "open", "resolved": "resolved", "withdrawn": "withdrawn"}
ACTION_WORDS = {
    "raised": "the raising of the alert",
    "responded": "a response",
    "extension_requested": "a request for more time",
    "acknowledged": "an acknowledgement",
    "satisfied": "the reviewer's 'satisfied'",
    "not_satisfied": "the reviewer's 'not satisfied'",
    "escalated": "an escalation by hand",
    "extension_agreed": "more time agreed",
    "extension_refused": "more time refused",
    "withdrawn": "the withdrawal",
}


# -- what to try ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A policy chosen to try: the checked draft, or the checker's problems with it."""

    draft: Draft | None
    problems: tuple[str, ...] = ()
    name: str = "the draft"  # how the results name it: "the draft", "version 2"


def read_candidate(text: str, file_name: str, name: str = "the draft") -> Candidate:
    """``text`` checked as ``policy check`` checks a file called ``file_name``: the draft,
    or every problem in the checker's own words."""
    try:
        return Candidate(draft_from_text(text, file_name), (), name)
    except PolicyInvalid as invalid:
        return Candidate(None, tuple(str(p) for p in invalid.problems), name)


def read_upload(file_name: str, data: bytes) -> Candidate:
    """An uploaded policy file, checked; a file that is too big or not text is refused."""
    if len(data) > MAX_FILE_BYTES:
        return Candidate(None, (f"{file_name}: the file is larger than "
                                f"{MAX_FILE_BYTES // 1024} KB; a policy file is far smaller.",))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Candidate(None, (f"{file_name}: this is not a text file (UTF-8). Save the policy "
                                "as plain text with the extension .yaml and try again.",))
    return read_candidate(text, file_name)


def _own_file_name(text: str, fallback: str) -> str:
    """The file name a policy held as text goes by: its own id, as the checker wants."""
    try:
        data = load_policy_yaml(text)  # bounded: a draft may be an alias bomb
    except yaml.YAMLError:
        data = None
    found = data.get("id") if isinstance(data, dict) else None
    return f"{found if isinstance(found, str) and found else fallback}.yaml"


def read_editing_draft(store: Store, text: str) -> Candidate:
    """The draft being edited on the procedure page (YAML kept in the session), checked."""
    return read_candidate(text, _own_file_name(text, store.policy.id))


@dataclass(frozen=True)
class VersionChoice:
    version: int
    words: str  # "Version 2, in force from 1 Dec 2026: shorter Level 1"


def version_choices(store: Store) -> list[VersionChoice]:
    """The store's adopted versions, newest first, each described for a picker."""
    return [VersionChoice(v.version, f"Version {v.version}, in force from "
                                     f"{uk_date(v.effective_from)}: {v.reason}")
            for v in reversed(versions(store))]


def read_version(store: Store, version: int) -> Candidate:
    """An adopted version of the store's policy, checked like any draft."""
    text = policy_text(store, version)
    return read_candidate(text, _own_file_name(text, store.policy.id), f"version {version}")


def fingerprint(candidate: Candidate, start: dt.date, end: dt.date) -> str:
    """What was tried over which period, so results shown belong to the choices shown."""
    text = candidate.draft.text if candidate.draft else ""
    return hashlib.sha256(f"{text}\n{start}\n{end}".encode()).hexdigest()


# -- which alerts -----------------------------------------------------------------------------


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last twelve months up to ``today``."""
    try:
        start = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - 1, day=28)
    return start, today


def period_problem(start: dt.date | None, end: dt.date | None, today: dt.date) -> str:
    """What is wrong with the period typed, in plain words; "" when it can be used."""
    if start is None or end is None:
        return "Enter both dates: the alerts raised from one day to another are replayed."
    if start > end:
        return (f"The period starts on {uk_date(start)}, after it ends on {uk_date(end)}: "
                "swap the dates.")
    if end > today:
        return (f"The period must end by today ({uk_date(today)}): the replay can only use "
                "what people have already done.")
    return ""


def alerts_in_period(store: Store, start: dt.date, end: dt.date) -> int:
    """How many alerts were raised from ``start`` to ``end`` (the ones the replay takes)."""
    return alerts_raised_between(store.db, start, end)


def replay(store: Store, draft: Draft, start: dt.date, end: dt.date,
           progress: Progress | None = None) -> WhatIf:
    """:func:`usecases.what_if.what_if` for the page, in the server's own process.

    Not in worker processes: they are started with "spawn", which runs the parent's
    ``__main__`` again, and under Streamlit that is the app's script (each worker would
    open the store and start the background jobs). One process replays ten years of a
    large authority (40,000 alerts) in well under a minute; ``manage.py what-if`` uses
    several."""
    return what_if(store, draft, start=start, end=end, progress=progress)


# -- the totals -------------------------------------------------------------------------------


def level_labels(*policies: Policy) -> dict[str, str]:
    """Each level's role -> its label in words ("Level 1: Service Manager"), the first
    policy's label winning; the informal stage under ``INFORMAL``."""
    labels: dict[str, str] = {}
    for policy in policies:
        for track in policy.tracks.values():
            labels.setdefault(INFORMAL, track.informal.label)
            for level in track.levels:
                labels.setdefault(level.role, level.label)
    return labels


def _label(labels: dict[str, str], role: Any) -> str:
    return labels.get(role) or role_name(str(role))


def _cap_words(actual: Policy, draft: Policy, name: str) -> str:
    now = {t.formal_cap_days for t in actual.tracks.values()}
    then = {t.formal_cap_days for t in draft.tracks.values()}
    if len(now) == 1 and now == then:
        return f" ({now.pop()} working days)"
    if len(now) == 1 and len(then) == 1:
        return f" ({now.pop()} working days; {then.pop()} under {name})"
    return ""


@dataclass(frozen=True)
class TotalRow:
    """One figure, as recorded and under the draft."""

    measure: str
    actual: int
    draft: int


def total_rows(report: WhatIf, actual: Policy, draft: Policy,
               name: str = "the draft") -> list[TotalRow]:
    """The totals side by side, each named in plain English (``name``: what was tried)."""
    a, d = report.actual, report.draft
    labels = level_labels(actual, draft)
    rows = [
        TotalRow("Alerts raised", a["alerts"], d["alerts"]),
        TotalRow(f"Alerts {name} would not have let be raised", a["not_raised"],
                 d["not_raised"]),
        TotalRow("Escalations by silence (a level did not answer in time)",
                 a["escalated_by_silence"], d["escalated_by_silence"]),
    ]
    for role in dict.fromkeys([*a["reached_level"], *d["reached_level"]]):
        rows.append(TotalRow(f"Alerts reaching {_label(labels, role)}",
                             a["reached_level"].get(role, 0), d["reached_level"].get(role, 0)))
    rows += [
        TotalRow(f"Alerts over the formal stage's time limit{_cap_words(actual, draft, name)}",
                 a["over_cap"], d["over_cap"]),
        TotalRow("Responses given late", a["late_responses"], d["late_responses"]),
        TotalRow("Reminders that an answer was overdue", a["overdue_prompts"],
                 d["overdue_prompts"]),
        TotalRow(f"Recorded actions {name} would have refused", a["refused_actions"],
                 d["refused_actions"]),
        TotalRow(f"Alerts still open on {uk_date(report.end)}", a["open"], d["open"]),
    ]
    return rows


def totals_table(rows: Sequence[TotalRow], draft_name: str) -> Table:
    """The totals as a table (the numbers beside the chart, and its CSV)."""
    return Table("What would have been different", ("What", "As recorded",
                                                    f"Under {draft_name}", "Change"),
                 tuple((r.measure, r.actual, r.draft, r.draft - r.actual) for r in rows))


def chart_rows(rows: Sequence[TotalRow], draft_name: str) -> list[dict[str, Any]]:
    """The totals as bars: two a figure, as recorded and under the draft."""
    return [{"measure": r.measure, "side": side, "count": n}
            for r in rows for side, n in (("As recorded", r.actual),
                                          (f"Under {draft_name}", r.draft))]


# -- the alerts that would have differed -------------------------------------------------------


def _times(n: int) -> str:
    return {0: "not at all", 1: "once", 2: "twice"}.get(n, f"{n} times")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _day(value: Any) -> str:
    return uk_date(value) if value else ""


def _refusal(first: dict[str, Any] | None) -> str:
    if not first:
        return ""
    action = ACTION_WORDS.get(first["event"], first["event"].replace("_", " "))
    return (f" The first: {action} on {_day(first['date'])}, because {first['why']}"
            .rstrip(".") + ".")


def difference_words(difference: dict[str, Any], labels: dict[str, str], end: dt.date,
                     first_refusal: dict[str, Any] | None = None,
                     name: str = "the draft") -> str:
    """One difference (``field``, ``actual``, ``draft``) as a sentence, dates the UK way
    (``name``: what was tried, "the draft" or "version 2")."""
    field, a, d = difference["field"], difference["actual"], difference["draft"]
    on = uk_date(end)
    who = name[:1].upper() + name[1:]
    if field == "raised":
        return (f"{who} would not have let it be raised." if a
                else f"{who} would have raised it.")
    if field == "status":
        return (f"On {on} it would have been {STATUS_WORDS.get(d, d)} instead of "
                f"{STATUS_WORDS.get(a, a)}.")
    if field == "level":
        return (f"Its last level by {on} would have been {_label(labels, d)} instead of "
                f"{_label(labels, a)}.")
    if field == "highest_level":
        return f"It would have gone as far as {_label(labels, d)} instead of {_label(labels, a)}."
    if field == "due":
        if a and d:
            return (f"The answer it waited for would have been due on {_day(d)} instead of "
                    f"{_day(a)}.")
        if d:
            return f"An answer would have been due on {_day(d)}; none was due on {on}."
        return f"No answer would have been due on {on}, instead of one due on {_day(a)}."
    if field == "formal_due":
        if a and d:
            return (f"The formal stage's time limit would have ended on {_day(d)} instead of "
                    f"{_day(a)}.")
        if d:
            return (f"The formal stage would have started, its time limit ending on {_day(d)}; "
                    "it did not start.")
        return ("The formal stage would not have started; its time limit ended on "
                f"{_day(a)}.")
    if field == "escalated_by_silence":
        return f"It would have escalated by silence {_times(d)} instead of {_times(a)}."
    if field == "overdue_prompts":
        return (f"{_count(d, 'reminder')} that an answer was overdue would have been sent "
                f"instead of {a}.")
    if field == "late_responses":
        return f"{_count(d, 'response')} would have been late instead of {a}."
    if field == "over_cap":
        return ("It would have gone over the formal stage's time limit." if d
                else "It would have stayed within the formal stage's time limit.")
    if field == "refused_actions":
        return (f"{who} would have refused {_count(d, 'recorded action')}."
                + _refusal(first_refusal))
    return f"Its {field.replace('_', ' ')} would have been {d} instead of {a}."


@dataclass(frozen=True)
class Differed:
    """An alert whose course would have differed, and how, in words (first difference first)."""

    ref: str
    words: tuple[str, ...]

    @property
    def first(self) -> str:
        return self.words[0]


#: The order an alert's differences are told in: what happened to it first, then where it
#: ended up, then the dates and counts that follow from those.
ORDER = ("raised", "escalated_by_silence", "highest_level", "refused_actions", "over_cap",
         "status", "level", "due", "formal_due", "late_responses", "overdue_prompts")


def _alert_words(found: dict[str, dict[str, Any]], labels: dict[str, str], end: dt.date,
                 refusal: dict[str, Any] | None, name: str) -> list[str]:
    """One alert's differences (by field) in words, in ``ORDER``; a level that only repeats
    the highest level is left out, and silence is told with how far it took the alert."""
    fields = [f for f in ORDER if f in found] + [f for f in found if f not in ORDER]
    top, last = found.get("highest_level"), found.get("level")
    if top and last and (top["actual"], top["draft"]) == (last["actual"], last["draft"]):
        fields.remove("level")
    words = {f: difference_words(found[f], labels, end, refusal, name) for f in fields}
    if top and "escalated_by_silence" in found:
        words["escalated_by_silence"] = (
            words["escalated_by_silence"].rstrip(".") + f", going as far as "
            f"{_label(labels, top['draft'])} instead of {_label(labels, top['actual'])}.")
        del words["highest_level"]
    return list(words.values())


def differed_alerts(report: WhatIf, actual: Policy, draft: Policy,
                    name: str = "the draft") -> list[Differed]:
    """Every alert that would have gone differently, in the store's order, its differences
    in words, the first being what happened to it first (``name``: what was tried)."""
    labels = level_labels(actual, draft)
    refusals: dict[str, dict[str, Any]] = {}
    for refused in report.refused:
        refusals.setdefault(refused["alert"], refused)
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for difference in report.differences:
        found.setdefault(difference["alert"], {})[difference["field"]] = difference
    return [Differed(ref, tuple(_alert_words(fields, labels, report.end, refusals.get(ref),
                                             name)))
            for ref, fields in found.items()]


def differences_table(differed: Iterable[Differed]) -> Table:
    """Every alert that would have differed, for the CSV download."""
    return Table("Alerts that would have gone differently",
                 ("Alert", "First difference", "Every difference"),
                 tuple((d.ref, d.first, " ".join(d.words)) for d in differed))


def linkable_refs(store: Store, user: SignedInUser, refs: Iterable[str]) -> set[str]:
    """The alerts among ``refs`` this person may open (the administrator: none)."""
    ids = visible_alert_ids(store, user)
    refs = list(refs)
    if ids is None:
        return set(refs)
    if not ids:
        return set()
    return {ref for ref in refs if (row := alert_by_ref(store.db, ref)) and row.id in ids}

