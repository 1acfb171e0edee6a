"""Request context as one pure ASGI middleware: the client address, request id, body-size
limit, security and rate-limit headers, the access log line, and the last-resort 500.

Pure ASGI on purpose: `@app.middleware("http")` (BaseHTTPMiddleware) cost ~40% of GET
throughput when measured here, and one layer doing all of this costs less than five.
It sits outside FastAPI's exception handlers, so an unexpected exception still gets the
contract's 500 body *and* the X-Request-ID header, and its log line the same request_id.

The client address (per-address rate limits, the access log) is the one the edge vouches
for, never a value the client writes itself (`client_address` below): the socket peer, or
behind N proxies that each append to `X-Forwarded-For` the entry N from the right, or a
header the edge overwrites (`CLIENT_IP_HEADER`). It replaces `scope["client"]`, so every
layer sees the same address; uvicorn must run with `--no-proxy-headers` so that the peer it
hands over is the real socket peer (its own proxy-header support trusts the leftmost entry
with `--forwarded-allow-ips='*'`, and anything from 127.0.0.1 by default).
"""

import ipaddress
import logging
import re
import time
import uuid

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import PROBLEM_JSON, ApiError
from service.metrics import observe

log = logging.getLogger("service.request")
access_log = logging.getLogger("service.access")
_WELL_FORMED = re.compile(rb"^[A-Za-z0-9._:@/+=-]{1,128}$")
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class BodyTooLarge(Exception):
    pass


def parse_address(text: str) -> str | None:
    """`text` as a normalised IP address (an entry may carry a port: `1.2.3.4:80`,
    `[2001:db8::1]:443`), or None when it is not one."""
    text = text.strip()
    if text.startswith("["):
        text, closed, _ = text[1:].partition("]")
        if not closed:
            return None
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


def client_address(
    peer: str | None,
    forwarded_for: list[bytes],
    hops: int,
    edge_header: bytes | None = None,
) -> str | None:
    """The client address the edge vouches for.

    `edge_header` (the value of `CLIENT_IP_HEADER`, which the edge overwrites) wins when it
    holds an address. Else, with `hops` proxies each appending the address it received the
    request from, the entry `hops` from the right of `X-Forwarded-For` (several headers read
    as one list) is what the outermost proxy saw; everything left of it was written by the
    client. With `hops=0`, or fewer entries than proxies (the request did not come through
    them all), or an entry that is not an address: the socket peer.
    """
    if edge_header:
        vouched = parse_address(edge_header.decode("latin-1"))
        if vouched:
            return vouched
    if hops <= 0 or not forwarded_for:
        return peer
    entries = [e for e in b",".join(forwarded_for).decode("latin-1").split(",") if e.strip()]
    if len(entries) < hops:
        return peer
    return parse_address(entries[-hops]) or peer


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        hsts: bool = False,
        allowed_hosts: list[str] | None = None,
        metrics: bool = True,
        trusted_proxy_hops: int = 0,
        client_ip_header: str | None = None,
    ) -> None:
        self.metrics = metrics
        self.hops = trusted_proxy_hops
        self.client_ip_header = client_ip_header.lower().encode() if client_ip_header else None
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.allowed_hosts = [h.lower() for h in allowed_hosts or []]
        self.security_headers = [*_SECURITY_HEADERS, *([_HSTS] if hsts else [])]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started_at = time.perf_counter()
        request_id = None
        content_length = 0
        host = ""
        forwarded_for: list[bytes] = []
        forwarded_proto = edge_client = None
        for name, value in scope["headers"]:
            if name == b"x-request-id" and request_id is None:
                request_id = value.decode("ascii") if _WELL_FORMED.match(value) else None
            elif name == b"content-length":
                content_length = int(value) if value.isdigit() else 0
            elif name == b"host":
                host = value.decode("latin-1").rsplit(":", 1)[0].lower()
            elif name == b"x-forwarded-for":
                forwarded_for.append(value)
            elif name == b"x-forwarded-proto":
                forwarded_proto = value
            elif name == self.client_ip_header:
                edge_client = value
        request_id = request_id or uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        self._resolve_client(scope, state, forwarded_for, forwarded_proto, edge_client)
        id_header = (b"x-request-id", request_id.encode("ascii"))
        status = 500
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                extra = [
                    (k.lower().encode(), v.encode())
                    for k, v in state.get("extra_headers", {}).items()
                ]
                message["headers"] = [
                    *message.get("headers", ()),
                    id_header,
                    *self.security_headers,
                    *extra,
                ]
            await send(message)

        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    state["body_too_large"] = True  # FastAPI turns errors here into a 400
                    raise BodyTooLarge
            return message

        try:
            if self.allowed_hosts and not self._host_allowed(host):
                status = 400
                await _send_problem(send_with_headers, ApiError("invalid_host"), request_id)
                return
            if content_length > self.max_body_bytes:
                raise BodyTooLarge
            await self.app(scope, receive_limited, send_with_headers)
        except BodyTooLarge:
            if started:
                raise
            status = 413
            error = ApiError("payload_too_large", limit=self.max_body_bytes)
            await _send_problem(send_with_headers, error, request_id)
        except Exception:
            log.exception(
                "unhandled error request_id=%s method=%s path=%s",
                request_id,
                scope.get("method"),
                scope.get("path"),
            )
            if started:
                raise
            status = 500
            await _send_problem(send_with_headers, ApiError("internal_error"), request_id)
        finally:
            elapsed = time.perf_counter() - started_at
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            if self.metrics:
                observe(scope["method"], route, status, elapsed)
            if access_log.isEnabledFor(logging.INFO):
                client = scope.get("client")
                access_log.info(
                    "%s %s %s",
                    scope.get("method"),
                    scope.get("path"),
                    status,
                    extra={
                        "request_id": request_id,
                        "method": scope.get("method"),
                        "route": route,
                        "status": status,
                        "latency_ms": round(elapsed * 1000, 2),
                        "client": client[0] if client else None,
                        "peer": state.get("peer"),
                    },
                )

    def _resolve_client(self, scope, state, forwarded_for, forwarded_proto, edge_client) -> None:
        peer = scope.get("client")
        state["peer"] = peer[0] if peer else None
        address = client_address(state["peer"], forwarded_for, self.hops, edge_client)
        if address is not None and address != state["peer"]:
            scope["client"] = (address, 0)  # the client's port is not known here
        if (self.hops or self.client_ip_header) and forwarded_proto:  # the edge's scheme
            scheme = forwarded_proto.decode("latin-1").rsplit(",", 1)[-1].strip().lower()
            if scheme in ("http", "https"):
                scope["scheme"] = scheme

    def _host_allowed(self, host: str) -> bool:
        """TrustedHostMiddleware's rules ("*", exact, "*.example.com"), in the contract's
        error shape."""
        for pattern in self.allowed_hosts:
            if pattern == "*" or host == pattern:
                return True
            if pattern.startswith("*.") and host.endswith(pattern[1:]):
                return True
        return False


async def _send_problem(send: Send, error: ApiError, request_id: str) -> None:
    body = orjson.dumps(error.body(request_id))
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
