"""What must hold after the steps: no secret in any process's argv (sampled while they run),
none in any file under the rehearsal's reports root (raw, URL-encoded, JSON-escaped, a webhook
secret's base64 body), and the failed key checks per minute from the service's access log,
for the comparison with AUTH_FAILURE_LIMIT."""

import json
import os
import threading
from collections import Counter
from pathlib import Path
from urllib.parse import quote

# --- watching argv -----------------------------------------------------------------------------


class ArgvWatch:
    """Samples every new process's argv (what `ps` shows everyone) for the secrets."""

    def __init__(self, values: dict[str, str], interval: float = 0.05) -> None:
        self.values = {k: v.encode() for k, v in values.items() if v}
        self.interval = interval
        self.hits: list[str] = []
        self.seen: set[int] = set()
        self.processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="argv-watch", daemon=True)

    def __enter__(self) -> "ArgvWatch":
        self._scan()  # what already runs is not ours
        self.processes = 0
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._scan()

    def _scan(self) -> None:
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            if pid in self.seen:
                continue
            self.seen.add(pid)
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            self.processes += 1
            for name, value in self.values.items():
                if value in argv:
                    shown = argv.replace(b"\0", b" ").decode(errors="replace")[:160]
                    for other in self.values.values():
                        shown = shown.replace(other.decode(), "***")
                    self.hits.append(f"pid {pid}: {name} in argv: {shown}")


# --- the leak scan -----------------------------------------------------------------------------


def leak_patterns(values: dict[str, str]) -> dict[str, list[bytes]]:
    """Each secret as it could appear in a file: raw, URL-encoded, JSON-escaped, and for a
    webhook secret its base64 body without `whsec_`."""
    patterns = {}
    for name, value in values.items():
        forms = {
            value,
            value.removeprefix("whsec_"),
            quote(value, safe=""),
            value.replace("/", "\\/"),
        }
        patterns[name] = sorted({f.encode() for f in forms if len(f) >= 12})
    return patterns


def scan_files(roots: list[Path], values: dict[str, str]) -> tuple[int, list[str]]:
    patterns = leak_patterns(values)
    files, hits = 0, []
    for root in roots:
        paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in paths:
            files += 1
            try:
                data = path.read_bytes()
            except OSError:
                continue
            for name, forms in patterns.items():
                if any(form in data for form in forms):
                    hits.append(f"{path}: holds {name}")
    return files, hits


def failed_key_checks_per_minute(service_log: Path) -> tuple[int, int]:
    """(most failed key checks in one clock minute, 429 answers) from the access log: 401/403
    answers of every route but the webhook (whose 401s are bad signatures, not key checks)."""
    per_minute: Counter[str] = Counter()
    limited = 0
    for line in service_log.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        status = record.get("status")
        if status in (401, 403) and record.get("route") != "/webhooks/payment":
            per_minute[str(record.get("time", ""))[:16]] += 1
        elif status == 429:
            limited += 1
    return max(per_minute.values(), default=0), limited
