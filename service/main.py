"""The ASGI application: `uvicorn service.main:app`."""

import logging
from contextlib import asynccontextmanager

from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline
from starlette.middleware.gzip import GZipMiddleware

from service import metrics, migrate
from service.config import (
    ConfigurationError,
    Settings,
    check_edge,
    check_production,
    get_settings,
    webhook_secrets,
)
from service.db import create_database
from service.errors import install_error_handlers
from service.logging_config import configure_logging
from service.middleware import RequestContextMiddleware
from service.openapi import DESCRIPTION, TAGS, finalize_openapi
from service.payments import WebhookEvent
from service.routes import ops, orders, products, webhooks
from service.security import MetricsGuard, WriteProtection
from service.version import __version__, deployed_commit

__all__ = ["__version__", "app", "create_app"]
log = logging.getLogger("service")


def _checked(settings: Settings) -> tuple[list[bytes], WriteProtection]:
    """Start-up checks: a clear message and exit instead of a half-configured service."""
    try:
        check_production(settings)
        check_edge(settings)
        return webhook_secrets(settings), WriteProtection.from_settings(settings)
    except (ConfigurationError, ValueError) as exc:
        log.critical("configuration error: %s", exc)
        raise SystemExit(f"configuration error: {exc}") from None


def _client_address_source(settings: Settings) -> str:
    hops = settings.trusted_proxy_hops
    source = f"x-forwarded-for[-{hops}]" if hops else "socket peer"
    if settings.client_ip_header:
        return f"{settings.client_ip_header}, else {source}"
    return source


def create_app(settings: Settings | None = None) -> "FastAPIOffline":
    settings = settings or get_settings()
    configure_logging(settings)
    secrets, protection = _checked(settings)
    build = ops.Health(
        status="ok", version=__version__, commit=deployed_commit(settings.render_git_commit)
    )

    @asynccontextmanager
    async def lifespan(app):
        if settings.should_migrate_on_start:
            migrate.upgrade(settings.database_url)
        app.state.db = create_database(settings)
        log.info(
            "service started environment=%s database=%s api_keys=%s rate_limit=%s "
            "auth_failure_limit=%s client_address=%s metrics=%s version=%s commit=%s",
            settings.environment,
            app.state.db.engine.dialect.name,
            "on" if settings.api_keys else "off",
            settings.effective_rate_limit or "off",
            settings.effective_auth_failure_limit or "off",
            _client_address_source(settings),
            ("token" if settings.metrics_token else "open") if settings.metrics_served else "off",
            build.version,
            build.commit,
        )
        yield
        app.state.db.dispose()

    app = FastAPIOffline(
        title="Orders & Inventory API",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        swagger_ui_parameters={"displayRequestDuration": True, "persistAuthorization": True},
    )
    app.state.settings = settings
    app.state.webhook_secrets = secrets
    app.state.write_protection = protection
    app.state.health = build
    install_error_handlers(app)
    for router in (products.router, orders.router, webhooks.router, ops.router):
        app.include_router(router, prefix=settings.api_prefix)
    if settings.metrics_served:  # production: only with METRICS_TOKEN, else off (404)
        app.include_router(metrics.router, dependencies=[MetricsGuard])

    # Outermost last: request context (ids, limits, headers, access log) wraps everything.
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=False,  # the API uses keys in headers, never cookies
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Content-Type", "Idempotency-Key", "X-API-Key", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Location", "Idempotent-Replayed", "Retry-After"],
        )
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        hsts=settings.environment == "production",
        allowed_hosts=settings.allowed_hosts,
        metrics=settings.metrics_enabled,
        trusted_proxy_hops=settings.trusted_proxy_hops,
        client_ip_header=settings.client_ip_header,
    )
    app.openapi = lambda: finalize_openapi(
        app, extra_models=(WebhookEvent,), api_keys=bool(settings.api_keys)
    )
    return app


app = create_app()
