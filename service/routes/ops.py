"""Liveness and readiness probes."""

from fastapi import APIRouter, Request
from pydantic import BaseModel

from service.errors import ApiError
from service.openapi import problems

router = APIRouter(tags=["ops"])


class Status(BaseModel):
    status: str


@router.get("/health", response_model=Status, summary="Liveness (no database)")
async def health() -> Status:
    return Status(status="ok")


@router.get(
    "/ready",
    response_model=Status,
    summary="Readiness (the database answers)",
    responses=problems("not_ready"),
)
async def ready(request: Request) -> Status:
    """200 when the database answers `SELECT 1` within `READY_TIMEOUT_S` (on a connection
    of its own, off the event loop), else 503 `not_ready`."""
    try:
        await request.app.state.db.ping(request.app.state.settings.ready_timeout_s)
    except Exception:
        raise ApiError("not_ready") from None
    return Status(status="ready")
