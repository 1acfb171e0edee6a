"""Render reports/evidence.html: Jinja2 page + the reflection (Markdown, itself a Jinja
template) filled from the collected runs.

Every figure in the reflection is a placeholder resolved from the runs; one that a run did
not produce renders as "not measured in this run" instead of failing or showing a blank.
The page is self-contained (inline CSS, images as data: URIs, charts as inline SVG); a
final check refuses to write a page that loads anything from outside.
"""

import base64
import re
from pathlib import Path

from jinja2 import ChainableUndefined, Environment, FileSystemLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from evidence.collect import Evidence, collect
from tooling.layout import Reports

HERE = Path(__file__).resolve().parent
TEMPLATE_DIRS = [HERE / "templates", HERE]  # page.html.j2 and steps/<name>.html.j2; reflection.md
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


def data_uri(path: Path) -> str:
    """An image inline, so the page stays one self-contained file."""
    mime = "image/jpeg" if path.suffix.lower() in (".jpg", ".jpeg") else "image/png"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def environment(root: Reports | None = None) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIRS),
        autoescape=select_autoescape(["html", "j2"], default_for_string=False, default=False),
        undefined=NotMeasured,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(num=_num, ms=_ms, pct=_pct, signed=_signed, duration=_duration, nm=_or_nm)
    env.filters["inline"] = data_uri
    # a link from the page (at the top of the reports root) to an artifact
    env.filters["link"] = (root or Reports.default()).relative
    env.tests["measured"] = lambda value: not _missing(value)
    return env


def reflection_context(evidence: Evidence) -> dict:
    """The page's and the reflection's names: the collected runs, plus each step's own
    names (`tests.local.passed`, `locust.heavy.aggregated.p95`, `postman`, `remote_curl`...),
    taken from trusted results only (an artifact of another target never reaches a figure)."""
    targets = evidence.targets
    remote_kind = evidence.remotes[0] if evidence.remotes else None
    context: dict = {
        **{name: getattr(evidence, name) for name in evidence.__dataclass_fields__},
        "remotes": evidence.remotes,
        "verdict": evidence.verdict,
        "local": targets.get("local"),
        "remote": targets.get(remote_kind) if remote_kind else None,
        "remote_kind": remote_kind,
        "comparison": evidence.comparisons[0] if evidence.comparisons else None,
    }
    for step in evidence.steps:
        by_kind = {kind: t.results[step.name] for kind, t in targets.items()}
        context |= step.names(by_kind, remote_kind)
    return context


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


def render_page(root: Reports, primary: str | None = None) -> tuple[Path, Evidence]:
    """Collect, render, check, write. Returns the page path and what it was built from."""
    evidence = collect(root, primary)
    env = environment(root)
    context = reflection_context(evidence)
    context["reflection"] = render_reflection(env, context)
    html = env.get_template("page.html.j2").render(context)
    check_self_contained(html)
    root.page.parent.mkdir(parents=True, exist_ok=True)
    root.page.write_text(html, encoding="utf-8")
    return root.page, evidence
