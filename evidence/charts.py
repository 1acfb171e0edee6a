"""RPS and latency over time, from Locust's `<scenario>_stats_history.csv`, as inline SVG.

pygal draws static SVG (no JavaScript with `js=[]`); the page embeds it as it is. pygal
writes its home page into comments and the SVG namespace URL into the root element, both
useless inline in HTML, so they are stripped: the page must contain no external URL at all.
"""

import csv
import re
from pathlib import Path

import pygal
from pygal.style import Style

STYLE = Style(
    background="transparent",
    plot_background="#ffffff",
    foreground="#333333",
    foreground_strong="#111111",
    foreground_subtle="#d9dde3",
    opacity=".9",
    opacity_hover="1",
    colors=("#1f6feb", "#cf222e", "#8250df", "#bf8700", "#2da44e"),
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=12,
    title_font_size=14,
)
MAX_POINTS = 300
URL = re.compile(r"(https?|file)://|<script", re.I)


def _value(text: str | None) -> float | None:
    try:
        return None if text in (None, "", "N/A") else float(text)
    except ValueError:
        return None


def read_history(path: Path) -> list[dict]:
    """The Aggregated rows: one per second of the run."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("Name") == "Aggregated"]
    if not rows:
        return []
    start = int(rows[0]["Timestamp"])
    step = max(1, len(rows) // MAX_POINTS)
    return [
        {
            "t": int(r["Timestamp"]) - start,
            "users": _value(r.get("User Count")),
            "rps": _value(r.get("Requests/s")),
            "fps": _value(r.get("Failures/s")),
            "p50": _value(r.get("50%")),
            "p95": _value(r.get("95%")),
            "p99": _value(r.get("99%")),
        }
        for r in rows[::step]
    ]


def _chart(title: str, y_title: str) -> pygal.XY:
    return pygal.XY(
        title=title,
        x_title="seconds since start",
        y_title=y_title,
        style=STYLE,
        width=900,
        height=320,
        explicit_size=False,
        show_dots=False,
        stroke_style={"width": 2},
        legend_at_bottom=True,
        legend_at_bottom_columns=4,
        disable_xml_declaration=True,
        js=[],
        show_x_guides=False,
        include_x_axis=True,
        margin=12,
        margin_bottom=28,
        value_formatter=lambda v: f"{v:,.0f}",
        x_value_formatter=lambda v: f"{v:.0f}",
    )


def sanitize(svg: str) -> str:
    """Inline-ready SVG: no comments, scripts or namespace URLs; refuses anything external."""
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r"<script.*?</script>", "", svg, flags=re.S)  # pygal's config blob, inert here
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    if URL.search(svg):
        raise ValueError("chart SVG still contains a URL")
    return svg


def history_charts(path: Path, scenario: str) -> dict | None:
    """{"rps": svg, "latency": svg, "points": n} or None when the history is empty."""
    rows = read_history(path)
    if not rows:
        return None
    rps = _chart(f"{scenario}: throughput", "requests/s")
    rps.add("requests/s", [(r["t"], r["rps"]) for r in rows])
    rps.add("failures/s", [(r["t"], r["fps"]) for r in rows])
    rps.add("users", [(r["t"], r["users"]) for r in rows], secondary=True)
    latency = _chart(f"{scenario}: response time (Locust's rolling window)", "ms")
    for key, label in (("p50", "median"), ("p95", "p95"), ("p99", "p99")):
        latency.add(label, [(r["t"], r[key]) for r in rows])
    return {
        "rps": sanitize(rps.render(is_unicode=True)),
        "latency": sanitize(latency.render(is_unicode=True)),
        "points": len(rows),
    }
