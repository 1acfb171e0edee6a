"""The ASGI application: `uvicorn service.main:app`."""

import logging
from contextlib import asynccontextmanager

from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline

from service import migrate
from service.config import ConfigurationError, Settings, get_settings, webhook_secrets
from service.db import create_database
from service.errors import install_error_handlers
from service.middleware import RequestContextMiddleware
from service.openapi import DESCRIPTION, TAGS, finalize_openapi
from service.payments import WebhookEvent
from service.routes import ops, orders, products, webhooks

__version__ = "1.0.0"
log = logging.getLogger("service")


def _configure_logging(settings: Settings) -> None:
    logger = logging.getLogger("service")
    logger.setLevel(settings.log_level.upper())
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False


def create_app(settings: Settings | None = None) -> "FastAPIOffline":
    settings = settings or get_settings()
    _configure_logging(settings)
    try:
        secrets = webhook_secrets(settings)
    except ConfigurationError as exc:
        log.critical("configuration error: %s", exc)
        raise SystemExit(f"configuration error: {exc}") from None

    @asynccontextmanager
    async def lifespan(app):
        if settings.should_migrate_on_start:
            migrate.upgrade(settings.database_url)
        app.state.db = create_database(settings)
        log.info(
            "service started environment=%s database=%s",
            settings.environment,
            app.state.db.engine.dialect.name,
        )
        yield
        app.state.db.dispose()

    app = FastAPIOffline(
        title="Orders & Inventory API",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        swagger_ui_parameters={"displayRequestDuration": True, "tryItOutEnabled": False},
    )
    app.state.settings = settings
    app.state.webhook_secrets = secrets
    install_error_handlers(app)
    for router in (products.router, orders.router, webhooks.router, ops.router):
        app.include_router(router, prefix=settings.api_prefix)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "Location"],
        )
    app.add_middleware(RequestContextMiddleware)
    app.openapi = lambda: finalize_openapi(app, extra_models=(WebhookEvent,))
    return app


app = create_app()
