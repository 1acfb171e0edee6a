"""The assignment's other testing tools, run against the selected target: the plain
`requests` smoke script and the curl transcript recorder (both as subprocesses, as a CI
stage or a person would run them, with the secret and the key in their environment only),
and how they (and the Postman runner) wait for a deployment that is still waking up."""

import json
import os
import subprocess
import sys
import threading
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from suites import curl_transcript, smoke
from tooling.servers import free_port, run_captured
from tooling.target import DEFAULT_WARMUP_S

ROOT = Path(__file__).resolve().parents[1]


def run_smoke(target, webhook_secret: str, **extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "BASE_URL": target.base_url, "WEBHOOK_SECRET": webhook_secret, **extra}
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


def run_curl(target, out: Path, **env: str) -> subprocess.CompletedProcess:
    """The recorder as a user runs it: the secret and the key in the environment only."""
    return subprocess.run(
        [
            sys.executable,
            "suites/curl_transcript.py",
            "--base-url",
            target.base_url,
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env={**os.environ, **target.env(), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_curl_transcript(target, reports):
    out = reports.curl(target.name)
    result = run_curl(target, out)
    assert result.returncode == 0, result.stdout + result.stderr
    transcript = json.loads((out / "transcript.json").read_text())
    assert len(transcript["steps"]) >= 19 and all(step["ok"] for step in transcript["steps"])
    text = (out / "transcript.md").read_text() + (out / "transcript.json").read_text()
    for secret in target.secrets():
        assert secret not in text
    if target.api_key:  # pasteable: the shell expands the variable in double quotes
        assert '-H "X-API-Key: $API_KEY"' in transcript["steps"][0]["command"]


def test_curl_gets_the_key_on_stdin_never_on_its_command_line():
    recorder = curl_transcript.Recorder("https://example.test", "k" * 24, "/etc/ca.pem")
    argv, config, shown = recorder.command("POST", "/products", "{}")
    assert "k" * 24 not in " ".join(argv) and "k" * 24 in config
    assert argv[-2:] == ["--config", "-"] and argv[2:4] == ["--cacert", "/etc/ca.pem"]
    assert shown.startswith("curl -sS --cacert /etc/ca.pem -X POST https://example.test/products")
    assert '-H "X-API-Key: $API_KEY"' in shown
    argv, config, _ = recorder.command("GET", "/products")
    assert config == "" and "--config" not in argv
    plain = curl_transcript.Recorder("http://127.0.0.1:8000", None, "/etc/ca.pem")
    assert "--cacert" not in plain.command("GET", "/health")[0]  # no TLS, no CA option


# --- a deployment that is still starting: a bounded wait, not a failure ------------------------


@contextmanager
def waking_up(target, delay_s: float):
    """An address that refuses connections for `delay_s`, then forwards to the target (the
    delay proxy with no delay, started late): a deployment waking up."""
    port = free_port()
    upstream = f"127.0.0.1:{urlsplit(target.base_url).port}"
    command = [sys.executable, "-m", "tooling.delay_proxy", "--listen", f"127.0.0.1:{port}"]
    command += ["--upstream", upstream, "--delay-ms", "0"]
    timer = threading.Timer(delay_s, lambda: started.append(subprocess.Popen(command, cwd=ROOT)))
    started: list[subprocess.Popen] = []
    timer.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        timer.cancel()
        for process in started:
            process.terminate()
            process.wait(10)


@pytest.mark.local_only
def test_smoke_curl_and_postman_wait_for_a_deployment_waking_up(target, tmp_path):
    for name in ("smoke", "curl", "postman"):
        with waking_up(target, 4) as url:
            woken = replace(target, base_url=url)
            if name == "smoke":
                result = run_smoke(woken, target.webhook_secret)
            elif name == "curl":
                result = run_curl(woken, tmp_path / "curl")
            else:
                command = [
                    sys.executable,
                    "-m",
                    "postman.run",
                    "--env",
                    "postman/local.postman_environment.json",
                ]
                command += ["--base-url", url, "--folder", "Ops"]
                result = run_captured(command, env={**os.environ, **woken.env()}, timeout=300)
        assert result.returncode == 0, f"{name}: {result.stdout}{result.stderr}"


def test_the_scripts_wait_as_long_as_the_suites_by_default():
    assert smoke.WARMUP_S == curl_transcript.WARMUP_S == DEFAULT_WARMUP_S


def test_smoke_gives_up_after_its_warmup_timeout(target):
    asleep = replace(target, base_url=f"http://127.0.0.1:{free_port()}")
    result = run_smoke(asleep, "whsec_" + "C" * 43, WARMUP_TIMEOUT="1")
    assert result.returncode == 1 and "not 200 within 1 s" in result.stdout + result.stderr
