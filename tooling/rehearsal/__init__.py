"""A Render rehearsal: a Render-like deployment on this machine, and the user-facing commands
run through it exactly as a user runs them after a real deploy.

    python -m tooling.rehearsal                 # needs TEST_DATABASE_URL, TEST_REDIS_URL, caddy
    python -m tooling.rehearsal --skip evidence --skip pytest-2     # a shorter pass

What stands in for Render (loopback addresses only):

- **build and start** from `render.yaml`'s own commands: `buildCommand` into a fresh venv
  (runtime requirements only, as on Render: nothing from requirements-dev.txt), then
  `startCommand` through bash with what Render injects: `PORT`, a `postgres://` DATABASE_URL
  with a user and password (a throwaway database and role), every `value` of the envVars,
  generated `WEBHOOK_SECRET` / `METRICS_TOKEN` (base64 of 32 random bytes, like
  `generateValue`), `API_KEYS`, `REDIS_URL` (the local Redis, as Key Value), `RENDER=true`,
  `RENDER_GIT_COMMIT` (the checkout's HEAD), `RENDER_EXTERNAL_URL`. Two changes, both for a
  shared machine: `--host 127.0.0.1` instead of 0.0.0.0, and a private
  `PROMETHEUS_MULTIPROC_DIR` (the start command empties it);
- **the edge**: Caddy with `tls internal` (its own CA), appending `X-Forwarded-For` and
  setting `True-Client-IP` as Render's edge does (tooling/edge.py). Its root CA reaches the
  clients only as a corporate CA would: `REQUESTS_CA_BUNDLE` / `SSL_CERT_FILE`;
- **latency**: the delay proxy (tooling/delay_proxy.py), 30 ms each way, between the clients
  and the edge: that is where the internet is (Render's edge and the instance share a data
  centre), and TLS handshakes pay it as they do for real users. `--direct` runs go to the
  edge without it, for the timings with and without latency;
- **cold starts**: the edge comes up first and answers 502 while the service is down; the
  service starts `--cold-start-s` (20) later. Twice: first with `await_deploy`, the smoke
  script and the curl recorder already waiting, later with the Postman runner waiting.

Then (secrets and key in the environment only): `pytest --target=render` twice (through the
latency, then direct), the Postman runner warm (both ways) and during the second cold start,
`python -m evidence --target render` (Locust light), and one deliberately failing test.
Afterwards no file under the rehearsal's reports root and no log holds the webhook secret
(raw or its base64 body), the API key, the METRICS_TOKEN or the database password, and no
process's argv held one while it ran (/proc is sampled throughout). The failed key checks
per minute (from the service's access log) are compared with AUTH_FAILURE_LIMIT.

Everything is written below `reports/rehearsal/` (tooling.layout), never over the real Render
column; `summary.md` / `summary.json` there hold each step's result and timing. Exit 0 when
every step passed and nothing leaked.

The parts: `deployment` (render.yaml and what Render injects, the database), `processes`
(the build, the service, the delay proxy), `commands` (the user's commands), `stage` (the
steps in order), `checks` (argv, files, failed key checks), `summary` (outcomes, summary.md).
"""

from tooling.rehearsal.checks import (
    ArgvWatch,
    failed_key_checks_per_minute,
    leak_patterns,
    scan_files,
)
from tooling.rehearsal.deployment import (
    BLUEPRINT,
    Deployment,
    checkout_commit,
    deployment_env,
    generated_value,
    render_database,
    web_service,
)
from tooling.rehearsal.processes import (
    STEP_TIMEOUT_S,
    Service,
    build,
    latency,
    wait_for_certificate,
)
from tooling.rehearsal.stage import Abort, Rehearsal
from tooling.rehearsal.summary import Outcome, write_summary

__all__ = [
    "BLUEPRINT",
    "STEP_TIMEOUT_S",
    "Abort",
    "ArgvWatch",
    "Deployment",
    "Outcome",
    "Rehearsal",
    "Service",
    "build",
    "checkout_commit",
    "deployment_env",
    "failed_key_checks_per_minute",
    "generated_value",
    "latency",
    "leak_patterns",
    "render_database",
    "scan_files",
    "wait_for_certificate",
    "web_service",
    "write_summary",
]
