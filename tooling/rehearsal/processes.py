"""What runs for the deployment: render.yaml's build into a fresh venv, the start command as
the service's process (started and stopped for the cold starts), the delay proxy in front of
the edge, and the wait for the edge's own CA certificate."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tooling.edge import Edge
from tooling.layout import ROOT
from tooling.rehearsal.deployment import Deployment
from tooling.servers import free_port, spawn, stop, wait_ready

STEP_TIMEOUT_S = 900  # any one command; the whole stage stays bounded


def build(deployment: Deployment, venv: Path, log: Path) -> str:
    """render.yaml's buildCommand, into a fresh venv (Render builds each deploy afresh)."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '')}"}
    env["PYTHON_VERSION"] = deployment.env.get("PYTHON_VERSION", "")
    env.pop("PYTHONPATH", None)
    with log.open("wb") as out:
        code = subprocess.run(
            ["bash", "-c", deployment.build_command],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=STEP_TIMEOUT_S,
        ).returncode
    if code != 0:
        raise RuntimeError(f"buildCommand exited {code}: see {log}")
    version = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return version


class Service:
    """The start command as Render runs it; `start()` / `stop()` for the cold starts."""

    def __init__(self, deployment: Deployment, log: Path) -> None:
        self.deployment = deployment
        self.log = log
        self.process: subprocess.Popen | None = None
        self.base = f"http://127.0.0.1:{deployment.env['PORT']}"

    def start(self) -> float:
        with self.log.open("ab") as out:
            out.write(f"--- start {time.strftime('%H:%M:%S')}\n".encode())
            out.flush()
            command = ["bash", "-c", self.deployment.start_command]
            self.process = spawn(command, out, cwd=ROOT, env=self.deployment.env)
        started = time.monotonic()
        wait_ready(self.base, 120, self.process)  # Render's health check: healthCheckPath
        return time.monotonic() - started

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process, timeout=30)
            self.process = None


@contextmanager
def latency(upstream_port: int, delay_ms: float, log: Path) -> Iterator[int]:
    """`python -m tooling.delay_proxy` in front of the edge; yields its port."""
    port = free_port()
    command = [sys.executable, "-m", "tooling.delay_proxy", "--listen", f"127.0.0.1:{port}"]
    command += ["--upstream", f"127.0.0.1:{upstream_port}", "--delay-ms", f"{delay_ms:g}"]
    with log.open("ab") as out:
        process = spawn(command, out, cwd=ROOT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"the delay proxy did not start: see {log}") from None
                time.sleep(0.1)
        yield port
    finally:
        stop(process)


def wait_for_certificate(edge: Edge, timeout: float = 30) -> Path:
    deadline = time.monotonic() + timeout
    while not edge.ca_certificate.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"Caddy issued no certificate within {timeout:.0f} s")
        time.sleep(0.1)
    return edge.ca_certificate
