"""wrk as a function: one load run, its JSON summary (report.lua) and error counts."""

import json
import os
import shutil
import subprocess
from pathlib import Path

LUA = Path(__file__).with_name("report.lua")


def require_wrk() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")


def wrk(url: str, duration: int, connections: int, method: str = "GET", body: str = "") -> dict:
    """`wrk -t1 -c<connections> -d<duration>s` against `url`: req/s, p50/p90/p99/max in ms,
    statuses, `non_2xx` and `socket_errors`."""
    env = {**os.environ, "WRK_METHOD": method, "WRK_BODY": body}
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(LUA), url]
    output = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRK_JSON "))
    result = json.loads(line.removeprefix("WRK_JSON "))
    ok = sum(n for status, n in result["statuses"].items() if status.startswith("2"))
    result["non_2xx"] = result["requests"] - ok
    return result
