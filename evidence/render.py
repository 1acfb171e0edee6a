"""Render reports/evidence.html: Jinja2 page + the reflection (Markdown, itself a Jinja
template) filled from the collected runs.

Every figure in the reflection is a placeholder resolved from the runs; one that a run did
not produce renders as "not measured in this run" instead of failing or showing a blank.
The page is self-contained (inline CSS, images as data: URIs, charts as inline SVG); a
final check refuses to write a page that loads anything from outside.
"""

import re
from pathlib import Path

from jinja2 import ChainableUndefined, Environment, FileSystemLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from evidence.collect import collect
from evidence.layout import Layout

HERE = Path(__file__).resolve().parent
NOT_MEASURED = "not measured in this run"
# src/href/url() pointing outside, or a <script src>: none may appear in the page.
EXTERNAL = re.compile(
    r"""(?:\b(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//)"""
    r"""|(?:url\(\s*["']?\s*(?:https?:)?//)|(?:@import)|(?:<script[^>]*\bsrc\s*=)""",
    re.I,
)


class NotMeasured(ChainableUndefined):
    """A missing figure: any attribute of it is missing too; it prints as NOT_MEASURED."""

    def __str__(self) -> str:
        return NOT_MEASURED

    def __html__(self) -> str:
        return f'<span class="nm">{NOT_MEASURED}</span>'


def _missing(value) -> bool:
    return value is None or isinstance(value, ChainableUndefined)


def _num(value, digits: int = 1, unit: str = "") -> str:
    if _missing(value):
        return NOT_MEASURED
    if isinstance(value, int | float):
        text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.{digits}f}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


def _ms(value) -> str:
    return _num(value, 1, "ms")


def _pct(value, digits: int = 2) -> str:
    """A fraction (0.0123) as a percentage ("1.23 %")."""
    return NOT_MEASURED if _missing(value) else f"{value * 100:.{digits}f} %"


def _signed(value, digits: int = 1) -> str:
    return "" if _missing(value) else f"{value:+,.{digits}f}"


def _duration(seconds) -> str:
    if _missing(seconds):
        return NOT_MEASURED
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{seconds:.1f} s"


def _or_nm(value):
    return NOT_MEASURED if _missing(value) or value == "" else value


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader([HERE / "templates", HERE]),
        autoescape=select_autoescape(["html", "j2"], default_for_string=False, default=False),
        undefined=NotMeasured,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(num=_num, ms=_ms, pct=_pct, signed=_signed, duration=_duration, nm=_or_nm)
    env.tests["measured"] = lambda value: not _missing(value)
    return env


def reflection_context(data: dict) -> dict:
    """Short names for the reflection's placeholders (`tests.local.passed`,
    `locust.heavy.aggregated.p95`, ...), all taken from the collected runs."""
    targets = data["targets"]
    local = targets.get("local") or {}
    remote_kind = data["remotes"][0] if data["remotes"] else None
    remote = targets.get(remote_kind) or {}

    def first(target: dict, key: str) -> dict | None:
        items = target.get(key) or []
        return items[0] if items else None

    swagger = local.get("swagger") or {}
    return {
        **data,
        "local": local,
        "remote": remote,
        "remote_kind": remote_kind,
        "tests": {k: t["pytest"] for k, t in targets.items() if t.get("pytest")},
        "suites": {
            row["file"]: _suite_totals(row)
            for row in ((local.get("pytest") or {}).get("rows") or [])
        },
        "locust": local.get("locust") or {},
        "remote_locust": remote.get("locust") or {},
        "postman": first(local, "postman"),
        "remote_postman": first(remote, "postman"),
        "smoke": first(local, "smoke"),
        "remote_smoke": first(remote, "smoke"),
        "curl": first(local, "curl"),
        "remote_curl": first(remote, "curl"),
        "swagger": swagger,
        "observed": {s["slug"]: s.get("status") for s in swagger.get("steps", [])},
        "comparison": data["comparisons"][0] if data["comparisons"] else None,
    }


def _suite_totals(row: dict) -> dict:
    totals: dict = {"passed": 0, "failed": 0, "skipped": 0, "error": 0}
    for cell in row["cells"]:
        for key in totals:
            totals[key] += (cell or {}).get(key, 0)
    return totals


def render_reflection(env: Environment, context: dict) -> Markup:
    text = env.get_template("reflection.md").render(context)
    html = MarkdownIt("commonmark", {"html": False}).enable("table").render(text)
    return Markup(html)


def check_self_contained(html: str) -> None:
    found = EXTERNAL.search(html)
    if found:
        start = max(0, found.start() - 80)
        raise ValueError(
            f"page would load something external: ...{html[start : found.end() + 80]}..."
        )


def render_page(layout: Layout, primary: str | None = None) -> tuple[Path, str]:
    """Collect, render, check, write. Returns the page path and the overall verdict."""
    data = collect(layout, primary)
    env = environment()
    context = reflection_context(data)
    context["reflection"] = render_reflection(env, context)
    html = env.get_template("page.html.j2").render(context)
    check_self_contained(html)
    layout.page.parent.mkdir(parents=True, exist_ok=True)
    layout.page.write_text(html, encoding="utf-8")
    return layout.page, data["verdict"]
