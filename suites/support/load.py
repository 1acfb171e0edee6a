"""Order bursts for the tests that break things mid-load (a killed worker, killed database
connections), and the bookkeeping check after them: stock + ordered quantities add up to
the starting stock, and every 201 the clients saw is an order in the database."""

import threading
import time

import requests

from suites.support.client import Api


def burst(base_url: str, product_id: int, seconds: float, clients: int = 8) -> tuple:
    """Clients placing 1-item orders in a loop; each outcome is a status or an exception."""
    outcomes: list = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        http = requests.Session()
        while time.monotonic() < deadline:
            try:
                response = http.post(
                    f"{base_url}/orders", json={"product_id": product_id, "quantity": 1}, timeout=10
                )
                outcome = (response.status_code, response.json())  # complete JSON, or raises
            except (requests.RequestException, ValueError) as exc:
                outcome = (None, type(exc).__name__)
                time.sleep(0.05)
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    return threads, outcomes


def assert_books_balance(
    api: Api,
    product_id: int,
    outcomes: list,
    stock_before: int,
    allowed: frozenset = frozenset({201, 409, None}),
) -> None:
    orders, offset = [], 0
    while True:
        page = api.get(
            "/orders", params={"product_id": product_id, "limit": 100, "offset": offset}
        ).json()
        orders += page["items"]
        offset += 100
        if offset >= page["total"]:
            break
    stock = api.get(f"/products/{product_id}").json()["stock"]
    assert stock + sum(order["quantity"] for order in orders) == stock_before
    stored = {order["id"] for order in orders}
    confirmed = {body["id"] for status, body in outcomes if status == 201}
    assert confirmed <= stored  # nothing the clients were told about was lost
    server_errors = [o for o in outcomes if o[0] is not None and o[0] >= 500]
    assert not [o for o in server_errors if o[0] not in allowed], "server errors"
    assert {o[0] for o in outcomes} <= allowed
