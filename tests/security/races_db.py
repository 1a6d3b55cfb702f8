"""A fresh PostgreSQL database for the race tests, when a server is reachable (else skip)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text

PG_ADMIN = os.environ.get("AMIABLE_TEST_POSTGRES",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _unreachable() -> str | None:
    try:
        engine = create_engine(PG_ADMIN, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_ADMIN}: {exc.__class__.__name__}"
    return None


@contextmanager
def fresh_database(backend: str) -> Iterator[str | None]:
    """None for SQLite (the data dir's own); for "postgresql", a new database's URL."""
    if backend == "sqlite":
        yield None
        return
    reason = _unreachable()
    if reason:
        pytest.skip(reason)
    name = f"amiable_races_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
