"""The evidence page (`python -m evidence`): rendered from fixture artifacts, complete and
broken in the ways a real run breaks (a step missing, skipped or failing, an artifact of
another target in the wrong place), the registry of steps it is built from, and built end
to end from a short real local run in a real browser.

The renderer tests need no server. The end-to-end test needs a Chromium (`requires`: a
skip with the reason without one, a failure where CI sets REQUIRE_CHROMIUM=1).
"""

import argparse
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

from evidence import render as render_module
from evidence import steps as registry
from evidence import swagger
from evidence.__main__ import parse_args
from evidence.charts import history_charts
from evidence.collect import collect
from evidence.model import FAILED, PASSED, SKIPPED
from evidence.render import NOT_MEASURED, environment, reflection_context, render_page
from evidence.runner import Context, Progress
from evidence.step import Step
from evidence.steps import BY_NAME, STEPS
from tooling import browser, capabilities
from tooling.layout import Reports, TargetReports
from tooling.target import Target

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "evidence" / "fixtures" / "complete"
TEMPLATES = ROOT / "evidence" / "templates"


@pytest.fixture
def reports(tmp_path: Path) -> Reports:
    """A private copy of the complete fixture set, to break as each test needs."""
    shutil.copytree(FIXTURE, tmp_path / "reports")
    return Reports(tmp_path / "reports")


@pytest.fixture
def local(reports: Reports) -> TargetReports:
    return reports.target("local")


def render(reports: Reports) -> tuple[str, str]:
    page, evidence = render_page(reports)
    return page.read_text(encoding="utf-8"), evidence.verdict


def edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def checklist(reports: Reports, kind: str = "local") -> dict:
    return {line.name: line for line in collect(reports).targets[kind].checklist}


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


def test_complete_fixture_renders_a_green_page(reports: Reports) -> None:
    html, verdict = render(reports)
    assert verdict == "passed"
    assert '<div class="verdict passed">PASS</div>' in html
    assert "1.0.0" in html and "abc1234" in html  # version and commit from the run manifest
    assert html.count("data:image/png;base64,") == 13  # 11 steps + /docs + /redoc
    assert "Errors / Duplicate sku" in html  # Postman, per request
    assert "SMOKE OK" in html
    assert "curl -sS -X POST http://127.0.0.1:8123/products" in html
    assert 'href="local/pytest/report.html"' in html  # relative link to the pytest-html report
    assert "suites/test_concurrency.py" in html and "local-postgres" in html
    assert html.count("<svg") == 4  # RPS + latency per scenario, inline
    assert "Aggregated" in html and "729" in html  # Locust table


def test_reflection_takes_its_figures_from_the_runs(reports: Reports) -> None:
    html, _ = render(reports)
    reflection = " ".join(html[html.index('id="reflection"') :].split())
    assert "heavy p99 14 ms" in reflection  # locust.heavy.aggregated.p99 of the fixture
    assert "7 local tests passed, 0 failed" in reflection  # tests.local.*
    assert "Locust heavy p95 8 ms" in reflection
    assert "duplicate_sku" in reflection  # a real error body from the Postman run
    for part in "ABCDEFGHIJK":
        assert re.search(rf"<h3>{part}\. ", reflection), f"Part {part} missing"
    assert "{{" not in reflection and "{%" not in reflection


def test_missing_steps_are_shown_as_missing_and_the_verdict_is_not_green(
    reports: Reports, local: TargetReports
) -> None:
    shutil.rmtree(local.screens)
    for path in local.locust.glob("heavy_*"):
        path.unlink()
    local.manifest.unlink()
    html, verdict = render(reports)
    assert verdict == "incomplete"
    assert '<div class="verdict incomplete">INCOMPLETE</div>' in html
    assert "Swagger screenshots (local): not measured in this run" in html
    assert "no heavy run in reports/" in html
    assert NOT_MEASURED in html[html.index('id="reflection"') :]


def mark_step(local: TargetReports, name: str, drop: Path | None = None, **fields) -> None:
    """Drop a step's artifacts (`drop`) and record the step in the run manifest as `fields` say."""
    if drop is not None:
        shutil.rmtree(drop) if drop.is_dir() else drop.unlink()
    edit_json(
        local.manifest,
        lambda run: [s.update(fields) for s in run["steps"] if s["name"] == name],
    )


@pytest.mark.parametrize(
    ("status", "detail", "verdict", "shown"),
    [  # skipped on purpose: skipped, not missing; failed without artifacts: failed, not missing
        ("skipped", "--skip-locust", "incomplete", "skipped (--skip-locust)"),
        ("failed", "light: exit 2", "failed", "light: exit 2"),
    ],
)
def test_a_step_without_artifacts_is_shown_as_the_run_recorded_it(
    reports: Reports, local: TargetReports, status: str, detail: str, verdict: str, shown: str
) -> None:
    mark_step(local, "locust", local.locust, status=status, detail=detail)
    html, got = render(reports)
    assert got == verdict
    assert shown in html
    assert checklist(reports)["locust"].status == status


def test_failed_steps_are_shown_with_their_details_and_the_verdict_is_red(
    reports: Reports, local: TargetReports
) -> None:
    def fail_first(results: dict) -> None:
        results["exit_status"] = 1
        results["tests"][0].update(outcome="failed")

    edit_json(local.pytest / "results.json", fail_first)
    junit = (local.pytest / "junit.xml").read_text()
    junit = junit.replace(
        'name="test_create_product[local-sqlite]" time="0.05"/>',
        'name="test_create_product[local-sqlite]" time="0.05"><failure message="AssertionError:'
        ' expected 201, got 500">traceback line 42</failure></testcase>',
    )
    (local.pytest / "junit.xml").write_text(junit)
    local.smoke("local").write_text(
        "GET /health -> 200 (health)\nFAIL pay: expected 200, got 401\n"
    )

    def fail_step_8(walk: dict) -> None:
        walk["steps"][7].update(ok=False, status=500, problem="status 500, expected 201")
        walk["ok"] = False

    edit_json(local.screens / "walkthrough.json", fail_step_8)

    html, verdict = render(reports)
    assert verdict == "failed"
    assert '<div class="verdict failed">FAIL</div>' in html
    assert "AssertionError: expected 201, got 500" in html and "traceback line 42" in html
    assert "FAIL pay: expected 200, got 401" in html
    assert "status 500, expected 201" in html
    assert html.count('<span class="chip failed">failed</span>') >= 3


def deployed_copy(reports: Reports, kind: str = "render", url: str = "https://oi.onrender.com"):
    """The local fixture's pytest, Locust and curl artifacts as a deployment's run would
    leave them: in its own directory, recording that target."""
    local, remote = reports.target("local"), reports.target(kind)
    for source, dest in (
        (local.pytest, remote.pytest),
        (local.locust, remote.locust),
        (local.curl("local"), remote.curl(kind)),
    ):
        shutil.copytree(source, dest)
    edit_json(remote.pytest / "results.json", lambda r: r.update(target=kind, base_url=url))
    for summary in remote.locust.glob("*_summary.json"):
        edit_json(summary, lambda s: s["run"].update(target_kind=kind, target_name=kind))
    transcript = remote.curl(kind) / "transcript.json"
    transcript.write_text(transcript.read_text().replace("http://127.0.0.1:8123", url))
    return remote


@pytest.mark.parametrize("variant", ["complete", "empty", "remote"])
def test_the_page_loads_nothing_from_outside(reports: Reports, variant: str) -> None:
    if variant == "empty":
        shutil.rmtree(reports.root)
        reports.root.mkdir()
    if variant == "remote":  # a deployed run beside the local one: its https URL is text only
        deployed_copy(reports)
    html, _ = render(reports)
    assert_self_contained(html)
    if variant == "remote":
        assert "https://oi.onrender.com" in html and 'id="compare"' in html
        assert "Local vs Render" in html


def test_charts_are_inline_svg_without_urls() -> None:
    charts = history_charts(FIXTURE / "local" / "locust" / "heavy_stats_history.csv", "heavy")
    assert charts is not None and charts["points"] == 30
    for svg in (charts["rps"], charts["latency"]):
        assert svg.startswith("<svg") and "<script" not in svg
        assert not re.search(r"https?://", svg)


def test_the_reflection_renders_with_no_runs_at_all(tmp_path: Path) -> None:
    evidence = collect(Reports(tmp_path))
    assert evidence.targets == {}
    text = environment().get_template("reflection.md").render(reflection_context(evidence))
    assert text.count(NOT_MEASURED) > 20
    assert "None" not in text.replace("None of", "")


# --- the registry of steps -----------------------------------------------------------------


def test_every_registered_step_has_a_checklist_row_a_template_block_and_a_section(
    reports: Reports,
) -> None:
    names = [step.name for step in STEPS]
    assert names == ["pytest", "postman", "smoke", "curl", "swagger", "locust"]
    assert len({step.order for step in STEPS}) == len(STEPS)
    html, _ = render(reports)
    rows = collect(reports).targets["local"].checklist
    assert [row.name for row in rows] == names
    skip_flags = vars(parse_args([]))
    for step in STEPS:
        assert (TEMPLATES / step.template).is_file(), step.template
        assert html.count(f'<section id="{step.name}">') == 1, step.name
        assert f'<a href="#{step.name}">' in html  # navigation and checklist link
        assert (f"skip_{step.name}" in skip_flags) == (step.run is not None)
        assert step.run or step.run_by in names, f"{step.name}: no run and no producer"


def test_a_new_step_is_one_step_declaration_plus_one_template_block(
    reports: Reports, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What evidence/steps/__init__.py promises: the CLI, the checklist, the navigation and
    the page follow a new registered step with no other edit."""
    extra = Step("extra", "Extra evidence", 70, read=lambda reports: None, run=lambda ctx: None)
    block = tmp_path / "templates" / "steps" / "extra.html.j2"
    block.parent.mkdir(parents=True)
    block.write_text('<section id="{{ step.name }}"><h2>{{ step.title }}</h2></section>\n')
    monkeypatch.setattr(registry, "STEPS", [*registry.STEPS, extra])
    monkeypatch.setattr(
        render_module, "TEMPLATE_DIRS", [*render_module.TEMPLATE_DIRS, block.parents[1]]
    )
    assert parse_args(["--skip-extra"]).skip_extra
    assert checklist(reports)["extra"].status == "missing"
    html, verdict = render(reports)
    assert verdict == "incomplete"  # a registered step without evidence is never a pass
    assert '<section id="extra"><h2>Extra evidence</h2></section>' in html
    assert '<a href="#extra">Extra evidence</a>' in html


def test_the_postman_row_comes_from_postmans_own_artifact(
    reports: Reports, local: TargetReports
) -> None:
    mark_step(local, "pytest", status="failed", detail="exit 1; 1 failed, 6 passed")
    rows = checklist(reports)
    assert rows["pytest"].status == FAILED
    assert rows["postman"].status == PASSED  # the collection passed, whatever pytest did

    def fail_one_request(results: dict) -> None:
        results["passed"] = False
        results["requests"][0]["tests"][0].update(passed=False, error="expected 201")

    mark_step(local, "pytest", status="passed", detail="exit 0")
    edit_json(local.postman("local-sqlite"), fail_one_request)
    rows = checklist(reports)
    assert (rows["pytest"].status, rows["postman"].status) == (PASSED, FAILED)

    mark_step(
        local, "pytest", local.postman("local-sqlite"), status="skipped", detail="--skip-pytest"
    )
    assert checklist(reports)["postman"].status == SKIPPED
    assert "with pytest" in checklist(reports)["postman"].note


def test_an_artifact_of_another_target_is_refused_never_mixed(reports: Reports) -> None:
    remote = deployed_copy(reports)
    # a Locust run against the deployment written into the local directory, and local
    # pytest results left in the deployment's: both refused with the reason
    edit_json(
        reports.target("local").locust / "heavy_summary.json",
        lambda s: s["run"].update(target_kind="render", target_name="render"),
    )
    shutil.copy(reports.target("local").pytest / "results.json", remote.pytest / "results.json")
    evidence = collect(reports)
    local_rows, remote_rows = checklist(reports), checklist(reports, "render")
    assert local_rows["locust"].status == FAILED
    assert "heavy: recorded target 'render', but it sits in the 'local' reports" in (
        local_rows["locust"].note
    )
    assert remote_rows["pytest"].status == FAILED
    assert "recorded target 'local'" in remote_rows["pytest"].note
    groups = {row.group for row in evidence.comparisons[0].rows}
    assert "pytest" not in groups and "Locust heavy" not in groups  # no figure from a refusal
    assert "Locust light" in groups
    html, verdict = render(reports)
    assert verdict == "failed"
    assert html.count('<span class="chip failed">refused</span>') >= 2


@pytest.mark.parametrize(
    ("where", "why"),
    [
        ("smoke", "recorded target 'render'"),  # a smoke output named after another target
        ("curl", "is not a local service"),  # a transcript against a remote URL
        ("swagger", "recorded target 'url'"),
    ],
)
def test_refusal_by_name_by_base_url_and_by_record(
    reports: Reports, local: TargetReports, where: str, why: str
) -> None:
    if where == "smoke":
        local.smoke("local").rename(local.smoke("render"))
    if where == "curl":
        transcript = local.curl("local") / "transcript.json"
        edit_json(transcript, lambda t: t.update(base_url="https://oi.onrender.com"))
    if where == "swagger":
        edit_json(local.screens / "walkthrough.json", lambda w: w.update(target="url"))
    row = checklist(reports)[where]
    assert row.status == FAILED and why in row.note


# --- the Swagger step and the browser helper ----------------------------------------------


def swagger_context(tmp_path: Path) -> Context:
    target = Target("local", "local", "http://127.0.0.1:9")
    return Context(BY_NAME["swagger"], target, Reports(tmp_path), Progress(1), argparse.Namespace())


@pytest.mark.parametrize("required", [False, True])
def test_no_browser_skips_the_swagger_step_or_fails_it_where_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, required: bool
) -> None:
    reason = "no Chromium or Chrome found: install one"
    monkeypatch.setattr(capabilities, "problem", lambda capability: reason)
    monkeypatch.setenv("REQUIRE_CHROMIUM", "1" if required else "0")
    result = BY_NAME["swagger"].run(swagger_context(tmp_path))
    assert result.status == (FAILED if required else SKIPPED)
    assert reason in result.detail


def test_a_failed_walk_says_why_once() -> None:
    steps = [
        {"index": i, "slug": f"s{i}", "status": None, "problem": None, "ok": False, "ran": False}
        for i in range(1, 12)
    ]
    record = {"steps": steps, "cause": "opening http://x/docs: TimeoutError: 30000ms exceeded"}
    lines = swagger.report(record)
    assert lines == [
        "11 later step(s) not run",
        "FAILED: opening http://x/docs: TimeoutError: 30000ms exceeded",
    ]


def test_browser_contexts_pass_ngroks_warning_and_the_api_key() -> None:
    class FakeBrowser:
        def new_context(self, **options):
            return options

    options = browser.new_context(FakeBrowser(), api_key="k-123")
    assert options["extra_http_headers"] == {
        "ngrok-skip-browser-warning": "1",
        "X-API-Key": "k-123",
    }
    assert "X-API-Key" not in browser.new_context(FakeBrowser())["extra_http_headers"]
    assert "--disable-background-networking" in browser.HARDENED_ARGS


# --- end to end: a short real local run -------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.local_only
@pytest.mark.requires("chromium")
def test_a_short_real_local_run_builds_the_page(tmp_path: Path) -> None:
    if os.environ.get("EVIDENCE_RUN") == "1":
        pytest.skip("already inside `python -m evidence` (which would run itself recursively)")
    out = Reports(tmp_path / "reports")
    local = out.target("local")
    command = [sys.executable, "-m", "evidence", "--target", "local", "--skip-locust"]
    command += ["--pytest-args", "suites/unit -q -p no:cacheprovider"]
    command += ["--reports-dir", str(out.root)]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=280)
    output = f"{run.stdout[-8000:]}\n{run.stderr[-4000:]}"
    assert run.returncode == 0, output
    assert "[4/4] Swagger UI walk-through" in run.stdout  # progress: step and elapsed time

    html = out.page.read_text(encoding="utf-8")
    assert html.count("data:image/") >= 8, output
    assert "SMOKE OK" in html
    transcript = json.loads((local.curl("local") / "transcript.json").read_text())
    assert all(step["ok"] for step in transcript["steps"])
    assert str(escape(transcript["steps"][0]["command"])) in html
    walk = json.loads((local.screens / "walkthrough.json").read_text())
    assert walk["ok"] and [s["status"] for s in walk["steps"]][:5] == [201, 200, 200, 200, 204]
    assert walk["target"] == "local" and walk["cause"] is None
    assert len(list(local.screens.glob("[0-9][0-9]-*.png"))) >= 11
    assert "skipped (--skip-locust)" in html  # honest about what did not run
    assert '<div class="verdict incomplete">' in html
    assert_self_contained(html)
    manifest = json.loads(local.manifest.read_text())
    assert manifest["version"] and manifest["git_commit"] and manifest["target"] == "local"
    logs = [p.read_text() for p in local.log("x").parent.glob("*.log")]
    assert logs and not any("whsec_" in text for text in [json.dumps(manifest), run.stdout, *logs])
