"""Settings from the environment (and an optional `.env` file) via pydantic-settings."""

import logging
import re
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from service.webhooks import WebhookSecretError, parse_secrets

DEFAULT_DATABASE_URL = "sqlite:///./orders.db"
# Development only (documented in the README); production refuses to start without a secret.
DEV_WEBHOOK_SECRET = "whsec_b3JkZXJzLWludmVudG9yeS1kZXZlbG9wbWVudC1zZWNyZXQ="
PRODUCTION_RATE_LIMIT = "1200/minute"
PRODUCTION_AUTH_FAILURE_LIMIT = "300/minute"
MIN_TOKEN_LENGTH = 16  # METRICS_TOKEN, like every API_KEYS entry
log = logging.getLogger("service.config")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    # repr=False on every field that can hold a secret: a repr reaches logs and test reports
    database_url: str = Field(default=DEFAULT_DATABASE_URL, repr=False)  # may hold a password
    api_prefix: str = ""
    log_level: str = "INFO"
    cors_origins: Annotated[list[str], NoDecode] = []
    # None = migrate at start-up only on SQLite (the embedded default); True/False forces it.
    migrate_on_start: bool | None = None
    # SQLAlchemy pool per worker process (PostgreSQL); SQLite uses one connection per engine.
    db_pool_size: int = Field(default=5, ge=1)
    db_max_overflow: int = Field(default=5, ge=0)
    # PostgreSQL bounded waits (docs/operations.md, "PostgreSQL"): past any of them a request
    # ends 503 database_busy, rolled back. 0 turns a server-side timeout off.
    db_statement_timeout_ms: int = Field(default=5000, ge=0)
    db_lock_timeout_ms: int = Field(default=4000, ge=0)
    # Longest wait for a free connection (and the thread that runs on it).
    db_pool_timeout_s: float = Field(default=5, gt=0)
    db_connect_timeout_s: int = Field(default=5, ge=1)
    # /ready answers 503 not_ready when the database does not answer `SELECT 1` within it.
    ready_timeout_s: float = Field(default=2, gt=0)
    sqlite_busy_timeout_ms: int = 5000
    # Comma-separated Standard Webhooks secrets (current first). Validated at start-up.
    webhook_secret: str | None = Field(default=None, repr=False)
    webhook_tolerance_seconds: int = Field(default=300, ge=1, le=3600)
    webhook_retention_days: int = Field(default=7, ge=7)

    # --- production profile (README: "Production profile") ---
    log_format: Literal["json", "console"] = "json"
    # Comma-separated keys for X-API-Key on writes. Empty: writes are open (development only).
    api_keys: Annotated[list[str], NoDecode] = Field(default=[], repr=False)
    # Write limit per API key (or client IP without one), "N/second|minute|hour". Empty: off;
    # production defaults to PRODUCTION_RATE_LIMIT.
    rate_limit: str | None = None
    # Shared rate-limit counters across instances; without it they are per process.
    redis_url: str | None = Field(default=None, repr=False)  # may hold a password
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Host header allowlist (TrustedHostMiddleware); empty: any host.
    allowed_hosts: Annotated[list[str], NoDecode] = []
    metrics_enabled: bool = True

    # --- the edge: client addresses, failed key checks, /metrics (docs/operations.md) ---
    # How many proxies in front of the service append to X-Forwarded-For: the client address
    # is the entry that many from the right (what the outermost proxy saw). 0: the socket peer,
    # X-Forwarded-For ignored. Never the leftmost entry: a client writes that itself.
    trusted_proxy_hops: int = Field(default=0, ge=0, le=8)
    # A header the edge sets to the client address, overwriting any the client sent (Render:
    # True-Client-IP). When set and present with an IP address, it wins over the hop count.
    client_ip_header: str | None = None
    # Failed key checks (401/403, writes and /metrics) per client address, "N/period". Empty
    # string: off; production defaults to PRODUCTION_AUTH_FAILURE_LIMIT.
    auth_failure_limit: str | None = None
    # Bearer token for /metrics (>= 16 characters). Production without one: /metrics is off.
    metrics_token: SecretStr | None = Field(default=None, repr=False)
    # The deployed commit, reported by /health (Render sets it; else the checkout's HEAD).
    render_git_commit: str | None = None

    @field_validator("client_ip_header")
    @classmethod
    def _header_name(cls, value: str | None) -> str | None:
        value = (value or "").strip().lower()
        if value and not re.fullmatch(r"[a-z0-9-]{1,64}", value):
            raise ValueError("CLIENT_IP_HEADER must be a header name, e.g. True-Client-IP")
        return value or None

    @field_validator("metrics_token")
    @classmethod
    def _no_blank_token(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value and value.get_secret_value().strip() else None

    @property
    def effective_auth_failure_limit(self) -> str | None:
        return self._limit(self.auth_failure_limit, PRODUCTION_AUTH_FAILURE_LIMIT)

    @property
    def metrics_served(self) -> bool:
        """/metrics exists: enabled, and in production only behind a token."""
        if not self.metrics_enabled:
            return False
        return self.metrics_token is not None or self.environment != "production"

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str) -> str:
        # Render (and Heroku) hand out postgres:// URLs; SQLAlchemy wants an explicit driver.
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @field_validator("api_prefix")
    @classmethod
    def _normalise_prefix(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith("/"):
            value = "/" + value
        return value

    @field_validator("cors_origins", "api_keys", "allowed_hosts", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def effective_rate_limit(self) -> str | None:
        return self._limit(self.rate_limit, PRODUCTION_RATE_LIMIT)

    def _limit(self, value: str | None, production_default: str) -> str | None:
        """A limit as set (blank: none); unset, the production default in production."""
        if value is not None:
            return value.strip() or None
        return production_default if self.environment == "production" else None

    @property
    def should_migrate_on_start(self) -> bool:
        return self.is_sqlite if self.migrate_on_start is None else self.migrate_on_start


class ConfigurationError(Exception):
    """A setting that stops the service at start-up, with a message safe to print."""


def check_production(settings: Settings) -> None:
    """Production refuses to start without write keys, or with a wildcard CORS origin."""
    if settings.environment != "production":
        return
    if not settings.api_keys:
        raise ConfigurationError("API_KEYS is required when ENVIRONMENT=production")
    if "*" in settings.cors_origins:
        raise ConfigurationError("CORS_ORIGINS may not be '*' when ENVIRONMENT=production")
    if any(len(key) < 16 for key in settings.api_keys):
        raise ConfigurationError("every API_KEYS entry must be at least 16 characters")


def check_edge(settings: Settings) -> None:
    """Edge settings that stop the service at start-up (every environment)."""
    token = settings.metrics_token
    if token is not None and len(token.get_secret_value()) < MIN_TOKEN_LENGTH:
        raise ConfigurationError("METRICS_TOKEN must be at least 16 characters")


def webhook_secrets(settings: Settings) -> list[bytes]:
    """The webhook keys, current first. Never logs or echoes a secret."""
    if not settings.webhook_secret:
        if settings.environment == "production":
            raise ConfigurationError("WEBHOOK_SECRET is required when ENVIRONMENT=production")
        log.warning(
            "WEBHOOK_SECRET is not set: using the documented development secret "
            "(never use it in production)"
        )
        return parse_secrets(DEV_WEBHOOK_SECRET)
    try:
        return parse_secrets(settings.webhook_secret)
    except WebhookSecretError as exc:
        raise ConfigurationError(str(exc)) from None


@lru_cache
def get_settings() -> Settings:
    return Settings()
