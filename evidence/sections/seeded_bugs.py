"""The seeded-bug score: how many deliberately broken builds of the service the black-box
suites catch, each run as a deployed target (`python -m tooling.seeded_bugs`, which writes
reports/seeded-bugs/score.json; its format is documented in tooling/seeded_bugs/report.py).
"""

from dataclasses import dataclass, field
from pathlib import Path

from evidence.model import mtime, read_json
from evidence.sections import Section

SCORE = "score.json"
SUMMARY = "summary.md"
COMMAND = "python -m tooling.seeded_bugs"


@dataclass
class Bug:
    name: str
    description: str
    file: str
    status: str  # caught, passed (it survived), error
    caught_by: list[str]
    smoke_caught: bool
    error: str | None
    suite_duration_s: float | None
    log: str | None

    @property
    def caught(self) -> bool:
        return self.status == "caught"

    @property
    def verdict(self) -> str:
        return {"caught": "caught", "error": "error"}.get(self.status, "survived")


@dataclass
class Score:
    path: Path
    when: str | None
    started_at: str | None
    duration_s: float | None
    command: str
    complete: bool
    known: int | None
    baseline: dict
    deployment: dict
    maxfail: int | None
    bugs: list[Bug] = field(default_factory=list)
    summary: Path | None = None

    @property
    def caught(self) -> int:
        return sum(b.caught for b in self.bugs)

    @property
    def smoke_caught(self) -> int:
        return sum(b.smoke_caught for b in self.bugs)

    @property
    def survived(self) -> list[Bug]:
        return [b for b in self.bugs if not b.caught]

    @property
    def baseline_passed(self) -> bool:
        return bool(self.baseline.get("passed"))

    @property
    def all_caught(self) -> bool:
        return self.baseline_passed and bool(self.bugs) and not self.survived and self.complete


def read_score(directory: Path) -> Score | None:
    path = directory / SCORE
    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("bugs"), list):
        return None
    bugs = [
        Bug(
            b.get("name", "?"),
            b.get("description", ""),
            b.get("file", ""),
            b.get("status") or ("caught" if b.get("caught") else "passed"),
            list(b.get("caught_by") or []),
            bool(b.get("smoke_caught")),
            b.get("error"),
            b.get("suite_duration_s"),
            b.get("log"),
        )
        for b in data["bugs"]
        if isinstance(b, dict)
    ]
    summary = directory / SUMMARY
    return Score(
        path=path,
        when=mtime(path),
        started_at=data.get("started_at"),
        duration_s=data.get("duration_s"),
        command=data.get("command") or COMMAND,
        complete=bool(data.get("complete")),
        known=data.get("known"),
        baseline=data.get("baseline") or {},
        deployment=data.get("deployment") or {},
        maxfail=data.get("maxfail"),
        bugs=bugs,
        summary=summary if summary.is_file() else None,
    )


SECTION = Section(
    "seeded-bugs",
    "Seeded-bug score",
    10,
    lambda evidence: read_score(evidence.root.seeded_bugs),
)
