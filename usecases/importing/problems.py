"""Problems and warnings in an imported file, located by sheet, line and column."""

from __future__ import annotations

from dataclasses import dataclass

from usecases.errors import UserError

#: The most problems one refusal lists (and keeps in memory); fix those and run again.
MAX_PROBLEMS = 200


@dataclass(frozen=True)
class Problem:
    """One thing wrong with (or, as a warning, accepted from) one row of a file."""

    line: int
    column: str
    message: str
    sheet: str = ""

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.column}" if self.column else "")
        if self.sheet:
            where = f"{self.sheet}, {where}"
        return f"{where}: {self.message}"


class ImportRefused(UserError):
    """The file has problems; ``problems`` lists every one (up to :data:`MAX_PROBLEMS`).
    Nothing was imported."""

    def __init__(self, problems: list[Problem], more: bool = False, *,
                 head: str = "") -> None:
        self.problems = problems
        self.more = more
        noun = "problem" if len(problems) == 1 else "problems"
        lines = "\n".join(str(p) for p in problems)
        if head:
            pass
        elif more:
            head = (f"Nothing was imported: the file has at least {len(problems)} problems; "
                    f"the first {len(problems)} are listed. Correct them and try again.")
        else:
            head = f"Nothing was imported: the file has {len(problems)} {noun}."
        super().__init__(f"{head}\n{lines}")


class ProblemList:
    """Problems as they are found, capped at :data:`MAX_PROBLEMS`."""

    def __init__(self, limit: int = MAX_PROBLEMS) -> None:
        self.items: list[Problem] = []
        self.limit = limit
        self.more = False

    def add(self, problem: Problem) -> None:
        if len(self.items) < self.limit:
            self.items.append(problem)
        else:
            self.more = True

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    @property
    def full(self) -> bool:
        return len(self.items) >= self.limit

    def refusal(self, sheets: tuple[str, ...] = ()) -> ImportRefused:
        """The refusal, problems in sheet order (as ``sheets`` lists them), then by line."""
        order = {name: n for n, name in enumerate(sheets)}
        return ImportRefused(sorted(self.items, key=lambda p: (order.get(p.sheet, len(order)),
                                                              p.sheet, p.line)), self.more)
