"""The seeded-bug score: do the black-box suites notice a broken service?

`bugs.py` names ~25 realistic bugs, each one small textual patch of the service. For each,
`harness.py` deploys a patched copy of the repository the way the Render blueprint deploys
the service (PostgreSQL, two uvicorn workers, production settings with an API key and a
rate limit) and runs the smoke script and the suites against it through `--base-url`;
a bug is caught when some suite test fails. The unmutated service runs the same way first
(the baseline, which must pass). `report.py` writes reports/seeded-bugs/score.json, which
the evidence page renders, and a Markdown summary.

    python -m tooling.seeded_bugs [--bug NAME ...] [--jobs 2] [--list]

A step of its own (minutes, PostgreSQL), not part of the default `pytest` pass.
"""
