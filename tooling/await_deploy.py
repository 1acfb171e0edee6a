"""Wait until a deployment serves a given commit (a deploy may still be rolling out).

    python -m tooling.await_deploy --base-url https://orders-inventory.onrender.com --commit SHA

Polls `/health` (which names the build it runs: `{"status": "ok", "version": …, "commit": …}`)
until `commit` starts with the one asked for, within `--timeout` seconds; a sleeping free-plan
instance is woken up by the same requests (a private CA: REQUESTS_CA_BUNDLE or SSL_CERT_FILE,
as for the suites). Exit 0 when it does, 1 on timeout (the last answer
is printed), so a post-deploy CI job checks the build it was triggered for, not the previous
one.
"""

import argparse
import sys
import time

import requests

from tooling.target import ca_bundle_from


def served_commit(base_url: str, timeout: float = 30) -> tuple[str | None, str]:
    """(commit, what was seen) from one /health request."""
    try:
        response = requests.get(
            f"{base_url.rstrip('/')}/health", timeout=timeout, verify=ca_bundle_from() or True
        )
    except requests.RequestException as exc:
        return None, exc.__class__.__name__
    if response.status_code != 200:
        return None, f"HTTP {response.status_code}"
    try:
        commit = response.json().get("commit")
    except ValueError:
        return None, "not JSON"
    return commit, f"commit {commit}"


def wait_for(base_url: str, commit: str, timeout: float, pause: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    seen = "no answer"
    while time.monotonic() < deadline:
        served, seen = served_commit(base_url)
        if served and (served.startswith(commit) or commit.startswith(served)):
            print(f"{base_url} serves {served}", flush=True)
            return True
        print(f"waiting for {commit[:12]}: {seen}", flush=True)
        time.sleep(pause)
    print(f"{base_url} did not serve {commit} within {timeout:.0f} s (last: {seen})", flush=True)
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--commit", required=True, help="full or abbreviated SHA")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--pause", type=float, default=10)
    args = parser.parse_args(argv)
    return 0 if wait_for(args.base_url, args.commit, args.timeout, args.pause) else 1


if __name__ == "__main__":
    sys.exit(main())
