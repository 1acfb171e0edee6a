"""What the rubric's rules (evidence/rubric.py) are made of and read: the assignment they
judge (evidence/assignment.toml), a check and its `Result`, the judged cells and rows with
the status they combine to, and the `View` of one target's evidence that a check reads.

A check is judged per target column (`TARGET`), only for deployed columns (`DEPLOYED`), or
once for the page (`PAGE`), and gives a `Result`: met, failed (the evidence shows it broken),
missing (no evidence), or not applicable, with the observed figure and a link to the
evidence on the page. A cell's status: failed if any check failed, passed if all were met,
otherwise incomplete (some met) or missing (none); n/a when no check applies. What a row
still needs for a full mark is every result that is not met, in the rubric's words.
"""

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from evidence.model import FAILED, INCOMPLETE, MISSING, PASSED, trusted

ASSIGNMENT = Path(__file__).with_name("assignment.toml")
MET, NA = "met", "n/a"
TARGET, DEPLOYED, PAGE = "target", "deployed", "page"


@cache
def assignment() -> dict:
    return tomllib.loads(ASSIGNMENT.read_text(encoding="utf-8"))


def questions() -> list[dict]:
    """Every question of parts A-K, in order: {id, text, part, title}."""
    return [
        {**q, "part": part["letter"], "title": part["title"]}
        for part in assignment()["part"]
        for q in part["questions"]
    ]


@dataclass(frozen=True)
class Result:
    state: str  # met, failed, missing, n/a
    observed: str = ""
    link: str | None = None  # an anchor on the page: "#pytest-local"


@dataclass(frozen=True)
class Check:
    key: str
    label: str  # what a full mark needs, said positively
    scope: str  # TARGET, DEPLOYED, PAGE
    judge: Callable[..., Result]  # (view) for TARGET/DEPLOYED, (evidence) for PAGE


@dataclass
class Judged:
    check: Check
    result: Result
    column: str | None = None  # the target's label, None for a page check

    @property
    def need(self) -> str:
        where = f"{self.column}: " if self.column else ""
        observed = f" ({self.result.observed})" if self.result.observed else ""
        return f"{where}{self.check.label}{observed}"


@dataclass
class Cell:
    results: list[Judged]

    @property
    def status(self) -> str:
        return combine([j.result.state for j in self.results])


@dataclass
class Row:
    key: str
    title: str
    weight: int
    asks: str
    cells: dict[str, Cell]  # target kind -> its cell
    page: list[Judged] = field(default_factory=list)

    @property
    def status(self) -> str:
        states = [j.result.state for c in self.cells.values() for j in c.results]
        return combine(states + [j.result.state for j in self.page])

    @property
    def needs(self) -> list[Judged]:
        judged = [j for c in self.cells.values() for j in c.results] + self.page
        return [j for j in judged if j.result.state not in (MET, NA)]


def combine(states: list[str]) -> str:
    applicable = [s for s in states if s != NA]
    if not applicable:
        return NA
    if FAILED in applicable:
        return FAILED
    if all(s == MET for s in applicable):
        return PASSED
    return INCOMPLETE if MET in applicable else MISSING


# --- what the checks read -------------------------------------------------------------------


@dataclass
class View:
    """One target's collected evidence, as the checks read it (trusted results only)."""

    kind: str
    label: str
    rehearsal: bool
    results: dict[str, Any]
    build: dict | None  # the deployed build, as the page's facts say (evidence/facts.py)

    def result(self, step: str) -> Any:
        return trusted(self.results.get(step))

    def first(self, step: str) -> Any:
        value = self.result(step)
        if isinstance(value, list):
            return value[0] if value else None
        return value

    def files(self, *names: str) -> tuple[int, int, int] | None:
        """(passed, failed incl. errors, skipped) of these suite files, over every name
        this target's tests ran under (local: sqlite and postgres)."""
        run = self.result("pytest")
        if not run:
            return None
        passed = failed = skipped = 0
        for row in run.rows:
            if any(row.file.endswith(n) for n in names):
                for cell in filter(None, row.cells):
                    passed, failed, skipped = (
                        passed + cell.passed,
                        failed + cell.bad,
                        skipped + cell.skipped,
                    )
        return passed, failed, skipped

    def anchor(self, section: str) -> str:
        return f"#{section}-{self.kind}"


Judgement = tuple[str, str]  # (state, observed)


def reading(
    step: str, absent: str, *, anchor: str | None = None, whole: bool = False
) -> Callable[[Callable[[View, Any], Judgement]], Callable[[View], Result]]:
    """A target check that reads one step's result: missing (saying `absent`) when there is
    none, else what `judge(view, value)` says; linked to the step's block for that target
    (or `anchor`'s). `whole`: the step's whole result, not its first artifact."""

    def wrap(judge: Callable[[View, Any], Judgement]) -> Callable[[View], Result]:
        def check(view: View) -> Result:
            value = view.result(step) if whole else view.first(step)
            link = anchor if anchor and anchor.startswith("#") else view.anchor(anchor or step)
            if not value:
                return Result(MISSING, absent, link)
            return Result(*judge(view, value), link)

        return check

    return wrap
