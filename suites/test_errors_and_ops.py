"""The error contract from every layer, request ids, probes and the offline docs."""

import re

import pytest
import requests

from suites.contract import assert_problem, assert_validation_error


def test_malformed_json_is_422(api):
    response = api.post("/products", data=b'{"sku": ', headers={"content-type": "application/json"})
    assert_validation_error(response)


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"42", b"null"])
def test_json_that_is_not_an_object_is_422(api, body):
    response = api.post("/orders", data=body, headers={"content-type": "application/json"})
    assert_validation_error(response)


def test_unknown_route_is_404_in_contract_shape(api):
    assert_problem(api.get("/no-such-route"), 404, "not_found")


def test_wrong_method_is_405_in_contract_shape(api):
    response = api.request("PATCH", "/products")
    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers.get("allow", "")


def test_request_id_is_echoed_when_well_formed(api):
    response = api.get("/health", headers={"X-Request-ID": "client-abc.123"})
    assert response.headers["x-request-id"] == "client-abc.123"
    error = api.get("/products/999999999", headers={"X-Request-ID": "trace-42"})
    assert error.headers["x-request-id"] == "trace-42" and error.json()["request_id"] == "trace-42"


def test_malformed_request_id_is_replaced(api):
    response = api.get("/health", headers={"X-Request-ID": "bad id with spaces" + "x" * 200})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


def test_every_response_has_a_request_id(api):
    product = api.create_product()
    for response in (
        api.get("/health"),
        api.get(f"/products/{product['id']}"),
        api.delete(f"/products/{product['id']}"),
        api.get("/nope"),
    ):
        assert response.headers.get("x-request-id")


def test_health_and_ready(api, target):
    health = api.get("/health")
    assert health.status_code == 200
    body = health.json()
    assert set(body) == {"status", "version", "commit"} and body["status"] == "ok"
    spec = requests.get(f"{server_root(target)}/openapi.json", timeout=30).json()
    assert body["version"] == spec["info"]["version"]  # the build that answers says which
    assert body["commit"] is None or re.fullmatch(r"[0-9A-Za-z._-]{4,64}", body["commit"])
    ready = api.get("/ready")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


def test_huge_ids_are_not_server_errors(api):
    for path in ("/products/9007199254740991", "/orders/-9007199254740991", "/products/0"):
        assert api.get(path).status_code == 404
    assert_validation_error(api.get("/products/9007199254740992"))
    assert_validation_error(api.get("/products", params={"offset": 2**64}))
    huge = api.post("/orders", json={"product_id": 2**70, "quantity": 1})
    assert_validation_error(huge, "product_id")


def server_root(target) -> str:
    """/docs and /openapi.json live at the server root, outside any API prefix."""
    match = re.match(r"^(https?://[^/]+)", target.base_url)
    return match.group(1)


def test_openapi_document(target):
    spec = requests.get(f"{server_root(target)}/openapi.json", timeout=30).json()
    info = spec["info"]
    assert info["title"] and info["version"] and info["description"]
    assert {t["name"] for t in spec["tags"]} >= {"products", "orders", "webhooks", "ops"}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            assert operation.get("tags"), (method, path)
            responses = operation["responses"]
            assert any(code.startswith("2") for code in responses), (method, path)
            for code, response in responses.items():
                if code[0] in "45":
                    assert "application/problem+json" in response["content"], (method, path, code)
    for path, method in [
        ("/products", "post"),
        ("/products/{product_id}", "put"),
        ("/orders", "post"),
    ]:
        operation = spec["paths"][path][method]
        body = operation["requestBody"]["content"]["application/json"]
        assert body.get("examples") or body.get("example"), (method, path)
        errors = [r for c, r in operation["responses"].items() if c[0] == "4"]
        assert any(r["content"]["application/problem+json"].get("examples") for r in errors)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_are_served_without_a_cdn(target, page):
    root = server_root(target)
    html = requests.get(f"{root}{page}", timeout=30)
    assert html.status_code == 200 and "text/html" in html.headers["content-type"]
    assets = re.findall(r'(?:src|href)="([^"]+)"', html.text)
    assert assets, html.text
    for asset in assets:
        assert asset.startswith("/"), f"{page} loads {asset} from another host"
        assert requests.get(f"{root}{asset}", timeout=30).status_code == 200, asset
