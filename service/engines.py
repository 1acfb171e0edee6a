"""Engines: how the service connects to SQLite and PostgreSQL (service.db runs the units
of work on them).

- **PostgreSQL**: a pool of as many connections as units run at once, no pre-ping (a dead
  connection is recycled, and service.db retries a read once), `statement_timeout` and
  `lock_timeout` sent in the start-up packet (no extra round trip), and a one-connection
  engine of its own for `/ready`.
- **SQLite**: WAL, `synchronous=NORMAL`, foreign keys on; the driver's implicit BEGIN is
  off and we emit our own (`BEGIN` for reads, `BEGIN IMMEDIATE` for writes). A unit on the
  event loop does not wait for another process's write lock (`SqliteUnit`): its first
  BEGIN runs with `busy_timeout` 0, and service.db runs it again in a thread that waits.
"""

from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from service.config import Settings


class SqliteUnit:
    """A SQLite unit running on the event loop: its first BEGIN must not wait for a lock."""

    commits = 0


# Set only around a unit on the loop; threads (and tests, tooling) see None: they wait.
SQLITE_UNIT: ContextVar[SqliteUnit | None] = ContextVar("sqlite_unit", default=None)


def _connect_args(url, settings: Settings, statement_timeout_ms: int | None = None) -> dict:
    """Per-connection server settings, sent in the start-up packet (no round trip). An
    `options` or `application_name` in DATABASE_URL is kept."""
    query = make_url(url).query
    given = query.get("options", "")
    statement_ms = (
        settings.db_statement_timeout_ms if statement_timeout_ms is None else statement_timeout_ms
    )
    options = [
        given if isinstance(given, str) else " ".join(given),
        f"-c statement_timeout={int(statement_ms)}",
        f"-c lock_timeout={int(settings.db_lock_timeout_ms)}",
    ]
    args: dict[str, Any] = {
        "options": " ".join(option for option in options if option),
        "connect_timeout": int(settings.db_connect_timeout_s),
    }
    if "application_name" not in query:
        args["application_name"] = "orders-inventory"
    return args


def ready_engine(url, settings: Settings) -> Engine:
    """One connection for `/ready`, its waits bounded by the readiness timeout."""
    args = _connect_args(url, settings, statement_timeout_ms=int(settings.ready_timeout_s * 1000))
    args["connect_timeout"] = max(1, int(settings.ready_timeout_s))
    return create_engine(
        url,
        pool_size=1,
        max_overflow=0,
        pool_timeout=settings.ready_timeout_s,
        isolation_level="AUTOCOMMIT",  # SELECT 1 alone: one round trip
        connect_args=args,
    )


def pool_connections(settings: Settings) -> int:
    """Connections per worker process on PostgreSQL, and units of work in flight at once."""
    return settings.db_pool_size + settings.db_max_overflow


def create_db_engine(url: str, settings: Settings | None = None) -> Engine:
    settings = settings or Settings()
    if not url.startswith("sqlite"):
        return create_engine(
            url,
            # As many connections as units run at once, each kept once opened: an overflow
            # connection closed on return and reopened under the next burst cost ~6% of the
            # worker's CPU (and a fork on the server, and round trips at connect).
            pool_size=pool_connections(settings),
            max_overflow=0,
            pool_timeout=settings.db_pool_timeout_s,
            pool_pre_ping=False,  # a round trip per checkout; dead connections are recycled
            pool_recycle=1800,
            connect_args=_connect_args(url, settings),
        )
    engine = create_engine(url, connect_args={"check_same_thread": False})
    _ensure_sqlite_directory(url)
    busy_timeout = settings.sqlite_busy_timeout_ms

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, record) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see module docstring)
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout)}")
        record.info["busy_timeout"] = busy_timeout
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "")
        # On the loop, a unit's first transaction does not wait for another process's lock
        # (Database._run_sqlite moves it to a thread instead); everything else waits.
        unit = SQLITE_UNIT.get()
        wait = busy_timeout if unit is None or unit.commits else 0
        info = conn.connection.info
        driver = conn.connection.driver_connection
        if info.get("busy_timeout") != wait:
            driver.execute(f"PRAGMA busy_timeout = {int(wait)}")
            info["busy_timeout"] = wait
        # Straight to the driver: SQLAlchemy's execute path for a bare BEGIN (events,
        # cursor bookkeeping) was ~3% of the service's CPU under load.
        driver.execute(_BEGIN[mode])

    @event.listens_for(engine, "commit")
    def _on_commit(_conn) -> None:
        unit = SQLITE_UNIT.get()
        if unit is not None:
            unit.commits += 1

    return engine


_BEGIN = {"": "BEGIN", "IMMEDIATE": "BEGIN IMMEDIATE"}


def _ensure_sqlite_directory(url: str) -> None:
    path = url.split("///", 1)[-1].split("?", 1)[0]
    if path and path != ":memory:":
        Path(path).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
