"""Run the Postman collection from the command line, like `newman run`, without Node.

    python -m postman.run --env postman/local.postman_environment.json
    WEBHOOK_SECRET=… API_KEY=… python -m postman.run --env postman/render.postman_environment.json \\
        --base-url https://orders-inventory.onrender.com
    python -m postman.run --env … --base-url http://127.0.0.1:8055 --folder Products \\
        --json-out reports/postman/results.json

`--webhook-secret` and `--api-key` default to $WEBHOOK_SECRET and $API_KEY (a command line
is visible to other users; the environment is not). Before the first request the runner
waits (bounded: `--warmup-timeout`, default 180 s like the suites'; 0: no wait) for the
base URL's /health to answer 200, so a sleeping or still-starting deployment gives a wait,
not a run of failures. A private CA: `--ca-bundle`, or $REQUESTS_CA_BUNDLE / $SSL_CERT_FILE
as for the suites (tooling/target.py). Exit status: 0 when every test passed, 1 when any
test or script failed (or the deployment never answered), 2 when the collection or the
options are unusable.
"""

import argparse
import json
import os
import sys
from pathlib import Path

from postman.collection import CollectionError, load_collection, load_environment
from postman.runtime import RequestResult, Runner, RunResult
from tooling.target import DEFAULT_WARMUP_S, ca_bundle_from, ca_env

HERE = Path(__file__).resolve().parent
DEFAULT_COLLECTION = HERE / "orders-inventory.postman_collection.json"
ENVIRONMENTS = {  # the shipped environment files
    "local": HERE / "local.postman_environment.json",
    "render": HERE / "render.postman_environment.json",
}
EXIT_FAILED = 1
EXIT_USAGE = 2


def run_collection(
    collection_path: Path | str = DEFAULT_COLLECTION,
    environment_path: Path | str | None = None,
    *,
    overrides: dict[str, str] | None = None,
    folders: list[str] | None = None,
    iteration_data: list[dict] | None = None,
    timeout: float = 30.0,
) -> RunResult:
    """Load the files and run them: the entry point shared by the CLI and pytest."""
    collection = load_collection(collection_path)
    environment = load_environment(environment_path) if environment_path else None
    runner = Runner(collection, environment, overrides=overrides, timeout=timeout)
    return runner.run(folders or (), iteration_data)


def format_report(result: RunResult, *, verbose: bool = False) -> str:
    lines = [f"{result.collection}  (environment: {result.environment})", ""]
    folder = None
    for request in result.requests:
        current = request.name.split(" / ")[0] if " / " in request.name else ""
        if current != folder:
            folder = current
            lines.append(folder or "(collection root)")
        lines += _format_request(request, verbose)
    summary = result.summary()
    lines += [
        "",
        f"requests: {summary['requests']} ({summary['requests_failed']} failed)   "
        f"tests: {summary['tests']} ({summary['tests_passed']} passed, "
        f"{summary['tests_failed']} failed, {summary['tests_skipped']} skipped)   "
        f"script/request errors: {summary['errors']}   "
        f"time: {result.duration_s:.1f} s",
    ]
    failures = [(r, f) for r in result.requests for f in r.failures]
    if failures:
        lines += ["", "failures:"]
        lines += [f"  {n}. {r.name} > {f}" for n, (r, f) in enumerate(failures, start=1)]
    lines.append(f"{summary['tests_passed']} passed, {summary['tests_failed']} failed")
    return "\n".join(lines)


def _format_request(request: RequestResult, verbose: bool) -> list[str]:
    mark = "✓" if request.passed else "✗"
    status = f"{request.status} {request.reason}" if request.status else "no response"
    lines = [
        f"  {mark} {request.name.split(' / ')[-1]}  "
        f"[{request.method} {request.url}]  {status}, {request.response_time_ms:.0f} ms"
    ]
    for error in request.errors:
        lines.append(f"      ! {error}")
    for test in request.tests:
        if test.skipped:
            lines.append(f"      - {test.name} (skipped)")
        elif test.passed:
            lines.append(f"      ✓ {test.name}")
        else:
            lines.append(f"      ✗ {test.name}: {test.error}")
    for warning in request.warnings:
        lines.append(f"      warning: {warning}")
    if verbose:
        lines += [f"      console {line}" for line in request.console]
    return lines


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m postman.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("collection", nargs="?", default=str(DEFAULT_COLLECTION))
    parser.add_argument("--env", "-e", help="Postman environment file")
    parser.add_argument("--base-url", help="overrides the environment's base_url")
    parser.add_argument("--webhook-secret", help="overrides webhook_secret (or $WEBHOOK_SECRET)")
    parser.add_argument("--api-key", help="overrides api_key (or $API_KEY)")
    parser.add_argument(
        "--env-var", action="append", default=[], metavar="KEY=VALUE", help="set a variable"
    )
    parser.add_argument("--folder", action="append", default=[], help="run only this folder")
    parser.add_argument("--iteration-data", "-d", help="JSON file: a list of data rows")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument(
        "--warmup-timeout",
        type=float,
        default=DEFAULT_WARMUP_S,
        help="seconds to wait for base_url/health to answer 200 first (0: no wait)",
    )
    parser.add_argument(
        "--ca-bundle",
        default=None,
        help="PEM file of a private CA (default $REQUESTS_CA_BUNDLE, else $SSL_CERT_FILE)",
    )
    parser.add_argument("--json-out", help="write the full results (JSON) to this file")
    parser.add_argument("--verbose", "-v", action="store_true", help="show console output")
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for pair in args.env_var:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--env-var wants KEY=VALUE, got {pair!r}")
        overrides[key] = value
    if args.base_url:
        overrides["base_url"] = args.base_url.rstrip("/")
    secret = args.webhook_secret or os.environ.get("WEBHOOK_SECRET")
    if secret:
        overrides["webhook_secret"] = secret
    api_key = args.api_key or os.environ.get("API_KEY")
    if api_key:
        overrides["api_key"] = api_key
    return overrides


def _base_url(args: argparse.Namespace, overrides: dict[str, str]) -> str | None:
    if "base_url" in overrides:
        return overrides["base_url"]
    if args.env:
        return str(load_environment(args.env).values.get("base_url") or "") or None
    return None


def _warm_up(base_url: str | None, timeout: float) -> str | None:
    """None once base_url answers /health with 200, else why not (bounded by `timeout`)."""
    if not base_url or timeout <= 0 or "{{" in base_url:
        return None
    from tooling.servers import warm_up

    print(f"waiting (up to {timeout:g} s) for {base_url}/health", flush=True)
    try:
        warm_up(base_url.rstrip("/"), timeout)
    except TimeoutError as exc:
        return str(exc)
    return None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    ca_bundle = args.ca_bundle or ca_bundle_from(os.environ)
    if ca_bundle:  # for requests, here and in the warm-up
        os.environ.update(ca_env(str(Path(ca_bundle).resolve())))
    try:
        overrides = _overrides(args)
        problem = _warm_up(_base_url(args, overrides), args.warmup_timeout)
        if problem:
            if args.json_out:  # never leave an earlier run's results looking like this one's
                Path(args.json_out).unlink(missing_ok=True)
            print(f"error: the deployment did not answer: {problem}", file=sys.stderr)
            return EXIT_FAILED
        data = None
        if args.iteration_data:
            data = json.loads(Path(args.iteration_data).read_text(encoding="utf-8"))
            if not isinstance(data, list):
                raise ValueError("--iteration-data must hold a JSON list of objects")
        result = run_collection(
            args.collection,
            args.env,
            overrides=overrides,
            folders=args.folder,
            iteration_data=data,
            timeout=args.timeout,
        )
    except (CollectionError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(format_report(result, verbose=args.verbose))
    if args.json_out:
        out = Path(args.json_out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result.to_json(), indent=2), encoding="utf-8")
        print(f"results: {out}")
    return 0 if result.passed else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
