"""Checks that a deployment enforces its production profile, safe on a shared deployment: a
handful of requests, unique data, everything created is deleted again.

Each check takes the target's base URL and its API key and raises AssertionError when the
deployment does not enforce what the contract promises ("Production profile"):

- `writes_need_the_key`: a write without a key is 401 `missing_api_key`, with a wrong key
  403 `invalid_api_key`, and neither changes anything (create, update, delete, order);
- `failed_key_checks_are_limited`: 401s carry `X-RateLimit-*` and count against one budget
  per client address, however the client rewrites `X-Forwarded-For`, `True-Client-IP` and
  friends (forged on every request here, so a service that trusts them fails);
- `keyed_writes_are_limited`: keyed writes carry `X-RateLimit-*`, `Remaining` going down;
- `metrics_are_not_public`: `/metrics` without a token is 401 or 404 (production).

Used by suites/test_deployed_security.py against the selected target (a deployment, or a
keyed local server) and against servers that must fail them; test_render_blueprint.py runs
them through an edge in front of the blueprint's own start command.
"""

import itertools
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import requests

from suites.contract import assert_problem
from suites.support.client import Api, unique_sku

RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
# Headers a client can write to claim another address; each request of
# `failed_key_checks_are_limited` forges all of them with a fresh address.
CLIENT_ADDRESS_HEADERS = ("X-Forwarded-For", "True-Client-IP", "CF-Connecting-IP", "X-Real-IP")


@contextmanager
def _clients(base_url: str, *keys: str | None) -> Iterator[list[Api]]:
    """One `Api` per key (None: no key); a failing check shows their last exchanges (keys
    redacted), closes them all either way."""
    clients = [Api(base_url, api_key=key) for key in keys]
    try:
        yield clients
    except AssertionError as exc:
        exchanges = [e for client in clients for e in client.exchanges[-6:]]
        shown = "\n\n".join(e.render() for e in exchanges)
        raise AssertionError(f"{exc}\n\n--- HTTP exchanges ---\n{shown}") from None
    finally:
        for client in clients:
            client.close()


def _product_body(**fields) -> dict:
    return {"sku": unique_sku("SEC"), "name": "Security check", "price": 1.5, "stock": 3} | fields


def _count_sku(api: Api, sku: str) -> int:
    page = api.get("/products", params={"sku": sku})
    assert page.status_code == 200, page.text
    return page.json()["total"]


def writes_need_the_key(base_url: str, api_key: str) -> None:
    wrong_key = "wrong-" + secrets.token_urlsafe(18)
    with _clients(base_url, api_key, None, wrong_key) as (keyed, anonymous, wrong):
        body = _product_body()
        assert_problem(anonymous.post("/products", json=body), 401, "missing_api_key")
        assert_problem(wrong.post("/products", json=body), 403, "invalid_api_key")
        assert _count_sku(keyed, body["sku"]) == 0, "a refused create left a product behind"

        product = keyed.create_product(**_product_body())
        path = f"/products/{product['id']}"
        try:
            assert_problem(wrong.put(path, json={"name": "Changed"}), 403, "invalid_api_key")
            assert_problem(anonymous.patch(path, json={"stock": 0}), 401, "missing_api_key")
            assert_problem(anonymous.delete(path), 401, "missing_api_key")
            order = {"product_id": product["id"], "quantity": 1}
            assert_problem(wrong.post("/orders", json=order), 403, "invalid_api_key")
            after = keyed.get(path)
            assert after.status_code == 200, "a refused delete removed the product"
            assert after.json() == product, "a refused write changed the product"
            orders = keyed.get("/orders", params={"product_id": product["id"]}).json()
            assert orders["total"] == 0, "a refused order was placed"
        finally:
            keyed.delete(path)


def _limit_headers(response: requests.Response, what: str) -> tuple[int, int, int]:
    missing = [name for name in RATE_HEADERS if name not in response.headers]
    assert not missing, f"{what}: {response.status_code} without {', '.join(missing)}"
    return tuple(int(response.headers[name]) for name in RATE_HEADERS)


def _assert_budget_goes_down(send: Callable[[int], requests.Response], what: str, n: int = 3):
    """`n` requests that must count against one budget: `X-RateLimit-Remaining` strictly
    down. A fixed window may end between two of them (Remaining back up, Reset further
    away): then the sequence is tried once more."""
    for attempt in range(2):
        seen = [_limit_headers(send(i), what) for i in range(n)]
        limits = {limit for limit, _, _ in seen}
        assert len(limits) == 1, f"{what}: X-RateLimit-Limit changed: {seen}"
        pairs = list(itertools.pairwise(seen))
        if all(after[1] < before[1] for before, after in pairs):
            return
        rolled_over = any(after[2] > before[2] for before, after in pairs)
        if attempt or not rolled_over:
            raise AssertionError(
                f"{what}: X-RateLimit-Remaining did not go down request after request "
                f"(limit, remaining, reset): {seen}"
            )


def failed_key_checks_are_limited(base_url: str, api_key: str) -> None:
    sku = unique_sku("SEC")
    addresses = itertools.count(secrets.randbelow(200) + 1)
    with _clients(base_url, None) as (anonymous,):

        def send(i: int) -> requests.Response:
            forged = f"198.51.100.{next(addresses)}"  # TEST-NET-2: nobody's; a new one each time
            headers = dict.fromkeys(CLIENT_ADDRESS_HEADERS, forged)
            headers["Forwarded"] = f"for={forged}"
            response = anonymous.post("/products", json=_product_body(sku=sku), headers=headers)
            assert_problem(response, 401, "missing_api_key")
            return response

        _assert_budget_goes_down(send, "failed key checks with forged client addresses")


def keyed_writes_are_limited(base_url: str, api_key: str) -> None:
    with _clients(base_url, api_key) as (keyed,):
        product = keyed.create_product(**_product_body())
        path = f"/products/{product['id']}"

        def send(i: int) -> requests.Response:
            response = keyed.patch(path, json={"stock": 10 + i})
            assert response.status_code == 200, response.text
            return response

        try:
            _assert_budget_goes_down(send, "keyed writes")
        finally:
            keyed.delete(path)


def metrics_are_not_public(base_url: str, api_key: str) -> None:
    root = requests.utils.urlparse(base_url)
    response = requests.get(f"{root.scheme}://{root.netloc}/metrics", timeout=30)
    assert response.status_code in (401, 404), (
        f"/metrics answered {response.status_code} without a token: it must need "
        "METRICS_TOKEN (401) or be off (404) in production"
    )
    code = "invalid_metrics_token" if response.status_code == 401 else "not_found"
    assert_problem(response, response.status_code, code)


CHECKS = {
    "writes_need_the_key": writes_need_the_key,
    "failed_key_checks_are_limited": failed_key_checks_are_limited,
    "keyed_writes_are_limited": keyed_writes_are_limited,
}
PRODUCTION_CHECKS = {"metrics_are_not_public": metrics_are_not_public}
