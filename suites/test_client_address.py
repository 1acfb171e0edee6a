"""The client address behind an edge, over HTTP: per-address limits count the address the edge
vouches for, never one the client wrote into `X-Forwarded-For` (or `True-Client-IP`).

The clients here connect from distinct loopback addresses (127.0.0.2, 127.0.0.3: two
"machines"), through a real Caddy `reverse_proxy` where a test needs an edge
(`tooling.edge`). The service logs the address it resolved (`client`) and the socket peer
(`peer`) on every access line, which is how a test sees what it decided (read once the
service has stopped: a line is written just after its response is sent).
"""

import json
import secrets

import pytest
import requests

from suites.contract import assert_problem
from suites.support.client import Api, unique_sku
from tooling.edge import caddy_edge

pytestmark = pytest.mark.local_only
LIMIT = 4
FORGEABLE = ("X-Forwarded-For", "True-Client-IP", "X-Real-IP", "CF-Connecting-IP")


def forged_headers(i: int) -> dict[str, str]:
    address = f"203.0.113.{i + 1}"  # TEST-NET-3, a new one on every request
    return {**dict.fromkeys(FORGEABLE, address), "Forwarded": f"for={address}"}


def write(api: Api, i: int) -> requests.Response:
    body = {"sku": unique_sku("XFF"), "name": "P", "price": 1, "stock": 1}
    return api.post("/products", json=body, headers=forged_headers(i))


def access_lines(log_path) -> list[dict]:
    lines = (json.loads(line) for line in log_path.read_text().splitlines() if line[:1] == "{")
    return [line for line in lines if line.get("logger") == "service.access"]


def assert_limited_per_address(base_url: str, *, first: str, second: str) -> None:
    """Writes from `first`, each forging another address, share one budget of LIMIT; `second`
    still has its own."""
    one, two = Api(base_url, source_address=first), Api(base_url, source_address=second)
    statuses = [write(one, i).status_code for i in range(LIMIT + 2)]
    assert statuses == [201] * LIMIT + [429, 429], statuses
    assert_problem(write(one, 99), 429, "rate_limited")
    assert write(two, 100).status_code == 201  # another client: its own budget


def test_forged_forwarded_headers_do_not_escape_the_limit(spawn_service):
    """The issue's case (30 of 30 allowed while rotating X-Forwarded-For): no proxy in front,
    so the socket peer is the client, whatever the headers say."""
    with spawn_service("xff-direct", extra_env={"RATE_LIMIT": f"{LIMIT}/minute"}) as server:
        assert_limited_per_address(server.base_url, first="127.0.0.2", second="127.0.0.3")
    lines = [line for line in access_lines(server.log_path) if line["route"] == "/products"]
    assert {line["client"] for line in lines} == {"127.0.0.2", "127.0.0.3"}


@pytest.mark.requires("caddy")
@pytest.mark.parametrize("appending", [True, False], ids=["appending-edge", "replacing-edge"])
def test_behind_an_edge_the_address_it_saw_counts(spawn_service, reports, appending):
    """One proxy in front (TRUSTED_PROXY_HOPS=1). An appending edge (as Render's) passes the
    forged entries on, on the left of the one it adds; a replacing one (Caddy's default)
    drops them. Either way the client is who connected to the edge, not the edge itself
    (every request reaches the service from 127.0.0.1) and not a forged entry."""
    env = {"RATE_LIMIT": f"{LIMIT}/minute", "TRUSTED_PROXY_HOPS": "1"}
    name = f"xff-edge-{'append' if appending else 'replace'}"
    with (
        spawn_service(name, extra_env=env) as server,
        caddy_edge(
            server.base_url.removeprefix("http://"),
            reports.pytest / f"{name}-caddy.log",
            append_forwarded_for=appending,
        ) as edge,
    ):
        assert_limited_per_address(edge.base_url, first="127.0.0.2", second="127.0.0.3")
    lines = [line for line in access_lines(server.log_path) if line["route"] == "/products"]
    assert {line["client"] for line in lines} == {"127.0.0.2", "127.0.0.3"}
    assert {line["peer"] for line in lines} == {"127.0.0.1"}  # the edge


@pytest.mark.requires("caddy")
def test_a_client_address_header_set_by_the_edge_counts(spawn_service, reports):
    """CLIENT_IP_HEADER (Render: True-Client-IP): the edge overwrites the client's own."""
    env = {"RATE_LIMIT": f"{LIMIT}/minute", "CLIENT_IP_HEADER": "True-Client-IP"}
    with (
        spawn_service("client-ip-header", extra_env=env) as server,
        caddy_edge(
            server.base_url.removeprefix("http://"),
            reports.pytest / "client-ip-header-caddy.log",
            client_ip_header="True-Client-IP",
        ) as edge,
    ):
        assert_limited_per_address(edge.base_url, first="127.0.0.2", second="127.0.0.3")
    lines = [line for line in access_lines(server.log_path) if line["route"] == "/products"]
    assert {line["client"] for line in lines} == {"127.0.0.2", "127.0.0.3"}


def test_failed_key_checks_lock_out_the_address_not_its_neighbours(spawn_service):
    """After AUTH_FAILURE_LIMIT failed checks from one address, every keyed request from it is
    refused (a right guess included: the lock stops guessing), until the window ends; other
    addresses and their keys are unaffected."""
    key = secrets.token_urlsafe(24)
    env = {"API_KEYS": key, "AUTH_FAILURE_LIMIT": "3/minute"}
    with spawn_service("auth-failures", extra_env=env) as server:
        wrong = "guess-" + secrets.token_urlsafe(12)
        guesser = Api(server.base_url, api_key=wrong, source_address="127.0.0.2")
        remaining = []
        for i in range(3):
            response = write(guesser, i)
            assert_problem(response, 403, "invalid_api_key")
            remaining.append(int(response.headers["x-ratelimit-remaining"]))
            assert response.headers["x-ratelimit-limit"] == "3"
        assert remaining == [2, 1, 0]
        locked = write(guesser, 3)
        assert_problem(locked, 429, "rate_limited")
        assert 1 <= int(locked.headers["retry-after"]) <= 60
        assert "failed key checks" in locked.json()["detail"]
        right_guess = Api(server.base_url, api_key=key, source_address="127.0.0.2")
        assert_problem(write(right_guess, 4), 429, "rate_limited")  # not evaluated
        neighbour = Api(server.base_url, api_key=key, source_address="127.0.0.3")
        assert write(neighbour, 5).status_code == 201
        assert neighbour.get("/products").status_code == 200  # reads never count
        assert right_guess.get("/products").status_code == 200
    assert key not in server.log_path.read_text()
