"""A small `requests` client for the black-box suites: it knows the target's base URL
and webhook secret, makes unique test data, and records every HTTP exchange so a
failing test can show exactly what went over the wire."""

import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from service.webhooks import sign_headers
from tooling.exchange import SENSITIVE_HEADERS, redact_headers, render_exchange

RUN_ID = secrets.token_hex(3)
_counter = itertools.count(1)
_counter_lock = threading.Lock()


def unique_sku(prefix: str = "T") -> str:
    with _counter_lock:
        n = next(_counter)
    return f"{prefix}-{RUN_ID}-{n}-{secrets.token_hex(2)}"


@dataclass
class Exchange:
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None
    status: int | None
    response_headers: dict[str, str]
    response_body: str
    elapsed_ms: float

    def render(self) -> str:
        return render_exchange(
            f"{self.method} {self.url}",
            self.request_headers,
            self.request_body,
            f"{self.status} ({self.elapsed_ms:.1f} ms)",
            self.response_headers,
            self.response_body,
        )


_SHOWN_HEADERS = (
    "content-type",
    "idempotency-key",
    "webhook-id",
    "webhook-timestamp",
    "x-request-id",
)

# Called with (method, the URL as sent, the first status received) after every exchange of
# every client: suites/support/recording.py keeps them for the API coverage matrix.
OBSERVERS: list[Callable[[str, str, int | None], None]] = []


class SourceAddressAdapter(HTTPAdapter):
    """Connections from a chosen local address (e.g. 127.0.0.2: another client on loopback)."""

    def __init__(self, source_address: str) -> None:
        self.source_address = (source_address, 0)
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = self.source_address
        super().init_poolmanager(*args, **kwargs)


class Api:
    def __init__(
        self,
        base_url: str,
        *,
        webhook_secret: str | None = None,
        api_key: str | None = None,
        timeout: float = 30,
        source_address: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.webhook_secret = webhook_secret
        self.api_key = api_key
        self.timeout = timeout
        self.http = requests.Session()
        if source_address:  # a client at another loopback address (local runs only)
            adapter = SourceAddressAdapter(source_address)
            self.http.mount("http://", adapter)
            self.http.mount("https://", adapter)
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base_url}{path}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        headers = dict(kwargs.pop("headers", None) or {})
        if self.api_key and method.upper() in ("POST", "PUT", "PATCH", "DELETE"):
            headers.setdefault("X-API-Key", self.api_key)
        started = time.perf_counter()
        response = self.http.request(method, self.url(path), headers=headers, **kwargs)
        self._record(method, response, kwargs, headers, time.perf_counter() - started)
        first = response.history[0] if response.history else response  # before any redirect
        for observe in OBSERVERS:
            observe(method.upper(), self.url(path), first.status_code)
        return response

    def _record(self, method, response, kwargs, headers, elapsed) -> None:
        body = kwargs.get("data")
        if "json" in kwargs:
            body = json.dumps(kwargs["json"])
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        shown = redact_headers(
            {
                k: v
                for k, v in headers.items()
                if k.lower() in _SHOWN_HEADERS or k.lower() in SENSITIVE_HEADERS
            }
        )
        exchange = Exchange(
            method=method.upper(),
            url=response.url,
            request_headers=shown,
            request_body=body,
            status=response.status_code,
            response_headers={
                k: v
                for k, v in response.headers.items()
                if k.lower() in (*_SHOWN_HEADERS, "location")
            },
            response_body=response.text,
            elapsed_ms=elapsed * 1000,
        )
        with self._lock:
            self.exchanges.append(exchange)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> requests.Response:
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> requests.Response:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", path, **kw)

    # --- flows used by many tests ------------------------------------------------------------

    def create_product(self, **fields: Any) -> dict:
        body = {"sku": unique_sku(), "name": "Test mug", "price": 9.99, "stock": 10} | fields
        response = self.post("/products", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def create_order(self, product_id: int, quantity: int = 1) -> dict:
        response = self.post("/orders", json={"product_id": product_id, "quantity": quantity})
        assert response.status_code == 201, response.text
        return response.json()

    def send_webhook(
        self,
        event: dict,
        *,
        secret: str | None = None,
        msg_id: str | None = None,
        timestamp: int | None = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """POST a Standard Webhooks signed event (signed with the target's secret)."""
        body = raw if raw is not None else json.dumps(event).encode()
        signed = sign_headers(
            secret or self.webhook_secret or "", body, msg_id=msg_id, timestamp=timestamp
        )
        return self.post(
            "/webhooks/payment",
            data=body,
            headers={"content-type": "application/json", **signed, **(headers or {})},
        )

    def pay(self, order: dict, *, payment_id: str | None = None, **kw: Any) -> requests.Response:
        event = {
            "type": "payment.succeeded",
            "timestamp": "2026-11-22T10:00:00Z",
            "data": {
                "order_id": order["id"],
                "payment_id": payment_id or f"pay_{secrets.token_hex(6)}",
                "amount": order["total"],
                "currency": "USD",
            },
        }
        return self.send_webhook(event, **kw)

    def close(self) -> None:
        self.http.close()
