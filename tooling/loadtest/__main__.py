"""Run one named Locust scenario headless against a target and summarise it.

    python -m tooling.loadtest light                      # starts the service locally
    python -m tooling.loadtest heavy --run-time 60s
    python -m tooling.loadtest capacity                   # stepped users, no think time
    python -m tooling.loadtest light --target render      # RENDER_URL, WEBHOOK_SECRET
    python -m tooling.loadtest light --base-url URL       # WEBHOOK_SECRET, API_KEY

The users live in `locust/` (locustfile.py, capacity_shape.py). Locust runs as a subprocess
(`python -m locust`, cwd = project root) and writes to the results dir (default
reports/<kind>/locust/): `<scenario>_{stats,stats_history,failures,exceptions}.csv`,
`<scenario>.html`, `<scenario>.json` (final stats: the source of truth for totals) and
`<scenario>_outcomes.json`; this runner adds `<scenario>_summary.{json,md}` with
per-endpoint median/p95/p99/RPS/error rate, the CPU each process used, and the thresholds.

Thresholds (tooling/loadtest/thresholds.py): p95/p99 and failure-rate limits in total and per
endpoint, with defaults per scenario (light and heavy: the assignment's loads), overridden by
LOCUST_THRESHOLDS and `--threshold 'total: p99<250'` (repeatable; `--no-default-thresholds`
drops the defaults). They are stated before the run, checked by Locust when it quits and again
here on the final JSON, and recorded in the summary with each observed value.

Exit status: 0 when every threshold is met (without thresholds: Locust's, 0 = no failures),
3 when one is missed, 2 when the run could not start.

The modules: options.py (the scenarios and this command line), running.py (the target,
Locust, the CPU sampler and py-spy), report.py (the summary, capacity steps, CPU per
request and the exit status), summarize.py and cpu.py (what report.py builds on) and
locust_support.py (what locust/locustfile.py imports).
"""

import sys

from tooling.loadtest.options import parse_args
from tooling.loadtest.running import run


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
