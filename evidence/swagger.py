"""The Swagger UI walk-through, in a real browser: what a person does with "Try it out".

Each step opens an operation in `/docs`, fills the real form fields (path and query
parameters, the JSON body), presses Execute, reads the status and body back *from the
response panel* (ids created in one step feed the next), and screenshots the operation with
its live response into `NN-<step>.png`. SKUs carry a random suffix, so the walk can run
again and again against a shared deployment. The browser (which one, how it is started,
the headers every request carries) is `tooling.browser`'s; the steps themselves are
declared in evidence/swagger_flow.py; this module is only the walk.

    python -m evidence.swagger --base-url http://127.0.0.1:8000 --out /tmp/screens
"""

import argparse
import contextlib
import json
import secrets
import sys
import time
from dataclasses import asdict
from pathlib import Path

import requests

from evidence.swagger_flow import Action, Shot, flow
from tooling.browser import BrowserTrustError, launched, new_context
from tooling.target import Target, TargetError, add_options, from_options, trust_ca

REDOC_HEIGHT = 4000  # px of ReDoc's page kept in its screenshot
# Only the live response matters in a screenshot: hide the documented responses table.
HIDE_DOCUMENTED = """
.responses-inner > table.responses-table:not(.live-responses-table),
.responses-inner > div > h4 { display: none !important; }
"""
WALKTHROUGH_FILE = "walkthrough.json"


def _operation_ids(origin: str, timeout: float) -> dict[tuple[str, str], str]:
    """(method, contract path) -> the DOM id Swagger UI gives the operation's block."""
    spec = requests.get(f"{origin}/openapi.json", timeout=timeout).json()
    ids = {}
    for path, operations in spec.get("paths", {}).items():
        for method, op in operations.items():
            if isinstance(op, dict) and op.get("operationId") and op.get("tags"):
                ids[(method, path)] = f"operations-{op['tags'][0]}-{op['operationId']}"
    return ids


class Walk:
    """One browser page on /docs, and the operations it drives."""

    def __init__(self, page, origin: str, out: Path, timeout_ms: float) -> None:
        self.page = page
        self.origin = origin
        self.out = out
        self.timeout = timeout_ms
        self.ids = _operation_ids(self.origin, timeout_ms / 1000)

    def operation(self, method: str, path: str):
        """The operation block: by Swagger UI's id, else by method and `data-path`."""
        dom_id = next(
            (i for (m, p), i in self.ids.items() if m == method and p.endswith(path)), None
        )
        if dom_id:
            block = self.page.locator(f'[id="{dom_id}"]')
            if block.count():
                return block
        summary = self.page.locator(f'.opblock-summary-path[data-path$="{path}"]')
        return self.page.locator(f".opblock.opblock-{method}").filter(has=summary).first

    def run(self, index: int, action: Action, state: dict) -> Shot:
        shot = Shot.of(index, action)
        started = time.monotonic()
        block = self.operation(action.method, action.path)
        block.scroll_into_view_if_needed(timeout=self.timeout)
        if "is-open" not in (block.get_attribute("class") or ""):
            block.locator(".opblock-summary").first.click()
        try_out = block.locator(".try-out__btn").first
        try_out.wait_for(timeout=self.timeout)
        if "try it out" in try_out.inner_text().lower():
            try_out.click()
        clear = block.locator(".btn-clear")
        if clear.count() and clear.is_visible():
            clear.click()
            block.locator(".live-responses-table").wait_for(state="detached", timeout=self.timeout)
        params = {k: str(v) for k, v in action.inputs(state).items()}
        for name, value in params.items():
            block.locator(f'input[placeholder="{name}"]').fill(value, timeout=self.timeout)
        body = action.body(state) if action.body else None
        if body is not None:
            block.locator("textarea.body-param__text").fill(json.dumps(body, indent=2))
        shot.request = {"params": params, "body": body}
        block.locator(".execute").click()
        status_cell = block.locator(".live-responses-table tbody .response-col_status").first
        status_cell.wait_for(timeout=self.timeout)
        shot.status = int(status_cell.inner_text().strip() or 0)
        code = block.locator(".live-responses-table .response-col_description .highlight-code pre")
        shot.body = code.first.inner_text() if code.count() else ""
        parsed: object = shot.body
        with contextlib.suppress(ValueError):
            parsed = json.loads(shot.body) if shot.body.strip() else None
        shot.file = f"{index:02d}-{action.slug}.png"
        block.screenshot(path=str(self.out / shot.file))
        if shot.status != action.expected:
            shot.problem = f"status {shot.status}, expected {action.expected}"
        else:
            shot.problem = action.after(state, parsed)
        shot.ok = shot.problem is None
        shot.seconds = round(time.monotonic() - started, 2)
        return shot


def _clean(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for old in (*out.glob("[0-9][0-9]-*.*"), out / WALKTHROUGH_FILE):
        old.unlink(missing_ok=True)


def walk(target: Target, out: Path, *, timeout_s: float = 30) -> dict:
    """Run the whole flow against `target`; write the screenshots and `walkthrough.json`
    (which records the target); return the record.

    Stops at the first failing step (the later ones need its ids) and records the rest as
    not run; `cause` names the first failure once, so the reason is never lost among the
    steps it stopped. Raises tooling.browser.BrowserMissing when there is no browser.
    """
    _clean(out)
    suffix = secrets.token_hex(4).upper()
    state: dict = {"sku": f"SWAGGER-{suffix}", "sku2": f"SWAGGER-{suffix}-B"}
    actions = flow()
    docs = f"{target.origin}/docs"
    record: dict = {"target": target.kind, "base_url": target.base_url, "docs_url": docs}
    shots: list[Shot] = []
    error = None
    try:
        ca_bundle = target.ca_bundle if target.origin.startswith("https://") else None
        with launched(ca_bundle) as browser:
            page = new_context(browser, api_key=target.api_key).new_page()
            page.set_default_timeout(timeout_s * 1000)
            stage = f"opening {docs}"
            try:
                page.goto(docs, wait_until="networkidle")
                page.locator(".opblock").first.wait_for()
                page.screenshot(path=str(out / "00-docs.png"), full_page=True)
                record["docs"] = "00-docs.png"
                page.add_style_tag(content=HIDE_DOCUMENTED)
                stage = "reading /openapi.json"
                runner = Walk(page, target.origin, out, timeout_s * 1000)
                for index, action in enumerate(actions, start=1):
                    stage = f"step {index:02d} ({action.title})"
                    shot = _attempt(runner, page, index, action, state)
                    shots.append(shot)
                    if not shot.ok:
                        break
                # ReDoc's full page is ~15,000 px tall: its top (the menu of every endpoint and
                # the first operations) proves it opens; JPEG keeps that readable and small
                stage = f"opening {target.origin}/redoc"
                redoc = f"{len(actions) + 1:02d}-redoc.jpg"
                page.goto(f"{target.origin}/redoc", wait_until="networkidle")
                page.locator(".api-content").first.wait_for()
                height = min(REDOC_HEIGHT, page.evaluate("document.documentElement.scrollHeight"))
                top = {"x": 0, "y": 0, "width": page.viewport_size["width"], "height": height}
                page.screenshot(
                    path=str(out / redoc), clip=top, full_page=True, type="jpeg", quality=70
                )
                record["redoc"] = redoc
            except Exception as exc:
                error = f"{stage}: {_one_line(exc)}"
    except BrowserTrustError as exc:  # the CA could not be given to the browser
        error = f"starting the browser: {exc}"
    ran = {shot.slug for shot in shots}
    shots += [
        Shot.of(index, action, ran=False)
        for index, action in enumerate(actions, start=1)
        if action.slug not in ran
    ]
    failed = next((s for s in shots if s.ran and not s.ok), None)
    record["steps"] = [asdict(s) for s in sorted(shots, key=lambda s: s.index)]
    record["error"] = error
    record["cause"] = (
        f"step {failed.index:02d} ({failed.title}): {failed.problem}" if failed else error
    )
    record["ok"] = record["cause"] is None and all(s.ok for s in shots)
    (out / WALKTHROUGH_FILE).write_text(json.dumps(record, indent=2))
    return record


CERT_HINT = (
    "the browser does not trust the deployment's certificate: give its CA with --ca-bundle "
    "or REQUESTS_CA_BUNDLE / SSL_CERT_FILE (tooling/browser.py imports it for Chromium)"
)


def _one_line(exc: Exception) -> str:
    text = str(exc).strip()
    line = f"{exc.__class__.__name__}: {text.splitlines()[0]}" if text else exc.__class__.__name__
    return f"{line} ({CERT_HINT})" if "ERR_CERT_" in text else line


def _attempt(runner: Walk, page, index: int, action: Action, state: dict) -> Shot:
    try:
        return runner.run(index, action, state)
    except Exception as exc:  # a selector that never appeared, a timeout...
        shot = Shot.of(index, action, problem=_one_line(exc), file=f"{index:02d}-{action.slug}.png")
        with contextlib.suppress(Exception):
            page.screenshot(path=str(runner.out / shot.file))
        return shot


def report(record: dict) -> list[str]:
    """The walk in a few console lines: each step that ran, then the cause, once."""
    lines = [
        f"{s['index']:02d} {s['slug']}: HTTP {s['status']} ({s['problem'] or 'ok'})"
        for s in record["steps"]
        if s.get("ran", True)
    ]
    not_run = sum(1 for s in record["steps"] if not s.get("ran", True))
    if not_run:
        lines.append(f"{not_run} later step(s) not run")
    if record.get("cause"):
        lines.append(f"FAILED: {record['cause']}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Swagger UI walk-through with screenshots.")
    add_options(parser.add_argument)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        target = from_options(args, need_secret=False)
    except TargetError as exc:
        parser.error(str(exc))
    trust_ca(target)
    if target.is_local:
        parser.error("needs a running service: --base-url URL")
    record = walk(target, args.out)
    print("\n".join(report(record)))
    return 0 if record["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
