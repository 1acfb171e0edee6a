"""Finding and starting a Chromium for the browser steps (Swagger UI walk-through, Locust
dashboard screenshots), through Playwright: `launched()` starts it hardened, `new_context()`
gives pages that get past ngrok's browser warning and carry the API key, `capture_file()`
screenshots a local HTML file.

The browser is found in this order:
1. an explicit setting: `CHROMIUM_PATH` (a Chromium or Chrome executable);
2. Playwright's own managed Chromium (`python -m playwright install chromium`, the usual
   way on a laptop with internet access);
3. a system Chromium or Chrome: Debian/Ubuntu `chromium` (`apt-get install chromium`),
   `chromium-browser`, `google-chrome`, and on macOS the Chrome or Chromium app.

A deployment behind a CA of its own (a corporate CA, a local TLS edge): Chromium reads
neither REQUESTS_CA_BUNDLE nor SSL_CERT_FILE, so `launched(ca_bundle=...)` imports the
bundle's certificates into a private NSS database (`certutil`, Debian's libnss3-tools) in a
throwaway HOME for that browser only; nothing of the user's or the machine's trust changes.
"""

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext

CHROMIUM_PATH_ENV = "CHROMIUM_PATH"
SYSTEM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
MACOS_APPS = (
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
)
INSTALL_HINT = (
    "install one: `python -m playwright install chromium` (Playwright's managed browser), "
    "or `apt-get install chromium` (Debian/Ubuntu), or Google Chrome (macOS); "
    f"or point {CHROMIUM_PATH_ENV} at an executable"
)


class BrowserMissing(RuntimeError):
    """No usable Chromium: the message says what was looked for and how to get one."""


class BrowserTrustError(RuntimeError):
    """The CA bundle cannot be given to the browser: the message says why."""


def _playwright_managed() -> Path | None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    try:
        with sync_playwright() as playwright:
            path = Path(playwright.chromium.executable_path)
    except Exception:  # no driver, no browser registry: not there
        return None
    return path if path.is_file() else None


@cache
def find_chromium() -> Path:
    explicit = os.environ.get(CHROMIUM_PATH_ENV)
    if explicit:
        path = Path(explicit).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise BrowserMissing(f"{CHROMIUM_PATH_ENV}={explicit} is not an executable file")
    managed = _playwright_managed()
    if managed:
        return managed
    for name in SYSTEM_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    for app in MACOS_APPS:
        if Path(app).is_file():
            return Path(app)
    raise BrowserMissing(f"no Chromium or Chrome found: {INSTALL_HINT}")


# --- starting it ------------------------------------------------------------------------------

# A headless browser that talks only to the pages it is sent to: no sandbox (containers, CI),
# no GPU, no QUIC, and none of Chrome's own background traffic (updates, sync, first run).
HARDENED_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
VIEWPORT = {"width": 1280, "height": 900}
# ngrok's free plan answers a browser with an interstitial page instead of the service unless
# the request carries this header (any value); harmless everywhere else.
NGROK_SKIP_WARNING = {"ngrok-skip-browser-warning": "1"}
API_KEY_HEADER = "X-API-Key"


PEM_CERTIFICATE = re.compile(
    r"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----"
)


def nss_home(ca_bundle: str, home: Path) -> Path:
    """A HOME whose NSS database (`.pki/nssdb`, where Chromium on Linux looks) trusts every
    certificate of `ca_bundle` as a CA for TLS servers. Raises BrowserTrustError."""
    certutil = shutil.which("certutil")
    if not certutil:
        raise BrowserTrustError(
            f"cannot trust {ca_bundle} in Chromium: certutil is not installed "
            "(Debian/Ubuntu: apt-get install libnss3-tools)"
        )
    bundle = Path(ca_bundle)
    files = sorted(p for p in bundle.iterdir() if p.is_file()) if bundle.is_dir() else [bundle]
    try:
        certificates = [pem for f in files for pem in PEM_CERTIFICATE.findall(f.read_text())]
    except (OSError, UnicodeDecodeError) as exc:
        raise BrowserTrustError(f"cannot read the CA bundle {ca_bundle}: {exc}") from None
    if not certificates:
        raise BrowserTrustError(f"the CA bundle {ca_bundle} holds no PEM certificate")
    database = home / ".pki" / "nssdb"
    database.mkdir(parents=True)
    commands = [[certutil, "-N", "-d", f"sql:{database}", "--empty-password"]]
    for index, pem in enumerate(certificates):
        path = home / f"ca-{index}.pem"
        path.write_text(pem + "\n")
        commands.append(
            [
                certutil,
                "-A",
                "-d",
                f"sql:{database}",
                "-n",
                f"ca-{index}",
                "-t",
                "C,,",
                "-i",
                str(path),
            ]
        )
    for command in commands:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise BrowserTrustError(
                f"certutil could not import {ca_bundle}: {(result.stderr or result.stdout).strip()}"
            )
    return home


@contextmanager
def launched(ca_bundle: str | None = None) -> Iterator["Browser"]:
    """The browser `find_chromium` finds, started with HARDENED_ARGS, closed afterwards,
    trusting `ca_bundle` when given. Raises BrowserMissing (with how to install one) or
    BrowserTrustError before starting anything."""
    executable = find_chromium()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="chromium-home-") as scratch:
        env = None
        if ca_bundle:
            env = {**os.environ, "HOME": str(nss_home(ca_bundle, Path(scratch)))}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(executable), args=list(HARDENED_ARGS), env=env
            )
            try:
                yield browser
            finally:
                browser.close()


def new_context(
    browser: "Browser", *, api_key: str | None = None, viewport: dict | None = None
) -> "BrowserContext":
    """A context whose every request carries the ngrok header, and the API key when given."""
    headers = dict(NGROK_SKIP_WARNING)
    if api_key:
        headers[API_KEY_HEADER] = api_key
    return browser.new_context(viewport=viewport or VIEWPORT, extra_http_headers=headers)


def capture_file(html: Path, png: Path, *, height: int = 1600, settle_ms: int = 1500) -> None:
    """Screenshot a local HTML file (a Locust dashboard), offline by construction."""
    with launched() as browser:
        page = browser.new_page(viewport={"width": VIEWPORT["width"], "height": height})
        page.route("http*://**", lambda route: route.abort())
        page.goto(html.resolve().as_uri(), wait_until="load")
        page.wait_for_timeout(settle_ms)  # the dashboard draws its charts after load
        page.screenshot(path=str(png), full_page=False)
