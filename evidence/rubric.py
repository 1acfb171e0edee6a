"""The assignment's grading rubric, judged from the collected runs: the one place that says
what each row needs for a full mark and how that is read from the evidence.

Each row (its title, weight and what it asks live in evidence/assignment.toml) has checks
(`CHECKS`), each judged per target column, only for deployed columns, or once for the page;
`assess` judges them all. What they are made of (Result, Check, Judged, Cell, Row, the View
of one target's evidence and `reading`) and how a cell's status combines its results:
evidence/rubric_model.py.
"""

import re
from collections.abc import Callable
from typing import Any

from evidence.model import FAILED, MISSING
from evidence.rubric_model import (
    DEPLOYED,
    MET,
    NA,
    PAGE,
    TARGET,
    Cell,
    Check,
    Judged,
    Judgement,
    Result,
    Row,
    View,
    assignment,
    combine,
    questions,
    reading,
)

# evidence.rubric's names, wherever they are defined (render, sections and tests read them)
__all__ = [
    "CHECKS",
    "Cell",
    "Check",
    "Judged",
    "Result",
    "Row",
    "View",
    "assess",
    "assignment",
    "combine",
    "questions",
]


def _suites(*names: str, what: str) -> Callable[[View], Result]:
    @reading("pytest", "no pytest results")
    def judge(view: View, run: Any) -> Judgement:
        passed, failed, skipped = view.files(*names)
        observed = f"{passed} passed, {failed} failed, {skipped} skipped"
        if failed:
            return FAILED, observed
        return (MET, observed) if passed else (MISSING, f"no {what} ran")

    return judge


@reading("pytest", "no pytest results", anchor="schemathesis")
def _schemathesis(view: View, run: Any) -> Judgement:
    passed, failed, _ = view.files("suites/test_schemathesis.py")
    if failed:
        return FAILED, f"{failed} of {passed + failed} runs failed"
    if not passed:
        return MISSING, "it did not run"
    counts = [
        re.match(r"(\d+) generated", f.cases or "") for f in run.schemathesis if not f.foreign
    ]
    cases = sum(int(c.group(1)) for c in counts if c)
    return MET, f"{passed} runs passed" + (
        f"; {cases:,} cases in the fixed-seed ones" if cases else ""
    )


@reading("coverage", "no recorded exchanges")
def _coverage(view: View, coverage: Any) -> Judgement:
    matrix = coverage.matrix
    observed = f"{matrix.exercised} of {matrix.documented} documented codes received"
    if matrix.unexercised_operations:
        return MISSING, f"never called: {', '.join(matrix.unexercised_operations[:3])}; {observed}"
    return MET, observed


@reading("postman", "no Postman run")
def _error_bodies(view: View, run: Any) -> Judgement:
    if not run.ok:
        return FAILED, "the collection failed"
    observed = f"{len(run.error_bodies)} distinct error codes with their bodies"
    return (MET if len(run.error_bodies) >= 5 else MISSING), observed


def _step_ok(step: str, what: str) -> Callable[[View], Result]:
    @reading(step, f"no {what}")
    def judge(view: View, value: Any) -> Judgement:
        return (MET if value.ok else FAILED), _observed(step, value)

    return judge


def _observed(step: str, value: Any) -> str:
    if step in ("swagger", "curl"):
        done = sum(1 for s in value.steps if s.ok)
        if step == "curl":
            return f"{done}/{len(value.steps)} commands as documented"
        return f"{done}/{len(value.steps)} steps as expected, {value.images} screenshots"
    if step == "postman":
        summary = value.summary or {}
        return f"{summary.get('tests_passed', '?')}/{summary.get('tests', '?')} checks passed"
    return "SMOKE OK" if value.ok else "no SMOKE OK line"


@reading("curl", "no curl transcript")
def _webhook_curl(view: View, run: Any) -> Judgement:
    hooks = [s for s in run.steps if "/webhooks/payment" in s.command]
    refused = [s for s in hooks if s.expected in (401, 403)]
    accepted = [s for s in hooks if s.expected == 200]
    if any(not s.ok for s in hooks):
        return FAILED, "a webhook call got another status than documented"
    if not (refused and accepted):
        return MISSING, "no signed and invalid-signature calls in the transcript"
    return MET, f"signed: {accepted[0].status}, invalid signature: {refused[0].status}"


@reading("smoke", "no smoke output")
def _paid(view: View, smoke: Any) -> Judgement:
    if smoke.final_status == "PAID":
        return MET, "final order PAID"
    return FAILED, f"final order {smoke.final_status or 'not printed'}"


@reading("locust", "no Locust runs", whole=True)
def _load(view: View, scenarios: dict) -> Judgement:
    missing = [n for n in ("light", "heavy") if n not in scenarios]
    if missing:
        return MISSING, f"no {' and '.join(missing)} run"
    parts, failed, unrecorded = [], False, False
    for name in ("light", "heavy"):
        scenario, record = scenarios[name], scenarios[name].thresholds
        if record is None:
            parts.append(f"{name}: no thresholds recorded")
            failed, unrecorded = failed or not scenario.ok, True
            continue
        results = record.get("results") or []
        parts.append(f"{name} {len(results) - record.get('missed', 0)}/{len(results)}")
        if not record.get("met"):
            failed = True
            parts[-1] += " (missed: " + ", ".join(scenario.missed[:2]) + ")"
    observed = "thresholds met: " + ", ".join(parts)
    return (FAILED if failed else MISSING if unrecorded else MET), observed


@reading("pytest", "no pytest run against it")
def _deployed_suites(view: View, run: Any) -> Judgement:
    return (MET if run.ok else FAILED), f"{run.passed} passed, {run.failed} failed"


@reading("swagger", "no Swagger walk-through against it")
def _docs(view: View, walk: Any) -> Judgement:
    if any(p.title.startswith("/docs") for p in walk.pages):
        return MET, "/docs screenshot from the deployment"
    return (FAILED if walk.cause else MISSING), walk.cause or "no /docs screenshot"


def _build(view: View) -> Result:
    build = view.build or {}
    commit = build.get("commit")
    if not commit:
        return Result(MISSING, "the deployment did not report its commit", "#facts")
    if build.get("matches") is False:
        observed = f"deployed {commit[:12]}, checkout {build.get('checkout')} (rolling out?)"
        return Result(FAILED, observed, "#facts")
    return Result(MET, f"deployed commit {commit[:12]} = checkout", "#facts")


def _a_deployment(evidence) -> Result:
    real = [k for k, t in evidence.targets.items() if k != "local" and not t.rehearsal]
    rehearsals = [t.label for k, t in evidence.targets.items() if k != "local" and t.rehearsal]
    if real:
        return Result(MET, ", ".join(evidence.targets[k].label for k in real), "#checklist")
    if rehearsals:
        return Result(
            MISSING, f"only a rehearsal ({', '.join(rehearsals)}), no Render run", "#checklist"
        )
    return Result(MISSING, "no deployed run", "#checklist")


def _blueprint(evidence) -> Result:
    render = evidence.facts.get("render") or {}
    keys = render.get("env") or []
    if not keys:
        return Result(MISSING, "no render.yaml environment", "#reflection-H3")
    return Result(
        MET, f"render.yaml: {', '.join(keys[:6])}{'...' if len(keys) > 6 else ''}", "#reflection-H3"
    )


def _answers(*ids: str, what: str) -> Callable[[Any], Result]:
    """Those reflection answers exist and quote this run's figures (none 'not measured')."""

    def judge(evidence) -> Result:
        answers = getattr(evidence, "reflection", None)
        link = f"#reflection-{ids[0]}" if ids else "#reflection"
        if answers is None:
            return Result(MISSING, "reflection not rendered", link)
        wanted = ids or tuple(q["id"] for q in questions())
        absent = [i for i in wanted if i not in answers]
        unmeasured = [i for i in wanted if i in answers and answers[i].unmeasured]
        if absent:
            return Result(MISSING, f"{what}: no answer to {', '.join(absent)}", link)
        if unmeasured:
            return Result(
                MISSING, f"{what}: no figures from this run in {', '.join(unmeasured)}", link
            )
        return Result(MET, f"{len(wanted)} answers with this run's figures", link)

    return judge


CHECKS: dict[str, list[Check]] = {
    "api": [
        Check(
            "suites",
            "the product, order and error suites pass",
            TARGET,
            _suites(
                "test_products.py",
                "test_orders.py",
                "test_errors_and_ops.py",
                "test_idempotency.py",
                "test_concurrency.py",
                what="product or order test",
            ),
        ),
        Check(
            "schemathesis",
            "Schemathesis finds nothing against the published schema",
            TARGET,
            _schemathesis,
        ),
        Check("coverage", "every documented operation is called", TARGET, _coverage),
        Check(
            "errors", "at least five distinct JSON error bodies are shown", TARGET, _error_bodies
        ),
    ],
    "webhook": [
        Check(
            "suite",
            "the webhook suite passes",
            TARGET,
            _suites("test_webhooks.py", what="webhook test"),
        ),
        Check(
            "curl",
            "a signed call is accepted and an invalid signature refused (curl)",
            TARGET,
            _webhook_curl,
        ),
        Check("paid", "the paid order reads back PAID (smoke script)", TARGET, _paid),
        Check(
            "reasoning",
            "signature, persistence and replay protection are explained",
            PAGE,
            _answers("G1", "G2", "G3", "G4", what="reflection G"),
        ),
    ],
    "testing": [
        Check(
            "swagger",
            "the Swagger UI walk-through is as documented",
            TARGET,
            _step_ok("swagger", "Swagger walk-through"),
        ),
        Check(
            "curl",
            "the curl transcript is as documented",
            TARGET,
            _step_ok("curl", "curl transcript"),
        ),
        Check(
            "postman", "the Postman collection passes", TARGET, _step_ok("postman", "Postman run")
        ),
        Check("smoke", "the Python smoke script passes", TARGET, _step_ok("smoke", "smoke output")),
        Check("deployed", "all of it also ran against the Render deployment", PAGE, _a_deployment),
    ],
    "deployment": [
        Check("suites", "the suites pass against the deployment", DEPLOYED, _deployed_suites),
        Check("docs", "/docs opens on the deployment", DEPLOYED, _docs),
        Check("build", "the deployment reports the checkout's commit", DEPLOYED, _build),
        Check("env", "the blueprint declares the environment", PAGE, _blueprint),
        Check("deployed", "a run against the Render deployment exists", PAGE, _a_deployment),
    ],
    "load": [
        Check("thresholds", "light and heavy meet their thresholds", TARGET, _load),
        Check(
            "bottleneck",
            "the first bottleneck is located with figures",
            PAGE,
            _answers("J2", "J3", what="reflection J"),
        ),
        Check(
            "reflection",
            "every question A-K is answered with this run's figures",
            PAGE,
            _answers(what="reflection"),
        ),
    ],
}


def assess(evidence) -> list[Row]:
    """The rubric, row by row, for every collected target."""
    rows = []
    for spec in assignment()["rubric"]:
        checks = CHECKS[spec["key"]]
        cells = {}
        for kind, target in evidence.targets.items():
            view = View(kind, target.label, target.rehearsal, target.results, target.build)
            judged = []
            for check in checks:
                if check.scope == PAGE:
                    continue
                if check.scope == DEPLOYED and kind == "local":
                    judged.append(Judged(check, Result(NA, "a deployment's row"), target.label))
                else:
                    judged.append(Judged(check, check.judge(view), target.label))
            cells[kind] = Cell(judged)
        page = [Judged(c, c.judge(evidence)) for c in checks if c.scope == PAGE]
        rows.append(Row(spec["key"], spec["title"], spec["weight"], spec["asks"], cells, page))
    return rows
