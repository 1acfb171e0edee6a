"""render.yaml: its structure, and that its start command really starts the service here,
on PostgreSQL given in Render's `postgres://` form, with production settings."""

import base64
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import yaml
from sqlalchemy.engine import make_url

from tooling.databases import throwaway_database
from tooling.servers import free_port, wait_ready

ROOT = Path(__file__).resolve().parents[1]
BLUEPRINT = yaml.safe_load((ROOT / "render.yaml").read_text())


def web_service() -> dict:
    return next(s for s in BLUEPRINT["services"] if s["type"] == "web")


def env_vars() -> dict[str, dict]:
    return {var["key"]: var for var in web_service()["envVars"]}


def test_blueprint_structure():
    service = web_service()
    assert service["runtime"] == "python"
    assert service["healthCheckPath"] == "/ready"
    assert isinstance(service["numInstances"], int) and service["numInstances"] >= 1
    assert "requirements.txt" in service["buildCommand"]
    start = service["startCommand"]
    assert "python -m service.migrate" in start and start.index("migrate") < start.index("uvicorn")
    assert "$PORT" in start and "service.main:app" in start
    variables = env_vars()
    assert variables["ENVIRONMENT"]["value"] == "production"
    database = variables["DATABASE_URL"]["fromDatabase"]
    assert database["property"] == "connectionString"
    assert database["name"] in {db["name"] for db in BLUEPRINT["databases"]}
    assert variables["WEBHOOK_SECRET"].get("generateValue") is True
    assert variables["API_KEYS"].get("sync") is False  # prompted in the dashboard, not in git
    for var in variables.values():
        assert "value" in var or "fromDatabase" in var or "generateValue" in var or "sync" in var


@pytest.mark.local_only
@pytest.mark.requires("postgres")
def test_start_command_serves_here_on_postgres(scratch_dir, tmp_path):
    port = free_port()
    api_key = secrets.token_urlsafe(24)
    webhook_secret = base64.b64encode(secrets.token_bytes(32)).decode()  # like generateValue
    with throwaway_database("postgres", scratch_dir) as url:
        render_url = make_url(url).set(drivername="postgres").render_as_string(hide_password=False)
        env = {
            **{k: v for k, v in os.environ.items() if k not in ("API_PREFIX", "RATE_LIMIT")},
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "PORT": str(port),
            "DATABASE_URL": render_url,  # Render's postgres:// form
            "WEBHOOK_SECRET": webhook_secret,
            "API_KEYS": api_key,
        }
        for key, var in env_vars().items():
            if "value" in var:
                env[key] = str(var["value"])
        env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "prometheus")
        log = open(tmp_path / "render-start.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            ["bash", "-c", web_service()["startCommand"]],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base, 90, process)
            created = requests.post(
                f"{base}/products",
                json={"sku": f"RENDER-{secrets.token_hex(4)}", "name": "R", "price": 1, "stock": 1},
                headers={"X-API-Key": api_key},
            )
            assert created.status_code == 201, created.text
            assert requests.post(f"{base}/products", json={}).status_code == 401  # keys enforced
            assert "http_requests_total" in requests.get(f"{base}/metrics").text
            assert requests.get(f"{base}/ready").json() == {"status": "ready"}
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)
            log.close()
        output = (tmp_path / "render-start.log").read_text()
        assert webhook_secret not in output and api_key not in output
