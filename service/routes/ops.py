"""Liveness and readiness probes."""

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from starlette.responses import Response

from service.errors import problem_response, request_id_of
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
    responses=problems({503: ["not_ready"]}),
)
async def ready(request: Request) -> Status | Response:
    try:
        # In the threadpool: a hung database must not stall the event loop's other work.
        await run_in_threadpool(request.app.state.db.ping)
    except Exception:
        return problem_response(503, "not_ready", "Database unavailable", request_id_of(request))
    return Status(status="ready")
