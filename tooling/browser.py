"""Finding and starting a Chromium for the browser steps (Swagger UI walk-through, Locust
dashboard screenshots), through Playwright.

The browser is found in this order:
1. an explicit setting: `CHROMIUM_PATH` (a Chromium or Chrome executable);
2. Playwright's own managed Chromium (`python -m playwright install chromium`, the usual
   way on a laptop with internet access);
3. a system Chromium or Chrome: Debian/Ubuntu `chromium` (`apt-get install chromium`),
   `chromium-browser`, `google-chrome`, and on macOS the Chrome or Chromium app.
"""

import os
import shutil
from functools import cache
from pathlib import Path

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
