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
"""

from collections.abc import Iterator
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
    is_sqlite: bool

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def create_database(settings: Settings) -> Database:
    engine = create_db_engine(settings.database_url, settings)
    is_sqlite = engine.dialect.name == "sqlite"
    write_engine = engine.execution_options(sqlite_begin="IMMEDIATE") if is_sqlite else engine
    return Database(engine=engine, write_engine=write_engine, is_sqlite=is_sqlite)


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


def _database(request: Request) -> Database:
    return request.app.state.db


async def get_session(request: Request) -> Iterator[Session]:
    """A read session (plain BEGIN on SQLite)."""
    with Session(_database(request).engine, expire_on_commit=False) as session:
        yield session


async def get_write_session(request: Request) -> Iterator[Session]:
    """A write session (BEGIN IMMEDIATE on SQLite); business functions commit it."""
    with Session(_database(request).write_engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
WriteSessionDep = Annotated[Session, Depends(get_write_session)]
