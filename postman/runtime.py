"""Running a collection the way Postman's collection runner does, without Newman.

For each request, in collection order: the pre-request scripts run (collection, folders,
request), `{{…}}` is resolved in the URL, headers and body, the request goes out with
`requests`, then the test scripts run with `pm.response`. Variables live in Postman's
scopes (globals < collection < environment < data < local) with Postman's types: one
declared as a string comes back from `get` as a string, whatever was `set`
(shim/02-variables.js has the rules). As in Postman's collection runner and Newman, local
variables (`pm.variables.set`) last until the run ends. A script error, an unreachable server
or a request that cannot be resolved is a failure of that request, reported next to its
tests, never skipped quietly.
"""

import re
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from http import HTTPStatus
from typing import Any

import requests

from postman.collection import Collection, Environment, RequestItem
from postman.sandbox import Sandbox, SandboxError
from tooling.exchange import REDACTED, redact_headers, render_exchange

USER_AGENT = "postman-run (python-requests; Postman collection runner)"
UNRESOLVED = re.compile(r"\{\{[^{}]*}}")
# Postman adds this Content-Type itself for a raw body of a given language.
RAW_CONTENT_TYPES = {
    "json": "application/json",
    "text": "text/plain",
    "javascript": "application/javascript",
    "xml": "application/xml",
    "html": "text/html",
}


@dataclass
class TestResult:
    name: str
    passed: bool
    error: str | None = None
    skipped: bool = False
    script: str = ""  # which script defined it


@dataclass
class RequestResult:
    """One request's exchange and everything its scripts reported."""

    name: str  # "Folder / Request"
    method: str
    url: str = ""
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: str | None = None
    status: int | None = None
    reason: str = ""
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""
    response_time_ms: float = 0.0
    tests: list[TestResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # script errors, transport errors
    warnings: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        failed = [f"{t.name}: {t.error}" for t in self.tests if not t.passed and not t.skipped]
        return self.errors + failed

    @property
    def passed(self) -> bool:
        return not self.failures

    def render(self, limit: int = 4000) -> str:
        """The exchange as text, for failure messages and logs."""
        return render_exchange(
            f"{self.method} {self.url}",
            self.request_headers,
            self.request_body,
            f"{self.status} {self.reason} ({self.response_time_ms:.0f} ms)",
            self.response_headers,
            self.response_body,
            limit,
        )


@dataclass
class RunResult:
    collection: str
    environment: str
    requests: list[RequestResult]
    duration_s: float

    @property
    def tests(self) -> list[TestResult]:
        return [t for r in self.requests for t in r.tests]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.requests)

    def summary(self) -> dict[str, int]:
        tests = self.tests
        return {
            "requests": len(self.requests),
            "requests_failed": sum(not r.passed for r in self.requests),
            "tests": len(tests),
            "tests_passed": sum(t.passed for t in tests),
            "tests_failed": sum(not t.passed and not t.skipped for t in tests),
            "tests_skipped": sum(t.skipped for t in tests),
            "errors": sum(len(r.errors) for r in self.requests),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "environment": self.environment,
            "duration_s": round(self.duration_s, 3),
            "passed": self.passed,
            "summary": self.summary(),
            "requests": [asdict(r) | {"passed": r.passed} for r in self.requests],
        }


class Runner:
    """Runs one collection against one environment; variables persist across its requests."""

    def __init__(
        self,
        collection: Collection,
        environment: Environment | None = None,
        *,
        overrides: dict[str, Any] | None = None,
        globals_: Environment | dict[str, Any] | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.collection = collection
        self.environment = environment or Environment("(none)", {}, set())
        self.timeout = timeout
        self._overrides = dict(overrides or {})
        if not isinstance(globals_, Environment):  # a globals file reads like an environment
            globals_ = Environment("globals", dict(globals_ or {}), set())
        self._globals = globals_
        # {scope: {key: {"type": …, "value": …}}}, and "data": the iteration's row. Built by
        # the sandbox when the run starts: Postman's casts are JavaScript's.
        self.scopes: dict[str, dict[str, Any]] = {}
        self._secret_keys = set(self.environment.secrets)

    def _declare_scopes(self, sandbox: Sandbox) -> dict[str, dict[str, Any]]:
        """The scopes as Postman starts a run: declared types cast the values, and overrides
        (`--env-var`) are set on the environment after loading, as Newman sets them."""
        environment = self.environment
        return {
            "globals": sandbox.declare(self._globals.values, self._globals.types),
            "collection": sandbox.declare(self.collection.variables, self.collection.types),
            "environment": sandbox.declare(environment.values, environment.types, self._overrides),
            "data": {},
            "local": {},
        }

    def run(
        self, folders: Iterable[str] = (), iteration_data: list[dict[str, Any]] | None = None
    ) -> RunResult:
        """Run the whole collection (or only the named top-level folders), once per data row."""
        wanted = set(folders)
        unknown = wanted - set(self.collection.folders)
        if unknown:
            raise ValueError(f"no such folder: {', '.join(sorted(unknown))}")
        items = [r for r in self.collection.requests if not wanted or r.folder in wanted]
        rows = iteration_data or [{}]
        started = time.perf_counter()
        results: list[RequestResult] = []
        with Sandbox() as sandbox, requests.Session() as http:
            if not self.scopes:
                self.scopes = self._declare_scopes(sandbox)
            for iteration, row in enumerate(rows):
                self.scopes["data"] = dict(row)
                for item in items:
                    info = {"iteration": iteration, "iterationCount": len(rows)}
                    results.append(self._run_item(sandbox, http, item, info))
        return RunResult(
            self.collection.name, self.environment.name, results, time.perf_counter() - started
        )

    # --- one request ----------------------------------------------------------------------

    def _run_item(
        self, sandbox: Sandbox, http: requests.Session, item: RequestItem, info: dict[str, Any]
    ) -> RequestResult:
        result = RequestResult(item.full_name, item.method)
        state = {
            "scopes": self.scopes,
            "environmentName": self.environment.name,
            "request": {
                "id": item.id,
                "name": item.name,
                "method": item.method,
                "url": item.url,
                "headers": [dict(h) for h in item.headers],
                "body": dict(item.body) if item.body else None,
            },
            "response": None,
            "info": {**info, "requestName": item.name, "requestId": item.id},
        }
        state = self._run_scripts(sandbox, state, item.prerequest, "prerequest", result)
        try:
            resolved = sandbox.resolve(state)
        except SandboxError as exc:
            result.errors.append(f"[request] cannot resolve variables: {exc}")
            return self._redact(result)
        response = self._send(http, resolved, state["request"], result)
        if response is not None:
            # Test scripts see the request as it was sent (pm.request.url resolved), as in
            # Postman.
            state["request"] = self._sent_request(state["request"], result)
            state["response"] = response
            self._run_scripts(sandbox, state, item.tests, "test", result)
        if not result.tests and not result.errors:
            result.errors.append("[runner] no pm.test ran for this request")
        return self._redact(result)

    def _run_scripts(self, sandbox, state, scripts, event, result) -> dict[str, Any]:
        for script in scripts:
            state["info"]["eventName"] = event
            outcome = sandbox.run(state, script.source, script.label)
            state = outcome.state
            self.scopes.update(state["scopes"])
            state["scopes"] = self.scopes
            result.console += outcome.console
            result.tests += [
                TestResult(t["name"], t["passed"], t["error"], t["skipped"], script.label)
                for t in outcome.tests
            ]
            if outcome.error:
                result.errors.append(f"[{script.label}] {outcome.error}")
        return state

    def _send(self, http, resolved, request, result) -> dict[str, Any] | None:
        headers = dict(resolved["headers"])
        body = resolved["body"]
        self._default_headers(headers, request.get("body"))
        result.method, result.url = resolved["method"], resolved["url"]
        result.request_headers, result.request_body = headers, body
        leftovers = sorted(set(UNRESOLVED.findall(f"{result.url} {headers} {body or ''}")))
        if leftovers:
            result.warnings.append(f"unresolved variables sent as-is: {', '.join(leftovers)}")
        started = time.perf_counter()
        try:
            response = http.request(
                result.method,
                result.url,
                headers=headers,
                data=body.encode("utf-8") if body is not None else None,
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            result.errors.append(f"[request] {type(exc).__name__}: {exc}")
            return None
        elapsed_ms = (time.perf_counter() - started) * 1000
        result.status, result.reason = response.status_code, _reason(response)
        result.response_headers = dict(response.headers)
        result.response_body = response.text
        result.response_time_ms = elapsed_ms
        return {
            "code": response.status_code,
            "status": result.reason,
            "headers": list(response.headers.items()),
            "body": response.text,
            "responseTime": round(elapsed_ms),
            "responseSize": len(response.content),
        }

    @staticmethod
    def _sent_request(request: dict[str, Any], result: RequestResult) -> dict[str, Any]:
        body = request.get("body")
        if body is not None and result.request_body is not None:
            body = {**body, "raw": result.request_body}
        headers = [{"key": k, "value": v} for k, v in result.request_headers.items()]
        return {**request, "url": result.url, "headers": headers, "body": body}

    @staticmethod
    def _default_headers(headers: dict[str, str], body: dict[str, Any] | None) -> None:
        names = {k.lower() for k in headers}
        if "user-agent" not in names:
            headers["User-Agent"] = USER_AGENT
        language = ((body or {}).get("options") or {}).get("raw", {}).get("language")
        if body and "content-type" not in names and language in RAW_CONTENT_TYPES:
            headers["Content-Type"] = RAW_CONTENT_TYPES[language]

    def _redact(self, result: RequestResult) -> RequestResult:
        """Keep secrets out of results: signature/key headers and secret variables' values."""
        result.request_headers = redact_headers(result.request_headers)
        environment = self.scopes.get("environment", {})
        values = [(environment.get(key) or {}).get("value") for key in self._secret_keys]
        secrets = [str(value) for value in values if value]
        for secret in secrets:
            result.request_body = (result.request_body or "").replace(secret, REDACTED) or None
            result.response_body = result.response_body.replace(secret, REDACTED)
            result.console = [line.replace(secret, REDACTED) for line in result.console]
            result.errors = [line.replace(secret, REDACTED) for line in result.errors]
        return result


def _reason(response: requests.Response) -> str:
    if response.reason:
        return response.reason
    try:
        return HTTPStatus(response.status_code).phrase
    except ValueError:
        return ""
