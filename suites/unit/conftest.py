"""A migrated throwaway database per backend for the rule tests (no HTTP)."""

import pytest
from sqlmodel import Session

from service.config import Settings
from service.db import create_database
from service.migrate import upgrade
from tooling.databases import throwaway_database


@pytest.fixture(scope="session")
def database(database_backend, scratch_dir):
    with throwaway_database(database_backend, scratch_dir) as url:
        upgrade(url)
        db = create_database(Settings(database_url=url))
        yield db
        db.dispose()


@pytest.fixture
def session(database):
    with Session(database.write_engine, expire_on_commit=False) as session:
        yield session
