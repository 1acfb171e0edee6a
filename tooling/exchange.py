"""A recorded HTTP exchange as people read it: in a failing test's message, in the pytest
and Postman reports. The one list of headers never shown in clear (signatures, keys,
tokens) and the one text rendering, used by the suites' client and the Postman runner."""

from collections.abc import Mapping

REDACTED = "<redacted>"
SENSITIVE_HEADERS = frozenset({"webhook-signature", "x-api-key", "authorization", "cookie"})


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: REDACTED if k.lower() in SENSITIVE_HEADERS else v for k, v in headers.items()}


def render_exchange(
    request_line: str,
    request_headers: Mapping[str, str],
    request_body: str | None,
    status_line: str,
    response_headers: Mapping[str, str],
    response_body: str | None,
    limit: int = 4000,
) -> str:
    """`> ` request lines, then `< ` response lines; bodies cut at `limit` characters."""
    lines = [f"> {request_line}", *(f"> {k}: {v}" for k, v in request_headers.items())]
    if request_body:
        lines.append(f"> {request_body[:limit]}")
    lines += [f"< {status_line}", *(f"< {k}: {v}" for k, v in response_headers.items())]
    if response_body:
        lines.append(f"< {response_body[:limit]}")
    return "\n".join(lines)
