"""Run the documented curl flow against a target and save each exact command with the
response status and body (the assignment's "curl transcripts").

    python suites/curl_transcript.py --base-url http://127.0.0.1:8000 --webhook-secret whsec_...

Writes reports/curl/transcript.md (for people) and transcript.json (for the evidence
report). Exit code 1 when a step's status is not the documented one.
"""

import argparse
import base64
import hashlib
import hmac
import json
import shlex
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Step:
    title: str
    command: str
    expected: int
    status: int
    body: str

    @property
    def ok(self) -> bool:
        return self.status == self.expected


class Recorder:
    def __init__(self, base_url: str, api_key: str | None = None) -> None:
        self.base = base_url.rstrip("/")
        self.api_key = api_key
        self.steps: list[Step] = []

    def curl(
        self,
        title: str,
        expected: int,
        method: str,
        path: str,
        body: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict:
        args = ["curl", "-sS", "-X", method, f"{self.base}{path}"]
        all_headers = dict(headers or {})
        if body is not None:
            all_headers.setdefault("content-type", "application/json")
        if self.api_key and method != "GET" and path != "/webhooks/payment":
            all_headers["X-API-Key"] = self.api_key
        for name, value in all_headers.items():
            args += ["-H", f"{name}: {value}"]
        if body is not None:
            args += ["--data-raw", body]
        shown = [a.replace(self.api_key, "$API_KEY") if self.api_key else a for a in args]
        result = subprocess.run(
            [*args, "-w", "\n%{http_code}"], capture_output=True, text=True, timeout=60
        )
        text, _, code = result.stdout.rpartition("\n")
        step = Step(title, shlex.join(shown), expected, int(code or 0), text)
        self.steps.append(step)
        print(f"{'ok ' if step.ok else 'BAD'} {step.status} {title}")
        try:
            return json.loads(text) if text else {}
        except json.JSONDecodeError:
            return {}


def webhook_headers(secret: str, body: str) -> dict[str, str]:
    msg_id, timestamp = f"msg_{uuid.uuid4().hex}", int(time.time())
    encoded = secret.split(",")[0].strip().removeprefix("whsec_")
    key = base64.b64decode(encoded + "=" * (-len(encoded) % 4))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }


def run_flow(base_url: str, secret: str, api_key: str | None = None) -> list[Step]:
    r = Recorder(base_url, api_key)
    sku = f"CURL-{uuid.uuid4().hex[:8]}"
    product = r.curl(
        "create a product",
        201,
        "POST",
        "/products",
        json.dumps({"sku": sku, "name": "Curl mug", "price": 9.99, "stock": 10}),
    )
    pid = product.get("id", 0)
    r.curl("list products (filtered by sku)", 200, "GET", f"/products?sku={sku}")
    r.curl("get the product", 200, "GET", f"/products/{pid}")
    r.curl(
        "update the product (PUT, partial)",
        200,
        "PUT",
        f"/products/{pid}",
        json.dumps({"price": 11.5, "stock": 12}),
    )
    spare = r.curl(
        "create a second product",
        201,
        "POST",
        "/products",
        json.dumps({"sku": f"{sku}-X", "name": "Spare", "price": 1, "stock": 1}),
    )
    r.curl("delete the second product", 204, "DELETE", f"/products/{spare.get('id', 0)}")
    r.curl("get the deleted product (404)", 404, "GET", f"/products/{spare.get('id', 0)}")
    r.curl(
        "duplicate sku (409)",
        409,
        "POST",
        "/products",
        json.dumps({"sku": sku, "name": "Again", "price": 1, "stock": 1}),
    )
    order = r.curl(
        "create an order", 201, "POST", "/orders", json.dumps({"product_id": pid, "quantity": 2})
    )
    oid = order.get("id", 0)
    r.curl("get the order", 200, "GET", f"/orders/{oid}")
    r.curl(
        "update the order quantity (PUT)", 200, "PUT", f"/orders/{oid}", json.dumps({"quantity": 3})
    )
    r.curl("cancel the order", 200, "POST", f"/orders/{oid}/cancel")
    r.curl(
        "too many items (409)",
        409,
        "POST",
        "/orders",
        json.dumps({"product_id": pid, "quantity": 999}),
    )
    paid = r.curl(
        "create an order to pay",
        201,
        "POST",
        "/orders",
        json.dumps({"product_id": pid, "quantity": 1}),
    )
    event = json.dumps(
        {
            "type": "payment.succeeded",
            "data": {
                "order_id": paid.get("id", 0),
                "payment_id": f"pay_{uuid.uuid4().hex[:10]}",
                "amount": paid.get("total"),
                "currency": "USD",
            },
        }
    )
    signed = webhook_headers(secret, event)
    r.curl("signed payment webhook", 200, "POST", "/webhooks/payment", event, signed)
    r.curl("the same delivery again (replay)", 200, "POST", "/webhooks/payment", event, signed)
    r.curl(
        "invalid signature (401)",
        401,
        "POST",
        "/webhooks/payment",
        event,
        {**signed, "webhook-id": f"msg_{uuid.uuid4().hex}", "webhook-signature": "v1,Zm9yZ2Vk"},
    )
    r.curl("the paid order", 200, "GET", f"/orders/{paid.get('id', 0)}")
    r.curl(
        "ship it (PUT status)",
        200,
        "PUT",
        f"/orders/{paid.get('id', 0)}",
        json.dumps({"status": "SHIPPED"}),
    )
    r.curl(
        "invalid transition (409)",
        409,
        "PUT",
        f"/orders/{paid.get('id', 0)}",
        json.dumps({"status": "PENDING"}),
    )
    return r.steps


def write(steps: list[Step], out: Path, base_url: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "transcript.json").write_text(
        json.dumps(
            {"base_url": base_url, "steps": [asdict(s) | {"ok": s.ok} for s in steps]}, indent=2
        )
    )
    lines = [f"# curl transcript against {base_url}", ""]
    for i, s in enumerate(steps, 1):
        lines += [
            f"## {i}. {s.title} — {s.status} (expected {s.expected})",
            "",
            "```bash",
            s.command,
            "```",
            "",
            "```json",
            s.body or "(empty body)",
            "```",
            "",
        ]
    (out / "transcript.md").write_text("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description="Record the documented curl flow.")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--webhook-secret", required=True)
    parser.add_argument("--api-key")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "curl")
    args = parser.parse_args()
    steps = run_flow(args.base_url, args.webhook_secret, args.api_key)
    write(steps, args.out, args.base_url)
    print(f"{sum(s.ok for s in steps)}/{len(steps)} steps as documented; saved to {args.out}")
    return 0 if all(s.ok for s in steps) else 1


if __name__ == "__main__":
    sys.exit(main())
