"""The `reports/` layout: the one module that spells a path under `reports/`.

Every run writes below `reports/<kind>/` (`local`, `render`, `ngrok`, `url`), one folder per
tool, so a local run and a deployed run sit side by side and never overwrite each other:

    reports/
      evidence.html                the page (python -m evidence)
      bench/                       benchmarks (python -m tooling.bench, ...)
      rehearsal/                   the Render rehearsal (python -m tooling.rehearsal): a reports
                                   root of its own (render/..., evidence.html) beside
                                   summary.{md,json}, logs/<step>.log and runs/<step>/ (each
                                   pytest, Postman and curl run of the rehearsal)
      seeded-bugs/                 the seeded-bug score (python -m tooling.seeded_bugs):
        score.json, summary.md
        <run>/                     `baseline` or a bug's name: pytest.txt, smoke.txt,
                                   service.log, and the suites' own url/pytest/results.json...
      <kind>/
        pytest/                    report.html, junit.xml, results.json, service-*.log
        postman/results-<name>.json
        schemathesis/<name>/       output.txt, junit.xml
        smoke/smoke-<name>.txt
        curl/<name>/               transcript.md, transcript.json
        screens/                   the Swagger UI walk-through
        locust/                    Locust CSV/HTML/JSON and summaries
        evidence/run.json          the evidence run's manifest
        logs/<step>.log            each evidence step's console output

`<name>` is the target's name (`local-sqlite`, `local-postgres`, `render`, ...). The root is
`reports/` unless `REPORTS_DIR` (or a tool's `--reports-dir`) says otherwise.
"""

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORTS_DIR_ENV = "REPORTS_DIR"


def default_root() -> Path:
    return Path(os.environ.get(REPORTS_DIR_ENV) or ROOT / "reports").resolve()


@dataclass(frozen=True)
class TargetReports:
    """Everything one target's runs write."""

    root: Path
    kind: str

    @property
    def pytest(self) -> Path:
        return self.root / "pytest"

    def service_log(self, name: str) -> Path:
        return self.pytest / f"service-{name}.log"

    def postman(self, name: str) -> Path:
        return self.root / "postman" / f"results-{name}.json"

    def schemathesis(self, name: str) -> Path:
        return self.root / "schemathesis" / name

    def smoke(self, name: str) -> Path:
        return self.root / "smoke" / f"smoke-{name}.txt"

    def curl(self, name: str) -> Path:
        return self.root / "curl" / name

    @property
    def screens(self) -> Path:
        return self.root / "screens"

    @property
    def locust(self) -> Path:
        return self.root / "locust"

    @property
    def manifest(self) -> Path:
        return self.root / "evidence" / "run.json"

    def log(self, step: str) -> Path:
        return self.root / "logs" / f"{step}.log"

    def glob(self, tool: str, pattern: str = "*") -> list[Path]:
        """The per-name artifacts of one tool (`postman`, `smoke`, `curl`, ...), sorted."""
        return sorted((self.root / tool).glob(pattern))


@dataclass(frozen=True)
class SeededBugRun:
    """One run of the seeded-bug harness (the baseline or one bug) against its own server."""

    root: Path

    @property
    def reports(self) -> "Reports":
        """The suites' `--reports-dir` for this run."""
        return Reports(self.root)

    @property
    def results(self) -> Path:
        return self.reports.target("url").pytest / "results.json"

    @property
    def pytest_output(self) -> Path:
        return self.root / "pytest.txt"

    @property
    def smoke_output(self) -> Path:
        return self.root / "smoke.txt"

    @property
    def service_log(self) -> Path:
        return self.root / "service.log"


@dataclass(frozen=True)
class RehearsalRun:
    """The Render rehearsal: its own reports root, so the real Render column is never
    overwritten; the evidence run writes `render/...` and `evidence.html` here too."""

    root: Path

    @property
    def reports(self) -> "Reports":
        return Reports(self.root)

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def log(self, step: str) -> Path:
        return self.logs / f"{step}.log"

    @property
    def curl(self) -> Path:
        return self.root / "runs" / "curl"

    def postman(self, step: str) -> Path:
        return self.root / "runs" / "postman" / f"{step}.json"

    def pytest_root(self, step: str) -> Path:
        """A `--reports-dir` of its own per pytest run (`<it>/render/pytest/...`)."""
        return self.root / "runs" / step

    @property
    def summary_md(self) -> Path:
        return self.root / "summary.md"

    @property
    def summary_json(self) -> Path:
        return self.root / "summary.json"

    def relative(self, path: Path) -> str:
        return self.reports.relative(path)


@dataclass(frozen=True)
class Reports:
    root: Path

    @classmethod
    def default(cls) -> "Reports":
        return cls(default_root())

    def target(self, kind: str) -> TargetReports:
        return TargetReports(self.root / kind, kind)

    @property
    def page(self) -> Path:
        return self.root / "evidence.html"

    @property
    def bench(self) -> Path:
        return self.root / "bench"

    @property
    def rehearsal(self) -> Path:
        return self.root / "rehearsal"

    @property
    def seeded_bugs(self) -> Path:
        return self.root / "seeded-bugs"

    @property
    def seeded_bug_score(self) -> Path:
        return self.seeded_bugs / "score.json"

    @property
    def seeded_bug_summary(self) -> Path:
        return self.seeded_bugs / "summary.md"

    def seeded_bug_run(self, name: str) -> SeededBugRun:
        return SeededBugRun(self.seeded_bugs / name)

    def relative(self, path: Path) -> str:
        """A link from the page (at the top of the reports root) to `path`."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)
