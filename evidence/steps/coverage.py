"""API coverage: every OpenAPI operation by every status code it documents, and which tools'
requests received it in this target's run (evidence/coverage.py builds the matrix).

Built from recorded exchanges, never from test names: the pytest suites' client writes
`pytest/exchanges.ndjson` (suites/support/recording.py) beside the target's own OpenAPI
document (`pytest/openapi.json`); Postman's results keep every request, the curl transcript
every command, Schemathesis its HAR (`schemathesis/<name>/[varying/]exchanges.har`), the
smoke script prints `METHOD /path -> status`, and the Swagger walk records each "Try it out".
Artifacts that another target's run left are not counted (each is checked as its own step
checks it). The suites' run writes the main artifact, so the step has no run of its own.
"""

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from evidence.coverage import (
    SOURCES,
    Matrix,
    Received,
    build,
    request_of_curl,
    requests_of_smoke,
)
from evidence.model import FAILED, MISSING, PASSED, Artifact, foreign, mtime, read_json, trusted
from evidence.step import Step
from evidence.steps import curl, postman, smoke, swagger
from tooling.layout import TargetReports

EXCHANGES = "exchanges.ndjson"
OPENAPI = "openapi.json"


@dataclass(kw_only=True)
class Coverage(Artifact):
    matrix: Matrix
    schema_from: str  # where the OpenAPI document came from
    files: dict[str, list[Path]] = field(default_factory=dict)  # source -> files read

    @property
    def succeeded(self) -> bool:
        return bool(self.matrix.operations) and sum(self.matrix.sources.values()) > 0

    @property
    def share(self) -> float | None:
        return self.matrix.exercised / self.matrix.documented if self.matrix.documented else None


def read(reports: TargetReports) -> Coverage | None:
    results = read_json(reports.pytest / "results.json")
    exchanges = reports.pytest / EXCHANGES
    received: list[Received] = []
    files: dict[str, list[Path]] = {}
    refused = None
    if exchanges.is_file():
        recorded = results if isinstance(results, dict) else {}
        refused = foreign(reports, kind=recorded.get("target"), base_url=recorded.get("base_url"))
        if not refused:
            received += _pytest(exchanges)
            files["pytest"] = [exchanges]
    for source, items in _others(reports).items():
        received += items[0]
        files[source] = items[1]
    if not received and refused is None:
        return None
    document, schema_from = _document(reports)
    path = exchanges if exchanges.is_file() else next(iter(files.values()), [reports.pytest])[0]
    return Coverage(
        path=path,
        when=mtime(path),
        foreign=f"pytest exchanges: {refused}" if refused else None,
        matrix=build(document, received),
        schema_from=schema_from,
        files=files,
    )


def _pytest(path: Path) -> list[Received]:
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        items.append(Received("pytest", row["method"], row["path"], row.get("status"), row["n"]))
    return items


def _others(reports: TargetReports) -> dict[str, tuple[list[Received], list[Path]]]:
    """The other tools' exchanges, from the artifacts their own steps accept."""
    found: dict[str, tuple[list[Received], list[Path]]] = {}

    def add(source: str, items: list[Received], path: Path) -> None:
        kept, paths = found.setdefault(source, ([], []))
        kept += items
        paths.append(path)

    for run in trusted(postman.read(reports)):
        data = read_json(run.path) or {}
        add(
            "postman",
            [
                Received("postman", r.get("method") or "", r.get("url") or "", r.get("status"))
                for r in data.get("requests", [])
                if r.get("status")
            ],
            run.path,
        )
    for run in trusted(curl.read(reports)):
        items = []
        for step in run.steps:
            request = request_of_curl(step.command)
            if request and step.status:
                items.append(Received("curl", request[0], request[1], step.status))
        add("curl", items, run.path)
    for run in trusted(smoke.read(reports)):
        items = [Received("smoke", m, p, s) for m, p, s in requests_of_smoke(run.text)]
        add("smoke", items, run.path)
    walk = trusted(swagger.read(reports))
    if walk:
        items = [
            Received("swagger", s.method, s.path, s.status)
            for s in walk.steps
            if s.ran and s.status
        ]
        add("swagger", items, walk.path)
    for directory in reports.glob("schemathesis"):
        if foreign(reports, name=directory.name):
            continue
        for har in sorted(directory.glob("**/exchanges.har")):
            add("schemathesis", _har(har), har)
    return found


def _har(path: Path) -> list[Received]:
    data = read_json(path) or {}
    items = []
    for entry in (data.get("log") or {}).get("entries", []):
        request, response = entry.get("request") or {}, entry.get("response") or {}
        if response.get("status"):
            items.append(
                Received(
                    "schemathesis",
                    request.get("method", ""),
                    request.get("url", ""),
                    response["status"],
                )
            )
    return items


def _document(reports: TargetReports) -> tuple[dict, str]:
    """The target's OpenAPI document as its pytest run recorded it, else the checkout's."""
    recorded = read_json(reports.pytest / OPENAPI)
    if isinstance(recorded, dict) and recorded.get("paths"):
        return recorded, f"{reports.kind}/pytest/{OPENAPI} (recorded by the suites' run)"
    document = _checkout_document()
    return document, "the checkout's app.openapi() (no document recorded with the run)"


@cache
def _checkout_document() -> dict:
    from suites.support.recording import checkout_openapi

    try:
        return checkout_openapi()
    except Exception:
        return {}


def status(result: Coverage | None) -> tuple[str, str]:
    if result is None:
        return MISSING, "no recorded exchanges in reports/"
    if result.foreign:
        return FAILED, f"refused: {result.foreign}"
    matrix = result.matrix
    if not matrix.operations:
        return MISSING, "no OpenAPI document to compare with"
    note = (
        f"{matrix.exercised} of {matrix.documented} documented status codes received; "
        f"{len(matrix.never)} never"
    )
    if matrix.unexercised_operations:
        note += f"; {len(matrix.unexercised_operations)} operations never called"
    return PASSED, note


def reflection(by_kind: dict, remote_kind: str | None) -> dict[str, Any]:
    local = trusted(by_kind.get("local"))
    return {
        "coverage": local,
        "remote_coverage": trusted(by_kind.get(remote_kind)) if remote_kind else None,
        "coverage_sources": SOURCES,
    }


STEP = Step(
    "coverage",
    "API coverage matrix",
    55,
    read,
    status=status,
    run_by="pytest",
    reflection=reflection,
)
