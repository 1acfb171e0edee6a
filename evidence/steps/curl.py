"""The documented curl flow (`suites/curl_transcript.py`) against the live service: each
exact command with the documented and the received status and the body, in
`curl/<name>/transcript.{json,md}` (the folder name and the recorded base URL say which
target it ran against)."""

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from evidence.model import Artifact, StepResult, existing, foreign, mtime, read_json
from evidence.runner import Context
from evidence.step import Step
from evidence.steps.smoke import primary_first
from tooling.layout import TargetReports


@dataclass
class Exchange:
    title: str
    command: str
    expected: int
    status: int
    body: str
    ok: bool
    pretty: str = ""


@dataclass(kw_only=True)
class CurlRun(Artifact):
    name: str
    base_url: str | None
    steps: list[Exchange] = field(default_factory=list)
    markdown: Path | None = None

    @property
    def succeeded(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)


def _pretty(body: str) -> str:
    try:
        return json.dumps(json.loads(body or ""), indent=2)
    except ValueError:
        return body or ""


def read(reports: TargetReports) -> list[CurlRun]:
    runs = []
    for directory in reports.glob("curl"):
        path = directory / "transcript.json"
        data = read_json(path)
        if not isinstance(data, dict):
            continue
        steps = [
            Exchange(
                s.get("title", ""),
                s.get("command", ""),
                s.get("expected", 0),
                s.get("status", 0),
                s.get("body") or "",
                bool(s.get("ok")),
                _pretty(s.get("body") or ""),
            )
            for s in data.get("steps", [])
        ]
        runs.append(
            CurlRun(
                path=path,
                when=mtime(path),
                foreign=foreign(reports, name=directory.name, base_url=data.get("base_url")),
                name=directory.name,
                base_url=data.get("base_url"),
                steps=steps,
                markdown=existing(directory / "transcript.md"),
            )
        )
    return primary_first(runs, reports.kind)


def summary(path: Path) -> str:
    try:
        steps = json.loads(path.read_text())["steps"]
    except (OSError, ValueError, KeyError):
        return "; no transcript.json"
    bad = [s["title"] for s in steps if not s["ok"]]
    text = f"; {len(steps) - len(bad)}/{len(steps)} steps as documented"
    return text + (" (unexpected: " + ", ".join(bad) + ")" if bad else "")


def run(ctx: Context) -> StepResult:
    target, out = ctx.target, ctx.reports.curl(ctx.name)
    # the secret, the key and the CA reach the recorder through the environment (ctx.env),
    # never its command line (`ps`); the recorder hands the key to curl on stdin
    command = [sys.executable, "suites/curl_transcript.py", "--base-url", target.base_url or ""]
    command += ["--warmup-timeout", f"{target.warmup_timeout:g}", "--out", str(out)]
    return ctx.single(command, lambda: summary(out / "transcript.json"))


STEP = Step("curl", "curl transcript", 40, read, run, live=True)
