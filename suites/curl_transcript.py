"""Run the documented curl flow against a target and save each exact command with the
response status and body (the assignment's "curl transcripts").

    WEBHOOK_SECRET=whsec_... API_KEY=... python suites/curl_transcript.py --base-url http://127.0.0.1:8000

The secret and the key come from the environment (WEBHOOK_SECRET, API_KEY; the options
--webhook-secret / --api-key exist, but a command line is visible in `ps`), and so does the
URL when --base-url is not given (BASE_URL). The key reaches curl on its standard input
(`--config -`), never on its command line; the transcript shows `"X-API-Key: $API_KEY"`, so
each command can be pasted into a shell that has the variable. A private CA (--ca-bundle, or
REQUESTS_CA_BUNDLE / SSL_CERT_FILE / CURL_CA_BUNDLE as for the other tools) becomes curl's
`--cacert`, in the transcript too. Before the flow, a bounded wait for /health to answer 200
(--warmup-timeout, default 180 s like the suites'; 0: none): a sleeping or still-starting
deployment gives a wait, not 20 failed steps.

Writes transcript.md (for people) and transcript.json (for the evidence report) into --out
(the evidence builder passes reports/<kind>/curl/<target>/; by hand, any directory). Exit
code 1 when a step's status is not the documented one.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import shlex
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

WARMUP_S = 180.0  # = tooling.target.DEFAULT_WARMUP_S (the suites' --warmup-timeout)
WARMUP_PAUSE_S = 3.0
CA_BUNDLE_ENV = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE")
CURL_TLS_ERRORS = {35, 51, 53, 54, 58, 59, 60, 64, 66, 77, 80, 82, 83, 90, 91}


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
    def __init__(
        self, base_url: str, api_key: str | None = None, ca_bundle: str | None = None
    ) -> None:
        self.base = base_url.rstrip("/")
        self.api_key = api_key
        self.ca_bundle = ca_bundle
        self.steps: list[Step] = []

    def _curl(self) -> list[str]:
        if not self.ca_bundle or not self.base.startswith("https://"):
            return ["curl", "-sS"]
        option = "--capath" if Path(self.ca_bundle).is_dir() else "--cacert"  # a c_rehash dir
        return ["curl", "-sS", option, self.ca_bundle]

    def command(
        self,
        method: str,
        path: str,
        body: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[list[str], str, str]:
        """(curl's argv, its stdin config, the command as the transcript shows it). The key
        goes only into the config curl reads from stdin (`--config -`)."""
        args = [*self._curl(), "-X", method, f"{self.base}{path}"]
        shown = [shlex.quote(a) for a in args]
        all_headers = dict(headers or {})
        if body is not None:
            all_headers.setdefault("content-type", "application/json")
        for name, value in all_headers.items():
            args += ["-H", f"{name}: {value}"]
            shown += ["-H", shlex.quote(f"{name}: {value}")]
        config = ""
        if self.api_key and method != "GET" and path != "/webhooks/payment":
            config = 'header = "X-API-Key: {}"\n'.format(self.api_key.replace('"', '\\"'))
            shown += ["-H", '"X-API-Key: $API_KEY"']
        if body is not None:
            args += ["--data-raw", body]
            shown += ["--data-raw", shlex.quote(body)]
        if config:
            args += ["--config", "-"]
        return args, config, " ".join(shown)

    def curl(
        self,
        title: str,
        expected: int,
        request: str,
        body: dict | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict:
        """One step: `request` is "METHOD /path"; `body` is JSON (a dict) or the exact text
        to send (a signed webhook)."""
        method, path = request.split(" ", 1)
        if isinstance(body, dict):
            body = json.dumps(body)
        args, config, shown = self.command(method, path, body, headers)
        result = subprocess.run(
            [*args, "-w", "\n%{http_code}"],
            input=config,
            capture_output=True,
            text=True,
            timeout=60,
        )
        text, _, code = result.stdout.rpartition("\n")
        if result.returncode and not text:
            text = result.stderr.strip()  # curl's own error (TLS, connection refused...)
        step = Step(title, shown, expected, int(code or 0), text)
        self.steps.append(step)
        print(f"{'ok ' if step.ok else 'BAD'} {step.status} {title}")
        try:
            return json.loads(text) if text else {}
        except json.JSONDecodeError:
            return {}

    def warm_up(self, timeout: float) -> str | None:
        """Wait (bounded) until /health answers 200; None, or why it never did."""
        deadline = time.monotonic() + timeout
        waited, last = False, "no answer"
        while True:
            probe = ["-o", "/dev/null", "-w", "%{http_code}", "--max-time", "30"]
            result = subprocess.run(
                [*self._curl(), *probe, f"{self.base}/health"],
                capture_output=True,
                text=True,
                timeout=60,
            )
            if result.stdout.strip() == "200":
                if waited:
                    print(
                        f"{self.base} answers after {timeout - (deadline - time.monotonic()):.0f} s"
                    )
                return None
            if result.returncode in CURL_TLS_ERRORS:  # a certificate does not get better
                hint = (
                    "" if self.ca_bundle else " (a private CA: --ca-bundle or REQUESTS_CA_BUNDLE)"
                )
                return f"TLS: {result.stderr.strip().splitlines()[0]}{hint}"
            code = result.stdout.strip()
            last = f"HTTP {code}" if code not in ("", "000") else f"curl exit {result.returncode}"
            if time.monotonic() + WARMUP_PAUSE_S > deadline:
                return f"{self.base}/health not 200 within {timeout:.0f} s ({last})"
            if not waited:
                print(
                    f"waiting up to {timeout:.0f} s for {self.base} to wake up ({last})", flush=True
                )
                waited = True
            time.sleep(WARMUP_PAUSE_S)


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


def run_flow(
    base_url: str, secret: str, api_key: str | None = None, ca_bundle: str | None = None
) -> list[Step]:
    r = Recorder(base_url, api_key, ca_bundle)
    sku = f"CURL-{uuid.uuid4().hex[:8]}"
    mug = {"sku": sku, "name": "Curl mug", "price": 9.99, "stock": 10}
    product = r.curl("create a product", 201, "POST /products", mug)
    pid = product.get("id", 0)
    r.curl("list products (filtered by sku)", 200, f"GET /products?sku={sku}")
    r.curl("get the product", 200, f"GET /products/{pid}")
    changes = {"price": 11.5, "stock": 12}
    r.curl("update the product (PUT, partial)", 200, f"PUT /products/{pid}", changes)
    spare_product = {"sku": f"{sku}-X", "name": "Spare", "price": 1, "stock": 1}
    spare = r.curl("create a second product", 201, "POST /products", spare_product)
    r.curl("delete the second product", 204, f"DELETE /products/{spare.get('id', 0)}")
    r.curl("get the deleted product (404)", 404, f"GET /products/{spare.get('id', 0)}")
    r.curl("duplicate sku (409)", 409, "POST /products", {**mug, "name": "Again"})
    order = r.curl("create an order", 201, "POST /orders", {"product_id": pid, "quantity": 2})
    oid = order.get("id", 0)
    r.curl("get the order", 200, f"GET /orders/{oid}")
    r.curl("update the order quantity (PUT)", 200, f"PUT /orders/{oid}", {"quantity": 3})
    r.curl("cancel the order", 200, f"POST /orders/{oid}/cancel")
    r.curl("too many items (409)", 409, "POST /orders", {"product_id": pid, "quantity": 999})
    paid = r.curl("create an order to pay", 201, "POST /orders", {"product_id": pid, "quantity": 1})
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
    r.curl("signed payment webhook", 200, "POST /webhooks/payment", event, signed)
    r.curl("the same delivery again (replay)", 200, "POST /webhooks/payment", event, signed)
    r.curl(
        "invalid signature (401)",
        401,
        "POST /webhooks/payment",
        event,
        {**signed, "webhook-id": f"msg_{uuid.uuid4().hex}", "webhook-signature": "v1,Zm9yZ2Vk"},
    )
    r.curl("the paid order", 200, f"GET /orders/{paid.get('id', 0)}")
    r.curl("ship it (PUT status)", 200, f"PUT /orders/{paid.get('id', 0)}", {"status": "SHIPPED"})
    r.curl(
        "invalid transition (409)", 409, f"PUT /orders/{paid.get('id', 0)}", {"status": "PENDING"}
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
    env = os.environ
    parser = argparse.ArgumentParser(description="Record the documented curl flow.")
    parser.add_argument("--base-url", default=env.get("BASE_URL"), help="default $BASE_URL")
    parser.add_argument(
        "--webhook-secret",
        default=env.get("WEBHOOK_SECRET"),
        help="default $WEBHOOK_SECRET (better: a command line is visible in `ps`)",
    )
    parser.add_argument("--api-key", default=env.get("API_KEY"), help="default $API_KEY")
    parser.add_argument(
        "--ca-bundle",
        default=next((env[n] for n in CA_BUNDLE_ENV if env.get(n)), None),
        help="curl's --cacert (default $REQUESTS_CA_BUNDLE, $SSL_CERT_FILE or $CURL_CA_BUNDLE)",
    )
    parser.add_argument(
        "--warmup-timeout",
        type=float,
        default=float(env.get("WARMUP_TIMEOUT") or WARMUP_S),
        help=f"seconds to wait for /health to answer 200 first (default {WARMUP_S:g}; 0: none)",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("curl-transcript"), help="directory for the transcript"
    )
    args = parser.parse_args()
    if not args.base_url:
        parser.error("--base-url (or $BASE_URL) is required")
    if not args.webhook_secret:
        parser.error("the deployment's webhook secret is required: $WEBHOOK_SECRET")
    problem = Recorder(args.base_url, ca_bundle=args.ca_bundle).warm_up(args.warmup_timeout)
    if problem:
        print(f"FAIL: {problem}", file=sys.stderr)
        return 1
    steps = run_flow(args.base_url, args.webhook_secret, args.api_key, args.ca_bundle)
    write(steps, args.out, args.base_url)
    print(f"{sum(s.ok for s in steps)}/{len(steps)} steps as documented; saved to {args.out}")
    return 0 if all(s.ok for s in steps) else 1


if __name__ == "__main__":
    sys.exit(main())
