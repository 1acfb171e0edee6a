"""Fail CI when no test ran, or when a PostgreSQL test was skipped (local runs)."""

import json
import sys
from pathlib import Path

results = json.loads(Path(sys.argv[1]).read_text())
remote = "--remote" in sys.argv
tests = results["tests"]
ran = [t for t in tests if t["outcome"] in ("passed", "failed")]
print(f"{sys.argv[1]}: target={results['target']} summary={results['summary']}")
if not ran:
    sys.exit("no test ran")
if not remote:
    if not any("postgres" in t["nodeid"] for t in ran):
        sys.exit("no PostgreSQL test ran")
    postgres_skips = [
        t
        for t in tests
        if t["outcome"] == "skipped"
        and ("postgres" in t["nodeid"] or "postgres" in (t.get("skip_reason") or "").lower())
    ]
    if postgres_skips:
        sys.exit(
            f"{len(postgres_skips)} PostgreSQL tests were skipped: {postgres_skips[0]['nodeid']}"
        )
