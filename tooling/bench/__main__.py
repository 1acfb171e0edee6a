"""Throughput, latency and memory benchmark of one uvicorn worker on SQLite (wrk).

    python -m tooling.bench [--duration 10] [--connections 32]

Runs, in one session and against one freshly started service: a constant endpoint
(`/health`, the framework baseline), `GET /products/{id}`, `POST /orders` (and an oversell
check on a product with limited stock), the worker's RSS after 100,000 orders, and
`GET /products?sort=-price&limit=20` with 100,000 products. Writes
reports/bench/bench.json and prints a Markdown table (the README quotes it).
"""

import argparse
import json
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import requests
from sqlalchemy import create_engine, insert

from service.models import Product
from service.types import utcnow
from tooling.bench.wrk import require_wrk, wrk
from tooling.databases import sqlite_database
from tooling.layout import Reports
from tooling.servers import local_server


def rss_mb(pid: int) -> float:
    """Resident memory of the uvicorn process (one worker: the server process itself)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def seed_products(database_url: str, count: int) -> None:
    engine = create_engine(database_url)
    now = utcnow()
    rows = [
        {
            "sku": f"SEED-{i}",
            "name": f"Seeded product {i}",
            "price": Decimal(1 + (i * 7919) % 99999) / 100,
            "stock": i % 50,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(count)
    ]
    with engine.begin() as conn:
        conn.execute(insert(Product.__table__), rows)
    engine.dispose()


def order_count(base: str, product_id: int) -> int:
    return requests.get(f"{base}/orders", params={"product_id": product_id, "limit": 1}).json()[
        "total"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=100_000)
    args = parser.parse_args()
    require_wrk()
    out = Reports.default().bench
    out.mkdir(parents=True, exist_ok=True)
    results: dict = {"connections": args.connections, "duration_s": args.duration}
    scratch = Path(tempfile.mkdtemp(prefix="bench-"))
    with (
        sqlite_database(scratch) as url,
        local_server(url, out / "service.log") as server,  # as deployed: JSON access log on
    ):
        base, pid = server.base_url, server.process.pid
        post = lambda body: requests.post(f"{base}/products", json=body).json()  # noqa: E731
        big = post({"sku": "BENCH-BIG", "name": "Bench", "price": 1.5, "stock": 2_000_000_000})
        small = post({"sku": "BENCH-SMALL", "name": "Last items", "price": 2, "stock": 3000})
        run = lambda path, **kw: wrk(base + path, args.duration, args.connections, **kw)  # noqa: E731

        results["baseline_health"] = run("/health")
        results["get_product"] = run(f"/products/{big['id']}")
        order_body = json.dumps({"product_id": big["id"], "quantity": 1})
        results["post_orders"] = run("/orders", method="POST", body=order_body)

        # Oversell: far more buyers than the 3,000 items; exactly 3,000 orders may exist.
        oversell = run(
            "/orders", method="POST", body=json.dumps({"product_id": small["id"], "quantity": 1})
        )
        stock_left = requests.get(f"{base}/products/{small['id']}").json()["stock"]
        results["oversell_check"] = {
            "stock_before": 3000,
            "orders_created": order_count(base, small["id"]),
            "stock_after": stock_left,
            "responses": oversell["statuses"],
            "oversold": order_count(base, small["id"]) > 3000 or stock_left < 0,
        }

        made = order_count(base, big["id"])
        while made < args.orders:  # top up to 100,000 orders, then read the worker's RSS
            wrk(base + "/orders", 5, args.connections, method="POST", body=order_body)
            made = order_count(base, big["id"])
        results["rss_after_orders"] = {"orders": made, "rss_mb": round(rss_mb(pid), 1)}

        seed_products(url, args.products)
        results["list_sorted_100k"] = run("/products?sort=-price&limit=20")
        results["products_total"] = requests.get(f"{base}/products?limit=1").json()["total"]

    shutil.rmtree(scratch, ignore_errors=True)
    (out / "bench.json").write_text(json.dumps(results, indent=2))
    print(render(results))


def render(r: dict) -> str:
    rows = [
        ("GET /health (framework baseline)", r["baseline_health"]),
        ("GET /products/{id}", r["get_product"]),
        ("POST /orders", r["post_orders"]),
        (
            f"GET /products?sort=-price&limit=20 ({r['products_total']:,} products)",
            r["list_sorted_100k"],
        ),
    ]
    base = r["baseline_health"]["rps"]
    lines = [
        f"wrk -t1 -c{r['connections']} -d{r['duration_s']}s, one uvicorn worker, SQLite",
        "",
        "| endpoint | req/s | vs baseline | p50 ms | p99 ms | non-2xx | socket errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, x in rows:
        lines.append(
            f"| {name} | {x['rps']:,.0f} | {x['rps'] / base:.2f} | {x['p50_ms']:.1f} | "
            f"{x['p99_ms']:.1f} | {x['non_2xx']} | {x['socket_errors']} |"
        )
    o, m = r["oversell_check"], r["rss_after_orders"]
    lines += [
        "",
        f"Oversell check: stock 3,000, responses {o['responses']}, orders created "
        f"{o['orders_created']}, stock after {o['stock_after']}, oversold: {o['oversold']}",
        f"Worker RSS after {m['orders']:,} orders: {m['rss_mb']} MB",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
