"""Throwaway databases for local runs: a SQLite file, or a fresh PostgreSQL database
created on the server named by TEST_DATABASE_URL and dropped afterwards."""

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

TEST_DATABASE_URL_ENV = "TEST_DATABASE_URL"


def postgres_admin_url() -> str | None:
    return os.environ.get(TEST_DATABASE_URL_ENV) or None


def _libpq(url: str) -> str:
    """A SQLAlchemy-style URL as a plain libpq URL (psycopg.connect wants that)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def postgres_problem() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when they can."""
    url = postgres_admin_url()
    if not url:
        return f"{TEST_DATABASE_URL_ENV} is not set (PostgreSQL tests need a server)"
    try:
        with psycopg.connect(_libpq(url), connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL at {TEST_DATABASE_URL_ENV} is unreachable: {exc.__class__.__name__}"
    return None


@contextmanager
def postgres_database(prefix: str = "oi_test") -> Iterator[str]:
    """Create a uniquely named database; yield its SQLAlchemy URL; drop it afterwards."""
    admin = _libpq(postgres_admin_url() or "")
    name = f"{prefix}_{secrets.token_hex(6)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield (
            make_url(admin)
            .set(drivername="postgresql+psycopg", database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def sqlite_database(directory: Path, name: str = "service") -> Iterator[str]:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}-{secrets.token_hex(4)}.db"
    try:
        yield f"sqlite:///{path}"
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.with_suffix(".migrate.lock").unlink(missing_ok=True)


@contextmanager
def throwaway_database(backend: str, scratch: Path) -> Iterator[str]:
    """`backend` is "sqlite" or "postgres"."""
    if backend == "postgres":
        with postgres_database() as url:
            yield url
    else:
        with sqlite_database(scratch) as url:
            yield url
