"""Standard Webhooks (v1) signatures. Stdlib only: safe to import from config, CLI and tests."""

from service.webhooks.signature import (
    INVALID_SIGNATURE,
    STALE_WEBHOOK,
    WebhookSecretError,
    WebhookVerificationError,
    generate_secret,
    parse_secret,
    parse_secrets,
    sign,
    sign_headers,
    verify,
)

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
