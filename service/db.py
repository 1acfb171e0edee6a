"""Engines, sessions and SQLite tuning.

Why the route functions are `async def` and call these (blocking) sessions directly:
on SQLite a query takes microseconds, and running it on the event loop is several
times faster than hopping to the threadpool (measured: see README, "Performance").
It also means one worker never interleaves two of its own transactions.

SQLite transactions: the driver's implicit BEGIN is switched off and we emit our
own, `BEGIN` for reads and `BEGIN IMMEDIATE` for writes, so a writer takes the
write lock up front and a concurrent writer (another worker process) waits on
`busy_timeout` instead of failing with "database is locked" half-way through.
Reads never take the write lock (a BEGIN IMMEDIATE read serialises every read).

Write transactions end in one place, `transaction()`: the rule functions never commit or
roll back. The write-session dependency runs a whole request in one; the idempotency flow
runs its steps (claim the key; the order and its stored response; the stored refusal)
in one each. Moving database work off the event loop later changes this module only.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event, text
from sqlmodel import Session

from service.config import Settings


@dataclass
class Database:
    engine: Engine
    write_engine: Engine  # same pool; on SQLite its transactions BEGIN IMMEDIATE

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def create_database(settings: Settings) -> Database:
    engine = create_db_engine(settings.database_url, settings)
    is_sqlite = engine.dialect.name == "sqlite"
    write_engine = engine.execution_options(sqlite_begin="IMMEDIATE") if is_sqlite else engine
    return Database(engine=engine, write_engine=write_engine)


def create_db_engine(url: str, settings: Settings | None = None) -> Engine:
    settings = settings or Settings()
    if not url.startswith("sqlite"):
        return create_engine(
            url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_pre_ping=True,
            pool_recycle=1800,
        )
    engine = create_engine(url, connect_args={"check_same_thread": False})
    _ensure_sqlite_directory(url)
    busy_timeout = settings.sqlite_busy_timeout_ms

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see module docstring)
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "")
        # Straight to the driver: SQLAlchemy's execute path for a bare BEGIN (events,
        # cursor bookkeeping) was ~3% of the service's CPU under load.
        conn.connection.driver_connection.execute(_BEGIN[mode])

    return engine


_BEGIN = {"": "BEGIN", "IMMEDIATE": "BEGIN IMMEDIATE"}


def _ensure_sqlite_directory(url: str) -> None:
    path = url.split("///", 1)[-1].split("?", 1)[0]
    if path and path != ":memory:":
        Path(path).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """Commit what the session did when the block succeeds; roll it back when anything
    (an ApiError from a rule included) leaves the block, or when the commit itself fails.

    The rollback is the early release the rules used to do themselves (e.g. `take_stock`
    reading `available` after its conditional UPDATE missed, then refusing): it runs as
    soon as the exception has left the rule and the route, before the error response is
    built and sent. That matters for lock time: until then a refused write holds SQLite's
    database write lock (BEGIN IMMEDIATE), which every writer of every worker queues
    behind, or PostgreSQL's row locks (the order's FOR UPDATE, the product's stock UPDATE)
    that racing buyers and cancels wait on.

    Used inside another `transaction(session)` block it commits the session's work so far:
    the idempotency flow relies on that to commit its claim before placing the order.
    """
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def _database(request: Request) -> Database:
    return request.app.state.db


async def get_session(request: Request) -> Iterator[Session]:
    """A read session (plain BEGIN on SQLite)."""
    with Session(_database(request).engine, expire_on_commit=False) as session:
        yield session


async def get_write_session(request: Request) -> Iterator[Session]:
    """A write session (BEGIN IMMEDIATE on SQLite) in one transaction for the request."""
    engine = _database(request).write_engine
    with Session(engine, expire_on_commit=False) as session, transaction(session):
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
# scope="function": FastAPI runs the code after `yield` when the route returns or raises,
# before the response is sent (the default, "request", runs it after sending). So the
# client never sees a 201 for a transaction that is not committed yet, and an ApiError
# raised in the route reaches `transaction()` and rolls back before its problem response.
WriteSessionDep = Annotated[Session, Depends(get_write_session, scope="function")]
