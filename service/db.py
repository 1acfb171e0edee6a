"""Engines, units of work, and where database work runs.

Routes never hold a session. They hand a rule (a plain function taking a session) to the
database, which runs it as one unit of work:

    order = await db.write(rules.place_order, body)       # a transaction
    product = await db.read(rules.get_product, product_id)

A unit is a session, the rule, the end of its transaction and the session's close, all in
one place: `transaction()` below is the only code that commits or rolls back (the rules
never do; the idempotency flow nests it to commit its steps one by one).

Where a unit runs:
- **SQLite** (the embedded default): on the event loop. A statement takes microseconds,
  and hopping to a thread costs more than the query (measured: docs/performance.md). But a
  unit on the loop never waits for a lock: its first BEGIN runs with `busy_timeout` 0, and
  when another process holds the write lock the unit (which has written nothing yet) runs
  again in a thread that waits for it, up to `SQLITE_BUSY_TIMEOUT_MS` (then 503). Later
  transactions of a unit that has already committed one (the idempotency flow) wait where
  they are.
- **PostgreSQL**: never on the event loop. A round trip to a database one network hop away
  takes milliseconds, during which the loop serves other requests: units run in a thread
  pool of their own, as many at once as the connection pool holds
  (`DB_POOL_SIZE + DB_MAX_OVERFLOW`); a request waits for a free one at most
  `DB_POOL_TIMEOUT_S` (then `503 database_busy`). Chosen by measurement over SQLAlchemy's
  asyncio layer (psycopg's async API), which cost twice the CPU per unit: docs/design.md.

Round trips on PostgreSQL (each costs the network's latency):
- reads run in autocommit: no `BEGIN`/`ROLLBACK` around them. At READ COMMITTED every
  statement takes its own snapshot anyway, so a read unit of two statements (a page and its
  count) sees nothing a transaction would have hidden from it;
- a rule marked `@one_statement` (service.sql) writes with at most one statement, which is
  atomic by itself: it runs in autocommit too (placing an order is one statement: a CTE
  takes the stock and inserts the order). A second write in such a unit is refused before
  it is sent (`OneStatementSession`), so a rule cannot quietly become half-writable, and a
  test counts the round trips of each request on the wire (suites/test_database_path.py);
- no pre-ping on checkout: a connection found dead is recycled (SQLAlchemy invalidates the
  whole pool on the first disconnect) and a read is retried once on a fresh one.

Bounded waits on PostgreSQL: `statement_timeout` and `lock_timeout` are set per connection
at connect (no extra round trip); a unit that hits one, or finds no free connection in
time, ends `503 database_busy` with `Retry-After`, rolled back; a lost connection ends
`503 database_unavailable`. Nothing waits without a limit, and `/health` never waits on
the database at all.

How each engine connects (pool, timeouts, SQLite's pragmas and BEGINs): service.engines.
"""

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.sql.dml import UpdateBase
from sqlmodel import Session

from service.config import Settings
from service.engines import (
    SQLITE_UNIT,
    SqliteUnit,
    create_db_engine,
    pool_connections,
    ready_engine,
)
from service.errors import ApiError

log = logging.getLogger("service.db")
T = TypeVar("T")
Rule = Callable[..., T]

READ, STATEMENT, WRITE = "read", "statement", "write"
# SQLSTATEs of a wait that ran out or a transaction the server gave up: retry later.
_BUSY_STATES = {
    "57014": "statement timeout",  # query_canceled
    "55P03": "lock timeout",  # lock_not_available
    "40P01": "deadlock",
    "40001": "serialization failure",
}
RETRY_AFTER_S = {"database_busy": 1, "database_unavailable": 2}


class OneStatementSession(Session):
    """The session of a `@one_statement` rule on PostgreSQL, in autocommit, where each
    statement commits on its own. It takes one write (INSERT/UPDATE/DELETE, CTEs included)
    and refuses a second before sending it: loudly (a 500, and a failure in any test that
    reaches it), because the first has committed by then. It is a guard against a rule
    that grew a second write but kept its marker, not a transaction."""

    _wrote = False

    def execute(self, statement, *args, **kwargs):
        if isinstance(statement, UpdateBase):
            if self._wrote:
                raise RuntimeError(
                    "a @one_statement rule tried a second write: outside a transaction it "
                    "could be half-written (drop the marker or make it one statement)"
                )
            self._wrote = True
        return super().execute(statement, *args, **kwargs)


def _in_session(session: Session, kind: str, rule: Rule, args: tuple, kwargs: dict) -> Any:
    if kind != WRITE:  # a read, or autocommit: no transaction to end
        return rule(session, *args, **kwargs)
    with transaction(session):
        return rule(session, *args, **kwargs)


class Database:
    """The service's database: `await db.read(rule, ...)`, `await db.write(rule, ...)`,
    `await db.ping(timeout)`. `engine`/`write_engine` stay for direct use (tests, tooling)."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        if self.is_sqlite:
            self.write_engine = engine.execution_options(sqlite_begin="IMMEDIATE")
            self._binds = {READ: engine, WRITE: self.write_engine}
        else:
            self.write_engine = engine
            autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
            self._binds = {READ: autocommit, STATEMENT: autocommit, WRITE: engine}
        # PostgreSQL: every unit; SQLite: only a unit that found the write lock taken.
        self._runner = _ThreadRunner(self._binds, settings)
        self._ready_engine = engine if self.is_sqlite else ready_engine(engine.url, settings)
        self._ready_threads = ThreadPoolExecutor(2, thread_name_prefix="db-ready")

    async def read(self, rule: Rule[T], /, *args: Any, **kwargs: Any) -> T:
        """Run `rule(session, *args, **kwargs)` for a read: no writes, no transaction on
        PostgreSQL; retried once on a fresh connection if the connection was lost."""
        return await self._run(READ, rule, args, kwargs)

    async def write(self, rule: Rule[T], /, *args: Any, **kwargs: Any) -> T:
        """Run the rule in one transaction (committed when it returns, rolled back when it
        raises); a `@one_statement` rule runs in autocommit on PostgreSQL (SQLite has no
        data-modifying CTEs: there it stays a BEGIN IMMEDIATE transaction)."""
        one = getattr(rule, "one_statement", False) and not self.is_sqlite
        return await self._run(STATEMENT if one else WRITE, rule, args, kwargs)

    async def _run(self, kind: str, rule: Rule, args: tuple, kwargs: dict) -> Any:
        if self.is_sqlite:
            return await self._run_sqlite(kind, rule, args, kwargs)
        attempts = 2 if kind == READ else 1
        for attempt in range(1, attempts + 1):
            try:
                return await self._runner.run(kind, rule, args, kwargs)
            except DBAPIError as exc:
                if attempt < attempts and exc.connection_invalidated:
                    log.warning("database connection lost during a read: retrying once")
                    continue
                raise _unavailable_or_busy(exc) from None
            except PoolTimeout:
                raise _busy("no free connection") from None
        raise AssertionError("unreachable")

    async def _run_sqlite(self, kind: str, rule: Rule, args: tuple, kwargs: dict) -> Any:
        """On the loop, without waiting for a lock; if the lock is taken (another process is
        writing) before the unit committed anything, again in a thread that waits for it
        (`SQLITE_BUSY_TIMEOUT_MS`), so the loop and `/health` never wait on SQLite."""
        unit = SqliteUnit()
        token = SQLITE_UNIT.set(unit)
        try:
            with Session(self._binds[kind], expire_on_commit=False) as session:
                return _in_session(session, kind, rule, args, kwargs)
        # sqlite3's own error too: BEGIN IMMEDIATE goes straight to the driver (below).
        except (OperationalError, sqlite3.OperationalError) as exc:
            if not (_sqlite_locked(exc) and unit.commits == 0):
                raise _unavailable_or_busy(exc) from None
        finally:
            SQLITE_UNIT.reset(token)
        try:  # nothing was written: the same unit, off the loop, waiting for the lock
            return await self._runner.run(kind, rule, args, kwargs)
        except (OperationalError, sqlite3.OperationalError) as exc:
            raise _unavailable_or_busy(exc) from None

    async def ping(self, timeout: float) -> None:
        """`SELECT 1` within `timeout` seconds, on a connection of its own (so a busy pool
        does not make a healthy database look down). Raises on failure or timeout."""
        if self.is_sqlite:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(timeout):
            await loop.run_in_executor(self._ready_threads, self._ping_once)

    def _ping_once(self) -> None:
        for attempt in (1, 2):
            try:
                with self._ready_engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
                return
            except DBAPIError as exc:
                if attempt == 2 or not exc.connection_invalidated:
                    raise

    def dispose(self) -> None:
        self._runner.close()
        self._ready_threads.shutdown(wait=False)
        if self._ready_engine is not self.engine:
            self._ready_engine.dispose()
        self.engine.dispose()


class _ThreadRunner:
    """The sync rules in a thread pool of the connection pool's size: every unit holds at
    most one connection, so a thread never waits for one; requests wait (on the loop, not
    in a thread) for a free thread, at most `DB_POOL_TIMEOUT_S`. (On SQLite only the units
    that found the write lock taken come here; its pool holds 5 + 10 connections.)"""

    def __init__(self, binds: dict[str, Engine], settings: Settings) -> None:
        size = pool_connections(settings)
        self._binds = binds
        self._threads = ThreadPoolExecutor(size, thread_name_prefix="db")
        self._slots = asyncio.Semaphore(size)
        self._wait = settings.db_pool_timeout_s

    async def run(self, kind: str, rule: Rule, args: tuple, kwargs: dict) -> Any:
        try:
            # asyncio.timeout, not wait_for: a cancelled acquire gives its slot back.
            async with asyncio.timeout(self._wait):
                await self._slots.acquire()
        except TimeoutError:
            raise _busy("no free database thread") from None
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._threads, self._unit, kind, rule, args, kwargs)
        finally:
            self._slots.release()

    def _unit(self, kind: str, rule: Rule, args: tuple, kwargs: dict) -> Any:
        session_class = OneStatementSession if kind == STATEMENT else Session
        with session_class(self._binds[kind], expire_on_commit=False) as session:
            return _in_session(session, kind, rule, args, kwargs)

    def close(self) -> None:
        self._threads.shutdown(wait=True)


def _sqlite_locked(exc: Exception) -> bool:
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    name = getattr(orig, "sqlite_errorname", "")
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(orig)


def _busy(reason: str) -> ApiError:
    log.warning("database busy: %s", reason)
    return ApiError("database_busy", headers={"Retry-After": str(RETRY_AFTER_S["database_busy"])})


def _unavailable_or_busy(exc: DBAPIError | sqlite3.OperationalError) -> Exception:
    """The 503 for an error of the database's state (a timeout, a lost connection); any
    other error (a bug, a constraint no rule expected) stays itself: a 500."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    state = getattr(orig, "sqlstate", None)
    if state in _BUSY_STATES:
        return _busy(_BUSY_STATES[state])
    if isinstance(orig, sqlite3.OperationalError):
        if "locked" in str(orig) or "busy" in str(orig):
            return _busy("SQLite write lock (busy_timeout)")
        return exc
    if getattr(exc, "connection_invalidated", False) or isinstance(exc, OperationalError):
        log.warning("database unavailable: %s (%s)", type(orig).__name__, state or "no sqlstate")
        retry = str(RETRY_AFTER_S["database_unavailable"])
        return ApiError("database_unavailable", headers={"Retry-After": retry})
    return exc


def create_database(settings: Settings) -> Database:
    return Database(create_db_engine(settings.database_url, settings), settings)


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """Commit what the session did when the block succeeds; roll it back when anything
    (an ApiError from a rule included) leaves the block, or when the commit itself fails.

    The rollback is the early release the rules used to do themselves (e.g. `take_stock`
    reading `available` after its conditional UPDATE missed, then refusing): it runs as
    soon as the exception has left the rule, before the error response is built and sent.
    That matters for lock time: until then a refused write holds SQLite's database write
    lock (BEGIN IMMEDIATE), which every writer of every worker queues behind, or
    PostgreSQL's row locks (the order's FOR UPDATE, the product's stock UPDATE) that racing
    buyers and cancels wait on.

    Used inside another `transaction(session)` block it commits the session's work so far:
    the idempotency flow relies on that to commit its claim before placing the order.
    Units in autocommit (PostgreSQL reads and `@one_statement` rules) do not use it: each
    of their statements commits by itself.
    """
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


async def get_database(request: Request) -> Database:
    return request.app.state.db


DatabaseDep = Annotated[Database, Depends(get_database)]
