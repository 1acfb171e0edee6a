"""Facts the page and the reflection quote that come from the repository, not from runs:
the pinned requirements, the tree, the Render blueprint, the Postman variables, the commit
and the declared version."""

import subprocess
from collections import defaultdict

from evidence.model import read_json
from tooling.layout import ROOT


def repository_facts() -> dict:
    facts: dict = {"requirements": [], "dev_requirements": []}
    for key, name in (
        ("requirements", "requirements.txt"),
        ("dev_requirements", "requirements-dev.txt"),
    ):
        path = ROOT / name
        if path.exists():
            facts[key] = [
                line.strip()
                for line in path.read_text().splitlines()
                if line.strip() and not line.startswith(("#", "-r"))
            ]
    facts["tree"] = _tree()
    facts["render"] = _render_blueprint()
    facts["postman_variables"] = _postman_variables()
    return facts


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def _tree(depth: int = 2) -> str:
    try:
        files = _git("ls-files", "--cached", "--others", "--exclude-standard").split()
    except (OSError, subprocess.CalledProcessError):
        return ""
    dirs: dict[str, set[str]] = defaultdict(set)
    top_files = []
    for file in files:
        parts = file.split("/")
        if parts[0].startswith(".") and parts[0] != ".ci":
            continue
        if len(parts) == 1:
            top_files.append(file)
        else:
            dirs[parts[0]].add(parts[1] + ("/" if len(parts) > 2 else "") if depth > 1 else "")
    lines = []
    for name in sorted(dirs):
        children = sorted(c for c in dirs[name] if c)
        lines.append(f"{name}/")
        shown = children[:12]
        lines += [f"  {c}" for c in shown]
        if len(children) > len(shown):
            lines.append(f"  ... ({len(children) - len(shown)} more)")
    lines += sorted(top_files)
    return "\n".join(lines)


def _render_blueprint() -> dict | None:
    path = ROOT / "render.yaml"
    if not path.exists():
        return None
    try:
        import yaml

        data = yaml.safe_load(path.read_text())
    except Exception:
        return {"file": "render.yaml"}
    services = (data or {}).get("services") or [{}]
    web = next((s for s in services if s.get("type") == "web"), services[0])
    return {
        "file": "render.yaml",
        "name": web.get("name"),
        "plan": web.get("plan"),
        "runtime": web.get("runtime") or web.get("env"),
        "build": web.get("buildCommand"),
        "start": web.get("startCommand"),
        "pre_deploy": web.get("preDeployCommand"),
        "health": web.get("healthCheckPath"),
        "env": [e.get("key") for e in web.get("envVars", []) if isinstance(e, dict)],
        "databases": [d.get("name") for d in (data or {}).get("databases", []) or []],
    }


def _postman_variables() -> dict:
    env = read_json(ROOT / "postman" / "local.postman_environment.json") or {}
    collection = read_json(ROOT / "postman" / "orders-inventory.postman_collection.json") or {}
    return {
        "environment": [v.get("key") for v in env.get("values", [])],
        "collection": [v.get("key") for v in collection.get("variable", [])],
    }


def declared_version() -> str | None:
    """The service version (service/version.py, its one home)."""
    from service.version import __version__

    return __version__


def git_commit() -> str:
    try:
        sha = _git("rev-parse", "--short", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{sha} (+ uncommitted changes)" if dirty else sha
