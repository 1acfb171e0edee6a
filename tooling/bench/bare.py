"""A bare FastAPI endpoint: the framework's own ceiling on this machine, measured in the same
run as the service (`uvicorn tooling.bench.bare:app`)."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/bare")
async def bare() -> dict:
    return {"status": "ok"}


@app.get("/ready")  # for tooling.servers.wait_ready
async def ready() -> dict:
    return {"status": "ready"}
