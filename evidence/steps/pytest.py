"""The pytest suites (with the Postman collection and Schemathesis inside them).

Local: `python -m pytest`, which starts its own service per database backend; a deployment:
the same suites through --target/--base-url, without the load-heavy ones. The artifact is
conftest's `results.json` (it records the target kind and base URL), with the JUnit XML for
failure texts, the pytest-html report, and Schemathesis's output per target name.
"""

import re
import shlex
import sys
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from evidence.model import Artifact, StepResult, existing, foreign, mtime, read_json, trusted
from evidence.runner import Context
from evidence.step import Delta, Step, own_names
from tooling.layout import TargetReports
from tooling.target import REMOTE_CHOICES

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
NO_TARGET = "-"  # tests that take no target (unit tests, tooling)


@dataclass
class Cell:
    passed: int = 0
    failed: int = 0
    error: int = 0
    skipped: int = 0
    duration: float = 0.0

    @property
    def bad(self) -> int:
        return self.failed + self.error


@dataclass
class SuiteRow:
    file: str
    cells: list[Cell | None]  # one per target name, in PytestRun.targets order


@dataclass
class Failure:
    name: str
    message: str
    text: str = ""


@dataclass(kw_only=True)
class Fuzzing(Artifact):
    """Schemathesis's output for one target name."""

    name: str
    summary: str
    cases: str | None
    html: Path | None = None  # Schemathesis's own HTML report
    varying: list[Path] = field(default_factory=list)  # the varying-seed run's folder

    @property
    def succeeded(self) -> bool:
        return True  # its verdict is the pytest test that ran it


@dataclass(kw_only=True)
class PytestRun(Artifact):
    target: str | None
    base_url: str | None
    exit_status: int | None
    passed: int
    failed: int
    skipped: int
    total: int
    duration: float
    targets: list[str]
    per_target: dict[str, Cell]
    rows: list[SuiteRow]
    failures: list[Failure]
    skip_reasons: list[tuple[str, int]]
    report_html: Path | None = None
    junit: Path | None = None
    schemathesis: list[Fuzzing] = field(default_factory=list)
    outcomes: list[tuple[str, str | None, str]] = field(default_factory=list, repr=False)
    service: dict | None = None  # what a deployment's /health said (results.json "service")

    @property
    def succeeded(self) -> bool:
        return self.exit_status == 0 and self.failed == 0 and self.passed + self.failed > 0


def read(reports: TargetReports) -> PytestRun | None:
    path = reports.pytest / "results.json"
    data = read_json(path)
    if not isinstance(data, dict):
        return None
    tests = data.get("tests", [])
    names = sorted({t.get("target") or NO_TARGET for t in tests})
    cells: dict[str, dict[str, Cell]] = defaultdict(lambda: defaultdict(Cell))
    per_target: dict[str, Cell] = defaultdict(Cell)
    for test in tests:
        name = test.get("target") or NO_TARGET
        outcome = test["outcome"]
        if outcome == "failed" and test.get("when") == "setup":
            outcome = "error"
        for cell in (cells[test["nodeid"].split("::", 1)[0]][name], per_target[name]):
            setattr(cell, outcome, getattr(cell, outcome) + 1)
            cell.duration += test.get("duration") or 0.0
    for cell in (*per_target.values(), *(c for f in cells.values() for c in f.values())):
        cell.duration = round(cell.duration, 1)
    counts = Counter(t["outcome"] for t in tests)
    failures = _junit_failures(reports.pytest / "junit.xml") or [
        Failure(t["nodeid"], f"{t['outcome']} in {t['when']}")
        for t in tests
        if t["outcome"] == "failed"
    ]
    skips = Counter(t.get("skip_reason") or "?" for t in tests if t["outcome"] == "skipped")
    return PytestRun(
        path=path,
        when=mtime(path),
        foreign=foreign(reports, kind=data.get("target"), base_url=data.get("base_url")),
        target=data.get("target"),
        base_url=data.get("base_url"),
        exit_status=data.get("exit_status"),
        passed=counts.get("passed", 0),
        failed=counts.get("failed", 0),
        skipped=counts.get("skipped", 0),
        total=len(tests),
        duration=round(sum(t.get("duration") or 0 for t in tests), 1),
        targets=names,
        per_target=dict(per_target),
        rows=[SuiteRow(file, [cells[file].get(name) for name in names]) for file in sorted(cells)],
        failures=failures,
        skip_reasons=skips.most_common(),
        report_html=existing(reports.pytest / "report.html"),
        junit=existing(reports.pytest / "junit.xml"),
        schemathesis=[f for d in reports.glob("schemathesis") if (f := _read_fuzzing(d, reports))],
        outcomes=[(t["nodeid"], t.get("target"), t["outcome"]) for t in tests],
        service=data.get("service") if isinstance(data.get("service"), dict) else None,
    )


def _junit_failures(path: Path, limit: int = 4000) -> list[Failure]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return []
    return [
        Failure(
            f"{case.get('classname', '')}::{case.get('name', '')}",
            (child.get("message") or child.tag)[:500],
            (child.text or "").strip()[-limit:],
        )
        for case in root.iter("testcase")
        for child in case
        if child.tag in ("failure", "error")
    ]


def _read_fuzzing(directory: Path, reports: TargetReports) -> Fuzzing | None:
    output = directory / "output.txt"
    if not output.is_file():
        return None
    text = ANSI.sub("", output.read_text(encoding="utf-8", errors="replace"))
    lines = text.rstrip().splitlines()
    start = next(
        (i for i, line in enumerate(lines) if line.strip().startswith("API Operations")), None
    )
    cases = re.search(r"(\d+) generated, (\d+) passed(?:, (\d+) failed)?", text)
    return Fuzzing(
        path=output,
        when=mtime(output),
        foreign=foreign(reports, name=directory.name),
        name=directory.name,
        summary="\n".join(lines[start if start is not None else max(0, len(lines) - 30) :]),
        cases=cases.group(0) if cases else None,
        html=existing(directory / "html" / "index.html"),
        varying=[v for v in (directory / "varying",) if (v / "output.txt").is_file()],
    )


def run(ctx: Context) -> StepResult:
    target = ctx.target
    command = [sys.executable, "-m", "pytest"]
    if not target.is_local:
        if target.kind in REMOTE_CHOICES:
            command.append(f"--target={target.kind}")
        command += ["--base-url", target.base_url or ""]
        command += ["--warmup-timeout", f"{target.warmup_timeout:g}", "-m", "not heavy"]
    # one token: a separate value that names an existing directory outside the checkout
    # would be read by pytest as a test path too
    command += [f"--reports-dir={ctx.root.root}", *shlex.split(ctx.options.pytest_args)]
    return ctx.single(command, lambda: _counts(ctx.reports))


def _counts(reports: TargetReports) -> str:
    summary = (read_json(reports.pytest / "results.json") or {}).get("summary")
    if not isinstance(summary, dict):
        return "; no results.json"
    return "; " + (", ".join(f"{n} {k}" for k, n in sorted(summary.items())) or "no tests")


def reflection(by_kind: dict, remote_kind: str | None) -> dict:
    local = trusted(by_kind.get("local"))
    return {
        **own_names("pytest")(by_kind, remote_kind),
        "tests": trusted(by_kind),
        "suites": {row.file: _totals(row) for row in (local.rows if local else [])},
        "same_tests": same_set(by_kind.get("local"), by_kind.get(remote_kind))
        if remote_kind
        else None,
    }


def _totals(row: SuiteRow) -> Cell:
    total = Cell()
    for cell in filter(None, row.cells):
        for key in ("passed", "failed", "error", "skipped"):
            setattr(total, key, getattr(total, key) + getattr(cell, key))
    return total


@dataclass
class SameSet:
    """Local vs deployed over the tests both runs ran: the local run once per database
    backend and with its local-only tests, the deployed one once, so their totals differ
    (e.g. 417 vs 393) without anything having changed. A test is the same test when its
    id is, with the target's name taken out (`test_x[local-postgres-a]` = `test_x[render-a]`);
    the local side is its PostgreSQL run (what Render runs on) when there is one."""

    local_name: str
    remote_name: str
    common: int
    local: Counter
    remote: Counter
    only_local: (
        int  # local results outside the compared set: the other backend, unit tests, local-only
    )
    only_remote: int
    changed: list[tuple[str, str, str]]  # (test, local outcome, deployed outcome)


def _normal(nodeid: str, target: str | None) -> str:
    if not target or "[" not in nodeid:
        return nodeid
    head, _, params = nodeid.partition("[")
    parts = params.rstrip("]").split("-")
    name = target.split("-")
    for i in range(len(parts) - len(name) + 1):
        if parts[i : i + len(name)] == name:
            parts[i : i + len(name)] = ["<target>"]
            break
    return f"{head}[{'-'.join(parts)}]"


def same_set(local: PytestRun | None, remote: PytestRun | None) -> SameSet | None:
    local, remote = trusted(local), trusted(remote)
    if not (local and remote):
        return None
    names = {t for _, t, _ in local.outcomes if t}
    local_name = "local-postgres" if "local-postgres" in names else "local-sqlite"
    mine = {_normal(n, t): o for n, t, o in local.outcomes if t == local_name}
    remote_names = sorted({t for _, t, _ in remote.outcomes if t})
    theirs = {_normal(n, t): o for n, t, o in remote.outcomes if t}
    common = sorted(mine.keys() & theirs.keys())
    return SameSet(
        local_name,
        ", ".join(remote_names) or remote.target or "?",
        len(common),
        Counter(mine[k] for k in common),
        Counter(theirs[k] for k in common),
        len(local.outcomes) - len(common),
        len(remote.outcomes) - len(common),
        [(k, mine[k], theirs[k]) for k in common if mine[k] != theirs[k]],
    )


def compare(local: PytestRun | None, remote: PytestRun | None) -> list[Delta]:
    """Like with like: the outcomes of the tests both runs ran (see SameSet)."""
    same = same_set(local, remote)
    if same is None:
        return []
    group = f"pytest, the {same.common} tests both ran ({same.local_name} vs {same.remote_name})"
    rows = [Delta(group, k, same.local.get(k, 0), same.remote.get(k, 0)) for k in OUTCOMES]
    rows.append(
        Delta(
            "pytest, outside that set", "tests", same.only_local, same.only_remote, comparable=False
        )
    )
    return rows


OUTCOMES = ("passed", "failed", "skipped")


OPTIONS = (
    (
        ("--pytest-args",),
        {
            "default": "",
            "help": 'extra pytest arguments, e.g. "suites/test_products.py -x" (a subset runs faster)',
        },
    ),
)
STEP = Step(
    "pytest",
    "pytest suites",
    10,
    read,
    run,
    options=OPTIONS,
    reflection=reflection,
    compare=compare,
)
