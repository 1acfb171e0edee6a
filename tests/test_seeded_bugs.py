"""The seeded-bug harness (tooling.seeded_bugs): its bugs still aim at the service, it refuses
a bug that does not, it patches only a copy, keeps secrets off argv, reads the suites'
results right and scores them; one real mutant end to end (marked `seeded_bug`)."""

import filecmp
import re
from dataclasses import replace
from pathlib import Path

import pytest

from tooling.layout import Reports
from tooling.seeded_bugs import report
from tooling.seeded_bugs.__main__ import main
from tooling.seeded_bugs.bugs import BUGS, ROOT, Bug, SnippetError, by_name
from tooling.seeded_bugs.harness import (
    BASELINE,
    COPIED,
    SLOW_LAST,
    Deployment,
    RunResult,
    generated_secrets,
    interpret,
    make_copy,
    run_one,
    suite_command,
    suite_files,
)


def test_bugs_are_named_once_in_kebab_case_with_one_line_descriptions():
    names = [bug.name for bug in BUGS]
    assert len(names) == len(set(names)) and BASELINE not in names
    for bug in BUGS:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", bug.name), bug.name
        assert bug.description and "\n" not in bug.description, bug.name
        assert bug.file.startswith("service/") and bug.original != bug.replacement, bug.name
    for wanted in ("api-keys-not-enforced", "rate-limit-not-enforced", "oversell-read-check-write"):
        assert wanted in names


@pytest.mark.parametrize("bug", BUGS, ids=lambda bug: bug.name)
def test_each_snippet_is_in_the_service_exactly_once_and_the_mutant_compiles(bug):
    assert bug.occurrences() == 1, f"{bug.name}: re-aim it at the current {bug.file}"
    patched = bug.patched()
    assert patched != (ROOT / bug.file).read_text()
    compile(patched, bug.file, "exec")  # a syntax error would be "caught" for nothing


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    return make_copy(tmp_path_factory.mktemp("seeded") / "repo")


def test_a_missing_snippet_is_refused(copy):
    ghost = Bug("ghost", "a refactor moved this", "service/orders.py", "no such code\n", "x\n")
    before = (copy / ghost.file).read_text()
    with pytest.raises(SnippetError, match=r"occurs 0 times in service/orders\.py"):
        ghost.apply(copy)
    assert (copy / ghost.file).read_text() == before
    with pytest.raises(SnippetError, match="does not exist"):
        replace(ghost, file="service/gone.py").patched(copy)


def test_an_ambiguous_snippet_is_refused(copy):
    twice = Bug("twice", "ambiguous", "service/orders.py", "OrderStatus.PENDING", "X")
    with pytest.raises(SnippetError, match=r"occurs \d+ times"):
        twice.apply(copy)


def test_the_repository_itself_is_never_patched():
    with pytest.raises(ValueError, match="copy"):
        BUGS[0].apply(ROOT)


def test_a_bug_changes_only_its_file_in_the_copy(tmp_path):
    bug = by_name(["duplicate-sku-404"])[0]
    original = (ROOT / bug.file).read_text()
    mutant = make_copy(tmp_path / "repo")
    assert sorted(p.name for p in mutant.iterdir()) == sorted(COPIED)
    bug.apply(mutant)
    assert (ROOT / bug.file).read_text() == original
    changed = [
        path.relative_to(mutant).as_posix()
        for path in mutant.rglob("*")
        if path.is_file() and not filecmp.cmp(path, ROOT / path.relative_to(mutant), shallow=False)
    ]
    assert changed == [bug.file]


def test_by_name_keeps_the_order_asked_and_names_unknown_bugs():
    assert [b.name for b in by_name(["sort-descending-ignored", "duplicate-sku-404"])] == [
        "sort-descending-ignored",
        "duplicate-sku-404",
    ]
    assert by_name([]) == list(BUGS)
    with pytest.raises(KeyError, match="nope"):
        by_name(["nope"])


def test_suite_files_are_the_remote_suites_with_the_slow_ones_last():
    files = suite_files()
    assert not any(f.startswith("suites/unit") for f in files)
    assert sorted(files) == sorted(
        p.relative_to(ROOT).as_posix() for p in (ROOT / "suites").glob("test_*.py")
    )
    assert files[-len(SLOW_LAST) :] == [f"suites/{name}" for name in SLOW_LAST]


def test_the_deployment_is_the_render_blueprint():
    deployment = Deployment.from_blueprint()
    assert deployment.workers == 2
    assert deployment.env["ENVIRONMENT"] == "production"
    assert re.fullmatch(r"\d+/(second|minute|hour)", deployment.env["RATE_LIMIT"])
    assert "PYTHON_VERSION" not in deployment.env
    assert not {"WEBHOOK_SECRET", "API_KEYS", "DATABASE_URL"} & deployment.env.keys()
    assert deployment.describe()["workers"] == 2


def test_secrets_are_fresh_and_never_on_the_command_line(tmp_path):
    webhook_secret, api_key = generated_secrets()
    assert (webhook_secret, api_key) != generated_secrets()
    run = Reports(tmp_path).seeded_bug_run("x")
    command = " ".join(suite_command("http://127.0.0.1:1", run, ["suites/test_orders.py"], 3))
    assert webhook_secret not in command and api_key not in command
    assert "--base-url http://127.0.0.1:1" in command and "--maxfail=3" in command


def results(*outcomes: str, exit_status: int = 1, passed: int = 5) -> dict:
    tests = [{"nodeid": f"suites/test_x.py::t{i}", "outcome": o} for i, o in enumerate(outcomes)]
    return {"exit_status": exit_status, "summary": {"passed": passed}, "tests": tests}


def test_interpreting_the_suites_results():
    assert interpret(results("passed", "failed", "skipped", "failed"), 1) == (
        "caught",
        ["suites/test_x.py::t1", "suites/test_x.py::t3"],
        None,
    )
    assert interpret(results("passed", exit_status=0), 0) == ("passed", [], None)
    assert interpret(None, 4)[0] == "error"  # e.g. a usage error before any test
    assert interpret(results("passed", exit_status=3), 3)[0] == "error"  # pytest.exit
    assert interpret(results("passed", exit_status=1), 1)[0] == "error"  # 1 without a failure
    assert interpret(results(exit_status=0, passed=0), 0)[0] == "error"  # nothing ran


def score_of(*results: RunResult, baseline_passed: bool = True) -> dict:
    reports = Reports(Path("/tmp/reports"))
    bugs = [report.bug_entry(by_name([r.name])[0], r, reports) for r in results]
    baseline = RunResult(BASELINE, "passed" if baseline_passed else "caught", summary={"passed": 9})
    return {
        "started_at": "2026-12-01T00:00:00+00:00",
        "duration_s": 75.0,
        "command": "python -m tooling.seeded_bugs",
        "complete": False,
        "known": len(BUGS),
        "selected": len(results),
        "maxfail": 3,
        "deployment": Deployment.from_blueprint().describe(),
        "baseline": report.baseline_entry(baseline, reports),
        "bugs": bugs,
        "totals": report.totals(bugs),
    }


def test_score_summary_and_exit_verdict():
    caught = RunResult("duplicate-sku-404", "caught", ["suites/test_products.py::t"], {}, 4.2)
    smoke = RunResult("create-product-200", "caught", ["suites/test_products.py::u"], {}, 3.0, True)
    survived = RunResult("rate-limit-not-enforced", "passed", [], {"passed": 9}, 30.0)
    broken = RunResult("sort-descending-ignored", "error", error="service did not start")
    score = score_of(caught, smoke, survived, broken)
    assert score["totals"] == {"caught": 2, "total": 4, "smoke_caught": 1, "errors": 1}
    entry = score["bugs"][0]
    assert entry["caught_by"] == ["suites/test_products.py::t"] and entry["caught"]
    assert entry["log"] == "seeded-bugs/duplicate-sku-404/pytest.txt"
    assert entry["file"] == "service/problems.py" and entry["description"]
    assert not report.succeeded(score)
    assert report.succeeded(score_of(caught, smoke))
    assert not report.succeeded(score_of(caught, smoke, baseline_passed=False))
    text = report.markdown(score)
    assert "**2 of 4**" in text and "**1 of 4**" in text and "SURVIVED" in text
    assert "| `duplicate-sku-404`:" in text and "ERROR" in text
    assert "rate-limit-not-enforced" in report.table(score)


def test_the_command_refuses_unknown_bugs_and_lists_the_known(capsys):
    assert main(["--bug", "no-such-bug"]) == 2
    assert "unknown bug(s): no-such-bug" in capsys.readouterr().err
    assert main(["--list"]) == 0
    assert all(bug.name in capsys.readouterr().out for bug in BUGS[:1])


@pytest.mark.seeded_bug
@pytest.mark.requires("postgres")
def test_one_mutant_end_to_end(tmp_path):
    """The baseline passes a suite test and the smoke script; a copy with
    `create-product-200` fails both, and the run names the failing test."""
    reports = Reports(tmp_path)
    deployment = Deployment.from_blueprint()
    test = "suites/test_products.py::test_product_crud_story"
    baseline = run_one(BASELINE, None, deployment, reports.seeded_bug_run(BASELINE), files=[test])
    assert baseline.passed, (baseline.error, baseline.failed, baseline.smoke_failure)
    bug = by_name(["create-product-200"])[0]
    mutant = run_one(bug.name, bug, deployment, reports.seeded_bug_run(bug.name), files=[test])
    assert mutant.status == "caught", mutant.error
    assert mutant.failed == [f"{test}[url]"]
    assert mutant.smoke_failed and "create product" in (mutant.smoke_failure or "")
    run = reports.seeded_bug_run(bug.name)
    log = run.service_log.read_text()
    assert "environment=production" in log and "api_keys=on" in log
    assert "POST /products 200" in log  # the copy served, with the bug in it
