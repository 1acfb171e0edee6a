"""Reading a Postman Collection v2.1 file and environment files into plain Python objects.

The runner executes the collection file itself, so this module is where the file format
meets the runner: folders are flattened into requests in Postman's run order, each request
carries its scripts in the order Postman runs them (collection, then each enclosing folder,
then the request), and any feature the runner does not implement is refused here, before
a single request is sent, instead of being silently ignored.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_V21 = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
SCRIPT_EVENTS = ("prerequest", "test")


class CollectionError(ValueError):
    """The file is not a collection this runner can execute faithfully."""


@dataclass(frozen=True)
class Script:
    label: str  # where it comes from, for error messages: "folder 'Orders' [test]"
    source: str


@dataclass
class RequestItem:
    path: tuple[str, ...]  # enclosing folder names, then the request name
    id: str | None
    method: str
    url: str  # the unresolved URL template, e.g. "{{base_url}}/products/{{product_id}}"
    headers: list[dict[str, Any]]
    body: dict[str, Any] | None  # {"mode": "raw", "raw": "...", "options": {...}}
    description: str = ""
    prerequest: list[Script] = field(default_factory=list)
    tests: list[Script] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path[-1]

    @property
    def folder(self) -> str | None:
        return self.path[0] if len(self.path) > 1 else None

    @property
    def full_name(self) -> str:
        return " / ".join(self.path)


@dataclass
class Collection:
    name: str
    variables: dict[str, Any]
    requests: list[RequestItem]
    folders: list[str]  # top-level folder names, in order
    types: dict[str, str] = field(default_factory=dict)  # declared types, as written


@dataclass
class Environment:
    name: str
    values: dict[str, Any]
    secrets: set[str]  # keys of "type": "secret" variables (redacted in reports)
    types: dict[str, str] = field(default_factory=dict)  # declared types, as written


def load_collection(path: Path | str) -> Collection:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return parse_collection(data)


def parse_collection(data: dict[str, Any]) -> Collection:
    info = data.get("info") or {}
    if info.get("schema") != SCHEMA_V21:
        raise CollectionError(f"not a Postman Collection v2.1 file (schema {info.get('schema')!r})")
    _refuse_auth(data, "collection")
    scripts = _scripts(data, "collection")
    requests: list[RequestItem] = []
    folders: list[str] = []
    for child in data.get("item", []):
        if "item" in child:
            folders.append(child["name"])
        _walk(child, (), scripts, requests)
    values, types = _variables(data.get("variable"))
    return Collection(info.get("name", ""), values, requests, folders, types)


def load_environment(path: Path | str) -> Environment:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    values, secrets, types = {}, set(), {}
    for entry in data.get("values", []):
        if not entry.get("enabled", True):
            # The Postman app leaves a disabled variable out; Newman uses it all the same.
            raise CollectionError(
                f"{path}: environment variable {entry['key']!r} is disabled "
                "(Postman and Newman disagree on those): enable it or remove it"
            )
        values[entry["key"]] = entry.get("value", "")
        types[entry["key"]] = entry.get("type", "any")
        if entry.get("type") == "secret":
            secrets.add(entry["key"])
    return Environment(data.get("name", Path(path).stem), values, secrets, types)


def _walk(
    node: dict[str, Any],
    parents: tuple[str, ...],
    inherited: dict[str, list[Script]],
    out: list[RequestItem],
) -> None:
    path = (*parents, node.get("name", ""))
    if "item" in node:  # a folder
        if node.get("variable"):
            raise CollectionError(f"folder {path[-1]!r}: folder variables are not supported")
        _refuse_auth(node, f"folder {path[-1]!r}")
        own = _scripts(node, f"folder {' / '.join(path)!r}")
        scripts = {event: inherited[event] + own[event] for event in SCRIPT_EVENTS}
        for child in node["item"]:
            _walk(child, path, scripts, out)
        return
    out.append(_request(node, path, inherited))


def _request(
    node: dict[str, Any], path: tuple[str, ...], inherited: dict[str, list[Script]]
) -> RequestItem:
    where = f"request {' / '.join(path)!r}"
    request = node.get("request")
    if isinstance(request, str):
        raise CollectionError(f"{where}: a request given as a plain URL string is not supported")
    if not isinstance(request, dict):
        raise CollectionError(f"{where}: neither a request nor a folder")
    _refuse_auth(request, where)
    headers = request.get("header") or []
    if not isinstance(headers, list):
        raise CollectionError(f"{where}: headers given as a string are not supported")
    body = request.get("body")
    if body and body.get("mode", "raw") != "raw":
        raise CollectionError(
            f"{where}: body mode {body.get('mode')!r} is not supported (raw only)"
        )
    own = _scripts(node, where)
    return RequestItem(
        path=path,
        id=node.get("id"),
        method=(request.get("method") or "GET").upper(),
        url=compose_url(request.get("url"), where),
        headers=[dict(h) for h in headers],
        body={"mode": "raw", **body} if body and not body.get("disabled") else None,
        description=_text(request.get("description")),
        prerequest=inherited["prerequest"] + own["prerequest"],
        tests=inherited["test"] + own["test"],
    )


def compose_url(url: str | dict[str, Any] | None, where: str = "request") -> str:
    """The URL template as Postman builds it from a URL object's parts (not from `raw`)."""
    if url is None:
        raise CollectionError(f"{where}: no URL")
    if isinstance(url, str):
        return url
    if url.get("variable"):
        raise CollectionError(f"{where}: path variables (:name) are not supported")
    if "host" not in url and "path" not in url:
        return url.get("raw", "")
    host = url.get("host") or []
    path = url.get("path") or []
    text = f"{url['protocol']}://" if url.get("protocol") else ""
    text += host if isinstance(host, str) else ".".join(host)
    if url.get("port"):
        text += f":{url['port']}"
    if path:
        segments = [path] if isinstance(path, str) else path
        text += "/" + "/".join(s if isinstance(s, str) else s.get("value", "") for s in segments)
    query = [q for q in url.get("query") or [] if not q.get("disabled")]
    if query:
        pairs = [q["key"] if q.get("value") is None else f"{q['key']}={q['value']}" for q in query]
        text += "?" + "&".join(pairs)
    if url.get("hash"):
        text += f"#{url['hash']}"
    return text


def _scripts(node: dict[str, Any], where: str) -> dict[str, list[Script]]:
    found: dict[str, list[Script]] = {event: [] for event in SCRIPT_EVENTS}
    for event in node.get("event") or []:
        listen = event.get("listen")
        if event.get("disabled"):
            continue
        if listen not in SCRIPT_EVENTS:
            raise CollectionError(f"{where}: script event {listen!r} is not supported")
        script = event.get("script") or {}
        if script.get("src"):
            raise CollectionError(f"{where}: scripts loaded from `src` are not supported")
        if script.get("type", "text/javascript") != "text/javascript":
            raise CollectionError(f"{where}: script type {script.get('type')!r} is not supported")
        exec_ = script.get("exec") or []
        source = exec_ if isinstance(exec_, str) else "\n".join(exec_)
        found[listen].append(Script(f"{where} [{listen}]", source))
    return found


def _refuse_auth(node: dict[str, Any], where: str) -> None:
    auth = node.get("auth")
    if auth and auth.get("type") != "noauth":
        raise CollectionError(f"{where}: auth type {auth.get('type')!r} is not supported")


def _variables(entries: list[dict[str, Any]] | None) -> tuple[dict[str, Any], dict[str, str]]:
    """Values and declared types. The type is Postman's (string, number, boolean, array,
    object, any): it decides what a script's `get` returns, so it is kept, not dropped."""
    values: dict[str, Any] = {}
    types: dict[str, str] = {}
    for entry in entries or []:
        key = entry["key"]
        if entry.get("disabled"):
            # Postman keeps a disabled variable out of get/has/{{…}} but in toObject() and
            # under a later set(): not worth imitating, and not worth ignoring silently.
            raise CollectionError(
                f"collection variable {key!r}: disabled variables are not supported"
            )
        # A repeated key: the last one counts (in the place of the first), as in Postman.
        # A variable without a value is undefined, not "", so `values` leaves it out.
        values.pop(key, None)
        if "value" in entry:
            values[key] = entry["value"]
        types[key] = entry.get("type", "any")
    return values, types


def _text(description: str | dict[str, Any] | None) -> str:
    if isinstance(description, dict):
        return description.get("content", "")
    return description or ""
