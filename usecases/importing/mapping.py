"""A spreadsheet's own headers and words, mapped to an import's columns and values.

An authority's old tracker has its own headings ("Ref No", "Stage") and its own words
("Stage 1 (OM)", "Manager replied"). A map, written in YAML, says which heading holds each
of the import's columns and what each word means; the command line reads it with
``--map FILE.yaml`` and the app's mapping step saves one in the store. The format is in
README.md ("Mapping a spreadsheet's own columns"); in short::

    sheet: Escalations          # Excel only: the sheet to read (default: the first)
    header_row: 1               # the row holding the headings (default: the first non-blank)
    date_format: DD/MM/YYYY     # or YYYY-MM-DD (the default); Excel date cells always work
    columns:                    # import column: the spreadsheet's heading
      alert: Ref No
      child: Case number
    values:                     # import column: {their word: the import's value}
      event: {Manager replied: responded}
    defaults:                   # import column: the value when the cell is empty or absent
      track: iro
    ignore: [Entered by]        # headings deliberately left out

Every heading must be either mapped or ignored: a heading nobody mentioned is refused, so a
column is never dropped silently. Words are matched ignoring case and surrounding spaces;
a word the map does not list is used as written (and checked like any other value).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from usecases.errors import UserError

DATE_FORMATS = ("YYYY-MM-DD", "DD/MM/YYYY")
KEYS = ("sheet", "header_row", "date_format", "columns", "values", "defaults", "ignore")
MAX_MAP_BYTES = 1024 * 1024


class MapInvalid(UserError):
    """The map file has problems; the message lists every one."""

    def __init__(self, name: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"The map {name} has {len(problems)} problem"
                         f"{'' if len(problems) == 1 else 's'}:\n"
                         + "\n".join(f"{name}: {p}" for p in problems))


def fold(text: str) -> str:
    """How headings and words are compared: case and repeated spaces do not matter."""
    return " ".join(str(text).split()).casefold()


@dataclass(frozen=True)
class ColumnMap:
    """The map: every field as described in the module's docstring."""

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()
    date_format: str = "YYYY-MM-DD"
    sheet: str | None = None
    header_row: int | None = None

    def word(self, column: str, value: str) -> str:
        """The import's value for ``value`` in ``column`` (the default when empty)."""
        if value:
            words = self.values.get(column)
            if words:
                value = words.get(fold(value), value)
        if not value:
            value = self.defaults.get(column, "")
        return value

    def to_yaml(self) -> str:
        data: dict[str, Any] = {}
        if self.sheet:
            data["sheet"] = self.sheet
        if self.header_row:
            data["header_row"] = self.header_row
        data["date_format"] = self.date_format
        data["columns"] = dict(self.columns)
        if self.values:
            data["values"] = {c: dict(words) for c, words in self.values.items() if words}
        if self.defaults:
            data["defaults"] = dict(self.defaults)
        if self.ignore:
            data["ignore"] = list(self.ignore)
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def parse_map(text: str, name: str, columns: Sequence[str],
              value_columns: Sequence[str]) -> ColumnMap:
    """The map in ``text``; MapInvalid listing every problem."""
    problems: list[str] = []
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise MapInvalid(name, [f"{where}this is not valid YAML "
                                f"({getattr(exc, 'problem', None) or 'unreadable'})."]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise MapInvalid(name, ["the map must be a set of 'key: value' lines (columns, "
                                "values, defaults ...)."])
    for key in data:
        if key not in KEYS:
            problems.append(f"{key}: this is not a key a map has. Use: {', '.join(KEYS)}.")

    def text_of(value: Any, where: str) -> str | None:
        if isinstance(value, bool) or value is None or isinstance(value, dict | list):
            problems.append(f"{where}: write a word or a heading here, not {value!r}.")
            return None
        return str(value).strip()

    def known(column: Any, where: str, allowed: Sequence[str]) -> bool:
        if column not in allowed:
            problems.append(f"{where}: '{column}' is not a column of this import. Use one of: "
                            f"{', '.join(allowed)}.")
            return False
        return True

    mapped: dict[str, str] = {}
    raw_columns = data.get("columns") or {}
    if not isinstance(raw_columns, dict):
        problems.append("columns: write one 'import column: your heading' per line.")
        raw_columns = {}
    seen: dict[str, str] = {}
    for column, heading in raw_columns.items():
        where = f"columns.{column}"
        if not known(column, where, columns):
            continue
        heading_text = text_of(heading, where)
        if not heading_text:
            if heading_text == "":
                problems.append(f"{where}: give the spreadsheet's heading for this column.")
            continue
        if fold(heading_text) in seen:
            problems.append(f"{where}: '{heading_text}' is already mapped to "
                            f"{seen[fold(heading_text)]}; a heading can feed one column only.")
            continue
        seen[fold(heading_text)] = column
        mapped[column] = heading_text

    values: dict[str, dict[str, str]] = {}
    raw_values = data.get("values") or {}
    if not isinstance(raw_values, dict):
        problems.append("values: write, for a column, its words and what each means.")
        raw_values = {}
    for column, words in raw_values.items():
        where = f"values.{column}"
        if not known(column, where, value_columns):
            continue
        if not isinstance(words, dict):
            problems.append(f"{where}: write one 'their word: the import's value' per line.")
            continue
        values[column] = {}
        for word, meaning in words.items():
            word_text = text_of(word, f"{where}.{word}")
            meaning_text = "" if meaning is None else text_of(meaning, f"{where}.{word}")
            if word_text is not None and meaning_text is not None:
                values[column][fold(word_text)] = meaning_text

    defaults: dict[str, str] = {}
    raw_defaults = data.get("defaults") or {}
    if not isinstance(raw_defaults, dict):
        problems.append("defaults: write one 'import column: value' per line.")
        raw_defaults = {}
    for column, value in raw_defaults.items():
        where = f"defaults.{column}"
        if known(column, where, columns):
            value_text = text_of(value, where)
            if value_text is not None:
                defaults[column] = value_text

    raw_ignore = data.get("ignore") or []
    if isinstance(raw_ignore, str):
        raw_ignore = [raw_ignore]
    ignore: list[str] = []
    if not isinstance(raw_ignore, list):
        problems.append("ignore: write a list of headings, e.g. [Entered by, Comments 2].")
    else:
        for n, heading in enumerate(raw_ignore, start=1):
            heading_text = text_of(heading, f"ignore[{n}]")
            if heading_text:
                if fold(heading_text) in seen:
                    problems.append(f"ignore[{n}]: '{heading_text}' is also mapped to "
                                    f"{seen[fold(heading_text)]}.")
                ignore.append(heading_text)

    date_format = str(data.get("date_format") or "YYYY-MM-DD").strip().upper()
    if date_format not in DATE_FORMATS:
        problems.append(f"date_format: '{data.get('date_format')}' is not a format this import "
                        f"reads. Use {' or '.join(DATE_FORMATS)}.")
    sheet = data.get("sheet")
    sheet_text = text_of(sheet, "sheet") if sheet is not None else None
    header_row = data.get("header_row")
    if header_row is not None and (isinstance(header_row, bool) or not isinstance(header_row, int)
                                   or not 1 <= header_row <= 1000):
        problems.append(f"header_row: '{header_row}' is not a row number (1 to 1000).")
        header_row = None
    if problems:
        raise MapInvalid(name, problems)
    return ColumnMap(columns=mapped, values=values, defaults=defaults, ignore=tuple(ignore),
                     date_format=date_format, sheet=sheet_text or None, header_row=header_row)


def read_map_file(path: str | Path, columns: Sequence[str],
                  value_columns: Sequence[str]) -> ColumnMap:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_MAP_BYTES:
            raise UserError(f"The map {path} is {size:,} bytes; a map is a short YAML file "
                            f"(at most {MAX_MAP_BYTES:,} bytes).")
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UserError(f"Cannot read the map {path}: {exc.strerror or exc}.") from None
    except UnicodeDecodeError:
        raise UserError(f"The map {path} is not UTF-8 text.") from None
    if "\x00" in text:
        raise UserError(f"The map {path} is not a text file.")
    return parse_map(text, path.name, columns, value_columns)


@dataclass(frozen=True)
class Layout:
    """Where each import column is in a sheet (None: not in it), and the map behind it."""

    positions: dict[str, int | None]
    column_map: ColumnMap | None

    def value(self, column: str, cells: list[str]) -> str:
        position = self.positions.get(column)
        value = cells[position] if position is not None else ""
        if self.column_map is not None:
            value = self.column_map.word(column, value)
        return value

    def column_of(self, position: int | None, header: list[str]) -> str:
        """The import column name for a cell position (for messages), else its heading."""
        if position is None:
            return ""
        for column, at in self.positions.items():
            if at == position:
                return column
        return header[position] if position < len(header) else f"column {position + 1}"


def layout(header: list[str], columns: Sequence[str], required: Sequence[str],
           column_map: ColumnMap | None, *, all_required_without_map: bool = False,
           optional: Sequence[str] = ()) -> tuple[Layout, list[str]]:
    """Match a sheet's header to the import's columns; the problems are sentences.

    Without a map, the headings must be the import's own column names (any order); with
    ``all_required_without_map`` every one of them must be there but the ``optional`` ones
    (columns added to the format later, so that older files still read).
    """
    problems: list[str] = []
    folded = [fold(h) for h in header]
    duplicates = sorted({h for h in folded if folded.count(h) > 1 and h})
    for heading in duplicates:
        problems.append(f"the heading '{heading}' appears more than once; each column needs "
                        "its own heading.")
    for n, heading in enumerate(header, start=1):
        if not heading:
            problems.append(f"column {n} has no heading; name it, or delete the column.")
    positions: dict[str, int | None] = {c: None for c in columns}
    if column_map is None:
        unknown = [h for h in header if h and h not in columns]
        for heading in unknown:
            problems.append(f"'{heading}' is not a column this import knows. Its columns are: "
                            f"{', '.join(columns)}. Remove it, or describe the spreadsheet's "
                            "own columns in a map (--map).")
        for column in columns:
            if column in header:
                positions[column] = header.index(column)
        wanted = ([c for c in columns if c not in optional] if all_required_without_map
                  else list(required))
        missing = [c for c in wanted if positions[c] is None]
        if missing:
            problems.append("the header is missing the column" + ("s " if len(missing) > 1
                                                                  else " ")
                            + ", ".join(missing) + ". Expected: "
                            + ",".join(c for c in columns if c not in optional)
                            + (f" (and, if you have them, {','.join(optional)})" if optional
                               else "") + ".")
        return Layout(positions, None), problems
    by_heading = {fold(h): i for i, h in enumerate(header) if h}
    for column, heading in column_map.columns.items():
        if fold(heading) in by_heading:
            positions[column] = by_heading[fold(heading)]
        else:
            problems.append(f"the map says {column} is in the column '{heading}', but the "
                            f"header has no such column. Its columns are: {', '.join(header)}.")
    used = {fold(h) for h in column_map.columns.values()} | {fold(h) for h in column_map.ignore}
    for heading in header:
        if heading and fold(heading) not in used:
            problems.append(f"the column '{heading}' is not in the map: map it to one of the "
                            "import's columns, or list it under 'ignore'.")
    missing = [c for c in required
               if positions[c] is None and not column_map.defaults.get(c)
               and c not in column_map.columns]
    if missing:
        problems.append("the map gives no column for " + ", ".join(missing)
                        + "; map each to a heading (or give it a default).")
    return Layout(positions, column_map), problems
