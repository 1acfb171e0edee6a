"""The stage in order: the edge, the delay proxy, the database and the deployment's
environment, the build, two cold starts with clients already waiting, the warm runs through
the latency and direct, the evidence run and the failing test, then the checks that nothing
leaked and the failed key checks stayed under AUTH_FAILURE_LIMIT; the summary at the end,
whatever happened."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import requests
import yaml

from tooling.capabilities import problem
from tooling.edge import caddy_edge
from tooling.rehearsal.checks import ArgvWatch, failed_key_checks_per_minute, scan_files
from tooling.rehearsal.commands import Commands
from tooling.rehearsal.deployment import (
    BLUEPRINT,
    Deployment,
    checkout_commit,
    deployment_env,
    render_database,
)
from tooling.rehearsal.processes import Service, build, latency, wait_for_certificate
from tooling.rehearsal.summary import write_summary
from tooling.servers import free_port


class Abort(Exception):
    """The deployment itself failed (build, start): nothing more to run."""


class Rehearsal(Commands):
    """The whole stage (`main`), around the user's commands of `Commands`."""

    def main(self) -> int:
        for capability in ("postgres", "redis", "caddy"):
            reason = problem(capability)
            if reason:
                print(f"rehearsal: {reason}", file=sys.stderr)
                return 2
        blueprint = yaml.safe_load(BLUEPRINT.read_text())
        self.run.root.mkdir(parents=True, exist_ok=True)
        for old in self.run.root.iterdir():  # a rehearsal's reports are its own, every time
            shutil.rmtree(old) if old.is_dir() else old.unlink()
        self.run.logs.mkdir(parents=True)
        started = time.monotonic()
        code = 1
        try:
            with ExitStack() as stack:
                scratch = Path(
                    stack.enter_context(tempfile.TemporaryDirectory(prefix="rehearsal-"))
                )
                code = self.stage(stack, scratch, blueprint)
        except Abort as exc:
            print(f"rehearsal stopped: {exc}", file=sys.stderr)
        finally:
            self.facts["total_s"] = round(time.monotonic() - started, 1)
            write_summary(self.run, self.outcomes, self.facts, self.args.delay_ms)
        return code

    def stage(self, stack: ExitStack, scratch: Path, blueprint: dict) -> int:
        args = self.args
        commit, dirty = checkout_commit()
        self.facts["commit"] = commit + (" (+ uncommitted changes in service/)" if dirty else "")
        port = free_port()
        upstream = f"127.0.0.1:{port}"
        edge = stack.enter_context(
            caddy_edge(
                upstream,
                self.run.log("caddy"),
                append_forwarded_for=True,
                client_ip_header="True-Client-IP",
                site_options=["tls internal"],
                scheme="https",
            )
        )
        ca = scratch / "rehearsal-ca.pem"  # outlives Caddy's state directory
        ca.write_bytes(wait_for_certificate(edge).read_bytes())
        proxy_port = stack.enter_context(
            latency(edge.port, args.delay_ms, self.run.log("delay-proxy"))
        )
        self.urls = {"latency": f"https://127.0.0.1:{proxy_port}", "direct": edge.base_url}
        self.facts.update(edge=edge.base_url, public_url=self.urls["latency"], ca_bundle=str(ca))

        database_url = stack.enter_context(render_database())
        overrides = {}
        if args.auth_failure_limit:
            overrides["AUTH_FAILURE_LIMIT"] = args.auth_failure_limit
        deployment = deployment_env(
            blueprint,
            port=port,
            database_url=database_url,
            redis_url=args.redis_url,
            external_url=self.urls["latency"],
            commit=commit,
            home=scratch / "home",
            venv=scratch / "venv",
            overrides=overrides,
        )
        (scratch / "home").mkdir()
        self.facts["auth_failure_limit"] = deployment.env.get("AUTH_FAILURE_LIMIT")
        watched = {
            "WEBHOOK_SECRET": deployment.env["WEBHOOK_SECRET"],
            "API_KEYS": deployment.env["API_KEYS"],
            "METRICS_TOKEN": deployment.env["METRICS_TOKEN"],
            **deployment.secrets,
        }
        argv_watch = stack.enter_context(ArgvWatch(watched))
        self.client_env = self.clients(deployment, ca)

        t = time.monotonic()
        try:
            version = build(deployment, scratch / "venv", self.run.log("build"))
        except (RuntimeError, subprocess.SubprocessError) as exc:
            self.note("build", False, time.monotonic() - t, str(exc))
            raise Abort("the build failed") from None
        wanted = deployment.env.get("PYTHON_VERSION")
        self.note(
            "build",
            True,
            time.monotonic() - t,
            f"`{deployment.build_command}` into a fresh venv, Python {version}"
            + (f" (render.yaml asks {wanted})" if wanted and wanted != version else ""),
        )
        service = Service(deployment, self.run.log("service"))
        stack.callback(service.stop)
        stack.callback(self.stop_commands)  # an abort, Ctrl-C: nothing of ours keeps running

        # -- cold start 1: the edge answers 502; the waiting clients are already running
        self.edge_answers_502()
        waiting = []
        if not self.skip("await-deploy"):
            waiting.append(self.await_deploy(commit, background=True))
        if not self.skip("smoke"):
            waiting.append(self.smoke("smoke-cold", background=True))
        if not self.skip("curl"):
            waiting.append(self.curl("curl-cold", background=True))
        self.cold_start(service, "cold-start-1")
        for finish in waiting:
            finish()

        # -- warm
        if not self.skip("pytest-1"):
            self.pytest("pytest-1", "latency")
        if not self.skip("pytest-2"):
            self.pytest("pytest-2", "direct")
        if not self.skip("smoke"):
            self.smoke("smoke-warm", path="latency")
            self.smoke("smoke-direct", path="direct")
        if not self.skip("postman"):
            self.postman("postman-warm", path="latency")
            self.postman("postman-direct", path="direct")
            # -- cold start 2: the service goes down; the Postman runner starts while it is
            service.stop()
            self.edge_answers_502()
            finish = self.postman("postman-cold", path="latency", background=True)
            self.cold_start(service, "cold-start-2")
            finish()
        if not self.skip("evidence"):
            self.evidence()
        if not self.skip("failing-test"):
            self.failing_test(scratch)
        service.stop()
        argv_watch.__exit__(None, None, None)

        # -- what must not have leaked
        worst, limited = failed_key_checks_per_minute(self.run.log("service"))
        limit = int(str(deployment.env.get("AUTH_FAILURE_LIMIT", "0")).split("/")[0] or 0)
        self.facts["failed_key_checks_max_per_minute"] = worst
        self.note(
            "auth-failure-limit",
            limited == 0 and (not limit or worst < limit),
            0,
            f"at most {worst} failed key checks (401/403) in one minute, all from one address, "
            f"limit {deployment.env.get('AUTH_FAILURE_LIMIT')}; {limited} answers 429",
        )
        files, hits = scan_files([self.run.root], watched)
        self.note(
            "no-secret-in-files",
            not hits,
            0,
            f"{files} files under {self.run.root.name}/ (reports and logs) scanned for "
            f"{', '.join(watched)}" + ("" if not hits else ": " + "; ".join(hits[:10])),
        )
        self.note(
            "no-secret-in-argv",
            not argv_watch.hits,
            0,
            f"{argv_watch.processes} processes' argv sampled"
            + ("" if not argv_watch.hits else ": " + "; ".join(argv_watch.hits[:10])),
        )
        return 0 if all(o.ok for o in self.outcomes) else 1

    def clients(self, deployment: Deployment, ca: Path) -> dict[str, str]:
        """A user's shell after a deploy: the URL, the secret and one key in the environment,
        the corporate CA the way such a user sets it; nothing else of ours."""
        env = {
            k: v
            for k, v in os.environ.items()
            if k
            not in {
                "BASE_URL",
                "RENDER_URL",
                "WEBHOOK_SECRET",
                "API_KEY",
                "REPORTS_DIR",
                "REQUESTS_CA_BUNDLE",
                "SSL_CERT_FILE",
                "CURL_CA_BUNDLE",
            }
        }
        return env | {
            "WEBHOOK_SECRET": deployment.env["WEBHOOK_SECRET"],
            "API_KEY": deployment.env["API_KEYS"].split(",")[0],
            "REQUESTS_CA_BUNDLE": str(ca),
            "SSL_CERT_FILE": str(ca),
            "REPORTS_DIR": str(self.run.reports.root),
            "PYTHONUNBUFFERED": "1",
        }

    def edge_answers_502(self) -> None:
        try:
            status = requests.get(
                f"{self.urls['direct']}/health",
                verify=self.client_env["REQUESTS_CA_BUNDLE"],
                timeout=10,
            ).status_code
        except requests.RequestException as exc:
            status = exc.__class__.__name__
        self.facts.setdefault("edge_while_down", []).append(status)

    def cold_start(self, service: Service, name: str) -> None:
        time.sleep(self.args.cold_start_s)
        t = time.monotonic()
        try:
            ready = service.start()
        except (RuntimeError, TimeoutError) as exc:
            self.note(name, False, time.monotonic() - t, str(exc).splitlines()[0])
            raise Abort(f"{name}: the service did not start (see {service.log})") from None
        self.note(
            name,
            True,
            ready,
            f"edge answered {self.facts['edge_while_down'][-1]} for {self.args.cold_start_s:g} s; "
            f"the start command was ready in {ready:.1f} s (migrations, 2 workers)",
        )
