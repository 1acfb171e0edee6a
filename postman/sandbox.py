"""The JavaScript side of the runner: collection scripts run for real in V8 (mini-racer).

Postman scripts are JavaScript, so they are executed, not interpreted or pattern-matched:
the real crypto-js and a `pm` shim (the files of shim/, in the order SHIM lists them) are
loaded once into one V8 context. Each call passes the whole run state in as JSON and gets the
updated state back, which keeps the state in Python between scripts and the JS side
stateless. `{{…}}` substitution also lives in the shim, so `pm.variables.replaceIn` in a
script and the runner's own resolution of the request are one implementation and cannot
disagree.
"""

import json
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from py_mini_racer import JSEvalException, MiniRacer

HERE = Path(__file__).resolve().parent
# The pm shim, in load order: each file uses what the ones before it put on `__pmShim`.
SHIM = (
    "01-values.js",
    "02-variables.js",
    "03-substitution.js",
    "04-expect.js",
    "05-request-response.js",
    "06-pm.js",
)
SOURCES = (HERE / "vendor" / "crypto-js.js", *(HERE / "shim" / name for name in SHIM))
SCRIPT_TIMEOUT_SECONDS = 10


class SandboxError(RuntimeError):
    """The sandbox itself failed (not a script): a bug in the shim or a runaway script."""


@dataclass
class ScriptOutcome:
    """What one script run produced; `state` is the updated run state to carry on with."""

    state: dict[str, Any]
    tests: list[dict[str, Any]] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    error: str | None = None


class Sandbox:
    """One V8 context for a whole run. Close it (or use `with`): an open mini-racer context
    can keep the interpreter from exiting, so a finalizer closes it at exit as a safety net."""

    def __init__(self) -> None:
        self._js = MiniRacer()
        self._close = weakref.finalize(self, self._js.close)
        for source in SOURCES:
            self._js.eval(source.read_text(encoding="utf-8"))

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def run(self, state: dict[str, Any], source: str, label: str) -> ScriptOutcome:
        """Run one script; a script's own exception is reported in `error`, not raised."""
        raw = self._call("__pm_run", json.dumps(state), source, label)
        result = json.loads(raw)
        tests = result.pop("tests")
        console = result.pop("console")
        error = result.pop("error")
        result.pop("label", None)
        return ScriptOutcome(result, tests, console, error)

    def declare(
        self,
        values: dict[str, Any],
        types: dict[str, str] | None = None,
        sets: dict[str, Any] | None = None,
    ) -> dict[str, dict[str, Any]]:
        """A scope's entries ({key: {type, value}}) from declared values and types, as Postman
        loads them (the type casts the value), then `sets` applied as `scope.set` would."""
        declaration = {"values": values, "types": types or {}, "sets": sets or {}}
        return json.loads(self._call("__pm_declare", json.dumps(declaration)))

    def resolve(self, state: dict[str, Any]) -> dict[str, Any]:
        """The state's request with every `{{…}}` resolved: method, url, headers, body."""
        return json.loads(self._call("__pm_resolve", json.dumps(state)))

    def evaluate(self, expression: str) -> Any:
        """Evaluate an expression in the sandbox's global scope (for self-tests)."""
        return self._js.eval(expression)

    def _call(self, function: str, *args: str) -> str:
        try:
            return self._js.call(function, *args, timeout_sec=SCRIPT_TIMEOUT_SECONDS)
        except JSEvalException as exc:
            raise SandboxError(f"{function} failed: {exc}") from exc
        except Exception as exc:  # timeouts and memory limits end the run: say so plainly
            raise SandboxError(f"{function} did not finish: {exc}") from exc

    def close(self) -> None:
        self._close()
