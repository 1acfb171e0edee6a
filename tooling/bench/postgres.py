"""PostgreSQL data-path benchmark: the database direct and one network hop away (wrk).

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \
    python -m tooling.bench.postgres [--duration 10] [--connections 32] [--repeat 3]
        [--delay-ms 2] [--workers 1 2] [--variant NAME:K=V,...] [--baseline-root DIR]

All in one run, so every ratio compares figures measured minutes apart on the same machine:

1. PostgreSQL direct vs behind `tooling.delay_proxy` (`--delay-ms` each way, 4 ms round trip
   by default: a managed database one hop away), `GET /products/{id}` and `POST /orders`,
   for each worker count; the ratio proxied / direct per endpoint. Rounds (`--repeat`) are
   interleaved and the table shows medians.
2. The lock stall: another session holds `SELECT ... FOR UPDATE` on product A for 3 s while
   an order for A is placed; `/health` and `GET /products/B` are probed throughout (1 worker,
   direct). Reports their latencies and the order's outcome.
3. SQLite (the embedded default) against a bare FastAPI endpoint (`tooling.bench.bare`), GET
   and POST, as ratios of the bare endpoint's req/s, with the access log off and on (as
   deployed: one JSON line per request), and their p99.

The PostgreSQL services run with the access log off (the data path is what is measured;
`--pg-access-log` turns it on). `--variant` runs the PostgreSQL part once per service
configuration (extra environment), e.g. `--variant pool5:DB_POOL_SIZE=5,DB_MAX_OVERFLOW=0`;
`--baseline-root` adds another checkout (the code before a change) as one more variant and
its SQLite rows, in the same rounds. The database is a throwaway one on the server of
TEST_DATABASE_URL. Writes `postgres.json` under `Reports.default().bench` and prints
Markdown tables.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import requests
from sqlalchemy.engine import make_url

from tooling.bench.wrk import require_wrk, wrk
from tooling.databases import postgres_admin_url, postgres_database, sqlite_database
from tooling.delay_proxy import delay_proxy
from tooling.layout import Reports
from tooling.servers import ROOT, free_port, local_server, spawn, stop, wait_ready

ENDPOINTS = ("GET /products/{id}", "POST /orders")


def parse_variant(text: str) -> tuple[str, dict[str, str], Path]:
    """`NAME:KEY=VALUE,...` -> (name, extra environment, checkout)."""
    name, _, pairs = text.partition(":")
    env = dict(pair.split("=", 1) for pair in pairs.split(",") if pair)
    return name, env, ROOT


def via_port(database_url: str, port: int) -> str:
    return make_url(database_url).set(port=port).render_as_string(hide_password=False)


def libpq(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


def new_product(base: str, sku: str, stock: int = 2_000_000_000) -> dict:
    body = {"sku": sku, "name": "Bench", "price": 1.5, "stock": stock}
    response = requests.post(f"{base}/products", json=body, timeout=30)
    response.raise_for_status()
    return response.json()


class BenchedService:
    """One running service and the product its load uses."""

    def __init__(self, base: str, label: str) -> None:
        self.base = base
        self.product = new_product(base, f"BENCH-{label}-{time.monotonic_ns()}")

    def run(self, endpoint: str, duration: int, connections: int) -> dict:
        if endpoint.startswith("GET"):
            return wrk(f"{self.base}/products/{self.product['id']}", duration, connections)
        body = json.dumps({"product_id": self.product["id"], "quantity": 1})
        return wrk(f"{self.base}/orders", duration, connections, method="POST", body=body)


def summary(runs: list[dict]) -> dict:
    """Medians over rounds; errors are summed."""
    return {
        "rps": statistics.median(r["rps"] for r in runs),
        "p50_ms": statistics.median(r["p50_ms"] for r in runs),
        "p99_ms": statistics.median(r["p99_ms"] for r in runs),
        "errors": sum(r["non_2xx"] + r["socket_errors"] for r in runs),
        "non_2xx": sum(r["non_2xx"] for r in runs),
        "socket_errors": sum(r["socket_errors"] for r in runs),  # wrk: timeouts (2 s) included
        "rounds": [round(r["rps"]) for r in runs],
    }


def lock_stall(base: str, database_url: str, hold_s: float = 3.0) -> dict:
    """Hold a row lock on product A for `hold_s` while an order for A runs; probe `/health`
    and `GET /products/B` every 50 ms throughout and for 1 s after."""
    a = new_product(base, f"LOCK-A-{time.monotonic_ns()}", stock=100)
    b = new_product(base, f"LOCK-B-{time.monotonic_ns()}", stock=100)
    health, read_b, order = [], [], {}
    probe = requests.Session()
    with psycopg.connect(libpq(database_url)) as locker:
        locker.execute("SELECT id FROM product WHERE id = %s FOR UPDATE", [a["id"]])
        locked_at = time.monotonic()

        def place() -> None:
            started = time.monotonic()
            try:
                response = requests.post(
                    f"{base}/orders", json={"product_id": a["id"], "quantity": 1}, timeout=60
                )
                order.update(
                    status=response.status_code,
                    code=response.json().get("code"),
                    retry_after=response.headers.get("Retry-After"),
                )
            except requests.RequestException as exc:
                order.update(status=None, code=type(exc).__name__)
            order["seconds"] = round(time.monotonic() - started, 2)

        buyer = threading.Thread(target=place)
        # The lock goes on a timer, not from the probe loop: a frozen service must not
        # hold up its own release.
        release = threading.Timer(hold_s, locker.rollback)
        release.start()
        buyer.start()
        while time.monotonic() - locked_at < hold_s + 1:
            for url, into in ((f"{base}/health", health), (f"{base}/products/{b['id']}", read_b)):
                started = time.perf_counter()
                status = probe.get(url, timeout=30).status_code
                into.append(((time.perf_counter() - started) * 1000, status))
            time.sleep(0.05)
        release.join()
        buyer.join(60)

    def stats(samples: list) -> dict:
        times = [t for t, _ in samples]
        return {
            "probes": len(samples),
            "max_ms": round(max(times), 1),
            "p50_ms": round(statistics.median(times), 1),
            "non_200": sum(1 for _, s in samples if s != 200),
        }

    return {"hold_s": hold_s, "health": stats(health), "get_b": stats(read_b), "order_a": order}


@contextmanager
def app_server(app: str, log_path: Path) -> Iterator[str]:
    """uvicorn on any ASGI app (the bare endpoint), one worker, no access log."""
    port = free_port()
    with open(log_path, "ab") as log:
        process = spawn(
            [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--no-access-log"], log
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base, 30, process)
            yield base
        finally:
            stop(process)


def postgres_part(args, out: Path) -> dict:
    """Section 1 and 2: per round, per worker count, per variant: direct and proxied."""
    runs: dict = {}
    stalls: dict = {}
    with (
        postgres_database("oi_bench") as url,
        delay_proxy(("127.0.0.1", 5432), args.delay_ms) as port,
    ):
        for round_no in range(args.repeat):
            for workers in args.workers:
                for name, env, root in args.variants:
                    key = f"{workers}w/{name}"
                    print(f"round {round_no + 1}/{args.repeat}: {key}", file=sys.stderr, flush=True)
                    with ExitStack() as stack:
                        targets = {}
                        for path, database_url in (
                            ("direct", url),
                            ("proxied", via_port(url, port)),
                        ):
                            server = stack.enter_context(
                                local_server(
                                    database_url,
                                    out / f"service-pg-{name}-{workers}w-{path}.log",
                                    workers=workers,
                                    extra_env={**args.pg_log_env, **env},
                                    root=root,
                                )
                            )
                            targets[path] = BenchedService(
                                server.base_url, f"{name}{workers}{path}"
                            )
                        for endpoint in ENDPOINTS:
                            for path, target in targets.items():
                                target.run(endpoint, 2, args.connections)  # warm the pools
                                result = target.run(endpoint, args.duration, args.connections)
                                runs.setdefault(key, {}).setdefault(endpoint, {}).setdefault(
                                    path, []
                                ).append(result)
                        if round_no == 0 and workers == 1:
                            stalls[name] = lock_stall(targets["direct"].base, url)
    table = {}
    for key, endpoints in runs.items():
        table[key] = {}
        for endpoint, paths in endpoints.items():
            direct, proxied = summary(paths["direct"]), summary(paths["proxied"])
            table[key][endpoint] = {
                "direct": direct,
                "proxied": proxied,
                "ratio": round(proxied["rps"] / direct["rps"], 3),
            }
    return {"table": table, "lock_stall": stalls}


SQLITE_ROWS = [(log, endpoint) for log in ("off", "on") for endpoint in ENDPOINTS]
LOG_ENV = {"off": {"LOG_LEVEL": "WARNING"}, "on": {"LOG_LEVEL": "INFO"}}


def sqlite_part(args, out: Path) -> dict:
    """Section 3: SQLite (access log off, and on as deployed) against the bare endpoint,
    rounds interleaved; with `--baseline-root`, the same rows for that checkout too."""
    builds = {"": ROOT} | ({"baseline ": args.baseline_root} if args.baseline_root else {})
    names = [(b, log, e) for b in builds for log, e in SQLITE_ROWS]
    runs: dict = {"bare": [], **{f"{b}{e} (access log {log})": [] for b, log, e in names}}
    scratch = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    with ExitStack() as stack:
        targets = {}
        for build, root in builds.items():
            for log in LOG_ENV:
                url = stack.enter_context(sqlite_database(scratch, f"log-{log}"))
                log_path = out / f"service-sqlite-{build.strip() or 'this'}-log-{log}.log"
                server = stack.enter_context(
                    local_server(url, log_path, extra_env=LOG_ENV[log], root=root)
                )
                targets[build, log] = BenchedService(
                    server.base_url, f"sqlite-{build.strip()}{log}"
                )
        bare = stack.enter_context(app_server("tooling.bench.bare:app", out / "bare.log"))
        for round_no in range(args.repeat):
            print(f"round {round_no + 1}/{args.repeat}: sqlite", file=sys.stderr, flush=True)
            runs["bare"].append(wrk(f"{bare}/bare", args.duration, args.connections))
            for build, log, endpoint in names:
                result = targets[build, log].run(endpoint, args.duration, args.connections)
                runs[f"{build}{endpoint} (access log {log})"].append(result)
    table = {name: summary(results) for name, results in runs.items()}
    for row in table.values():
        row["vs_bare"] = round(row["rps"] / table["bare"]["rps"], 3)
    return table


def render(results: dict) -> str:
    a = results["args"]
    lines = [
        f"{results['date']}, commit {results['commit']}: wrk -t1 -c{a['connections']} "
        f"-d{a['duration']}s, medians of {a['repeat']} interleaved rounds; proxy "
        f"+{a['delay_ms']:g} ms each way; PostgreSQL rows with the access log "
        f"{'on' if a['pg_access_log'] else 'off'}",
        "",
        "| workers / variant | endpoint | direct req/s | direct p99 ms | proxied req/s | "
        "proxied p99 ms | proxied / direct | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key, endpoints in results["postgres"]["table"].items():
        for endpoint, row in endpoints.items():
            d, p = row["direct"], row["proxied"]
            lines.append(
                f"| {key} | {endpoint} | {d['rps']:,.0f} | {d['p99_ms']:.1f} | "
                f"{p['rps']:,.0f} | {p['p99_ms']:.1f} | {row['ratio']:.2f} | "
                f"{d['errors'] + p['errors']} |"
            )
    for name, stall in results["postgres"]["lock_stall"].items():
        h, b, o = stall["health"], stall["get_b"], stall["order_a"]
        lines += [
            "",
            f"Lock stall ({name}, 1 worker, direct; product A locked {stall['hold_s']:g} s): "
            f"/health max {h['max_ms']} ms (p50 {h['p50_ms']}, {h['probes']} probes, "
            f"{h['non_200']} non-200); GET /products/B max {b['max_ms']} ms (p50 "
            f"{b['p50_ms']}, {b['non_200']} non-200); order for A: {o.get('status')} "
            f"{o.get('code') or ''} after {o.get('seconds')} s",
        ]
    s = results.get("sqlite")
    if s:
        lines += [
            "",
            "| SQLite, 1 worker | req/s | vs bare FastAPI | p50 ms | p99 ms | errors |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, x in s.items():
            label = "bare FastAPI endpoint" if name == "bare" else name
            lines.append(
                f"| {label} | {x['rps']:,.0f} | {x['vs_bare']:.2f} | {x['p50_ms']:.1f} | "
                f"{x['p99_ms']:.1f} | {x['errors']} |"
            )
    return "\n".join(lines)


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "unknown"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--delay-ms", type=float, default=2)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--variant", action="append", default=[], help="NAME:KEY=VALUE,...")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--baseline-root",
        type=Path,
        help="another checkout (e.g. `git worktree add /tmp/base main`) measured in the same "
        "rounds: a 'baseline' variant, and its SQLite rows",
    )
    parser.add_argument(
        "--pg-access-log", action="store_true", help="PostgreSQL services log each request"
    )
    parser.add_argument("--output", default="postgres.json", help="file name under the bench dir")
    args = parser.parse_args(argv)
    args.variants = [parse_variant(v) for v in args.variant] or [("this", {}, ROOT)]
    if args.baseline_root:
        args.variants.append(("baseline", {}, args.baseline_root.resolve()))
    args.pg_log_env = LOG_ENV["on" if args.pg_access_log else "off"]
    require_wrk()
    if not postgres_admin_url():
        raise SystemExit("TEST_DATABASE_URL must name a PostgreSQL server (loopback)")
    out = Reports.default().bench
    out.mkdir(parents=True, exist_ok=True)
    results = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "commit": commit(),
        "args": {
            "duration": args.duration,
            "connections": args.connections,
            "repeat": args.repeat,
            "delay_ms": args.delay_ms,
            "workers": args.workers,
            "variants": {name: env for name, env, _ in args.variants},
            "baseline_root": str(args.baseline_root) if args.baseline_root else None,
            "pg_access_log": args.pg_access_log,
        },
        "postgres": {"table": {}, "lock_stall": {}}
        if args.skip_postgres
        else postgres_part(args, out),
    }
    if not args.skip_sqlite:
        results["sqlite"] = sqlite_part(args, out)
    (out / args.output).write_text(json.dumps(results, indent=2))
    print(render(results))


if __name__ == "__main__":
    main()
