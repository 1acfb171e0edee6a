"""The Postman collection as part of the suites: run by postman/run.py (no Newman, no Node).

The collection runs once per target; each of its requests is one pytest result that fails
with the names and messages of its failing `pm.test`s and the HTTP exchange. Around that:
a drift guard between the collection and the service's OpenAPI, the collection's validity
against the v2.1 schema, and self-tests of the runner (real HMAC, loud failures for
unsupported script features), so a green run means the scripts really ran and really passed.
"""

import base64
import hashlib
import hmac
import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import requests

from postman.collection import (
    SCHEMA_V21,
    compose_url,
    load_collection,
    load_environment,
    parse_collection,
)
from postman.run import run_collection
from postman.runtime import Runner, RunResult
from postman.sandbox import Sandbox
from service.webhooks import generate_secret, parse_secret, verify

ROOT = Path(__file__).resolve().parents[1]
POSTMAN = ROOT / "postman"
COLLECTION_FILE = POSTMAN / "orders-inventory.postman_collection.json"
ENVIRONMENT_FILES = {
    "local": POSTMAN / "local.postman_environment.json",
    "render": POSTMAN / "render.postman_environment.json",
}
SCHEMA_FILE = POSTMAN / "schema" / "collection-v2.1.0.json"

COLLECTION = load_collection(COLLECTION_FILE)
REQUEST_NAMES = [item.full_name for item in COLLECTION.requests]
FOLDERS = ["Products", "Orders", "Payments (webhook)", "Errors", "Ops"]
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


# --- the files themselves ---------------------------------------------------------------------


def test_collection_is_valid_against_the_v21_schema() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    collection = json.loads(COLLECTION_FILE.read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(collection), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:20])


def test_schema_rejects_a_broken_collection() -> None:
    """The vendored schema is not a rubber stamp."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    broken = {"info": {"name": "x"}, "item": [{"name": "r", "request": {"method": 1}}]}
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))


def test_collection_layout() -> None:
    assert COLLECTION.folders == FOLDERS
    assert len(set(REQUEST_NAMES)) == len(REQUEST_NAMES), "request names must be unique"
    for item in COLLECTION.requests:
        own_tests = [s for s in item.tests if s.label.startswith("request ")]
        assert own_tests and "pm.test(" in own_tests[0].source, f"{item.full_name}: no tests"


def test_raw_urls_match_their_parts() -> None:
    """Postman sends the URL built from host/path/query; `raw` is what its UI shows."""
    data = json.loads(COLLECTION_FILE.read_text(encoding="utf-8"))

    def requests_in(node):
        for child in node.get("item", []):
            yield from requests_in(child) if "item" in child else [child]

    for item in requests_in(data):
        url = item["request"]["url"]
        assert url["raw"] == compose_url(url), item["name"]


def test_environments_differ_only_in_values() -> None:
    files = {name: json.loads(path.read_text()) for name, path in ENVIRONMENT_FILES.items()}
    shapes = {
        name: [(v["key"], v["type"], v["enabled"]) for v in data["values"]]
        for name, data in files.items()
    }
    assert shapes["local"] == shapes["render"]
    types = {key: kind for key, kind, _ in shapes["local"]}
    assert types == {"base_url": "default", "webhook_secret": "secret", "api_key": "secret"}
    render = load_environment(ENVIRONMENT_FILES["render"])
    assert render.values["base_url"].startswith("https://")
    assert render.values["webhook_secret"] == "" and render.values["api_key"] == ""
    local = load_environment(ENVIRONMENT_FILES["local"])
    parse_secret(local.values["webhook_secret"])  # the documented development secret


# --- the runner itself ------------------------------------------------------------------------


def _state(request: dict | None = None, **scopes: dict) -> dict:
    names = ("globals", "collection", "environment", "data", "local")
    return {
        "scopes": {name: dict(scopes.get(name, {})) for name in names},
        "environmentName": "test",
        "request": request or {"method": "GET", "url": "{{base_url}}/health", "headers": []},
        "response": None,
        "info": {"requestName": "self-test", "eventName": "prerequest"},
    }


def _signing_script():
    payment = next(r for r in COLLECTION.requests if r.folder == "Payments (webhook)")
    return next(s for s in payment.prerequest if s.label.startswith("folder "))


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox() as box:
        yield box


def test_collection_signer_is_accepted_by_the_service_verifier(sandbox) -> None:
    """The Payments folder's own script, run for real, signs what the service accepts."""
    secret = generate_secret()
    signer = _signing_script()
    raw = '{"type": "payment.succeeded", "data": {"order_id": {{order_id}}, "note": "café ✓"}}'
    request = {
        "method": "POST",
        "url": "{{base_url}}/webhooks/payment",
        "headers": [{"key": "Content-Type", "value": "application/json"}],
        "body": {"mode": "raw", "raw": raw},
    }
    state = _state(request, environment={"webhook_secret": secret}, collection={"order_id": 7})
    outcome = sandbox.run(state, signer.source, signer.label)
    assert outcome.error is None
    sent = sandbox.resolve(outcome.state)
    headers = dict(sent["headers"])
    body = sent["body"].encode("utf-8")
    assert b'"order_id": 7' in body and "café ✓".encode() in body
    assert verify([parse_secret(secret)], headers, body) == headers["webhook-id"]
    assert headers["webhook-id"].startswith("msg_")
    reference = pytest.importorskip("standardwebhooks.webhooks")
    reference.Webhook(secret).verify(body, headers)


def test_collection_signer_leaves_a_delivery_with_its_own_signature_alone(sandbox) -> None:
    request = {
        "method": "POST",
        "url": "{{base_url}}/webhooks/payment",
        "headers": [{"key": "webhook-signature", "value": "v1,forged"}],
        "body": {"mode": "raw", "raw": "{}"},
    }
    state = _state(request, environment={"webhook_secret": generate_secret()})
    outcome = sandbox.run(state, _signing_script().source, "signer")
    assert outcome.error is None
    assert outcome.state["request"]["headers"] == request["headers"]


def test_cryptojs_hmac_matches_python(sandbox) -> None:
    key, message = b"k" * 32, 'id.1700000000.{"a": "é"}'
    expected = base64.b64encode(hmac.new(key, message.encode(), hashlib.sha256).digest()).decode()
    script = (
        f"const key = CryptoJS.enc.Base64.parse('{base64.b64encode(key).decode()}');"
        f"JSON.stringify(CryptoJS.HmacSHA256({json.dumps(message)}, key)"
        ".toString(CryptoJS.enc.Base64))"
    )
    assert json.loads(sandbox.evaluate(script)) == expected


def test_variable_scopes_resolve_in_postman_order(sandbox) -> None:
    scopes = {
        "globals": {"a": "g", "b": "g", "c": "g", "d": "g", "e": "g"},
        "collection": {"b": "c", "c": "c", "d": "c", "e": "c"},
        "environment": {"c": "env", "d": "env", "e": "env"},
        "data": {"d": "data", "e": "data"},
        "local": {"e": "local"},
    }
    source = "pm.test('x', () => pm.expect(pm.variables.replaceIn('{{a}}{{b}}{{c}}{{d}}{{e}}'))"
    source += ".to.equal('gcenvdatalocal'));"
    outcome = sandbox.run(_state(**scopes), source, "scopes")
    assert outcome.tests == [{"name": "x", "passed": True, "skipped": False, "error": None}]


@pytest.mark.parametrize(
    ("snippet", "feature"),
    [
        ("pm.sendRequest('http://example.test', () => {})", "pm.sendRequest"),
        ("postman.setNextRequest('Health')", "postman.setNextRequest"),
        ("pm.execution.setNextRequest('Health')", "pm.execution.setNextRequest"),
        ("require('lodash')", "require()"),
        ("pm.variables.replaceIn('{{$randomFirstName}}')", "{{$randomFirstName}}"),
        ("tests['legacy'] = true", "'tests'"),
        ("pm.visualizer.set('<b>x</b>')", "pm.visualizer"),
        ("setTimeout(() => {}, 10)", "setTimeout"),
    ],
)
def test_unsupported_script_features_fail_loudly(sandbox, snippet: str, feature: str) -> None:
    outcome = sandbox.run(_state(), snippet, "unsupported")
    assert outcome.error and "not supported" in outcome.error and feature in outcome.error


def test_assertions_fail_honestly(sandbox) -> None:
    source = """
    pm.test('equal', () => pm.expect(1).to.equal(2));
    pm.test('typo', () => pm.expect(true).to.be.ture);
    pm.test('deep', () => pm.expect({a: [1]}).to.eql({a: [1]}));
    pm.test('not', () => pm.expect([1, 2]).to.not.include(2));
    """
    outcome = sandbox.run(_state(), source, "assertions")
    verdicts = {t["name"]: t["passed"] for t in outcome.tests}
    assert verdicts == {"equal": False, "typo": False, "deep": True, "not": False}


def _mini_collection(url: str, test: str) -> dict:
    return {
        "info": {"name": "mini", "schema": SCHEMA_V21},
        "item": [
            {
                "name": "probe",
                "request": {"method": "GET", "url": url},
                "event": [{"listen": "test", "script": {"exec": [test]}}],
            }
        ],
    }


def test_runner_reports_a_failing_test_against_the_target(target) -> None:
    test = "pm.test('teapot', () => pm.response.to.have.status(418));"
    collection = parse_collection(_mini_collection("{{base_url}}/health", test))
    result = Runner(collection, overrides={"base_url": target.base_url}).run()
    (probe,) = result.requests
    assert probe.status == 200 and not result.passed
    assert probe.failures == [
        "teapot: AssertionError: expected response to have status code 418 but got 200 (line 1)"
    ]


def test_unknown_dynamic_variable_stops_the_request() -> None:
    test = "pm.test('never', () => {});"
    collection = parse_collection(_mini_collection("http://127.0.0.1:9/{{$randomCity}}", test))
    (probe,) = Runner(collection).run().requests
    assert probe.status is None and not probe.tests
    assert "{{$randomCity}}" in probe.errors[0] and "not supported" in probe.errors[0]


def test_cli_exit_codes(tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "postman.run", "--env", str(ENVIRONMENT_FILES["local"])]
        return subprocess.run(
            [*command, *args], cwd=ROOT, capture_output=True, text=True, timeout=120
        )

    unreachable = cli(
        "--base-url",
        "http://127.0.0.1:9",
        "--folder",
        "Ops",
        "--json-out",
        str(tmp_path / "out.json"),
    )
    assert unreachable.returncode == 1, unreachable.stdout + unreachable.stderr
    saved = json.loads((tmp_path / "out.json").read_text())
    assert saved["summary"]["requests"] == 3 and not saved["passed"]
    assert cli("--folder", "Nope").returncode == 2
