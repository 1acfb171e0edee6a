"""Liveness and readiness probes."""

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
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
    try:
        # In the threadpool: a hung database must not stall the event loop's other work.
        await run_in_threadpool(request.app.state.db.ping)
    except Exception:
        raise ApiError("not_ready") from None
    return Status(status="ready")
