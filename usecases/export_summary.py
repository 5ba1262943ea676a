"""An aggregate, anonymised summary of a year's alerts, to compare authorities (issue 16).

``python manage.py export-summary --year 2026`` writes one CSV that a regional group of
IRO services, or an inspector, can put beside another authority's: counts only, with no
child, no person, no team and no free text in it, and every small count hidden.

Decisions, each for a reason:

- **The year is the financial year**, 1 April to 31 March (``--year 2026`` is 1 Apr 2026
  to 31 Mar 2027), because IRO annual reports and the annual report in this app run April
  to March. The file states its period (``period_start``, ``period_end``) on every row.
- **Which alerts**: those *raised* in the year (up to ``counted_on`` if the year is not
  over), with what had happened to them by ``counted_on`` (the day the file was made,
  unless ``--as-of`` says otherwise): so a summary made in June says how the year's
  alerts ended, and the same store and day always give the same bytes.
- **Counts under 5 are written ``<5``, and so is 0.** 1 to 4 as the issue asks. 0 too,
  because a shown zero lets a reader work a hidden count out by subtraction (12 raised,
  9 resolved, 0 open: the withdrawn ``<5`` is 3), and because a reader who cannot tell
  an empty cell from a small one learns nothing from which cells are empty. The cost: a
  level nobody reached reads ``<5``, not 0. Secondary suppression (hiding a second cell
  so that no total minus the shown parts gives a hidden one) is *not* done: rows and
  columns are few and authority-wide, but a reader can still narrow a ``<5`` by
  subtraction when it is the only hidden part of a total.
- **Words that line up between authorities**: themes by the policy's theme names, levels
  by their *role* (``service_manager``; ``informal`` for the informal stage), tracks by
  the app's ids (``iro``, ``cp``), outcomes by fixed slugs; never a team's or a person's
  name. Levels are per track, as everywhere: the two ladders are never added together.
- **Fixed order, fixed header**: the columns are :data:`COLUMNS` whatever the store, so
  two files concatenate (drop the second header) into one table; the rows come in
  :data:`DIMENSIONS` order, each dimension's values in the order :func:`summary_rows`
  documents. UTF-8 without a byte-order mark (so the first column is exactly ``format``),
  lines ending CRLF as RFC 4180 has them; text cells pass ``neutralise``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Iterable

from db.export_summary import raised_alert_groups
from rules.alert_state import INFORMAL
from rules.dates import uk_date
from rules.impact import FOLLOWED_UP
from rules.legacy import NOT_RECORDED_THEME, category_labels
from usecases.errors import UserError
from usecases.impact_figures import NO_THEME, ladder_order
from usecases.report_files import neutralise
from usecases.store import Store

#: Written on every row: what the file is and which version of its layout.
FORMAT = "iro-alerts-summary/1"
#: The counts of a row, in order.
COUNTS: tuple[str, ...] = (
    "alerts_raised", "resolved", "withdrawn", "open",
    "improved", "partly", "not_improved", "impact_not_recorded",
    "sustained", "not_sustained", "not_followed_up",
    "responses", "responses_on_time")
#: The file's header, the same for every store.
COLUMNS: tuple[str, ...] = ("format", "authority", "policy", "period_start", "period_end",
                            "counted_on", "dimension", "track", "value", *COUNTS)
#: The dimensions, in the order their rows come.
DIMENSIONS: tuple[str, ...] = ("all", "theme", "level_reached", "timeliness", "impact")
#: The timeliness values, in order (``db.export_summary`` says what each means).
TIMELINESS: tuple[str, ...] = ("never_formal", "formal_within_limit", "formal_over_limit",
                               "formal_still_open")
#: The impact values, in order: the difference recorded when an alert was resolved.
IMPACTS: tuple[str, ...] = ("improved", "partly", "not_improved", "not_recorded")
ALL = "all"
#: A count below this is written :data:`SUPPRESSED` (0 included: see the module).
SMALLEST_SHOWN = 5
SUPPRESSED = "<5"
FIRST_YEAR, LAST_YEAR = 1990, 2098

_IMPACT_COLUMN = {"improved": "improved", "partly": "partly", "not_improved": "not_improved",
                  "": "impact_not_recorded"}
_IMPACT_VALUE = {"improved": "improved", "partly": "partly", "not_improved": "not_improved",
                 "": "not_recorded"}
_LASTED_COLUMN = {"sustained": "sustained", "not_sustained": "not_sustained",
                  "": "not_followed_up"}

Key = tuple[str, str, str]  # dimension, track, value


def parse_year(text: str) -> int:
    """``--year``: the calendar year the financial year starts in, as four digits."""
    text = (text or "").strip()
    if not (len(text) == 4 and text.isdigit()):
        raise UserError(f"--year '{text}' is not a year: give the year the financial year "
                        "starts in, e.g. --year 2026 for 1 Apr 2026 to 31 Mar 2027.")
    year = int(text)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise UserError(f"--year {year} is outside {FIRST_YEAR}-{LAST_YEAR}.")
    return year


def financial_year(first_year: int) -> tuple[dt.date, dt.date]:
    """1 April ``first_year`` to 31 March the year after."""
    return dt.date(first_year, 4, 1), dt.date(first_year + 1, 3, 31)


def shown(count: int) -> str:
    """A count as the file writes it: ``<5`` below 5 (0 included), else the number."""
    return SUPPRESSED if count < SMALLEST_SHOWN else str(count)


def _keys(store: Store, found: Iterable[Key]) -> list[Key]:
    """Every row the file has, in order: each dimension's values the policy knows, even
    when nothing was counted under them (so that an authority's files always have the
    same rows), then any other value found (a level an older policy had), sorted."""
    tracks = list(store.policy.tracks.values())
    known: list[Key] = [(ALL, ALL, ALL), *((ALL, t.id, ALL) for t in tracks)]
    known += [("theme", ALL, theme) for theme in store.policy.themes]
    known += [("level_reached", t.id, level) for t in tracks
              for level in (INFORMAL, *(lv.role for lv in t.levels))]
    known += [("timeliness", ALL, value) for value in TIMELINESS]
    known += [("impact", ALL, value) for value in IMPACTS]
    extra = sorted(set(found) - set(known),
                   key=lambda k: (k[2] == NO_THEME, k[2] != NOT_RECORDED_THEME, k))
    # sorted is stable: each dimension's rows keep the order above
    return sorted(known + extra, key=lambda k: DIMENSIONS.index(k[0]))


def _counts(store: Store, groups: list[dict]) -> dict[Key, Counter]:
    themes = {cid: c.theme for cid, c in category_labels(store.policy).items()}
    counts: dict[Key, Counter] = {}
    for g in groups:
        keys: list[Key] = [(ALL, ALL, ALL), (ALL, g["track"], ALL),
                           ("theme", ALL, themes.get(g["category"], NO_THEME)),
                           ("level_reached", g["track"], g["level"] or "none"),
                           ("timeliness", ALL, g["timeliness"])]
        if g["status"] == "resolved":
            keys.append(("impact", ALL, _IMPACT_VALUE.get(g["impact"], "not_recorded")))
        n = g["alerts"]
        for key in keys:
            c = counts.setdefault(key, Counter())
            c["alerts_raised"] += n
            c[g["status"]] += n
            if g["status"] == "resolved":
                c[_IMPACT_COLUMN.get(g["impact"], "impact_not_recorded")] += n
                if g["impact"] in FOLLOWED_UP:
                    c[_LASTED_COLUMN.get(g["sustained"], "not_followed_up")] += n
            c["responses"] += g["responses"] or 0
            c["responses_on_time"] += g["responses_on_time"] or 0
    return counts


def summary_rows(store: Store, first_year: int, as_of: dt.date) -> list[dict[str, str]]:
    """The file's rows, every cell as it is written (counts suppressed).

    Order: ``all`` (every track, then each track in the policy's order); ``theme`` (the
    policy's themes in its order, then "Not recorded" and "No theme" when counted);
    ``level_reached`` (the highest level each alert reached: per track, the informal stage
    then the formal levels up the ladder); ``timeliness`` (:data:`TIMELINESS`); ``impact``
    (:data:`IMPACTS`, of the alerts resolved).
    """
    start, end = financial_year(first_year)
    if as_of < start:
        raise UserError(f"The year {first_year}-{(first_year + 1) % 100:02d} begins on "
                        f"{uk_date(start)}, after the day counted ({uk_date(as_of)}): "
                        "there is nothing to summarise yet.")
    groups = raised_alert_groups(store.db, start, min(end, as_of), ladder_order(store), as_of)
    counts = _counts(store, groups)
    fixed = {"format": FORMAT, "authority": store.policy.authority,
             "policy": store.policy.id, "period_start": start.isoformat(),
             "period_end": end.isoformat(), "counted_on": as_of.isoformat()}
    rows = []
    for dimension, track, value in _keys(store, counts):
        c = counts.get((dimension, track, value), Counter())
        rows.append({**fixed, "dimension": dimension, "track": track, "value": value,
                     **{name: shown(c[name]) for name in COUNTS}})
    return rows


def summary_csv(store: Store, first_year: int, as_of: dt.date) -> str:
    """The whole file: the header then :func:`summary_rows`, text made inert for
    spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in summary_rows(store, first_year, as_of):
        writer.writerow([neutralise(row[c]) for c in COLUMNS])
    return out.getvalue()
