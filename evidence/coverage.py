"""The API coverage matrix: every operation of an OpenAPI document by every status code it
documents, each marked with the tools whose requests received it in this run.

Pure functions over plain data: `operations(document)` lists what the document promises,
`Matcher` maps a concrete request path (ids, an API prefix, a query string) to the
document's path template, and `build()` counts received (method, path, status) exchanges
into the matrix. Where the exchanges come from (the suites' recorded client, Postman's
results, the curl transcript, Schemathesis's HAR, the smoke output, the Swagger walk) is the
coverage step's business (evidence/steps/coverage.py).
"""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SOURCES = {  # source -> (short mark in a cell, what it is)
    "pytest": ("py", "the pytest suites' recorded client"),
    "postman": ("pm", "the Postman collection"),
    "curl": ("curl", "the curl transcript"),
    "schemathesis": ("st", "Schemathesis (its HAR)"),
    "smoke": ("sm", "the Python smoke script"),
    "swagger": ("ui", "the Swagger UI walk-through"),
}


@dataclass(frozen=True)
class Received:
    """One kind of exchange: `n` requests from `source` that got `status`."""

    source: str
    method: str
    path: str  # concrete, as sent (a query string is ignored)
    status: int | None
    n: int = 1


@dataclass
class Cell:
    code: str
    documented: bool
    sources: Counter = field(default_factory=Counter)  # source -> requests

    @property
    def exercised(self) -> bool:
        return sum(self.sources.values()) > 0


@dataclass
class Operation:
    method: str  # upper case
    path: str  # the document's template
    summary: str
    cells: dict[str, Cell]  # documented codes, and any received that are not documented

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def documented(self) -> list[Cell]:
        return [c for c in self.cells.values() if c.documented]

    @property
    def never(self) -> list[str]:
        return [c.code for c in self.documented if not c.exercised]

    @property
    def undocumented(self) -> list[Cell]:
        return [c for c in self.cells.values() if not c.documented and c.exercised]

    @property
    def requests(self) -> int:
        return sum(sum(c.sources.values()) for c in self.cells.values())


@dataclass
class Matrix:
    operations: list[Operation]
    codes: list[str]  # every documented code, in order: the matrix's columns
    sources: Counter  # source -> requests counted (matched or not)
    unmatched: Counter  # (method, path) -> requests to nothing the document lists

    @property
    def documented(self) -> int:
        return sum(len(op.documented) for op in self.operations)

    @property
    def exercised(self) -> int:
        return sum(1 for op in self.operations for c in op.documented if c.exercised)

    @property
    def never(self) -> list[tuple[str, str]]:
        """(operation, code) of every documented code no request received."""
        return [(op.key, code) for op in self.operations for code in op.never]

    @property
    def unexercised_operations(self) -> list[str]:
        return [op.key for op in self.operations if not op.requests]

    @property
    def undocumented(self) -> list[tuple[str, str, Counter]]:
        return [(op.key, c.code, c.sources) for op in self.operations for c in op.undocumented]

    def never_by_code(self) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = defaultdict(list)
        for key, code in self.never:
            grouped[code].append(key)
        return dict(sorted(grouped.items(), key=lambda item: _code_order(item[0])))


def _code_order(code: str) -> tuple[int, str]:
    return (int(code), code) if code.isdigit() else (int(code[0]) * 100 + 99, code)


def operations(document: dict) -> list[tuple[str, str, str, list[str]]]:
    """(METHOD, path template, summary, documented codes) for each operation, in the
    document's order."""
    found = []
    for path, item in (document.get("paths") or {}).items():
        for method in METHODS:
            operation = (item or {}).get(method)
            if isinstance(operation, dict):
                codes = sorted(map(str, operation.get("responses") or {}), key=_code_order)
                summary = operation.get("summary") or operation.get("operationId") or ""
                found.append((method.upper(), path, summary, codes))
    return found


class Matcher:
    """A concrete path to the document's template: an exact match first, then one under a
    prefix the document does not carry (an API prefix in the base URL); among several, the
    template with the most literal segments (`/orders/{id}/cancel` before `/orders/{id}`)."""

    def __init__(self, templates: list[str]) -> None:
        self.templates = []
        for template in dict.fromkeys(templates):
            parts = [p for p in template.split("/") if p]
            literal = sum(1 for p in parts if not p.startswith("{"))
            body = "".join(
                "/[^/]+" if p.startswith("{") and p.endswith("}") else "/" + re.escape(p)
                for p in parts
            )
            body = body or "/"
            self.templates.append(
                (
                    template,
                    re.compile(f"^{body}/?$"),
                    re.compile(f"^(?:/[^/]+)+?{body}/?$"),
                    literal,
                )
            )

    def __call__(self, path: str) -> str | None:
        path = urlsplit(path).path or "/"
        for anchored in (True, False):
            hits = [
                (literal, template)
                for template, exact, prefixed, literal in self.templates
                if (exact if anchored else prefixed).match(path)
            ]
            if hits:
                return max(hits)[1]
        return None


def _matches(code: str, status: int) -> bool:
    """A documented code ("404", or a range "4XX") against a received status."""
    if code.isdigit():
        return int(code) == status
    return len(code) == 3 and code[1:].upper() == "XX" and code[0] == str(status)[0]


def build(document: dict, received: list[Received]) -> Matrix:
    ops = {
        (method, path): Operation(method, path, summary, {code: Cell(code, True) for code in codes})
        for method, path, summary, codes in operations(document)
    }
    match = Matcher([path for _, path in ops])
    sources: Counter = Counter()
    unmatched: Counter = Counter()
    for item in received:
        sources[item.source] += item.n
        template = match(item.path)
        operation = ops.get((item.method.upper(), template)) if template else None
        if operation is None or item.status is None:
            unmatched[(item.method.upper(), urlsplit(item.path).path)] += item.n
            continue
        cell = next(
            (c for c in operation.documented if _matches(c.code, item.status)), None
        ) or operation.cells.setdefault(str(item.status), Cell(str(item.status), False))
        cell.sources[item.source] += item.n
    codes = sorted({c.code for op in ops.values() for c in op.documented}, key=_code_order)
    return Matrix(list(ops.values()), codes, sources, unmatched)


def request_of_curl(command: str) -> tuple[str, str] | None:
    """(METHOD, URL) of a recorded curl command line."""
    import shlex

    try:
        words = shlex.split(command)
    except ValueError:
        return None
    method, url = None, None
    for i, word in enumerate(words):
        if word in ("-X", "--request") and i + 1 < len(words):
            method = words[i + 1].upper()
        elif re.match(r"https?://", word) and url is None:
            url = word
    if url is None:
        return None
    has_body = any(w in ("-d", "--data", "--data-raw", "--data-binary", "--json") for w in words)
    return method or ("POST" if has_body else "GET"), url


SMOKE_LINE = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (\S+) -> (\d{3})\b", re.M)


def requests_of_smoke(text: str) -> list[tuple[str, str, int]]:
    """(METHOD, path, status) of each line `POST /orders -> 201 (step)` the smoke script prints."""
    return [(m, path, int(status)) for m, path, status in SMOKE_LINE.findall(text)]
