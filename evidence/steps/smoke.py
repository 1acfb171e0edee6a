"""The assignment's plain-requests smoke script (`suites/smoke.py`) against the live service;
its whole output is the artifact, `smoke-<name>.txt` (the file name records the target)."""

import json
import sys
from dataclasses import dataclass

from evidence.model import Artifact, StepResult, foreign, mtime
from evidence.runner import Context
from evidence.step import Step
from tooling.layout import TargetReports

OK_LINE = "SMOKE OK"


@dataclass(kw_only=True)
class SmokeRun(Artifact):
    name: str
    text: str
    final_status: str | None

    @property
    def succeeded(self) -> bool:
        return OK_LINE in self.text


def read(reports: TargetReports) -> list[SmokeRun]:
    runs = []
    for path in reports.glob("smoke", "smoke-*.txt"):
        text = path.read_text(encoding="utf-8", errors="replace")
        final = None
        if "{" in text:
            try:
                final = json.loads(text[text.index("{") : text.rindex("}") + 1])
            except ValueError:
                final = None
        name = path.stem.removeprefix("smoke-")
        runs.append(
            SmokeRun(
                path=path,
                when=mtime(path),
                foreign=foreign(reports, name=name),
                name=name,
                text=text,
                final_status=final.get("status") if isinstance(final, dict) else None,
            )
        )
    return primary_first(runs, reports.kind)


def primary_first(items: list, kind: str) -> list:
    """The evidence run's own artifact (named after the kind) first, then the suites' ones."""
    return sorted(items, key=lambda item: (item.name != kind, item.name))


def run(ctx: Context) -> StepResult:
    out = ctx.reports.smoke(ctx.name)
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "suites/smoke.py"]
    log = ctx.log()
    code, output = ctx.command(command, log)
    out.write_text(output, encoding="utf-8")
    ok = code == 0 and OK_LINE in output
    detail = f"exit {code}" + ("" if OK_LINE in output else f"; no {OK_LINE} line")
    return ctx.result(
        ok,
        detail,
        [f"BASE_URL={ctx.target.base_url} WEBHOOK_SECRET=*** {' '.join(command)}"],
        [code],
        log,
    )


STEP = Step("smoke", "Python smoke script", 30, read, run, live=True)
