"""Small SQL helpers: columns and sort orders derived from the models, dialect
differences, the `@one_statement` marker and opportunistic housekeeping."""

import time
from collections.abc import Callable
from typing import Any, TypeVar, get_args

from pydantic import BaseModel
from sqlalchemy import Column, Executable, RowMapping, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from service.errors import ApiError


def public_columns(table: Table, model: type[BaseModel]) -> list[Column]:
    """The table's columns for each field of a Public model, in the model's order.

    Called at import: a field added to the Public model but not to the table stops the
    service there, instead of being documented and silently never returned.
    """
    missing = [name for name in model.model_fields if name not in table.c]
    if missing:
        raise LookupError(f"{model.__name__} fields not in table {table.name}: {missing}")
    return [table.c[name] for name in model.model_fields]


def sort_orders(table: Table, sort_keys: Any) -> dict[str, list]:
    """ORDER BY clauses for each key of a `Literal["id", "-id", ...]` sort type (`-` for
    descending); `id` breaks ties so pages are stable, and (column, id) indexes serve both
    directions. Built at import: a key that names no column fails there."""
    orders = {}
    for key in get_args(sort_keys):
        column = table.c[key.lstrip("-")]
        descending = key.startswith("-")
        clauses = [column.desc() if descending else column]
        if column is not table.c.id:
            clauses.append(table.c.id.desc() if descending else table.c.id)
        orders[key] = clauses
    return orders


F = TypeVar("F", bound=Callable[..., Any])


def one_statement(rule: F) -> F:
    """Mark a write rule that issues at most one write statement on PostgreSQL (reads after
    a refused write are fine): it is atomic by itself, so `Database.write` runs it in
    autocommit, without the BEGIN and COMMIT round trips. A second write in such a run is
    refused before it reaches the database (`service.db.OneStatementSession`)."""
    rule.one_statement = True  # type: ignore[attr-defined]
    return rule


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def found_or_raise(
    session: Session, statement: Executable, params: dict, code: str, **extras: Any
) -> RowMapping:
    """The row the statement finds, or `ApiError(code, **extras)` (a 404 not found)."""
    row = session.execute(statement, params).mappings().first()
    if row is None:
        raise ApiError(code, **extras)
    return row


def insert_if_absent(session: Session, table: Table, values: dict) -> bool:
    """`INSERT ... ON CONFLICT DO NOTHING`; True when this call inserted the row.

    Atomic on both databases: of N concurrent inserts of one key exactly one wins (on
    PostgreSQL the others wait for it to commit, then do nothing).
    """
    dialect = postgresql if is_postgres(session) else sqlite
    key = next(iter(table.primary_key.columns))
    statement = dialect.insert(table).values(**values).on_conflict_do_nothing().returning(key)
    return session.execute(statement).first() is not None


class Throttle:
    """`due()` is True at most once per `seconds` in this process (for housekeeping
    that piggybacks on ordinary requests instead of a cron job)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last = float("-inf")

    def due(self) -> bool:
        now = time.monotonic()
        if now - self._last < self.seconds:
            return False
        self._last = now
        return True
