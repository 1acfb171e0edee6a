"""Tooling tests of postman/run.py (not a suite: they need no target but one, and run with
`pytest tests`): the collection and environment files themselves, the V8 sandbox (real HMAC,
honest assertions, loud failures for unsupported script features), and the CLI.

Postman's variable semantics are pinned in test_postman_scopes.py; the whole collection in
real Newman, with the same counts as here, in test_postman_newman.py.
"""

import base64
import hashlib
import hmac
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from postman.collection import (
    SCHEMA_V21,
    CollectionError,
    compose_url,
    load_collection,
    load_environment,
    parse_collection,
)
from postman.run import DEFAULT_COLLECTION as COLLECTION_FILE
from postman.run import ENVIRONMENTS as ENVIRONMENT_FILES
from postman.run import HERE as POSTMAN
from postman.runtime import Runner
from postman.sandbox import Sandbox
from service.webhooks import generate_secret, parse_secret, verify

ROOT = POSTMAN.parent
SCHEMA_FILE = POSTMAN / "schema" / "collection-v2.1.0.json"

COLLECTION = load_collection(COLLECTION_FILE)
REQUEST_NAMES = [item.full_name for item in COLLECTION.requests]
FOLDERS = ["Products", "Orders", "Payments (webhook)", "Errors", "Ops"]


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
    """A run state with plain values: every variable `any` (iteration data is plain)."""
    names = ("globals", "collection", "environment", "local")
    typed = {
        name: {k: {"type": "any", "value": v} for k, v in scopes.get(name, {}).items()}
        for name in names
    }
    return {
        "scopes": {**typed, "data": dict(scopes.get("data", {}))},
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
        # Postman would keep the function and call it on get(): not imitated
        ("pm.collectionVariables.set('f', () => 1)", "storing a function in variable 'f'"),
        ("pm.environment.syncVariablesFrom({})", "pm.environment.syncVariablesFrom"),
        ("pm.iterationData.addLayer([])", "pm.iterationData.addLayer"),
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
        "--warmup-timeout",
        "0",
        "--folder",
        "Ops",
        "--json-out",
        str(tmp_path / "out.json"),
    )
    assert unreachable.returncode == 1, unreachable.stdout + unreachable.stderr
    saved = json.loads((tmp_path / "out.json").read_text())
    assert saved["summary"]["requests"] == 3 and not saved["passed"]
    assert cli("--folder", "Nope", "--warmup-timeout", "0").returncode == 2
    # a deployment that never answers: a bounded wait, then exit 1 without stale results
    asleep = cli(
        "--base-url",
        "http://127.0.0.1:9",
        "--warmup-timeout",
        "1",
        "--json-out",
        str(tmp_path / "out.json"),
    )
    assert asleep.returncode == 1 and "did not answer 200 within 1 s" in asleep.stderr
    assert not (tmp_path / "out.json").exists()


def test_disabled_collection_variables_are_refused() -> None:
    """Postman hides a disabled variable from get/has/{{…}} yet shows it in toObject():
    the runner says so instead of guessing."""
    data = _mini_collection("http://127.0.0.1:9/", "pm.test('x', () => {});")
    data["variable"] = [{"key": "old", "value": "1", "disabled": True}]
    with pytest.raises(CollectionError, match="'old': disabled variables are not supported"):
        parse_collection(data)


def test_disabled_environment_variables_are_refused(tmp_path: Path) -> None:
    """Newman uses an environment variable with "enabled": false as if it were enabled
    (postmanlabs/newman#1710, #2986), the Postman app does not: refused, not guessed."""
    path = tmp_path / "env.json"
    entry = {"key": "token", "value": "x", "type": "default", "enabled": False}
    path.write_text(json.dumps({"name": "e", "values": [entry]}), encoding="utf-8")
    with pytest.raises(CollectionError, match="'token' is disabled"):
        load_environment(path)
