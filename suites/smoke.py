"""Smoke test with plain `requests`: create a product and an order, pay it through a signed
webhook, check every status code, print the final order JSON. Exit code 1 on any failure,
so a CI stage (after a deploy) can run it:

    BASE_URL=https://orders-inventory.onrender.com WEBHOOK_SECRET=whsec_... python suites/smoke.py

Everything comes from the environment (a command line is visible in `ps`): BASE_URL,
WEBHOOK_SECRET, API_KEY (for writes), WARMUP_TIMEOUT (seconds to wait for a sleeping or
still-starting deployment to answer /health with 200, default 180 like the suites'; 0: no
wait), and a private CA as for any Python client: REQUESTS_CA_BUNDLE (or SSL_CERT_FILE).

Self-contained on purpose (stdlib + requests): the Standard Webhooks signature is computed
right here, so the script can be copied to any pipeline.
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import time
import uuid

import requests

WARMUP_S = 180.0  # = tooling.target.DEFAULT_WARMUP_S (the suites' --warmup-timeout)
WARMUP_PAUSE_S = 3.0


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """Standard Webhooks v1: base64(HMAC-SHA256(key, f"{id}.{timestamp}." + body))."""
    encoded = secret.split(",")[0].strip().removeprefix("whsec_")
    key = base64.b64decode(encoded + "=" * (-len(encoded) % 4))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def expect(response: requests.Response, status: int, step: str) -> dict:
    print(
        f"{response.request.method} {response.request.path_url} -> {response.status_code} ({step})"
    )
    if response.status_code != status:
        raise SystemExit(
            f"FAIL {step}: expected {status}, got {response.status_code}: {response.text}"
        )
    return response.json() if response.content else {}


def warm_up(http: requests.Session, base: str, timeout: float) -> None:
    """Wait (bounded) until /health answers 200: a free-plan instance sleeps, a deploy
    starts, and the edge answers 502 meanwhile. Raises SystemExit with the last answer."""
    deadline = time.monotonic() + timeout
    waited, last = False, "no answer"
    while True:
        try:
            response = http.get(f"{base}/health", timeout=30)
            if response.status_code == 200:
                if waited:
                    print(f"{base} answers after {timeout - (deadline - time.monotonic()):.0f} s")
                return
            last = f"HTTP {response.status_code}"
        except requests.exceptions.SSLError as exc:  # no point waiting for a certificate
            raise SystemExit(
                f"FAIL health: TLS: {exc} (a private CA: set REQUESTS_CA_BUNDLE)"
            ) from None
        except requests.RequestException as exc:
            last = exc.__class__.__name__
        if time.monotonic() + WARMUP_PAUSE_S > deadline:
            raise SystemExit(f"FAIL health: {base}/health not 200 within {timeout:.0f} s ({last})")
        if not waited:
            print(f"waiting up to {timeout:.0f} s for {base} to wake up ({last})", flush=True)
            waited = True
        time.sleep(WARMUP_PAUSE_S)


def main() -> int:
    base = os.environ.get("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    secret = os.environ.get("WEBHOOK_SECRET")
    if not secret:
        raise SystemExit("WEBHOOK_SECRET is required (the deployment's webhook secret)")
    headers = {"X-API-Key": os.environ["API_KEY"]} if os.environ.get("API_KEY") else {}
    http = requests.Session()
    http.headers.update(headers)
    ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE")
    if ca_bundle:  # requests reads only the first by itself
        http.verify = ca_bundle

    warm_up(http, base, float(os.environ.get("WARMUP_TIMEOUT") or WARMUP_S))
    expect(http.get(f"{base}/health", timeout=60), 200, "health")
    sku = f"SMOKE-{uuid.uuid4().hex[:10]}"
    product = expect(
        http.post(
            f"{base}/products", json={"sku": sku, "name": "Smoke mug", "price": 12.5, "stock": 3}
        ),
        201,
        "create product",
    )
    order = expect(
        http.post(f"{base}/orders", json={"product_id": product["id"], "quantity": 2}),
        201,
        "create order",
    )
    assert order["status"] == "PENDING" and order["total"] == 25.0, order
    expect(http.get(f"{base}/products/{product['id']}"), 200, "product after order")

    event = {
        "type": "payment.succeeded",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "data": {
            "order_id": order["id"],
            "payment_id": f"pay_{uuid.uuid4().hex[:12]}",
            "amount": order["total"],
            "currency": "USD",
        },
    }
    body = json.dumps(event).encode()
    msg_id, timestamp = f"msg_{uuid.uuid4().hex}", int(time.time())
    webhook_headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }
    paid = expect(
        http.post(f"{base}/webhooks/payment", data=body, headers=webhook_headers), 200, "pay"
    )
    assert paid == {"status": "processed", "order_id": order["id"], "order_status": "PAID"}, paid
    replay = expect(
        http.post(f"{base}/webhooks/payment", data=body, headers=webhook_headers), 200, "replay"
    )
    assert replay == {"status": "duplicate"}, replay
    forged = {**webhook_headers, "webhook-id": f"msg_{uuid.uuid4().hex}"}
    expect(http.post(f"{base}/webhooks/payment", data=body, headers=forged), 401, "bad signature")

    final = expect(http.get(f"{base}/orders/{order['id']}"), 200, "final order")
    assert final["status"] == "PAID" and final["payment_id"] == event["data"]["payment_id"], final
    print(json.dumps(final, indent=2))
    print("SMOKE OK")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (AssertionError, requests.RequestException) as exc:
        print(f"FAIL: {exc!r}", file=sys.stderr)
        sys.exit(1)
