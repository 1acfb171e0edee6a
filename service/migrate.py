"""Alembic migrations, applied programmatically (start-up on SQLite, or by hand:
`python -m service.migrate`, equivalent to `alembic upgrade head`)."""

import fcntl
import logging
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from service.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


_PG_LOCK_ID = 7_246_813_001  # any constant: "the migration lock" of this service


@contextmanager
def _postgres_lock(database_url: str):
    """Instances starting together (start command = migrate, then serve) migrate one after
    another: a session-level advisory lock, released when the connection closes."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _PG_LOCK_ID})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _PG_LOCK_ID})
    finally:
        engine.dispose()


@contextmanager
def _migration_lock(database_url: str):
    if database_url.startswith("postgresql"):
        with _postgres_lock(database_url):
            yield
    else:
        with _sqlite_file_lock(database_url):
            yield


@contextmanager
def _sqlite_file_lock(database_url: str):
    """Several workers starting at once on one SQLite file migrate one after another."""
    path = database_url.split("///", 1)[-1].split("?", 1)[0]
    if not path or path == ":memory:":
        yield
        return
    lock_path = Path(path).expanduser().resolve().with_suffix(".migrate.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(database_url: str, revision: str = "head") -> None:
    with _migration_lock(database_url):
        command.upgrade(alembic_config(database_url), revision)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    upgrade(Settings().database_url)
    print("database is at the latest migration")
