"""The deployment as Render makes it from `render.yaml`: the web service's build and start
commands, the environment Render injects (PORT, RENDER_*, every `value` of the envVars,
generated secrets, API_KEYS, DATABASE_URL, REDIS_URL), and a throwaway database and role as
its managed PostgreSQL. The secrets it hands out are listed for the leak checks."""

import base64
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from tooling.databases import _libpq, postgres_admin_url
from tooling.layout import ROOT

BLUEPRINT = ROOT / "render.yaml"


def web_service(blueprint: dict) -> dict:
    return next(s for s in blueprint["services"] if s["type"] == "web")


def generated_value() -> str:
    """What Render's `generateValue: true` produces: a random base64 256-bit value."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass
class Deployment:
    """What the blueprint's service is given, and the secrets that must never leak."""

    env: dict[str, str] = field(repr=False)
    start_command: str
    build_command: str
    commit: str
    secrets: dict[str, str] = field(repr=False)  # name -> value, for the leak checks


def checkout_commit() -> tuple[str, bool]:
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--", "service", "migrations"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return head, bool(dirty)


def deployment_env(
    blueprint: dict,
    *,
    port: int,
    database_url: str,
    redis_url: str,
    external_url: str,
    commit: str,
    home: Path,
    venv: Path,
    overrides: dict[str, str],
) -> Deployment:
    service = web_service(blueprint)
    env = {
        "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PORT": str(port),
        "RENDER": "true",
        "RENDER_SERVICE_NAME": service["name"],
        "RENDER_SERVICE_TYPE": "web",
        "RENDER_GIT_COMMIT": commit,
        "RENDER_GIT_BRANCH": "main",
        "RENDER_EXTERNAL_URL": external_url,
        "RENDER_EXTERNAL_HOSTNAME": "127.0.0.1",
        "RENDER_INSTANCE_ID": f"srv-rehearsal-{secrets.token_hex(4)}",
    }
    leaks = {}
    for var in service["envVars"]:
        key = var["key"]
        if "value" in var:
            env[key] = str(var["value"])
        elif var.get("generateValue"):
            env[key] = leaks[key] = generated_value()
        elif var.get("sync") is False:  # prompted in the dashboard: API_KEYS
            env[key] = leaks[key] = secrets.token_urlsafe(24)
        elif "fromDatabase" in var:
            env[key] = database_url
        elif var.get("fromService", {}).get("type") == "keyvalue":
            env[key] = redis_url
        else:
            raise SystemExit(f"render.yaml: {key} has a source the rehearsal does not know: {var}")
    # A shared machine: a private multiprocess directory (the start command empties it).
    env["PROMETHEUS_MULTIPROC_DIR"] = str(home / "prometheus")
    env.update(overrides)
    password = make_url(database_url).password
    if password:
        leaks["DATABASE_URL password"] = password
    start = service["startCommand"]
    if "--host 0.0.0.0" not in start:
        raise SystemExit("render.yaml: the start command no longer binds --host 0.0.0.0")
    return Deployment(
        env=env,
        start_command=start.replace("--host 0.0.0.0", "--host 127.0.0.1"),  # loopback only
        build_command=service["buildCommand"],
        commit=commit,
        secrets=leaks,
    )


# --- the database ----------------------------------------------------------------------------


@contextmanager
def render_database() -> Iterator[str]:
    """A throwaway database owned by a throwaway role with a password, as Render's
    `connectionString`: `postgres://user:password@host:port/db`."""
    admin = _libpq(postgres_admin_url() or "")
    suffix = secrets.token_hex(4)
    role, name, password = f"oi_rehearsal_{suffix}", f"oi_rehearsal_{suffix}", secrets.token_hex(16)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
        conn.execute(f'CREATE DATABASE "{name}" OWNER "{role}"')
    url = make_url(admin).set(
        drivername="postgres", username=role, password=password, database=name
    )
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')
