"""Small pieces the pages share: errors beside fields, UK date inputs, links, and forms that
save once (a token per filling-in, ``ui.forms``), read typed dates strictly and list their
problems at the top (a GOV.UK-style error summary linking to each field)."""

from __future__ import annotations

import datetime as dt
import html
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import NoReturn, TypeVar

import streamlit as st

from rules.dates import uk_date
from ui.date_text import EXAMPLE, NotADate, read_date
from ui.forms import FormRound
from ui.text import as_typed
from usecases.errors import UserError
from usecases.store import Store
from usecases.submissions import ALREADY_SAVED, AlreadySaved, once, was_saved

T = TypeVar("T")

RAG_WORDS = {"red": "Red", "amber": "Amber", "green": "Green", None: "-"}


def field_error(errors: dict[str, str], key: str) -> None:
    """Show the message for one field, straight under it."""
    if key in errors:
        st.error(errors[key], icon=":material/error:")


def uk_date_input(label: str, value: dt.date | None, key: str, **kwargs) -> dt.date | None:
    """A date typed and shown the British way (day/month/year)."""
    return st.date_input(label, value=value, key=key, format="DD/MM/YYYY", **kwargs)


def link_to_alert(ref: str, label: str | None = None) -> None:
    st.page_link("pages/alert.py", label=label or f"Alert {ref}", query_params={"ref": ref},
                 icon=":material/campaign:")


def link_to_child(case_ref: str, label: str | None = None) -> None:
    st.page_link("pages/child.py", label=label or case_ref, query_params={"child": case_ref},
                 icon=":material/child_care:")


def due_text(due: str | dt.date | None, days_left: int | None = None) -> str:
    if not due:
        return "-"
    text = uk_date(due)
    if days_left is not None:
        if days_left < 0:
            text += f" ({-days_left} working days late)"
        elif days_left == 0:
            text += " (today)"
        else:
            text += f" ({days_left} left)"
    return text


def required_query_param(name: str, what: str, page: str, label: str) -> str:
    """The page's subject from the address (``?name=...``); without it, say where to choose
    one and stop the page."""
    value = st.query_params.get(name, "")
    if not value:
        st.info(f"Choose {what} from the {label} page.")
        st.page_link(page, label=label)
        st.stop()
    return value


# -- forms that save once ------------------------------------------------------------------------


def form_key(form: FormRound, field: str) -> str:
    """The widget key of ``field`` in this round of the form: ``field`` itself in the first
    round (the key tests and links know), then :meth:`FormRound.key`'s fresh key after each
    save, so the saved form comes back empty."""
    return field if form.version == 0 else form.key(field)


def _errors_key(form: FormRound) -> str:
    return f"form_errors.{form.name}.{form.version}"


def form_errors(form: FormRound) -> dict[str, str]:
    """What the last failed save of this round of the form said, field by field."""
    return st.session_state.get(_errors_key(form)) or {}


def save_failed(form: FormRound) -> bool:
    """True when the last save of this round of the form was refused."""
    return _errors_key(form) in st.session_state


def forget_errors(form: FormRound) -> None:
    """Forget what the last failed save said (the form now shows something else)."""
    st.session_state.pop(_errors_key(form), None)


def refuse(form: FormRound, errors: Mapping[str, str]) -> NoReturn:
    """Keep ``errors`` for the next run of the page (what was typed stays) and rerun."""
    st.session_state[_errors_key(form)] = dict(errors)
    st.rerun()


def finish(form: FormRound, message: str, *, extras: Mapping | None = None,
           place: str = "") -> None:
    """The form was saved: forget its errors, start a new, empty round, and say ``message``
    (as typed: it may hold someone's words) at the top, with the page's ``extras`` (see
    :func:`show_result`). ``place`` names where the page shows it when that is not the
    form's own top (a list of changes, each with its own form)."""
    forget_errors(form)
    if message or extras:
        results = st.session_state.setdefault(_RESULTS, {})
        results[place or form.name] = _Result(
            as_typed(message), dict(extras or {}), None if place else form.version + 1,
            time.monotonic())
    form.finish("")  # the new round; show_result, not ui.forms.show_saved, says what happened
    _SAVED.forget(form.token)


#: How long what a save did stays at the top of its form (or until the form is saved again).
RESULT_SECONDS = 60
_RESULTS = "form_results"


@dataclass(frozen=True)
class _Result:
    message: str  # escaped for Markdown
    extras: dict
    version: int | None  # the form's round it belongs to (None: the page's)
    at: float  # time.monotonic() when it was saved


def show_result(form: FormRound | str) -> dict | None:
    """What the last save of the form (or at ``place``) did, brought into view: the person
    clicked Save at the bottom of the form, and this is at its top. Returns the page's
    extras to show with it, or None when there is nothing to show.

    Shown for a minute, not once: the second and third clicks of a triple click rerun the
    page after the save, and a message shown only once would be gone before it was read.
    """
    name = form if isinstance(form, str) else form.name
    results = st.session_state.get(_RESULTS, {})
    result = results.get(name)
    if result is None:
        return None
    if ((not isinstance(form, str) and (result.version != form.version or save_failed(form)))
            or time.monotonic() - result.at > RESULT_SECONDS):
        results.pop(name, None)
        return None
    _scroll_here("field-saved-" + re.sub(r"[^a-z0-9]+", "-", name.lower()))
    if result.message:
        st.success(result.message, icon=":material/check_circle:")
    return result.extras


def _scroll_here(element_id: str) -> None:
    st.html(f'{_ANCHOR_STYLE}<span class="iro-field-anchor" id="{html.escape(element_id)}">'
            f'</span><script>document.getElementById("{html.escape(element_id)}")'
            '?.scrollIntoView({block: "start"});</script>', unsafe_allow_javascript=True)


def save_once(store: Store, form: FormRound, save: Callable[[], T]) -> T:
    """Run ``save`` (a use case) once for this filling-in of the form.

    Returns what it returned; the page then calls :func:`finish` with what to say and
    reruns (or moves on). A repeat of a submission already saved (a second or third click
    on Save) writes nothing and says so, and the form starts afresh. A refusal keeps the
    round, so what was typed stays, and shows the errors beside the fields on the rerun.

    A click that arrives while the first click's run is still going stops that run at its
    next use of the session's state (Streamlit's fast reruns), which can be just after the
    save and before the page has said so. What the save returned is therefore kept, by its
    token, outside the session's state, until :func:`finish`; the run of a later click,
    finding the submission already saved, takes it up and finishes the page's work (the
    message, a fresh form).
    """
    try:
        with once(form.token):
            result = save()
    except AlreadySaved:
        kept = _SAVED.get(form.token)
        if kept is not _NOTHING:
            return kept  # type: ignore[return-value]
        finish(form, ALREADY_SAVED)
        st.rerun()
    except UserError as refused:
        if was_saved(store, form.token):  # the first click moved things on: not an error
            kept = _SAVED.get(form.token)
            if kept is not _NOTHING:
                return kept  # type: ignore[return-value]
            finish(form, ALREADY_SAVED)
            st.rerun()
        errors = getattr(refused, "errors", None)
        refuse(form, dict(errors) if isinstance(errors, Mapping) and errors
               else {"": str(refused)})
    _SAVED.keep(form.token, result)  # before anything touches the session's state
    return result


_NOTHING = object()


class _SavedResults:
    """What each recent save returned, by its form submission's token (random, one per
    filling-in of a form), until the page has finished with it. Shared by the server's
    sessions, so guarded by a lock and kept small."""

    LIMIT = 256

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._results: OrderedDict[str, object] = OrderedDict()

    def keep(self, token: str, result: object) -> None:
        with self._lock:
            self._results[token] = result
            while len(self._results) > self.LIMIT:
                self._results.popitem(last=False)

    def get(self, token: str) -> object:
        with self._lock:
            return self._results.get(token, _NOTHING)

    def forget(self, token: str) -> None:
        with self._lock:
            self._results.pop(token, None)


_SAVED = _SavedResults()


# -- dates typed the British way -----------------------------------------------------------------


@dataclass(frozen=True)
class DateEntry:
    """A date field's answer: the date (None when empty or impossible) and what is wrong."""

    value: dt.date | None
    problem: str = ""


def date_field(label: str, key: str, *, form: FormRound | None = None, field: str = "",
               value: dt.date | None = None, help: str | None = None) -> DateEntry:
    """A date typed as day/month/year (or ``21 Dec 2026``), read strictly: an impossible
    date such as 31/02/2026 is refused with a plain message under the field, never moved
    to another day (``st.date_input`` would, see ``ui.date_text``).

    Under the field: the date it read, as ``Friday 21 Dec 2026``, or what is wrong with it,
    or what the form's last save said about ``field``, until the date is changed.
    """
    if value is not None and key not in st.session_state:
        st.session_state[key] = uk_date(value)
    text = st.text_input(label, key=key, placeholder=f"day/month/year, like {EXAMPLE}",
                         help=help, autocomplete="off", on_change=_forget_field_error,
                         args=(form, field))
    try:
        entry = DateEntry(read_date(text))
    except NotADate as wrong:
        entry = DateEntry(None, str(wrong))
    message = entry.problem or (form_errors(form).get(field, "") if form else "")
    if message:
        st.error(message, icon=":material/error:")
    elif entry.value is not None:
        st.caption(f"{entry.value:%A} {uk_date(entry.value)}")
    return entry


def _forget_field_error(form: FormRound | None, field: str) -> None:
    """The field was changed: what the last save said about it no longer applies."""
    if form is not None:
        st.session_state.get(_errors_key(form), {}).pop(field, None)


def date_problems(entries: Mapping[str, DateEntry]) -> dict[str, str]:
    """The date fields (field name -> entry) that hold something that is not a real date."""
    return {field: entry.problem for field, entry in entries.items() if entry.problem}


# -- the error summary ---------------------------------------------------------------------------


def anchor_id(form: FormRound, field: str) -> str:
    """The id of the anchor just above a field, for the error summary's links."""
    return "field-" + re.sub(r"[^a-z0-9]+", "-", f"{form.name} {field}".lower()).strip("-")


#: The anchors take no room (their element's gap is taken back), and a link to one leaves
#: the field's label clear of the app's header.
_ANCHOR_STYLE = ("<style>[data-testid='stElementContainer']:has(span.iro-field-anchor)"
                 "{margin-bottom: -1rem;} span.iro-field-anchor {display: block; "
                 "scroll-margin-top: 5rem;}</style>")


def field_anchor(form: FormRound, field: str) -> None:
    """Mark where a field starts, so the error summary can link to it."""
    st.html(f'{_ANCHOR_STYLE}<span class="iro-field-anchor" '
            f'id="{html.escape(anchor_id(form, field))}"></span>')


def error_summary(form: FormRound, errors: Mapping[str, str], order: Iterable[str] = (),
                  anchors: Mapping[str, str] | None = None) -> None:
    """GOV.UK's "There is a problem" box at the top of the form: every problem, each a link
    to its field (in ``order``, the order of the fields on the form), after a failed save.
    ``anchors`` names the anchor of a problem whose field has another name (a row)."""
    if not errors:
        return
    rank = {field: n for n, field in enumerate(order)}
    fields = sorted(errors, key=lambda f: rank.get(f, rank.get(f.split("[")[0], len(rank))))
    lines = []
    for field in fields:
        text = as_typed(errors[field])
        target = anchor_id(form, (anchors or {}).get(field, field))
        lines.append(f"- [{text}](#{target})" if field else f"- {text}")
    with st.container(border=True, key=f"error_summary_{anchor_id(form, 'summary')}"):
        st.header("There is a problem", anchor=False)
        st.markdown("\n".join(lines))
        st.html(_SUMMARY_SCRIPT, unsafe_allow_javascript=True)


#: The summary's border in GOV.UK's error red; on showing it, move focus to it (a screen
#: reader reads the problems first); a link to a field scrolls to it and puts the cursor in
#: it. The script is the app's own: no one's words are in it.
_SUMMARY_SCRIPT = """<style>[class*='st-key-error_summary_'] {border: 3px solid #b3261e !important;}
</style><script>
(() => {
  const box = document.querySelector("[class*='st-key-error_summary_']");
  if (box) { box.setAttribute("tabindex", "-1"); box.focus(); }
  if (window.iroErrorSummary) return;
  window.iroErrorSummary = true;
  const FIELDS = "input:not([type=hidden]):not([tabindex='-1']), textarea, [role=spinbutton]";
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[href^='#field-']");
    if (!link) return;
    const anchor = document.getElementById(link.getAttribute("href").slice(1));
    if (!anchor) return;
    event.preventDefault();
    anchor.scrollIntoView({block: "start"});
    const field = Array.from(document.querySelectorAll(FIELDS)).find(
      (el) => anchor.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING);
    if (field) field.focus({preventScroll: true});
  });
})();
</script>"""
