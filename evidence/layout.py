"""Where each step writes and where the page reads: one place, so the runner and the
collector can never disagree about a path.

The local target keeps the suites' own names (`reports/pytest/`, `reports/locust/`); a
deployment gets a `-<kind>` suffix (`reports/pytest-render/`), as conftest.py does, so a
local run and a deployed run sit side by side instead of overwriting each other.
"""

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REPORTS = ROOT / "reports"
KINDS = ("local", "render", "ngrok", "url")  # display order
LABELS = {"local": "Local", "render": "Render", "ngrok": "ngrok", "url": "Deployment (URL)"}


def kind_of(name: str) -> str:
    """`local-sqlite` / `local-postgres` / `local` -> `local`; `render` -> `render`."""
    return "local" if name == "local" or name.startswith("local-") else name


@dataclass(frozen=True)
class Layout:
    reports: Path = DEFAULT_REPORTS

    def _suffixed(self, base: str, kind: str) -> Path:
        return self.reports / (base if kind == "local" else f"{base}-{kind}")

    def pytest_dir(self, kind: str) -> Path:
        return self._suffixed("pytest", kind)

    def screens_dir(self, kind: str) -> Path:
        return self._suffixed("screens", kind)

    def locust_dir(self, kind: str) -> Path:
        return self._suffixed("locust", kind)

    def smoke_file(self, name: str) -> Path:
        return self.reports / "smoke" / f"smoke-{name}.txt"

    def curl_dir(self, name: str) -> Path:
        return self.reports / "curl" / name

    @property
    def postman_dir(self) -> Path:
        return self.reports / "postman"

    @property
    def schemathesis_dir(self) -> Path:
        return self.reports / "schemathesis"

    @property
    def evidence_dir(self) -> Path:
        return self.reports / "evidence"

    def manifest(self, kind: str) -> Path:
        return self.evidence_dir / f"run-{kind}.json"

    def log_file(self, step: str, kind: str) -> Path:
        return self.evidence_dir / "logs" / f"{step}-{kind}.log"

    @property
    def bench_file(self) -> Path:
        return self.reports / "bench" / "bench.json"

    @property
    def page(self) -> Path:
        return self.reports / "evidence.html"
