"""Settings from the environment (and an optional `.env` file) via pydantic-settings."""

import logging
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from service.webhooks import WebhookSecretError, parse_secrets

DEFAULT_DATABASE_URL = "sqlite:///./orders.db"
# Development only (documented in the README); production refuses to start without a secret.
DEV_WEBHOOK_SECRET = "whsec_b3JkZXJzLWludmVudG9yeS1kZXZlbG9wbWVudC1zZWNyZXQ="
PRODUCTION_RATE_LIMIT = "1200/minute"
log = logging.getLogger("service.config")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
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
    webhook_secret: str | None = None
    webhook_tolerance_seconds: int = Field(default=300, ge=1, le=3600)
    webhook_retention_days: int = Field(default=7, ge=7)

    # --- production profile (README: "Production profile") ---
    log_format: Literal["json", "console"] = "json"
    # Comma-separated keys for X-API-Key on writes. Empty: writes are open (development only).
    api_keys: Annotated[list[str], NoDecode] = []
    # Write limit per API key (or client IP without one), "N/second|minute|hour". Empty: off;
    # production defaults to PRODUCTION_RATE_LIMIT.
    rate_limit: str | None = None
    # Shared rate-limit counters across instances; without it they are per process.
    redis_url: str | None = None
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Host header allowlist (TrustedHostMiddleware); empty: any host.
    allowed_hosts: Annotated[list[str], NoDecode] = []
    metrics_enabled: bool = True

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
        if self.rate_limit is not None:
            return self.rate_limit.strip() or None
        return PRODUCTION_RATE_LIMIT if self.environment == "production" else None

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
