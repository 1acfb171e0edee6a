"""The user's commands, run as a user runs them after a deploy: from the project root, with
the URL, the secret, one key and the CA in the environment only, each one's raw output in
logs/<name>.log (the leak scan reads it) and its outcome recorded. `Commands` holds the
rehearsal's state and each command (await_deploy, the smoke script, the curl recorder,
pytest, the Postman runner, the evidence run, the failing test); `Rehearsal` (stage.py)
puts them in order around the deployment."""

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

from tooling.layout import ROOT, RehearsalRun
from tooling.rehearsal.processes import STEP_TIMEOUT_S
from tooling.rehearsal.summary import Outcome, last_line
from tooling.servers import spawn, stop

FAILING_TEST = '''\
"""Fails on purpose (tooling.rehearsal): its failure output must hold no secret."""


def test_fails_on_purpose(target, api):
    created = api.create_product(name="Rehearsal failure")
    order = api.create_order(created["id"])
    paid = api.pay(order)
    assert paid.status_code == 418, (target, api, paid.text)
'''
FAILING_CONFTEST = '''\
"""The project's conftest.py (target options, fixtures, reports), loaded for a test outside it."""

import importlib.util

_spec = importlib.util.spec_from_file_location("project_conftest", r"{root}")
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
globals().update({{k: v for k, v in vars(_module).items() if not k.startswith("__")}})
'''


class Commands:
    """The rehearsal's state, and running the user's commands through the deployment."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.run = RehearsalRun(Path(args.reports_dir).resolve())
        self.outcomes: list[Outcome] = []
        self.client_env: dict[str, str] = {}
        self.urls: dict[str, str] = {}  # path name -> RENDER_URL
        self.facts: dict[str, object] = {}
        self.running: list[subprocess.Popen] = []  # commands started and not yet finished

    def stop_commands(self) -> None:
        for process in list(self.running):
            stop(process)

    def skip(self, name: str) -> bool:
        return any(name == s or name.startswith(f"{s}-") for s in self.args.skip)

    # -- a user's command --

    def command(
        self,
        name: str,
        argv: list[str],
        *,
        path: str = "latency",
        env: dict[str, str] | None = None,
        expect: int = 0,
        check=None,
        background: bool = False,
    ):
        """Run `argv` from the project root as a user would (secrets in the environment);
        its raw output goes to logs/<name>.log (the leak scan reads it). With
        `background`, returns a function that waits for it and records the outcome."""
        run_env = {**self.client_env, "RENDER_URL": self.urls[path], **(env or {})}
        log = self.run.log(name)
        shown = " ".join(shlex.quote(a) for a in argv).replace(sys.executable, "python")
        print(f"-> {name}: {shown}  [{self._path_label(path)}]", flush=True)
        out = log.open("wb")
        out.write(f"$ {shown}\n".encode())
        out.flush()
        started = time.monotonic()
        process = spawn(argv, out, cwd=ROOT, env=run_env)  # stopped as a whole
        self.running.append(process)

        def finish() -> Outcome:
            try:
                code = process.wait(timeout=max(1, STEP_TIMEOUT_S - (time.monotonic() - started)))
            except subprocess.TimeoutExpired:
                stop(process)
                code = process.returncode
            self.running.remove(process)
            out.close()
            seconds = round(time.monotonic() - started, 1)
            text = log.read_text(errors="replace")
            ok = code == expect
            detail = f"exit {code}" + ("" if ok else f" (expected {expect})")
            if check is not None:
                try:
                    problem_text = check(text)
                except (OSError, ValueError, KeyError) as exc:  # an artifact not written
                    problem_text = f"{exc.__class__.__name__}: {exc}"
                if problem_text:
                    ok, detail = False, f"{detail}; {problem_text}"
                elif ok:
                    detail = f"{detail}; {last_line(text)}"
            elif not ok:
                detail = f"{detail}; {last_line(text)}"
            outcome = Outcome(
                name, ok, seconds, self._path_label(path), shown, detail, self.run.relative(log)
            )
            self.record(outcome)
            return outcome

        return finish if background else finish()

    def _path_label(self, path: str) -> str:
        return f"+{self.args.delay_ms:g} ms each way" if path == "latency" else "direct"

    def record(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        mark = "ok  " if outcome.ok else "FAIL"
        print(f"   {mark} {outcome.name} in {outcome.seconds:.1f}s: {outcome.detail}", flush=True)

    def note(self, name: str, ok: bool, seconds: float, detail: str) -> None:
        self.record(Outcome(name, ok, round(seconds, 1), "-", "-", detail))

    # -- the commands --

    def await_deploy(self, commit: str, background: bool = False):
        argv = [sys.executable, "-m", "tooling.await_deploy", "--base-url", self.urls["latency"]]
        argv += ["--commit", commit, "--timeout", "300", "--pause", "2"]
        return self.command("await-deploy", argv, background=background)

    def smoke(self, name: str, path: str = "latency", background: bool = False):
        return self.command(
            name,
            [sys.executable, "suites/smoke.py"],
            path=path,
            env={"BASE_URL": self.urls[path]},
            check=lambda text: None if "SMOKE OK" in text else "no SMOKE OK line",
            background=background,
        )

    def curl(self, name: str, path: str = "latency", background: bool = False):
        out = self.run.curl / name
        argv = [sys.executable, "suites/curl_transcript.py", "--base-url", self.urls[path]]
        return self.command(name, [*argv, "--out", str(out)], path=path, background=background)

    def pytest(self, name: str, path: str) -> None:
        root = self.run.pytest_root(name)
        # one token per option: pytest reads a separate value that is an existing directory
        # as a test path before the conftest has declared the option
        argv = [sys.executable, "-m", "pytest", "--target=render", f"--reports-dir={root}"]

        def check(text: str) -> str | None:
            results = json.loads((root / "render" / "pytest" / "results.json").read_text())
            summary = results["summary"]
            self.facts[f"{name}_summary"] = summary
            if not summary.get("passed"):
                return "no test passed"
            return None

        outcome = self.command(name, argv, path=path, check=check)
        summary = self.facts.get(f"{name}_summary")
        if summary:
            counts = ", ".join(f"{n} {k}" for k, n in sorted(summary.items()))
            outcome.detail = f"{outcome.detail.split(';')[0]}; {counts}"

    def postman(self, name: str, path: str, background: bool = False):
        out = self.run.postman(name)
        argv = [
            sys.executable,
            "-m",
            "postman.run",
            "--env",
            "postman/render.postman_environment.json",
        ]
        argv += ["--base-url", self.urls[path], "--json-out", str(out)]
        return self.command(name, argv, path=path, background=background)

    def evidence(self) -> None:
        argv = [sys.executable, "-m", "evidence", "--target", "render"]
        argv += ["--reports-dir", str(self.run.reports.root)]
        argv += ["--locust-scenarios", "light", "--locust-run-time", self.args.locust_run_time]
        self.command("evidence", argv)

    def failing_test(self, scratch: Path) -> None:
        """One test that takes `target` and `api` and fails: its failure output (terminal,
        JUnit, report.html, results.json, with locals and long tracebacks) is part of what
        the leak scan reads. It sits in a temporary directory whose conftest.py loads the
        project's, so it runs with the suites' options, fixtures and reports."""
        directory = scratch / "failing"
        directory.mkdir()
        (directory / "conftest.py").write_text(FAILING_CONFTEST.format(root=ROOT / "conftest.py"))
        test = directory / "test_rehearsal_failure.py"
        test.write_text(FAILING_TEST)
        root = self.run.pytest_root("failing-test")
        argv = [sys.executable, "-m", "pytest", "--target=render", f"--reports-dir={root}"]
        argv += ["-l", "--tb=long", "-p", "no:cacheprovider", "-c", str(ROOT / "pyproject.toml")]
        argv.append(str(test))

        def check(text: str) -> str | None:
            pytest_dir = root / "render" / "pytest"
            wanted = ("junit.xml", "report.html", "results.json")
            missing = [f for f in wanted if not (pytest_dir / f).exists()]
            if missing:
                return f"no {', '.join(missing)}"
            summary = json.loads((pytest_dir / "results.json").read_text())["summary"]
            return None if summary == {"failed": 1} else f"expected one failure, got {summary}"

        self.command("failing-test", argv, expect=1, check=check)
