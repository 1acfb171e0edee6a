"""Liveness and readiness probes. `/health` also says which build answers: the version and
the commit (resolved once at start-up, see service.version), never touching the database."""

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from service.errors import ApiError
from service.openapi import problems

router = APIRouter(tags=["ops"])


class Status(BaseModel):
    status: str


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    version: str = Field(description="The service version", examples=["1.0.0"])
    commit: str | None = Field(
        description="The deployed commit: RENDER_GIT_COMMIT, else the checkout's HEAD, else null",
        examples=["d28c4ede6386278de9f2568e37b0fbdd8be2066c"],
    )


@router.get("/health", response_model=Health, summary="Liveness and build (no database)")
async def health(request: Request) -> Health:
    return request.app.state.health


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
