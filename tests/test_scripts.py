"""The assignment's other testing tools, run against the selected target: the plain
`requests` smoke script and the curl transcript recorder (both as subprocesses, as a CI
stage or a person would run them)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_smoke(target, webhook_secret: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "BASE_URL": target.base_url, "WEBHOOK_SECRET": webhook_secret}
    if target.api_key:
        env["API_KEY"] = target.api_key
    return subprocess.run(
        [sys.executable, "suites/smoke.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_smoke_script(target, reports):
    result = run_smoke(target, target.webhook_secret)
    out = reports.smoke(target.name)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SMOKE OK" in result.stdout
    final = json.loads(result.stdout[result.stdout.index("{") : result.stdout.rindex("}") + 1])
    assert final["status"] == "PAID"


def test_smoke_script_fails_loudly_on_a_wrong_secret(target):
    result = run_smoke(target, "whsec_" + "C" * 43)
    assert result.returncode == 1 and "FAIL pay" in result.stdout + result.stderr


def test_curl_transcript(target, reports):
    out = reports.curl(target.name)
    command = [
        sys.executable,
        "suites/curl_transcript.py",
        "--base-url",
        target.base_url,
        "--webhook-secret",
        target.webhook_secret,
        "--out",
        str(out),
    ]
    if target.api_key:
        command += ["--api-key", target.api_key]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    transcript = json.loads((out / "transcript.json").read_text())
    assert len(transcript["steps"]) >= 19 and all(step["ok"] for step in transcript["steps"])
    assert target.webhook_secret not in (out / "transcript.md").read_text()
