"""The Postman collection, run headless by postman/run.py inside the pytest suites (once per
target name). It has no run of its own, but its checklist row comes from its own artifact,
`results-<name>.json` (which records the target name and base URL): a failing pytest run
does not make a passing collection look failed, nor the other way round.
"""

import json
import statistics
from dataclasses import dataclass, field

from evidence.model import Artifact, foreign, mtime, percentile, read_json
from evidence.step import Delta, Step, first
from tooling.layout import TargetReports


@dataclass
class Request:
    name: str | None
    method: str | None
    status: int | None
    ms: float | None
    tests: int
    failed: list[str]
    passed: bool


@dataclass
class ErrorBody:
    request: str
    status: int
    body: str


@dataclass(kw_only=True)
class PostmanRun(Artifact):
    name: str
    base_url: str | None
    environment: str | None
    summary: dict
    duration_s: float | None
    all_passed: bool
    requests: list[Request] = field(default_factory=list)
    median_ms: float | None = None
    p95_ms: float | None = None
    error_bodies: list[ErrorBody] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return self.all_passed


def read(reports: TargetReports) -> list[PostmanRun]:
    runs = []
    for path in reports.glob("postman", "results-*.json"):
        data = read_json(path)
        if not isinstance(data, dict):
            continue
        requests, times = [], []
        for item in data.get("requests", []):
            tests = item.get("tests", [])
            failed = [t for t in tests if not t.get("passed") and not t.get("skipped")]
            if item.get("response_time_ms") is not None:
                times.append(item["response_time_ms"])
            requests.append(
                Request(
                    item.get("name"),
                    item.get("method"),
                    item.get("status"),
                    item.get("response_time_ms"),
                    len(tests),
                    [f"{t.get('name')}: {t.get('error')}" for t in failed]
                    + list(item.get("errors") or []),
                    item.get("passed", not failed),
                )
            )
        recorded = data.get("target")
        file_name = path.stem.removeprefix("results-")
        refused = foreign(reports, name=recorded, base_url=data.get("base_url"))
        if not refused and recorded != file_name:
            refused = f"recorded target {recorded!r} in the file of {file_name!r}"
        runs.append(
            PostmanRun(
                path=path,
                when=mtime(path),
                foreign=refused,
                name=recorded or file_name,
                base_url=data.get("base_url"),
                environment=data.get("environment"),
                summary=data.get("summary", {}),
                duration_s=data.get("duration_s"),
                all_passed=bool(data.get("passed")),
                requests=requests,
                median_ms=round(statistics.median(times), 1) if times else None,
                p95_ms=round(percentile(times, 0.95), 1) if times else None,
                error_bodies=_error_bodies(data.get("requests", [])),
            )
        )
    return runs


def _error_bodies(items: list[dict], limit: int = 8) -> list[ErrorBody]:
    """One real response per error `code` the collection triggered (for the error contract)."""
    seen: dict[str, ErrorBody] = {}
    for item in items:
        status = item.get("status") or 0
        if status < 400:
            continue
        try:
            body = json.loads(item.get("response_body") or "")
        except ValueError:
            continue
        code = body.get("code") if isinstance(body, dict) else None
        if code and code not in seen:
            request = f"{item.get('method')} {item.get('name')}"
            seen[code] = ErrorBody(request, status, json.dumps(body, indent=2))
    return list(seen.values())[:limit]


def compare(local: list[PostmanRun], remote: list[PostmanRun]) -> list[Delta]:
    a, b = first(local), first(remote)
    if not (a and b):
        return []
    group = "Postman (one request each)"
    return [
        Delta(group, "median", a.median_ms, b.median_ms, "ms"),
        Delta(group, "p95", a.p95_ms, b.p95_ms, "ms"),
    ]


STEP = Step("postman", "Postman collection", 20, read, run_by="pytest", compare=compare)
