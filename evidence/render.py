"""Render reports/evidence.html: Jinja2 page + the reflection (Markdown, itself a Jinja
template) filled from the collected runs.

Every figure in the reflection is a placeholder resolved from the runs; one that a run did
not produce renders as "not measured in this run" instead of failing or showing a blank.
The page is self-contained (inline CSS, images as data: URIs, charts as inline SVG); a
final check refuses to write a page that loads anything from outside.
"""

import base64
import re
from dataclasses import dataclass
from pathlib import Path

from jinja2 import ChainableUndefined, Environment, FileSystemLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from evidence import rubric
from evidence.collect import Evidence, collect
from evidence.sections import SECTIONS
from tooling.layout import Reports

HERE = Path(__file__).resolve().parent
TEMPLATE_DIRS = [HERE / "templates", HERE]  # page.html.j2, steps/ and sections/; the reflection
REFLECTION = "reflection.md.jinja"  # Markdown with Jinja placeholders (not autoescaped: no .j2)
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
    _markers(env)
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
        "real_remotes": evidence.real_remotes,
        "verdict": evidence.verdict,
        "local": targets.get("local"),
        "remote": targets.get(remote_kind) if remote_kind else None,
        "remote_kind": remote_kind,
        "comparison": evidence.comparisons[0] if evidence.comparisons else None,
        "bench": evidence.sections.get("bench"),
        "seeded": evidence.sections.get("seeded-bugs"),
    }
    for step in evidence.steps:
        by_kind = {kind: t.results[step.name] for kind, t in targets.items()}
        context |= step.names(by_kind, remote_kind)
    return context


QUESTION = re.compile(r"^<<<(Q|P):([A-Z]\d*)>>>$", re.M)


@dataclass
class Answer:
    """One question of the assignment (evidence/assignment.toml) and its rendered answer."""

    id: str
    part: str
    question: str
    html: Markup
    unmeasured: int  # figures this run did not produce
    links: int  # links to the evidence on the page

    @property
    def anchor(self) -> str:
        return f"reflection-{self.id}"


def _markers(env: Environment) -> None:
    """`{{ part("B") }}` and `{{ ask("B1") }}` in reflection.md.jinja: sentinels the renderer
    splits the document on, so each answer is known by its question."""
    env.globals["part"] = lambda letter: f"\n<<<P:{letter}>>>\n"
    env.globals["ask"] = lambda qid: f"\n<<<Q:{qid}>>>\n"


def render_reflection(env: Environment, context: dict) -> tuple[Markup, dict[str, Answer]]:
    """The reflection as HTML, each part a heading and each question (in the assignment's
    words, from assignment.toml) followed by its answer; and the answers by question id."""
    text = env.get_template(REFLECTION).render(context)
    markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
    parts = {p["letter"]: p for p in rubric.assignment()["part"]}
    asked = {q["id"]: q for q in rubric.questions()}
    pieces = QUESTION.split(text)
    html = [markdown.render(pieces[0])] if pieces[0].strip() else []
    answers: dict[str, Answer] = {}
    for kind, key, body in zip(pieces[1::3], pieces[2::3], pieces[3::3], strict=True):
        if kind == "P":
            title = parts[key]["title"] if key in parts else key
            html.append(f'<h3 id="reflection-{key}">{key}. {escape(title)}</h3>\n')
            html.append(markdown.render(body) if body.strip() else "")
            continue
        question = asked[key]
        answer = Markup(markdown.render(body))
        answers[key] = Answer(
            key,
            question["part"],
            question["text"],
            answer,
            body.count(NOT_MEASURED),
            len(re.findall(r"\]\(#", body)),
        )
        html.append(
            f'<div class="qa" id="reflection-{key}"><p class="q"><b>{key}.</b> '
            f"{escape(question['text'])}</p>\n{answer}</div>\n"
        )
    return Markup("".join(html)), answers


def check_self_contained(html: str) -> None:
    found = EXTERNAL.search(html)
    if found:
        start = max(0, found.start() - 80)
        raise ValueError(
            f"page would load something external: ...{html[start : found.end() + 80]}..."
        )


def build(root: Reports, primary: str | None = None) -> tuple[Evidence, Environment, dict]:
    """Everything the page shows: the collected targets, the page-wide sections (read in
    order; the `late` ones, the rubric, after the reflection, which they judge), and the
    reflection with its answers by question."""
    evidence = collect(root, primary)
    env = environment(root)
    for section in SECTIONS:
        if not section.late:
            evidence.sections[section.name] = section.read(evidence)
    context = reflection_context(evidence)
    context["reflection"], evidence.reflection = render_reflection(env, context)
    for section in SECTIONS:
        if section.late:
            evidence.sections[section.name] = section.read(evidence)
    context["sections"] = evidence.sections
    context["page_sections"] = SECTIONS
    return evidence, env, context


def render_page(root: Reports, primary: str | None = None) -> tuple[Path, Evidence]:
    """Collect, render, check, write. Returns the page path and what it was built from."""
    evidence, env, context = build(root, primary)
    html = env.get_template("page.html.j2").render(context)
    check_self_contained(html)
    root.page.parent.mkdir(parents=True, exist_ok=True)
    root.page.write_text(html, encoding="utf-8")
    return root.page, evidence
