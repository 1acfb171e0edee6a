"""The evidence page (`python -m evidence`): rendered from fixture artifacts, complete and
broken in the ways a real run breaks (a step missing, skipped or failing), and built end to
end from a short real local run in a real browser.

The renderer tests need no server. The end-to-end test needs Debian's Chromium: without it
the test fails and says how to install it (a skip would hide missing evidence).
"""

import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape

from evidence.charts import history_charts
from evidence.layout import Layout
from evidence.render import NOT_MEASURED, environment, reflection_context, render_page
from evidence.swagger import CHROMIUM, INSTALL_HINT

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "evidence" / "fixtures" / "complete"


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    """A private copy of the complete fixture set, to break as each test needs."""
    target = tmp_path / "reports"
    shutil.copytree(FIXTURE, target)
    return target


def render(reports: Path) -> tuple[str, str]:
    page, verdict = render_page(Layout(reports))
    return page.read_text(encoding="utf-8"), verdict


class _Resources(HTMLParser):
    """Every attribute that makes a browser fetch something, and every <script>/<link>."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "link", "iframe", "object", "embed"):
            self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "action", "poster", "data", "xlink:href"):
                self.urls.append((tag, name, value or ""))


def assert_self_contained(html: str) -> None:
    parser = _Resources()
    parser.feed(html)
    assert parser.tags == [], f"page has external-capable tags: {parser.tags}"
    for tag, name, value in parser.urls:
        assert not re.match(r"\s*(https?:)?//", value, re.I), f"<{tag} {name}={value[:80]}>"
        assert value.startswith(("data:", "#")) or "://" not in value, (
            f"<{tag} {name}={value[:80]}>"
        )
    assert not re.search(r"@import|url\(\s*['\"]?\s*(https?:)?//", html, re.I)
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.I)


# --- the renderer on fixtures ----------------------------------------------------------------


def test_complete_fixture_renders_a_green_page(reports: Path) -> None:
    html, verdict = render(reports)
    assert verdict == "passed"
    assert '<div class="verdict passed">PASS</div>' in html
    assert "1.0.0" in html and "abc1234" in html  # version and commit from the run manifest
    assert html.count("data:image/png;base64,") == 13  # 11 steps + /docs + /redoc
    assert "Errors / Duplicate sku" in html  # Postman, per request
    assert "SMOKE OK" in html
    assert "curl -sS -X POST http://127.0.0.1:8123/products" in html
    assert 'href="pytest/report.html"' in html  # relative link to the pytest-html report
    assert "suites/test_concurrency.py" in html and "local-postgres" in html
    assert html.count("<svg") == 4  # RPS + latency per scenario, inline
    assert "Aggregated" in html and "729" in html  # Locust table


def test_reflection_takes_its_figures_from_the_runs(reports: Path) -> None:
    html, _ = render(reports)
    reflection = " ".join(html[html.index('id="reflection"') :].split())
    assert "heavy p99 14 ms" in reflection  # locust.heavy.aggregated.p99 of the fixture
    assert "7 local tests passed, 0 failed" in reflection  # tests.local.*
    assert "Locust heavy p95 8 ms" in reflection
    assert "duplicate_sku" in reflection  # a real error body from the Postman run
    for part in "ABCDEFGHIJK":
        assert re.search(rf"<h3>{part}\. ", reflection), f"Part {part} missing"
    assert "{{" not in reflection and "{%" not in reflection


def test_missing_steps_are_shown_as_missing_and_the_verdict_is_not_green(reports: Path) -> None:
    shutil.rmtree(reports / "screens")
    for path in (reports / "locust").glob("heavy_*"):
        path.unlink()
    (reports / "evidence" / "run-local.json").unlink()
    html, verdict = render(reports)
    assert verdict == "incomplete"
    assert '<div class="verdict incomplete">INCOMPLETE</div>' in html
    assert "Swagger screenshots (local): not measured in this run" in html
    assert "no heavy run in reports/" in html
    assert NOT_MEASURED in html[html.index('id="reflection"') :]


def mark_locust_step(reports: Path, **fields: str) -> None:
    """Drop the Locust artifacts and record the step in the run manifest as `fields` say."""
    shutil.rmtree(reports / "locust")
    manifest = reports / "evidence" / "run-local.json"
    run = json.loads(manifest.read_text())
    for step in run["steps"]:
        if step["name"] == "locust":
            step.update(fields)
    manifest.write_text(json.dumps(run))


def test_a_step_skipped_on_purpose_is_reported_as_skipped(reports: Path) -> None:
    mark_locust_step(reports, status="skipped", detail="--skip-locust")
    html, verdict = render(reports)
    assert verdict == "incomplete"
    assert "skipped (--skip-locust)" in html


def test_failed_steps_are_shown_with_their_details_and_the_verdict_is_red(reports: Path) -> None:
    results = json.loads((reports / "pytest" / "results.json").read_text())
    results["exit_status"] = 1
    results["tests"][0].update(outcome="failed")
    (reports / "pytest" / "results.json").write_text(json.dumps(results))
    junit = (reports / "pytest" / "junit.xml").read_text()
    junit = junit.replace(
        'name="test_create_product[local-sqlite]" time="0.05"/>',
        'name="test_create_product[local-sqlite]" time="0.05"><failure message="AssertionError:'
        ' expected 201, got 500">traceback line 42</failure></testcase>',
    )
    (reports / "pytest" / "junit.xml").write_text(junit)
    smoke = reports / "smoke" / "smoke-local.txt"
    smoke.write_text("GET /health -> 200 (health)\nFAIL pay: expected 200, got 401\n")
    walk = json.loads((reports / "screens" / "walkthrough.json").read_text())
    walk["steps"][7].update(ok=False, status=500, problem="status 500, expected 201")
    walk["ok"] = False
    (reports / "screens" / "walkthrough.json").write_text(json.dumps(walk))

    html, verdict = render(reports)
    assert verdict == "failed"
    assert '<div class="verdict failed">FAIL</div>' in html
    assert "AssertionError: expected 201, got 500" in html and "traceback line 42" in html
    assert "FAIL pay: expected 200, got 401" in html
    assert "status 500, expected 201" in html
    assert html.count('<span class="chip failed">failed</span>') >= 3


def test_a_failed_run_step_without_artifacts_is_failed_not_missing(reports: Path) -> None:
    mark_locust_step(reports, status="failed", detail="locust/run_scenario.py not found")
    html, verdict = render(reports)
    assert verdict == "failed"
    assert "locust/run_scenario.py not found" in html


@pytest.mark.parametrize("variant", ["complete", "empty", "remote"])
def test_the_page_loads_nothing_from_outside(reports: Path, variant: str) -> None:
    if variant == "empty":
        shutil.rmtree(reports)
        reports.mkdir()
    if variant == "remote":  # a deployed run beside the local one: its https URL is text only
        shutil.copytree(reports / "pytest", reports / "pytest-render")
        shutil.copytree(reports / "locust", reports / "locust-render")
        shutil.copytree(reports / "curl" / "local", reports / "curl" / "render")
        transcript = reports / "curl" / "render" / "transcript.json"
        transcript.write_text(
            transcript.read_text().replace("http://127.0.0.1:8123", "https://oi.onrender.com")
        )
    html, _ = render(reports)
    assert_self_contained(html)
    if variant == "remote":
        assert "https://oi.onrender.com" in html and 'id="compare"' in html
        assert "Local vs Render" in html


def test_charts_are_inline_svg_without_urls() -> None:
    charts = history_charts(FIXTURE / "locust" / "heavy_stats_history.csv", "heavy")
    assert charts is not None and charts["points"] == 30
    for svg in (charts["rps"], charts["latency"]):
        assert svg.startswith("<svg") and "<script" not in svg
        assert not re.search(r"https?://", svg)


def test_the_reflection_renders_with_no_runs_at_all() -> None:
    data = {"targets": {}, "remotes": [], "comparisons": [], "bench": None, "facts": {}}
    data["meta"] = {}
    text = environment().get_template("reflection.md").render(reflection_context(data))
    assert text.count(NOT_MEASURED) > 20
    assert "None" not in text.replace("None of", "")


# --- end to end: a short real local run -------------------------------------------------------


@pytest.fixture
def local_only(request: pytest.FixtureRequest) -> None:
    target = request.config.getoption("--target")
    base_url = request.config.getoption("--base-url")
    if (target or "local") != "local" or base_url:
        pytest.skip(
            "local-only: the evidence build starts its own service "
            f"(this run targets {target or base_url})"
        )
    if os.environ.get("EVIDENCE_RUN") == "1":
        pytest.skip("already inside `python -m evidence` (which would run itself recursively)")


@pytest.mark.e2e
@pytest.mark.usefixtures("local_only")
def test_a_short_real_local_run_builds_the_page(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.fail(INSTALL_HINT)
    out = tmp_path / "reports"
    command = [sys.executable, "-m", "evidence", "--target", "local", "--skip-locust"]
    command += ["--pytest-args", "suites/unit -q -p no:cacheprovider", "--reports-dir", str(out)]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=280)
    output = f"{run.stdout[-8000:]}\n{run.stderr[-4000:]}"
    assert run.returncode == 0, output
    assert "[4/4] Swagger UI walk-through" in run.stdout  # progress: step and elapsed time

    html = (out / "evidence.html").read_text(encoding="utf-8")
    assert html.count("data:image/") >= 8, output
    assert "SMOKE OK" in html
    transcript = json.loads((out / "curl" / "local" / "transcript.json").read_text())
    assert all(step["ok"] for step in transcript["steps"])
    assert str(escape(transcript["steps"][0]["command"])) in html
    walk = json.loads((out / "screens" / "walkthrough.json").read_text())
    assert walk["ok"] and [s["status"] for s in walk["steps"]][:5] == [201, 200, 200, 200, 204]
    assert len(list((out / "screens").glob("[0-9][0-9]-*.png"))) >= 11
    assert "skipped (--skip-locust)" in html  # honest about what did not run
    assert '<div class="verdict incomplete">' in html
    assert_self_contained(html)
    manifest = json.loads((out / "evidence" / "run-local.json").read_text())
    assert manifest["version"] and manifest["git_commit"]
    logs = [p.read_text() for p in (out / "evidence" / "logs").glob("*.log")]
    assert not any("whsec_" in text for text in [json.dumps(manifest), run.stdout, *logs])
