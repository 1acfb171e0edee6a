"""`service.db.Database`, the one way the routes reach the database: units of work, the
503s for a database that is busy or gone, the one-statement guard, the readiness ping."""

import asyncio
import secrets
import sqlite3
import time
from contextlib import ExitStack
from decimal import Decimal

import psycopg
import pytest
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from service import products
from service.config import Settings
from service.db import Database
from service.engines import create_db_engine
from service.errors import ApiError
from service.migrate import upgrade
from service.models import Product, ProductCreate
from service.sql import one_statement
from service.types import utcnow
from tooling.databases import postgres_admin_url, throwaway_database
from tooling.delay_proxy import delay_proxy

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def make_database(database):
    """`make_database(**settings)`: a Database of its own on the session's database."""
    made = []

    def make(**settings) -> Database:
        url = database.engine.url.render_as_string(hide_password=False)
        config = Settings(database_url=url, **settings)
        made.append(Database(create_db_engine(url, config), config))
        return made[-1]

    yield make
    for db in made:
        db.dispose()


@pytest.fixture
def fresh_database(scratch_dir):
    """`fresh_database(backend, **settings)`: a Database on a new, migrated database of that
    backend, for the behaviour only one backend has."""
    with ExitStack() as stack:

        def make(backend: str, **settings) -> Database:
            url = stack.enter_context(throwaway_database(backend, scratch_dir))
            upgrade(url)
            config = Settings(database_url=url, **settings)
            db = Database(create_db_engine(url, config), config)
            stack.callback(db.dispose)
            return db

        yield make


def product_data() -> ProductCreate:
    return ProductCreate(sku=f"DB-{secrets.token_hex(6)}", name="Unit", price=Decimal("2"), stock=5)


def raw_product(session) -> int:
    now = utcnow()
    values = product_data().model_dump() | {"created_at": now, "updated_at": now}
    return session.execute(insert(Product.__table__).values(**values)).inserted_primary_key[0]


@one_statement
def two_writes(session) -> None:
    raw_product(session)
    raw_product(session)


def test_reads_and_writes_run_the_rules(make_database):
    db = make_database()
    created = asyncio.run(db.write(products.create_product, product_data()))
    assert asyncio.run(db.read(products.get_product, created["id"]))["sku"] == created["sku"]
    with pytest.raises(ApiError) as refused:
        asyncio.run(db.read(products.get_product, 987_654_321))
    assert refused.value.code == "product_not_found"


def test_a_one_statement_rule_may_not_write_twice(make_database, database_backend):
    """On PostgreSQL such a rule runs in autocommit, where a second write could leave the
    first one alone: it is refused before it is sent. SQLite runs it in a transaction."""
    db = make_database()
    if database_backend == "sqlite":
        asyncio.run(db.write(two_writes))
        return
    with pytest.raises(RuntimeError, match="second write"):
        asyncio.run(db.write(two_writes))


@pytest.mark.requires("postgres")
def test_a_statement_past_its_timeout_is_database_busy(fresh_database):
    db = fresh_database("postgres", db_statement_timeout_ms=100)
    started = time.monotonic()
    with pytest.raises(ApiError) as busy:
        asyncio.run(db.read(lambda session: session.execute(text("SELECT pg_sleep(2)"))))
    assert busy.value.code == "database_busy" and busy.value.status == 503
    assert busy.value.headers == {"Retry-After": "1"}
    assert time.monotonic() - started < 1.5


def test_a_sqlite_lock_wait_past_busy_timeout_is_database_busy(fresh_database):
    """Another process's writer holds SQLite's write lock past `SQLITE_BUSY_TIMEOUT_MS`."""
    db = fresh_database("sqlite", sqlite_busy_timeout_ms=100)
    holder = sqlite3.connect(db.engine.url.database, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(ApiError) as busy:
            asyncio.run(db.write(products.create_product, product_data()))
        assert busy.value.code == "database_busy"
    finally:
        holder.rollback()
        holder.close()


@pytest.mark.requires("postgres")
def test_a_read_on_a_dead_connection_is_retried_once(fresh_database):
    db = fresh_database("postgres", db_pool_size=1, db_max_overflow=0)
    read_pid = lambda session: session.execute(text("SELECT pg_backend_pid()")).scalar()  # noqa: E731
    pid = asyncio.run(db.read(read_pid))
    admin_url = make_url(postgres_admin_url() or "").set(drivername="postgresql")
    with psycopg.connect(admin_url.render_as_string(False), autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
    assert asyncio.run(db.read(read_pid)) != pid  # the pooled connection was dead: a new one


def test_ping_answers_within_its_timeout(make_database, database_backend, database):
    db = make_database()
    asyncio.run(db.ping(2))
    if database_backend == "sqlite":
        return
    url = database.engine.url
    with delay_proxy((url.host, url.port or 5432), delay_ms=1000) as port:  # a database far away
        slow = url.set(port=port).render_as_string(hide_password=False)
        config = Settings(database_url=slow)
        far = Database(create_db_engine(slow, config), config)
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            asyncio.run(far.ping(0.3))
        assert time.monotonic() - started < 1
        far.dispose()
