"""The production profile over HTTP: API keys, rate limits (in memory and shared through
Redis, failed key checks too), body size limit, security headers, trusted hosts, CORS, gzip,
metrics and its token, the build in /health, structured logs, and the start-up refusals.
Each test starts its own service with the settings under test (local runs only). The client
address behind an edge: test_client_address.py."""

import json
import os
import re
import secrets
import sqlite3
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from service.version import checkout_commit
from service.webhooks import generate_secret
from suites.contract import assert_problem
from suites.support.client import Api, unique_sku
from tooling.servers import run_captured

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.local_only


def new_product(api: Api) -> requests.Response:
    return api.post("/products", json={"sku": unique_sku(), "name": "P", "price": 1, "stock": 5})


def test_api_keys_protect_writes_only(spawn_service):
    keys = [secrets.token_urlsafe(24), secrets.token_urlsafe(24)]
    with spawn_service("api-keys", extra_env={"API_KEYS": ",".join(keys)}) as server:
        anonymous = Api(server.base_url)
        assert_problem(
            new_product(anonymous),
            401,
            "missing_api_key",
            "X-API-Key header is required for writes",
        )
        wrong = Api(server.base_url, api_key="not-a-valid-key-at-all")
        assert_problem(new_product(wrong), 403, "invalid_api_key", "X-API-Key is not valid")
        rotated = Api(server.base_url, api_key=keys[1])  # any configured key works
        created = new_product(rotated)
        assert created.status_code == 201
        product_id = created.json()["id"]
        for path in ("/products", f"/products/{product_id}", "/orders", "/health"):
            assert anonymous.get(path).status_code == 200, path  # reads stay open
        assert_problem(anonymous.delete(f"/products/{product_id}"), 401, "missing_api_key")
        assert_problem(anonymous.post(f"/orders/{product_id}/cancel"), 401, "missing_api_key")
        # The webhook has its own signature and never asks for a key.
        webhook = anonymous.post("/webhooks/payment", data=b"{}")
        assert_problem(webhook, 401, "invalid_signature")
        spec = requests.get(f"{server.base_url}/openapi.json").json()
        assert spec["components"]["securitySchemes"]["ApiKey"]["name"] == "X-API-Key"
        assert spec["paths"]["/products"]["post"]["security"] == [{"ApiKey": []}]
        assert "security" not in spec["paths"]["/products"]["get"]
        log = server.log_path.read_text()
        assert all(key not in log for key in keys)


def test_without_keys_the_document_claims_no_security(api, target):
    if target.api_key:
        pytest.skip("this target is configured with API keys")
    root = re.match(r"^(https?://[^/]+)", target.base_url).group(1)
    spec = requests.get(f"{root}/openapi.json").json()
    assert "securitySchemes" not in spec.get("components", {})
    assert all("security" not in op for item in spec["paths"].values() for op in item.values())


def test_rate_limit_in_memory(spawn_service):
    with spawn_service("rate-limit", extra_env={"RATE_LIMIT": "5/minute"}) as server:
        api = Api(server.base_url)
        remaining = []
        for _ in range(5):
            response = new_product(api)
            assert response.status_code == 201
            assert response.headers["x-ratelimit-limit"] == "5"
            assert 0 < int(response.headers["x-ratelimit-reset"]) <= 60
            remaining.append(int(response.headers["x-ratelimit-remaining"]))
        assert remaining == [4, 3, 2, 1, 0]
        limited = new_product(api)
        assert_problem(limited, 429, "rate_limited")
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert limited.headers["x-ratelimit-remaining"] == "0"
        read = api.get("/products")
        assert read.status_code == 200 and "x-ratelimit-limit" not in read.headers


def test_rate_limit_is_shared_through_redis(spawn_service, redis_url):
    key = secrets.token_urlsafe(24)  # a fresh identity: counters of earlier runs do not count
    env = {"RATE_LIMIT": "5/minute", "REDIS_URL": redis_url, "API_KEYS": key}
    with (
        spawn_service("redis-a", extra_env=env) as first,
        spawn_service("redis-b", extra_env=env) as second,
    ):
        a, b = Api(first.base_url, api_key=key), Api(second.base_url, api_key=key)
        statuses = [new_product(client).status_code for client in (a, b, a, b, a)]
        assert statuses == [201] * 5
        assert_problem(new_product(b), 429, "rate_limited")  # the 6th, on the other instance
        assert_problem(new_product(a), 429, "rate_limited")


def test_failed_key_checks_are_shared_through_redis(spawn_service, redis_url):
    """One budget of failed key checks per address across instances (two here; workers of
    one instance alike), so guessing cannot be spread over them."""
    source = f"127.0.{secrets.randbelow(200) + 10}.{secrets.randbelow(250) + 2}"  # fresh
    env = {"AUTH_FAILURE_LIMIT": "4/minute", "REDIS_URL": redis_url}
    env["API_KEYS"] = secrets.token_urlsafe(24)
    with (
        spawn_service("redis-auth-a", extra_env=env) as first,
        spawn_service("redis-auth-b", extra_env=env) as second,
    ):
        a = Api(first.base_url, api_key="wrong-key-guess-1234", source_address=source)
        b = Api(second.base_url, source_address=source)
        responses = [new_product(client) for client in (a, b, a, b)]
        assert [r.status_code for r in responses] == [403, 401, 403, 401]
        assert [r.headers["x-ratelimit-remaining"] for r in responses] == ["3", "2", "1", "0"]
        assert_problem(new_product(a), 429, "rate_limited")
        assert_problem(new_product(b), 429, "rate_limited")


def test_body_size_limit(spawn_service):
    with spawn_service("body-limit", extra_env={"MAX_BODY_BYTES": "2048"}) as server:
        api = Api(server.base_url)
        big = {"sku": unique_sku(), "name": "x" * 100, "price": 1, "stock": 1, "pad": "y" * 5000}
        response = api.post("/products", json=big)
        assert_problem(response, 413, "payload_too_large", "Request body is larger than 2048 bytes")
        chunks = (b'{"sku": "A", "name": "' + b"z" * 1000 for _ in range(4))
        chunked = requests.post(
            f"{server.base_url}/products", data=chunks, headers={"content-type": "application/json"}
        )
        assert_problem(chunked, 413, "payload_too_large")
        webhook = requests.post(f"{server.base_url}/webhooks/payment", data=b"x" * 4096)
        assert_problem(webhook, 413, "payload_too_large")
        assert new_product(api).status_code == 201


def test_security_headers_trusted_hosts_cors_and_gzip(spawn_service):
    env = {"ALLOWED_HOSTS": "127.0.0.1,*.example.com", "CORS_ORIGINS": "https://shop.example.com"}
    with spawn_service("hardening", extra_env=env) as server:
        response = requests.get(f"{server.base_url}/health")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "strict-transport-security" not in response.headers  # production only
        evil = requests.get(f"{server.base_url}/health", headers={"Host": "evil.test"})
        assert_problem(evil, 400, "invalid_host", "Invalid Host header")
        ok = requests.get(f"{server.base_url}/health", headers={"Host": "api.example.com"})
        assert ok.status_code == 200
        preflight = requests.options(
            f"{server.base_url}/products",
            headers={
                "Origin": "https://shop.example.com",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type,x-api-key",
            },
        )
        assert preflight.headers["access-control-allow-origin"] == "https://shop.example.com"
        assert "access-control-allow-credentials" not in preflight.headers
        other = requests.get(f"{server.base_url}/health", headers={"Origin": "https://evil.test"})
        assert "access-control-allow-origin" not in other.headers
        api = Api(server.base_url)
        for _ in range(12):
            new_product(api)
        page = requests.get(
            f"{server.base_url}/products?limit=20", headers={"Accept-Encoding": "gzip"}
        )
        assert page.headers.get("content-encoding") == "gzip" and len(page.json()["items"]) >= 12


def test_production_profile_starts_with_keys_and_sets_hsts(spawn_service):
    env = {"ENVIRONMENT": "production", "API_KEYS": secrets.token_urlsafe(24)}
    with spawn_service("production", extra_env=env) as server:
        response = requests.get(f"{server.base_url}/health")
        assert response.headers["strict-transport-security"].startswith("max-age=")
        created = Api(server.base_url, api_key=env["API_KEYS"]).post(
            "/products", json={"sku": unique_sku(), "name": "P", "price": 1, "stock": 1}
        )
        assert created.status_code == 201
        assert created.headers["x-ratelimit-limit"] == "1200"  # production's default limit
        refused = requests.post(f"{server.base_url}/products", json={})
        assert_problem(refused, 401, "missing_api_key")
        assert refused.headers["x-ratelimit-limit"] == "300"  # failed key checks, per address
        # No METRICS_TOKEN in production: /metrics is off, a 404 like any unknown route.
        assert_problem(requests.get(f"{server.base_url}/metrics"), 404, "not_found")


def test_metrics_token(spawn_service):
    token = secrets.token_urlsafe(24)
    env = {
        "ENVIRONMENT": "production",
        "API_KEYS": secrets.token_urlsafe(24),
        "METRICS_TOKEN": token,
        "AUTH_FAILURE_LIMIT": "3/minute",
    }
    with spawn_service("metrics-token", extra_env=env) as server:
        url = f"{server.base_url}/metrics"
        missing = requests.get(url)
        assert_problem(missing, 401, "invalid_metrics_token")
        assert missing.headers["www-authenticate"] == "Bearer"
        assert missing.headers["x-ratelimit-remaining"] == "2"  # a failed check, counted
        wrong = requests.get(url, headers={"Authorization": "Bearer " + token[:-1] + "x"})
        assert_problem(wrong, 401, "invalid_metrics_token")
        basic = requests.get(url, headers={"Authorization": f"Basic {token}"})
        assert_problem(basic, 401, "invalid_metrics_token")
        assert_problem(requests.get(url), 429, "rate_limited")  # the address is locked out
    with spawn_service("metrics-token-ok", extra_env=env) as server:
        scraped = requests.get(
            f"{server.base_url}/metrics", headers={"Authorization": f"Bearer {token}"}
        )
        assert scraped.status_code == 200 and "http_requests_total" in scraped.text
        assert "x-ratelimit-limit" not in scraped.headers
        assert token not in server.log_path.read_text()
    # Outside production a token, when set, is required too.
    with spawn_service("metrics-token-dev", extra_env={"METRICS_TOKEN": token}) as server:
        assert_problem(requests.get(f"{server.base_url}/metrics"), 401, "invalid_metrics_token")


def test_health_reports_the_build(spawn_service):
    commit = secrets.token_hex(20)
    with spawn_service("health-commit", extra_env={"RENDER_GIT_COMMIT": commit}) as server:
        body = requests.get(f"{server.base_url}/health").json()
        assert body == {"status": "ok", "version": body["version"], "commit": commit}
        assert (
            body["version"]
            == requests.get(f"{server.base_url}/openapi.json").json()["info"]["version"]
        )
        assert f"commit={commit}" in server.log_path.read_text()  # the start-up line says too
    with spawn_service("health-checkout", extra_env={"RENDER_GIT_COMMIT": ""}) as server:
        body = requests.get(f"{server.base_url}/health").json()
        assert body["commit"] == checkout_commit(ROOT)  # this checkout's HEAD (None: no .git)


def test_health_answers_while_the_database_is_locked(spawn_service):
    """Liveness never waits for the database: with SQLite's write lock held elsewhere, a write
    waits (up to its busy timeout) while /health answers at once."""
    with spawn_service("health-locked", extra_env={"SQLITE_BUSY_TIMEOUT_MS": "4000"}) as server:
        path = server.database_url.removeprefix("sqlite:///")
        lock = sqlite3.connect(path, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        try:
            writer = threading.Thread(target=new_product, args=(Api(server.base_url),))
            writer.start()
            time.sleep(0.3)  # the write is now waiting for the lock
            started = time.perf_counter()
            health = requests.get(f"{server.base_url}/health", timeout=5)
            elapsed = time.perf_counter() - started
            assert health.status_code == 200 and elapsed < 1, elapsed
            assert writer.is_alive()  # still waiting: /health did not queue behind it
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        writer.join(10)


@pytest.mark.parametrize(
    "env, message",
    [
        (
            {"ENVIRONMENT": "production", "WEBHOOK_SECRET": generate_secret()},
            "API_KEYS is required",
        ),
        ({"ENVIRONMENT": "production", "API_KEYS": "k" * 20}, "WEBHOOK_SECRET is required"),
        (
            {
                "ENVIRONMENT": "production",
                "API_KEYS": "k" * 20,
                "WEBHOOK_SECRET": generate_secret(),
                "CORS_ORIGINS": "*",
            },
            "CORS_ORIGINS may not be '*'",
        ),
        ({"WEBHOOK_SECRET": "whsec_dG9vLXNob3J0"}, "at least 24 are required"),
        ({"WEBHOOK_SECRET": "whsec_not base64!!"}, "not valid base64"),
        ({"RATE_LIMIT": "lots"}, "RATE_LIMIT 'lots' is not like"),
        ({"AUTH_FAILURE_LIMIT": "many"}, "AUTH_FAILURE_LIMIT 'many' is not like"),
        ({"METRICS_TOKEN": "short-token"}, "METRICS_TOKEN must be at least 16 characters"),
        ({"CLIENT_IP_HEADER": "True Client IP"}, "CLIENT_IP_HEADER must be a header name"),
    ],
)
def test_misconfiguration_stops_start_up_with_a_clear_message(env, message):
    run_env = {k: v for k, v in os.environ.items() if k not in ("WEBHOOK_SECRET", "API_KEYS")}
    run_env |= {"DATABASE_URL": "sqlite:////tmp/never-created.db", **env}
    result = run_captured([sys.executable, "-c", "import service.main"], env=run_env, timeout=60)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    secret = env.get("WEBHOOK_SECRET", "").removeprefix("whsec_")
    if secret:
        assert secret not in result.stderr
    assert env.get("METRICS_TOKEN", "\0") not in result.stderr


def test_metrics_and_structured_logs(spawn_service):
    with spawn_service("observability") as server:
        api = Api(server.base_url, webhook_secret=server.webhook_secret)
        product = api.create_product(stock=1)
        order = api.create_order(product["id"])
        api.post("/orders", json={"product_id": product["id"], "quantity": 1})  # stock-out
        api.pay(order)
        api.get(f"/products/{product['id']}")
        text = requests.get(f"{server.base_url}/metrics").text
        assert (
            'http_requests_total{method="GET",route="/products/{product_id}",status="200"}' in text
        )
        assert (
            'http_request_duration_seconds_bucket{le="0.05",method="POST",route="/orders"}' in text
        )
        assert "orders_created_total 1.0" in text
        assert "stock_outs_total 1.0" in text
        assert 'payment_webhooks_total{outcome="processed"} 1.0' in text
        lines = [
            json.loads(line)
            for line in server.log_path.read_text().splitlines()
            if line.startswith("{")
        ]
        access = [line for line in lines if line["logger"] == "service.access"]
        entry = next(
            line for line in access if line["route"] == "/orders" and line["status"] == 409
        )
        assert {
            "request_id",
            "method",
            "route",
            "status",
            "latency_ms",
            "client",
            "peer",
            "time",
        } <= entry.keys()
        log_text = server.log_path.read_text()
        assert server.webhook_secret.removeprefix("whsec_") not in log_text
        assert "webhook-signature" not in log_text.lower()


def test_console_log_format(spawn_service):
    with spawn_service("console-logs", extra_env={"LOG_FORMAT": "console"}) as server:
        requests.get(f"{server.base_url}/products")
    # Read once the service stopped: the access line is written just after the response.
    lines = server.log_path.read_text().splitlines()
    line = next(line for line in lines if "GET /products 200" in line)
    assert not line.startswith("{") and "service.access" in line and "request_id=" in line
