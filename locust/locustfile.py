"""Locust users for the Orders & Inventory API (the HTTP contract: docs/api.md).

Run it through the scenario runner (`python -m tooling.loadtest light`), or directly:

    locust -f locust/locustfile.py --headless -u 25 -r 5 -t 60s --host http://127.0.0.1:8000

Read:write ratio. A `Shopper` picks one task per wait (`between(0.1, 0.5)` s):
browse a product list (weight 5), open a product page (4) or buy (1). A buy is three
requests: `POST /orders`, the signed `POST /webhooks/payment`, then `GET /orders/{id}`.
Per ten tasks that is 10 reads to 2 writes, so about 5:1 (83 % reads) at the request
level and 9:1 browse-to-buy at the task level. Real shops convert only a few per cent of
visits; we overweight buying on purpose because the write path (a conditional stock
UPDATE and a webhook insert, serialised by SQLite's single writer) is what can
bottleneck, and at a realistic 1-2 % it would barely be exercised. One `Admin`
(`fixed_count = 1`) restocks sold-out products every 1-2 s so long runs do not decay into
nothing but `409 insufficient_stock`.

Judging responses: every request uses `catch_response=True`. The only non-2xx counted as
a success is `409 insufficient_stock` on `POST /orders`, the one place the contract makes
it an expected outcome of concurrent buyers; it is tallied separately. Anything else
(another 4xx, a 5xx, a timeout, a webhook that does not answer `processed`/`PAID`, an
order read back in the wrong status) is a failure, with a short message that groups well.

Data: setup (`test_start`) creates its own catalogue through the public API, SKUs and
names prefixed with a per-run id, so runs never collide, even on a shared deployment.
Setup traffic uses `requests`, outside Locust's statistics.

Pass/fail: `--thresholds "total: p95<100; each: error_rate<1%"` (or LOCUST_THRESHOLDS; the
syntax and the scenarios' defaults are in tooling/loadtest/thresholds.py, which the runner
passes) are checked on the final stats when the run quits, printed as k6 prints its
thresholds, and set Locust's exit code: 0 when every limit is met, 3 when one is missed
(without thresholds Locust's own rule applies: 1 on any failure).

Options (command line or environment): --webhook-secret (WEBHOOK_SECRET), --api-key
(API_KEY: sent as X-API-Key on writes), --skip-pay (LOCUST_SKIP_PAY), --no-wait
(LOCUST_NO_WAIT: zero think time, for the capacity scenario), --thresholds
(LOCUST_THRESHOLDS), --catalogue-size, --initial-stock, --run-id, --outcomes-file.

Layout: Locust finds the users, options and listeners here; the helpers they call (catalogue
seeding, the signed webhook, thresholds check, outcomes file) are imported from
tooling/loadtest/locust_support.py like tooling.loadtest.thresholds: run Locust from the
repository root (`locust -f locust/locustfile.py`), which Locust puts on sys.path. Not a sibling
in locust/: that folder is on sys.path only while Locust imports this file, a sibling's
top-level name could clash with an installed one, and `-f locust/` would load it too.
"""

import itertools
import logging
import random
import secrets
import time
from collections import Counter
from pathlib import Path

import gevent

# (ruff sorts `locust` as first-party because of this directory's name; it is the library)
from locust import FastHttpUser, between, constant, events, runners, task
from standardwebhooks.webhooks import Webhook  # the reference signer: no project import

from tooling.loadtest import locust_support, thresholds

log = logging.getLogger("locustfile")

LIST_PAGE = 20


class Run:
    """Module state shared by every user of this process (set up once in `test_start`)."""

    id = ""
    product_ids: list[int] = []
    signer: Webhook | None = None
    write_headers: dict[str, str] = {}
    pay = True
    par_stock = 1000
    expected = Counter()  # expected non-2xx outcomes, e.g. "POST /orders 409 insufficient_stock"
    environment = None


# --- options ---------------------------------------------------------------------------------


@events.init_command_line_parser.add_listener
def _add_arguments(parser) -> None:
    parser.add_argument(
        "--webhook-secret",
        env_var="WEBHOOK_SECRET",
        default="",
        is_secret=True,
        help="Standard Webhooks secret of the target (whsec_... or base64)",
    )
    parser.add_argument(
        "--api-key",
        env_var="API_KEY",
        default="",
        is_secret=True,
        help="sent as X-API-Key on writes when set",
    )
    parser.add_argument(
        "--skip-pay",
        env_var="LOCUST_SKIP_PAY",
        action="store_true",
        default=False,
        help="do not call POST /webhooks/payment",
    )
    parser.add_argument(
        "--no-wait",
        env_var="LOCUST_NO_WAIT",
        action="store_true",
        default=False,
        help="zero think time (capacity runs)",
    )
    parser.add_argument(
        "--thresholds",
        env_var=thresholds.THRESHOLDS_ENV,
        default="",
        help="pass/fail limits, ';'-separated, e.g. 'total: p95<100; each: error_rate<1%%'",
    )
    parser.add_argument("--catalogue-size", type=int, default=50, help="products created")
    parser.add_argument("--initial-stock", type=int, default=1000, help="stock per product")
    parser.add_argument(
        "--run-id", env_var="LOCUST_RUN_ID", default="", help="prefix for SKUs (default: random)"
    )
    parser.add_argument(
        "--outcomes-file",
        default="",
        help="write expected outcomes and the final error list here (JSON)",
    )


@events.init.add_listener
def _on_init(environment, **_kwargs) -> None:
    Run.environment = environment
    options = environment.parsed_options
    if options is not None and options.no_wait:
        Shopper.wait_time = constant(0)


# --- setup: a run-unique catalogue through the public API -----------------------------------


@events.test_start.add_listener
def _create_catalogue(environment, **_kwargs) -> None:
    if isinstance(environment.runner, runners.MasterRunner):
        return  # workers create their own; the master sends no requests
    options = environment.parsed_options
    Run.id = options.run_id or f"{time.strftime('%m%d%H%M')}{secrets.token_hex(2)}"
    Run.pay = not options.skip_pay
    Run.par_stock = options.initial_stock
    Run.write_headers = {"X-API-Key": options.api_key} if options.api_key else {}
    Run.expected.clear()
    try:
        if Run.pay:
            if not options.webhook_secret:
                raise RuntimeError(
                    "paying needs --webhook-secret or WEBHOOK_SECRET (or --skip-pay)"
                )
            # the current secret: WEBHOOK_SECRET may list "current,previous"
            Run.signer = Webhook(options.webhook_secret.split(",")[0].strip())
        Run.product_ids = locust_support.post_products(
            environment.host, options.catalogue_size, Run.id, Run.par_stock, Run.write_headers
        )
    except Exception as exc:
        log.error("setup failed, stopping: %s", exc)
        environment.process_exit_code = 2
        Run.product_ids = []
        gevent.spawn(environment.runner.quit)  # after start() returns, so nothing waits on -t
        return
    log.info("run %s: created %d products", Run.id, len(Run.product_ids))


# --- judging responses -----------------------------------------------------------------------


def _problem_code(response) -> str:
    try:
        return str(response.json().get("code", ""))
    except Exception:
        return ""


def judge(response, expected_status: int, *, tolerated: tuple[str, ...] = ()) -> bool:
    """Mark `response` (from a `catch_response=True` block); True when it is the success case.

    A 409 whose problem `code` is in `tolerated` is marked a success but returns False (the
    flow cannot continue) and is counted in `Run.expected`.
    """
    status = response.status_code
    if status == expected_status:
        response.success()
        return True
    if not status:
        response.failure(f"no response: {type(response.error).__name__}")
        return False
    code = _problem_code(response)
    if status == 409 and code in tolerated:
        response.success()
        Run.expected[
            f"{response.request_meta['request_type']} {response.request_meta['name']} 409 {code}"
        ] += 1
        return False
    response.failure(f"HTTP {status} {code}".rstrip())
    return False


class ApiUser(FastHttpUser):
    abstract = True

    def on_start(self) -> None:
        if not Run.product_ids:
            gevent.sleep(3600)  # setup failed and the run is quitting: idle until killed

    def call(self, method: str, path: str, name: str, *, api_key: bool | None = None, **kwargs):
        """A `catch_response` request; writes carry X-API-Key when one is configured (the
        webhook opts out: like the real provider, it authenticates by signature only)."""
        send_key = method != "GET" if api_key is None else api_key
        if send_key and Run.write_headers:
            kwargs["headers"] = {**Run.write_headers, **kwargs.get("headers", {})}
        return self.client.request(method, path, name=name, catch_response=True, **kwargs)


# --- users -----------------------------------------------------------------------------------


class Shopper(ApiUser):
    """Browses the catalogue and sometimes buys (see the module docstring for the mix)."""

    wait_time = between(0.1, 0.5)

    @task(5)
    def browse_list(self) -> None:
        kind, params = random.choice(
            (
                ("page", {"limit": LIST_PAGE, "offset": self._random_offset()}),
                ("in_stock", {"in_stock": "true", "limit": LIST_PAGE}),
                ("sort=-price", {"sort": "-price", "limit": LIST_PAGE}),
                ("q", {"q": random.choice(locust_support.NOUNS), "limit": LIST_PAGE}),
            )
        )
        with self.call("GET", "/products", f"/products?{kind}", params=params) as response:
            judge(response, 200)

    @task(4)
    def view_product(self) -> None:
        product_id = random.choice(Run.product_ids)
        with self.call("GET", f"/products/{product_id}", "/products/[id]") as response:
            judge(response, 200)

    @task(1)
    def buy(self) -> None:
        body = {"product_id": random.choice(Run.product_ids), "quantity": random.randint(1, 3)}
        with self.call("POST", "/orders", "/orders", json=body) as response:
            if not judge(response, 201, tolerated=("insufficient_stock",)):
                return
            order = response.json()
        expected_status = "PENDING"
        if Run.pay:
            if not self.pay(order):
                return
            expected_status = "PAID"
        with self.call("GET", f"/orders/{order['id']}", "/orders/[id]") as response:
            status = response.json().get("status") if judge(response, 200) else expected_status
            if status != expected_status:
                response.failure(f"order status {status}, expected {expected_status}")

    def pay(self, order: dict) -> bool:
        """The provider's `payment.succeeded`, signed as Standard Webhooks v1."""
        body, headers = locust_support.signed_payment(Run.signer, order, Run.id)
        with self.call(
            "POST",
            "/webhooks/payment",
            "/webhooks/payment",
            api_key=False,
            data=body,
            headers=headers,
        ) as response:
            if not judge(response, 200):
                return False
            result = response.json()
            if (result.get("status"), result.get("order_status")) != ("processed", "PAID"):
                response.failure(
                    f"webhook answered {result.get('status')}/{result.get('order_status')}"
                )
                return False
        return True

    @staticmethod
    def _random_offset() -> int:
        return random.randrange(0, max(len(Run.product_ids), 1), LIST_PAGE)


class Admin(ApiUser):
    """Restocks this run's sold-out products to par, and tops up one random product."""

    fixed_count = 1
    wait_time = between(1, 2)

    @task
    def restock(self) -> None:
        params = {"q": Run.id, "in_stock": "false", "limit": 100}
        with self.call("GET", "/products", "/products?in_stock=false", params=params) as response:
            if not judge(response, 200):
                return
            sold_out = [item["id"] for item in response.json()["items"]]
        for product_id in itertools.chain(sold_out, [random.choice(Run.product_ids)]):
            with self.call(
                "PATCH", f"/products/{product_id}", "/products/[id]", json={"stock": Run.par_stock}
            ) as response:
                judge(response, 200)


# --- pass/fail -------------------------------------------------------------------------------


@events.quitting.add_listener
def _check_thresholds(environment, **_kwargs) -> None:
    """k6-style thresholds on the final stats: Locust's exit code says whether they held."""
    options, runner = environment.parsed_options, environment.runner
    if options is None or not options.thresholds or isinstance(runner, runners.WorkerRunner):
        return
    environment.process_exit_code = locust_support.check_thresholds(
        options.thresholds, environment.stats, environment.process_exit_code, log
    )


# --- results that Locust's own reports leave out ---------------------------------------------


@events.quit.add_listener
def _write_outcomes(exit_code: int, **_kwargs) -> None:
    """Expected 409s and the final error list (the failures CSV misses the last second)."""
    environment = Run.environment
    path = environment.parsed_options.outcomes_file if environment.parsed_options else ""
    if not path:
        return
    record = {
        "run_id": Run.id,
        "exit_code": exit_code,
        "paid": Run.pay,
        "products": len(Run.product_ids),
        "expected_non_2xx": dict(Run.expected),
    }
    locust_support.write_outcomes(Path(path), environment.stats, record)
