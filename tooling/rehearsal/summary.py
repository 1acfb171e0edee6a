"""Each step's outcome, and the summary of them all: `summary.md` and `summary.json` under
the rehearsal's reports root (also printed), with the timings of the runs made both through
the latency and straight to the edge."""

import json
import re
import time
from dataclasses import asdict, dataclass

from tooling.layout import RehearsalRun


@dataclass
class Outcome:
    name: str
    ok: bool
    seconds: float
    path: str  # "30 ms each way" / "direct"
    command: str
    detail: str = ""
    log: str = ""


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return re.sub(r"\s+", " ", lines[-1])[:200] if lines else "(no output)"


def write_summary(
    run: RehearsalRun, outcomes: list[Outcome], facts: dict[str, object], delay_ms: float
) -> None:
    pairs = timings(outcomes)
    lines = [
        f"# Render rehearsal ({time.strftime('%Y-%m-%d %H:%M')})",
        "",
        f"commit {facts.get('commit')}; public URL {facts.get('public_url')} "
        f"(delay proxy, +{delay_ms:g} ms each way) -> Caddy {facts.get('edge')} "
        f"(tls internal, CA {facts.get('ca_bundle')}) -> the start command; "
        f"AUTH_FAILURE_LIMIT {facts.get('auth_failure_limit')}; total "
        f"{facts.get('total_s', 0):.0f} s",
        "",
        "| step | result | seconds | path | detail |",
        "|---|---|---|---|---|",
    ]
    for o in outcomes:
        detail = o.detail.replace("|", "\\|")
        lines.append(
            f"| {o.name} | {'ok' if o.ok else 'FAILED'} | {o.seconds:.1f} | {o.path} | {detail} |"
        )
    if pairs:
        lines += ["", "| the same run | +latency | direct | difference |", "|---|---|---|---|"]
        lines += [f"| {n} | {a:.1f} s | {b:.1f} s | {a - b:+.1f} s |" for n, a, b in pairs]
    text = "\n".join(lines) + "\n"
    run.summary_md.write_text(text)
    run.summary_json.write_text(
        json.dumps(
            {
                "facts": facts,
                "steps": [asdict(o) for o in outcomes],
                "timings": [{"run": n, "latency_s": a, "direct_s": b} for n, a, b in pairs],
            },
            indent=2,
            default=str,
        )
    )
    print("\n" + text, flush=True)


def timings(outcomes: list[Outcome]) -> list[tuple[str, float, float]]:
    by_name = {o.name: o for o in outcomes}
    pairs = [
        ("pytest --target=render", "pytest-1", "pytest-2"),
        ("suites/smoke.py", "smoke-warm", "smoke-direct"),
        ("python -m postman.run (warm)", "postman-warm", "postman-direct"),
    ]
    return [
        (label, by_name[a].seconds, by_name[b].seconds)
        for label, a, b in pairs
        if a in by_name and b in by_name
    ]
