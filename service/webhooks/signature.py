"""Standard Webhooks (v1) signing and verification: pure functions, stdlib only (the error
text comes from the stdlib-only `service.problems` catalogue).

Spec: https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
The signed content is ``f"{webhook-id}.{webhook-timestamp}.".encode() + raw_body``, so callers
must verify the exact bytes received, before any JSON parsing or re-serialisation.
"""

import base64
import hashlib
import hmac
import secrets as _secrets
import time
from collections.abc import Mapping

from service.problems import CATALOGUE

__all__ = [
    "INVALID_SIGNATURE",
    "STALE_WEBHOOK",
    "WebhookSecretError",
    "WebhookVerificationError",
    "generate_secret",
    "parse_secret",
    "parse_secrets",
    "sign",
    "sign_headers",
    "verify",
]

SECRET_PREFIX = "whsec_"
MIN_SECRET_BYTES = 24
DEFAULT_TOLERANCE = 300  # seconds, as in the reference libraries
MAX_ID_LENGTH = 255
MAX_SIGNATURE_HEADER_LENGTH = 4096
MAX_TIMESTAMP_DIGITS = 12

INVALID_SIGNATURE = "invalid_signature"
STALE_WEBHOOK = "stale_webhook"


class WebhookVerificationError(Exception):
    """A delivery failed verification.

    ``code`` and ``detail`` are safe to return to the client; ``reason`` is a short internal
    explanation for logs. None of them ever contains a secret or a computed signature.
    """

    def __init__(self, code: str, reason: str) -> None:
        self.code = code
        self.detail = CATALOGUE[code].detail
        self.reason = reason
        super().__init__(self.detail)


class WebhookSecretError(ValueError):
    """The configured secret is unusable. The message never includes the secret itself."""


def parse_secret(value: str, *, name: str = "WEBHOOK_SECRET") -> bytes:
    """Decode one ``whsec_``-prefixed or bare base64 secret to key bytes.

    Missing padding is accepted (as the reference library does) but any non-base64 character is
    rejected, so a typo fails at start-up instead of silently producing a different key.
    """
    text = value.strip().removeprefix(SECRET_PREFIX)
    if not text:
        raise WebhookSecretError(f"{name} is empty")
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except ValueError:  # binascii.Error, or non-ASCII characters
        raise WebhookSecretError(f"{name} is not valid base64") from None
    if len(key) < MIN_SECRET_BYTES:
        raise WebhookSecretError(
            f"{name} decodes to {len(key)} bytes; at least {MIN_SECRET_BYTES} are required"
        )
    return key


def parse_secrets(value: str) -> list[bytes]:
    """Parse a comma-separated secret list (current first, then previous ones for rotation)."""
    entries = value.split(",")
    if len(entries) == 1:
        return [parse_secret(value)]
    keys = []
    for index, entry in enumerate(entries, start=1):
        if not entry.strip():
            raise WebhookSecretError(f"WEBHOOK_SECRET entry {index} is empty")
        keys.append(parse_secret(entry, name=f"WEBHOOK_SECRET entry {index}"))
    return keys


def _key(secret: bytes | str) -> bytes:
    return parse_secret(secret) if isinstance(secret, str) else secret


def _digest(key: bytes, msg_id: str, timestamp: int | str, body: bytes) -> bytes:
    return hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()


def sign(secret: bytes | str, msg_id: str, timestamp: int, body: bytes) -> str:
    """Return the ``v1,<base64>`` signature for one delivery."""
    return "v1," + base64.b64encode(_digest(_key(secret), msg_id, timestamp, body)).decode()


def sign_headers(
    secret: bytes | str,
    body: bytes,
    msg_id: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """Build the three Standard Webhooks headers (fresh id and current time by default)."""
    msg_id = msg_id if msg_id is not None else "msg_" + _secrets.token_urlsafe(18)
    timestamp = timestamp if timestamp is not None else int(time.time())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def _invalid(reason: str) -> WebhookVerificationError:
    return WebhookVerificationError(INVALID_SIGNATURE, reason)


def verify(
    secrets: list[bytes],
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = DEFAULT_TOLERANCE,
) -> str:
    """Verify a delivery over its raw body bytes and return its ``webhook-id``.

    Accepts a Starlette ``Headers`` or a plain dict (names matched case-insensitively). The
    timestamp is checked before the signatures, like the reference implementation. Any
    malformed input raises :class:`WebhookVerificationError` and nothing else.
    """
    lowered = {str(k).lower(): v for k, v in headers.items()}
    values = {}
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        value = lowered.get(name)
        if not isinstance(value, str) or not value:
            raise _invalid(f"missing {name} header")
        values[name] = value
    msg_id, ts_text, sig_header = values.values()

    if len(msg_id) > MAX_ID_LENGTH:
        raise _invalid("webhook-id header too long")
    if len(sig_header) > MAX_SIGNATURE_HEADER_LENGTH:
        raise _invalid("webhook-signature header too long")
    if not (ts_text.isascii() and ts_text.isdigit() and len(ts_text) <= MAX_TIMESTAMP_DIGITS):
        raise _invalid("webhook-timestamp is not a plain integer")

    timestamp = int(ts_text)
    skew = (time.time() if now is None else now) - timestamp
    if abs(skew) > tolerance:
        raise WebhookVerificationError(
            STALE_WEBHOOK, f"timestamp age {skew:.0f}s exceeds {tolerance}s"
        )

    try:
        expected = [_digest(key, msg_id, timestamp, body) for key in secrets]
    except UnicodeEncodeError:  # e.g. a lone surrogate in a dict-supplied id
        raise _invalid("webhook-id is not encodable") from None

    for entry in sig_header.split(" "):
        version, _, encoded = entry.partition(",")
        if version != "v1" or not encoded or "," in encoded:
            continue
        try:
            candidate = base64.b64decode(encoded, validate=True)
        except ValueError:  # binascii.Error, or non-ASCII characters
            continue
        if len(candidate) != hashlib.sha256().digest_size:
            continue
        if any(hmac.compare_digest(candidate, digest) for digest in expected):
            return msg_id
    raise _invalid("no matching v1 signature")


def generate_secret() -> str:
    """Return a new random secret in the conventional ``whsec_<base64 of 32 bytes>`` form."""
    return SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(32)).decode()
