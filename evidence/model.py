"""The shapes every step shares: statuses, a run's outcome (`StepResult`), a read artifact
(`Artifact`, with the reason it was refused when it belongs to another target), a checklist
line, the verdict, and the few readers of files every step needs.
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tooling.layout import TargetReports

PASSED, FAILED, SKIPPED, MISSING = "passed", "failed", "skipped", "missing"
INCOMPLETE = "incomplete"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


# --- what a run did ------------------------------------------------------------------------------


@dataclass
class StepResult:
    """One step of one evidence run, as the run manifest records it."""

    name: str
    status: str
    duration_s: float = 0.0
    detail: str = ""
    commands: list[str] = field(default_factory=list)
    exit_codes: list[int] = field(default_factory=list)
    log: str | None = None  # relative to the page

    @classmethod
    def from_json(cls, data: dict) -> "StepResult":
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})


def skipped(name: str, why: str) -> StepResult:
    return StepResult(name, SKIPPED, 0.0, why)


# --- what a run left ---------------------------------------------------------------------------


@dataclass(kw_only=True)
class Artifact:
    """A file (or folder) a step left, read back. `foreign` says why it was refused: it
    records another target than the one whose directory it sits in (or none at all)."""

    path: Path
    when: str | None = None
    foreign: str | None = None

    @property
    def succeeded(self) -> bool:  # what the artifact itself says, before any refusal
        raise NotImplementedError

    @property
    def ok(self) -> bool:
        return self.foreign is None and self.succeeded


def trusted(result: Any) -> Any:
    """`result` without what was refused: a list loses its foreign items, a refused artifact
    becomes None (figures from another target must never reach a comparison or a sentence)."""
    if isinstance(result, list):
        return [r for r in result if trusted(r) is not None]
    if isinstance(result, dict):
        return {k: v for k, v in result.items() if trusted(v) is not None}
    if isinstance(result, Artifact) and result.foreign:
        return None
    return result


def artifact_status(result: Any) -> tuple[str, str]:
    """The checklist status of one artifact or a list of them: missing, failed (refused
    ones with their reasons), or passed."""
    items = result if isinstance(result, list) else [result] if result is not None else []
    if not items:
        return MISSING, "no artifact in reports/"
    refused = [r.foreign for r in items if r.foreign]
    if refused:
        return FAILED, "refused: " + "; ".join(refused)
    return (PASSED, "") if all(r.succeeded for r in items) else (FAILED, "see below")


@dataclass
class Line:
    """One row of the checklist for one target."""

    name: str
    title: str
    status: str
    note: str = ""
    duration_s: float | None = None


def verdict(statuses: list[str]) -> str:
    if not statuses or all(s == MISSING for s in statuses):
        return MISSING
    if FAILED in statuses:
        return FAILED
    if {MISSING, SKIPPED, INCOMPLETE} & set(statuses):
        return INCOMPLETE
    return PASSED


# --- which target an artifact belongs to --------------------------------------------------------


def kind_of(name: str) -> str:
    """A target's name to its kind: `local-sqlite` / `local-postgres` / `local` -> `local`."""
    return "local" if name == "local" or name.startswith("local-") else name


def foreign(reports: TargetReports, *, kind: Any = ..., name: Any = ..., base_url: Any = ...):
    """Why an artifact under `reports` (one target's directory) does not belong there, or
    None. Pass what the artifact records: its target `kind`, its target `name` (a file or
    folder name counts), its `base_url`; a field passed as None was not recorded. A local
    artifact must talk to a loopback address; a deployment's must name the base URL that
    target's evidence run recorded (when there is one)."""
    here = reports.kind
    for recorded, what in ((kind, "target"), (name, "target name")):
        if recorded is ...:
            continue
        if not recorded:
            return f"records no {what}"
        if kind_of(recorded) != here:
            return f"recorded target {recorded!r}, but it sits in the {here!r} reports"
    if base_url is ... or not base_url:
        return None
    if here == "local":
        host = urlsplit(base_url).hostname or ""
        return None if host in LOOPBACK else f"recorded base URL {base_url} is not a local service"
    expected = deployment_url(reports)
    if expected and base_url.rstrip("/") != expected.rstrip("/"):
        return f"recorded base URL {base_url}, but the {here!r} run used {expected}"
    return None


def deployment_url(reports: TargetReports) -> str | None:
    """The base URL a deployment's latest evidence run recorded (None for local)."""
    if reports.kind == "local":
        return None
    manifest = read_json(reports.manifest) or {}
    return manifest.get("base_url") if manifest.get("target") == reports.kind else None


# --- small readers --------------------------------------------------------------------------------


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def mtime(path: Path) -> str | None:
    try:
        stamp = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        return None
    return stamp.strftime("%Y-%m-%d %H:%M UTC")


def existing(path: Path) -> Path | None:
    return path if path.exists() else None


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
