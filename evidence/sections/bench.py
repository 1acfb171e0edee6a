"""The wrk benchmark (`python -m tooling.bench` -> reports/bench/bench.json)."""

from evidence.model import read_json
from evidence.sections import Section


def read(evidence) -> dict | None:
    return read_json(evidence.root.bench / "bench.json")


SECTION = Section("bench", "Benchmark", 20, read)
