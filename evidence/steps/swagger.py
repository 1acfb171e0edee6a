"""The Swagger UI walk-through (`evidence/swagger.py`, its flow `evidence/swagger_flow.py`) in
a real browser against the live service: a screenshot per "Try it out", of /docs and of
/redoc, and `walkthrough.json` (which records the target and base URL). Without a browser
the step is skipped with the one-line reason from tooling.browser, or failed where one is
required (REQUIRE_CHROMIUM=1).
"""

from dataclasses import dataclass
from pathlib import Path

from evidence import swagger, swagger_flow
from evidence.model import Artifact, StepResult, foreign, mtime, read_json, skipped
from evidence.runner import Context
from evidence.step import Step, own_names
from tooling import capabilities
from tooling.layout import TargetReports

IMAGES = (".png", ".jpg", ".jpeg")


@dataclass
class Shot(swagger_flow.Shot):
    """A step of the walk as recorded, with its screenshot when there is one."""

    image: Path | None = None


@dataclass
class Page:
    title: str
    image: Path

    @property
    def file(self) -> str:
        return self.image.name


@dataclass(kw_only=True)
class Walkthrough(Artifact):
    base_url: str | None
    steps: list[Shot]
    pages: list[Page]
    cause: str | None
    walked: bool

    @property
    def succeeded(self) -> bool:
        return self.walked

    @property
    def images(self) -> int:
        return sum(1 for s in self.steps if s.image) + len(self.pages)


def read(reports: TargetReports) -> Walkthrough | None:
    directory = reports.screens
    path = directory / swagger.WALKTHROUGH_FILE
    record = read_json(path)
    if not isinstance(record, dict):
        return None
    images = {p.name: p for p in directory.iterdir() if p.suffix.lower() in IMAGES}
    known = Shot.__dataclass_fields__
    steps = [
        Shot(**{k: v for k, v in step.items() if k in known}, image=images.get(step.get("file")))
        for step in record.get("steps", [])
    ]
    pages = [
        Page(title, images[name])
        for title, name in (
            ("/docs (Swagger UI)", record.get("docs")),
            ("/redoc (ReDoc, the top of the page)", record.get("redoc")),
        )
        if name in images
    ]
    return Walkthrough(
        path=path,
        when=mtime(path),
        foreign=foreign(reports, kind=record.get("target"), base_url=record.get("base_url")),
        base_url=record.get("base_url"),
        steps=steps,
        pages=pages,
        cause=record.get("cause") or record.get("error"),
        walked=bool(record.get("ok")),
    )


def run(ctx: Context) -> StepResult:
    out = ctx.reports.screens
    command = f"python -m evidence.swagger --base-url {ctx.target.base_url} --out {out}"
    print(f"   $ {command}", flush=True)
    problem = capabilities.problem("chromium")
    if problem:
        print(f"   !! no browser: {problem}", flush=True)
        if capabilities.required("chromium"):
            return ctx.result(
                False, f"{capabilities.REQUIRE_ENV['chromium']}=1 but {problem}", [command]
            )
        return skipped("swagger", problem)
    record = swagger.walk(ctx.target, out)
    lines = swagger.report(record)
    for line in lines:
        print(f"   {'!!' if line.startswith('FAILED') else '|'} {line}", flush=True)
    done = sum(1 for s in record["steps"] if s["ok"])
    detail = f"{done}/{len(record['steps'])} steps as expected"
    if record.get("cause"):
        detail = f"{record['cause']} ({detail})"
    return ctx.result(record["ok"], detail, [command])


def reflection(by_kind: dict, remote_kind: str | None) -> dict:
    names = own_names("swagger")(by_kind, remote_kind)
    local = names["swagger"]
    names["observed"] = {s.slug: s.status for s in local.steps} if local else {}
    return names


STEP = Step("swagger", "Swagger UI walk-through", 50, read, run, live=True, reflection=reflection)
