"""The Locust tooling works end to end: a 10-second `light` run against a service this test
starts itself, through the scenario runner exactly as a person would run it.

Local-only on purpose (a load test against a free-plan deployment is not a unit of CI),
and it writes under tmp_path so it never overwrites the real runs in reports/local/locust/.
"""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.load, pytest.mark.local_only]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_light_scenario_runs_without_unexpected_failures(tmp_path: Path) -> None:
    results = tmp_path / "locust"
    command = [sys.executable, "-m", "tooling.loadtest", "light", "--run-time", "10s"]
    command += ["--results-dir", str(results)]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    output = f"{run.stdout[-6000:]}\n{run.stderr[-3000:]}"
    assert run.returncode == 0, output

    for name in ("stats", "stats_history", "failures", "exceptions"):
        assert (results / f"light_{name}.csv").is_file(), name
    stats = _rows(results / "light_stats.csv")
    assert stats[-1]["Name"] == "Aggregated"
    assert _rows(results / "light_failures.csv") == []
    assert _rows(results / "light_exceptions.csv") == []
    assert len(_rows(results / "light_stats_history.csv")) > 1

    final = json.loads((results / "light.json").read_text())
    total = sum(entry["num_requests"] for entry in final)
    assert sum(entry["num_failures"] for entry in final) == 0, output
    assert total >= int(stats[-1]["Request Count"]) > 0  # the JSON is the complete count
    names = {(entry["method"], entry["name"]) for entry in final}
    assert {("POST", "/orders"), ("POST", "/webhooks/payment"), ("GET", "/orders/[id]")} <= names

    outcomes = json.loads((results / "light_outcomes.json").read_text())
    assert outcomes["errors"] == [] and outcomes["paid"] is True
    summary = json.loads((results / "light_summary.json").read_text())
    assert summary["aggregated"]["requests"] == total
    assert summary["aggregated"]["failures"] == 0
    assert summary["cpu"]["locust"]["cpu_seconds"] is not None
    assert summary["cpu"]["service"]["cpu_seconds"] is not None
    assert (results / "light.html").stat().st_size > 0
    assert (results / "light_summary.md").read_text().startswith("### Locust `light`")
