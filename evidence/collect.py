"""Read what the runs left in reports/ into the page's data: per target, each registered
step's typed result and checklist line, the verdicts, and the local-vs-deployed comparison.

Nothing here runs anything: the page can always be rebuilt from disk (`python -m evidence
render`). Each checklist line comes from its step's own artifact (a missing file is
"missing", not a pass; an artifact that records another target is refused); the target's
run manifest (reports/<kind>/evidence/run.json) adds what an artifact cannot say: that a step
was skipped on purpose, or failed without leaving a file.
"""

import platform
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from evidence import steps as registry
from evidence.facts import declared_version, git_commit, repository_facts
from evidence.model import (
    FAILED,
    LOOPBACK,
    MISSING,
    SKIPPED,
    Line,
    StepResult,
    foreign,
    read_json,
    trusted,
    verdict,
)
from evidence.step import Delta, Step
from tooling.layout import Reports, TargetReports
from tooling.target import KINDS, LABELS


@dataclass
class Manifest:
    """What the latest evidence run against a target did (written by evidence/runner.py)."""

    target: str
    base_url: str | None
    started_at: str | None
    finished_at: str | None
    duration_s: float | None
    git_commit: str | None
    version: str | None
    python: str | None
    steps: list[StepResult]
    data: dict = field(default_factory=dict, repr=False)  # everything else it recorded

    @classmethod
    def read(cls, reports: TargetReports) -> "tuple[Manifest | None, str | None]":
        """The manifest, or None and why it was refused."""
        data = read_json(reports.manifest)
        if not isinstance(data, dict):
            return None, None
        refused = foreign(reports, kind=data.get("target"))
        if refused:
            return None, f"run manifest refused: {refused}"
        fields = ("base_url", "started_at", "finished_at", "duration_s", "git_commit", "version")
        return cls(
            data["target"],
            *(data.get(f) for f in fields),
            data.get("python"),
            [StepResult.from_json(s) for s in data.get("steps", [])],
            data,
        ), None

    def step(self, name: str | None) -> StepResult | None:
        return next((s for s in self.steps if s.name == name), None) if name else None


@dataclass
class TargetEvidence:
    kind: str
    label: str
    manifest: Manifest | None
    manifest_refused: str | None
    results: dict[str, Any]  # step name -> that step's typed result
    checklist: list[Line]
    base_url: str | None
    rehearsal: bool = False  # a deployment's target on a loopback address: a stand-in
    build: dict | None = None  # the build that answered (see `deployed_build`)

    @property
    def verdict(self) -> str:
        return verdict([line.status for line in self.checklist])


@dataclass
class Comparison:
    local: str
    remote: str
    rows: list[Delta]


@dataclass
class Evidence:
    root: Reports
    steps: list[Step]
    primary: str
    targets: dict[str, TargetEvidence]
    comparisons: list[Comparison]
    facts: dict
    meta: dict
    sections: dict[str, Any] = field(default_factory=dict)  # page-wide (evidence/sections/)
    reflection: dict | None = None  # question id -> its rendered answer (evidence/render.py)

    @property
    def remotes(self) -> list[str]:
        return [k for k in self.targets if k != "local"]

    @property
    def real_remotes(self) -> list[str]:
        """The deployed targets that are not a loopback rehearsal."""
        return [k for k in self.remotes if not self.targets[k].rehearsal]

    @property
    def verdict(self) -> str:
        return verdict([t.verdict for t in self.targets.values()])


def checklist_line(step: Step, result: Any, manifest: Manifest | None) -> Line:
    """The step's status from its own artifact, corrected by what the run manifest says of
    the step's own run, or, for a step whose artifact another step writes, of that run."""
    status, note = step.status(result)
    own = manifest.step(step.name) if manifest else None
    producer = manifest.step(step.run_by) if manifest else None
    ran = own or producer
    if own and own.status == FAILED:
        status, note = FAILED, own.detail or note
    elif ran and ran.status == SKIPPED:
        if status == MISSING:
            how = "" if ran is own else f"with {ran.name}: "
            status, note = SKIPPED, f"skipped ({how}{ran.detail})"
        else:
            note = "; ".join(
                filter(None, (note, "from an earlier run (skipped in the latest one)"))
            )
    elif producer and status == MISSING:
        note = f"no artifact: the {producer.name} step {producer.status} ({producer.detail})"
        status = FAILED if producer.status == FAILED else MISSING
    return Line(step.name, step.title, status, note, own.duration_s if own else None)


def _items(result: Any) -> list:
    if isinstance(result, dict):
        return list(result.values())
    return result if isinstance(result, list) else [result]


def is_rehearsal(kind: str, base_url: str | None) -> bool:
    """A deployment's target (render, ngrok, url) reached on a loopback address is a
    stand-in built on this machine (the CI rehearsal), never the real platform."""
    return kind != "local" and (urlsplit(base_url or "").hostname or "") in LOOPBACK


def label(kind: str, base_url: str | None) -> str:
    """The column's name: never "Render" for a loopback stand-in."""
    if is_rehearsal(kind, base_url):
        return f"Rehearsal of {kind} (loopback)"
    return LABELS.get(kind, kind)


def _checkout(commit: str | None) -> str | None:
    return (commit or "").split(" ")[0] or None if commit and commit != "unknown" else None


def same_commit(a: str | None, b: str | None) -> bool | None:
    """Short and full SHAs of one commit match; None when either is unknown."""
    if not a or not b:
        return None
    return a.startswith(b) or b.startswith(a)


def deployed_build(kind: str, manifest: "Manifest | None", results: dict) -> dict | None:
    """The build that answered the target's run (`/health`: version and commit, recorded by
    the evidence run or the suites' run), beside the checkout that ran the clients, and
    whether they are the same commit (a deploy still rolling out when not)."""
    recorded = (manifest.data.get("service") if manifest else None) or None
    source = "the evidence run's /health"
    pytest_run = trusted(results.get("pytest"))
    if not recorded and pytest_run is not None and getattr(pytest_run, "service", None):
        recorded, source = pytest_run.service, "the suites' /health"
    checkout = _checkout(manifest.git_commit if manifest else None) or _checkout(git_commit())
    dirty = bool(manifest and manifest.git_commit and "uncommitted" in manifest.git_commit)
    if not isinstance(recorded, dict):
        return (
            {
                "commit": None,
                "version": None,
                "checkout": checkout,
                "matches": None,
                "source": None,
                "dirty": dirty,
            }
            if kind != "local"
            else None
        )
    commit = recorded.get("commit")
    return {
        "commit": commit,
        "version": recorded.get("version"),
        "checkout": checkout,
        "matches": same_commit(commit, checkout),
        "source": source,
        "dirty": dirty,
    }


def collect_target(kind: str, root: Reports) -> TargetEvidence | None:
    reports = root.target(kind)
    manifest, refused = Manifest.read(reports)
    results = {step.name: step.read(reports) for step in registry.STEPS}
    if manifest is None and not refused and not any(results.values()):
        return None
    recorded = (getattr(r, "base_url", None) for v in results.values() for r in _items(trusted(v)))
    base_url = (manifest and manifest.base_url) or next(filter(None, recorded), None)
    return TargetEvidence(
        kind=kind,
        label=label(kind, base_url),
        manifest=manifest,
        manifest_refused=refused,
        results=results,
        checklist=[checklist_line(s, results[s.name], manifest) for s in registry.STEPS],
        base_url=base_url,
        rehearsal=is_rehearsal(kind, base_url),
        build=deployed_build(kind, manifest, results),
    )


def compare(local: TargetEvidence, remote: TargetEvidence) -> Comparison:
    """Local vs deployed, figure by figure, as each step defines them."""
    rows = [
        row
        for step in registry.STEPS
        for row in step.compare(local.results[step.name], remote.results[step.name])
    ]
    return Comparison(local.kind, remote.kind, rows)


def collect(root: Reports, primary: str | None = None) -> Evidence:
    targets = {k: t for k in KINDS if (t := collect_target(k, root))}
    if primary not in targets:
        stamped = [(t.manifest.finished_at or "", k) for k, t in targets.items() if t.manifest]
        primary = max(stamped)[1] if stamped else next(iter(targets), "local")
    local = targets.get("local")
    comparisons = [compare(local, t) for k, t in targets.items() if local and k != "local"]
    manifest = targets[primary].manifest if primary in targets else None
    return Evidence(
        root=root,
        steps=registry.STEPS,
        primary=primary,
        targets=targets,
        comparisons=comparisons,
        facts=repository_facts(),
        meta={
            "version": (manifest and manifest.version) or declared_version(),
            "git_commit": (manifest and manifest.git_commit) or git_commit(),
            "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "run_started": manifest and manifest.started_at,
            "run_duration_s": manifest and manifest.duration_s,
            "python": (manifest and manifest.python) or platform.python_version(),
        },
    )
