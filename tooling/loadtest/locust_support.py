"""What locust/locustfile.py imports: catalogue seeding, the signed payment webhook, and the
pass/fail and outcome records its event listeners write when the run ends.

Plain functions on the values the locustfile hands over (its run state, Locust's stats
objects); no Locust import, so nothing here registers a listener, a user or an option:
those stay in the locustfile, where Locust finds them. Why this module lives here and not
next to the locustfile: see the locustfile's docstring.
"""

import json
import logging
import random
import secrets
from datetime import UTC, datetime
from pathlib import Path

import requests
from standardwebhooks.webhooks import Webhook  # the reference signer: no project import

from tooling.loadtest import thresholds

NOUNS = ("mug", "lamp", "chair", "kettle", "notebook", "scarf", "backpack", "candle", "teapot")


# --- setup: a run-unique catalogue through the public API -----------------------------------


def post_products(
    host: str, count: int, run_id: str, stock: int, headers: dict[str, str]
) -> list[int]:
    """Create `count` products named after `run_id` (outside Locust's statistics)."""
    ids = []
    with requests.Session() as http:
        for n in range(1, count + 1):
            body = {
                "sku": f"LC-{run_id}-{n:04d}",
                "name": f"Locust {run_id} {NOUNS[n % len(NOUNS)]} {n}",
                "price": round(random.uniform(1, 500), 2),
                "stock": stock,
            }
            response = http.post(
                f"{host.rstrip('/')}/products", json=body, headers=headers, timeout=30
            )
            if response.status_code != 201:
                raise RuntimeError(
                    f"POST /products -> {response.status_code}: {response.text[:300]}"
                )
            ids.append(response.json()["id"])
    return ids


# --- the payment provider --------------------------------------------------------------------


def signed_payment(signer: Webhook, order: dict, run_id: str) -> tuple[str, dict[str, str]]:
    """The provider's `payment.succeeded` for `order`, signed as Standard Webhooks v1:
    the body and the headers of `POST /webhooks/payment`."""
    event = {
        "type": "payment.succeeded",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": {
            "order_id": order["id"],
            "payment_id": f"pay_{run_id}_{order['id']}",
            "amount": order["total"],
            "currency": "USD",
        },
    }
    body = json.dumps(event)
    msg_id, now = f"msg_{secrets.token_hex(12)}", datetime.now(UTC)
    headers = {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signer.sign(msg_id, now, body),
    }
    return body, headers


# --- pass/fail -------------------------------------------------------------------------------


def live_figures(stats) -> tuple[list[dict], dict]:
    """Locust's in-memory stats in the summary's shape (tooling/loadtest/summarize.py)."""

    def figures(entry) -> dict:
        requests_done = entry.num_requests
        return {
            "method": entry.method or "",
            "name": entry.name,
            "requests": requests_done,
            "failures": entry.num_failures,
            "error_rate": entry.num_failures / requests_done if requests_done else 0.0,
            "median": entry.get_response_time_percentile(0.5) if requests_done else None,
            "p95": entry.get_response_time_percentile(0.95) if requests_done else None,
            "p99": entry.get_response_time_percentile(0.99) if requests_done else None,
        }

    endpoints = [figures(e) for e in stats.entries.values() if e.num_requests or e.num_failures]
    return endpoints, figures(stats.total)


def check_thresholds(specs: str, stats, exit_code: int | None, log: logging.Logger) -> int:
    """k6-style thresholds (`specs`, ';'-separated) on Locust's final `stats`, reported
    through `log`: the exit code the process should end with, given `exit_code` so far.

    2 when a limit does not parse; a code already set (a setup failure, 2) stays what it
    is; otherwise 3 when a limit is missed, else 0.
    """
    try:
        limits = [thresholds.parse(spec) for spec in thresholds.split(specs)]
    except thresholds.ThresholdError as exc:
        log.error("thresholds: %s", exc)
        return 2
    outcomes = thresholds.evaluate(limits, *live_figures(stats))
    for line in thresholds.report(outcomes):
        log.info(line)
    if exit_code:  # a setup failure (2) stays what it is
        return exit_code
    missed = any(not o.met for o in outcomes)
    return thresholds.MISSED_EXIT_CODE if missed else 0


# --- results that Locust's own reports leave out ---------------------------------------------


def write_outcomes(path: Path, stats, record: dict) -> None:
    """`record` (the run id, exit code, expected non-2xx...) plus Locust's final error list,
    most frequent first, as JSON (the failures CSV misses the last second)."""
    errors = sorted(stats.errors.values(), key=lambda e: -e.occurrences)
    outcome = {
        **record,
        "errors": [
            {
                "method": e.method,
                "name": e.name,
                "error": e.parse_error(e.error),
                "occurrences": e.occurrences,
            }
            for e in errors
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(outcome, indent=2))
