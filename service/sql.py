"""Small SQL helpers: dialect differences and opportunistic housekeeping."""

import time

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session


def insert_if_absent(session: Session, table: Table, values: dict) -> bool:
    """`INSERT ... ON CONFLICT DO NOTHING`; True when this call inserted the row.

    Atomic on both databases: of N concurrent inserts of one key exactly one wins (on
    PostgreSQL the others wait for it to commit, then do nothing).
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
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
