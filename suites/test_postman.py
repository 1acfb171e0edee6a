"""The Postman collection against the target: run by postman/run.py (no Newman, no Node).

The collection runs once per target; each of its requests is one pytest result that fails
with the names and messages of its failing `pm.test`s and the HTTP exchange. Around that:
the run's completeness and a drift guard between the collection and the service's OpenAPI.
The runner's own tests (its sandbox, Postman's variable scopes, loud failures for what it does
not implement, the files' validity, and the same counts in real Newman) are tooling tests:
tests/test_postman_*.py, run with `pytest tests`.
"""

import json
import re
from urllib.parse import urlsplit

import pytest
import requests

from postman.collection import load_collection
from postman.run import DEFAULT_COLLECTION as COLLECTION_FILE
from postman.run import ENVIRONMENTS as ENVIRONMENT_FILES
from postman.run import run_collection
from postman.runtime import RunResult

COLLECTION = load_collection(COLLECTION_FILE)
REQUEST_NAMES = [item.full_name for item in COLLECTION.requests]
OUTSIDE_OPENAPI = "[outside-openapi]"  # marks requests that deliberately hit no operation
HTTP_METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}


# --- the collection against the target ------------------------------------------------------


@pytest.fixture(scope="session")
def postman_run(target, reports) -> RunResult:
    """One run of the whole collection per target, saved for the evidence report."""
    environment = ENVIRONMENT_FILES["render" if target.kind == "render" else "local"]
    overrides = {
        "base_url": target.base_url,
        "webhook_secret": target.webhook_secret or "",
        "api_key": target.api_key or "",
    }
    result = run_collection(COLLECTION_FILE, environment, overrides=overrides)
    report = {"target": target.name, "base_url": target.base_url, **result.to_json()}
    out = reports.postman(target.name)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return result


@pytest.mark.parametrize("request_name", REQUEST_NAMES)
def test_postman_request(postman_run: RunResult, request_name: str) -> None:
    runs = [r for r in postman_run.requests if r.name == request_name]
    assert runs, f"{request_name!r} did not run"
    for result in runs:
        if result.passed:
            continue
        total = len(result.tests)
        failures = "\n".join(f"  ✗ {failure}" for failure in result.failures)
        pytest.fail(
            f"{len(result.failures)} failure(s) among {total} Postman tests of "
            f"{request_name!r}:\n{failures}\n\n--- HTTP exchange ---\n{result.render()}",
            pytrace=False,
        )


def test_postman_run_is_complete(postman_run: RunResult) -> None:
    """The run as a whole: nothing skipped, nothing unresolved, a test behind every request."""
    summary = postman_run.summary()
    assert summary["requests"] == len(REQUEST_NAMES)
    assert summary["tests_skipped"] == 0
    warnings = [f"{r.name}: {w}" for r in postman_run.requests for w in r.warnings]
    assert not warnings, "\n".join(warnings)
    assert all(r.tests for r in postman_run.requests)


# --- drift guard: the collection and the service's OpenAPI -------------------------------------


def _openapi_operations(target) -> set[tuple[str, str]]:
    parts = urlsplit(target.base_url)
    response = requests.get(f"{parts.scheme}://{parts.netloc}/openapi.json", timeout=30)
    assert response.status_code == 200, response.text
    prefix = parts.path.rstrip("/")
    return {
        (method.upper(), path.removeprefix(prefix) or "/")
        for path, operations in response.json()["paths"].items()
        for method in operations
        if method in HTTP_METHODS
    }


def _collection_path(url_template: str) -> str:
    assert url_template.startswith("{{base_url}}/"), f"{url_template} ignores {{{{base_url}}}}"
    return re.split(r"[?#]", url_template.removeprefix("{{base_url}}"), maxsplit=1)[0]


def _matches(template: str, path: str) -> bool:
    """`/orders/{order_id}/cancel` matches `/orders/{{order_id}}/cancel` and `/orders/9/cancel`."""
    wanted, given = template.strip("/").split("/"), path.strip("/").split("/")
    if len(wanted) != len(given):
        return False
    for expected, actual in zip(wanted, given, strict=True):
        is_parameter = expected.startswith("{") and expected.endswith("}")
        if is_parameter and actual:
            continue
        if expected != actual or actual.startswith("{{"):
            return False
    return True


def test_drift_guard_path_matching() -> None:
    assert _matches("/orders/{order_id}/cancel", "/orders/{{order_id}}/cancel")
    assert _matches("/products/{product_id}", "/products/9007199254740991")
    assert not _matches("/orders/{order_id}", "/orders/{{order_id}}/cancel")
    assert not _matches("/products", "/{{resource}}")
    assert not _matches("/health", "/ready")


def test_collection_and_openapi_match(target) -> None:
    operations = _openapi_operations(target)
    exercised: set[tuple[str, str]] = set()
    strays = []
    for item in COLLECTION.requests:
        if OUTSIDE_OPENAPI in item.description:
            continue
        path = _collection_path(item.url)
        found = {op for op in operations if op[0] == item.method and _matches(op[1], path)}
        if not found:
            strays.append(f"{item.full_name}: {item.method} {path}")
        exercised |= found
    missing = sorted(f"{method} {path}" for method, path in operations - exercised)
    assert not strays, "requests that match no OpenAPI operation:\n" + "\n".join(strays)
    assert not missing, "OpenAPI operations no request exercises:\n" + "\n".join(missing)
