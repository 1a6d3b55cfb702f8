"""Migration 0006 on a database that already holds data (SQLite, and PostgreSQL when
reachable): every existing row goes to the default workspace, the built-ins become shared,
and a default workspace that had published its own wording keeps it."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from service import catalog
from service.db import MIGRATIONS_DIR, Database, migrate
from service.errors import Unprocessable

PG = os.environ.get("AMIABLE_TEST_POSTGRES", "127.0.0.1")


def _config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


ADMIN = f"postgresql+psycopg://postgres@{PG}:5432/postgres"


def _on_postgres(statement: str) -> bool:
    try:
        engine = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(statement))
        engine.dispose()
    except Exception:  # no server: the SQLite case still runs
        return False
    return True


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    name = "amiable_mig_" + secrets.token_hex(4)
    if not _on_postgres(f"CREATE DATABASE {name}"):
        pytest.skip(f"no PostgreSQL at {PG}")
    yield f"postgresql+psycopg://postgres@{PG}:5432/{name}"
    _on_postgres(f"DROP DATABASE {name}")


def test_existing_rows_join_the_default_workspace(url: str) -> None:
    command.upgrade(_config(url), "0005")
    engine = create_engine(url)
    with engine.begin() as connection:
        for version, status, author in ((1, "retired", "built-in"), (2, "published", "legal")):
            connection.execute(text(
                "INSERT INTO template_versions (name, version, status, format, sha256, note, "
                "author, created_at) VALUES ('relance', :v, :s, 'html', :sha, '', :a, "
                "CURRENT_TIMESTAMP)"), {"v": version, "s": status, "a": author,
                                        "sha": str(version) * 64})
        connection.execute(text(
            "INSERT INTO api_keys (id, name, secret_sha256, roles, created_at) VALUES "
            "('key_old', 'old', :sha, 'system', CURRENT_TIMESTAMP)"), {"sha": "a" * 64})
    engine.dispose()

    migrate(url)
    db = Database(url)
    with db.session() as session:
        assert session.execute(text("SELECT workspace FROM api_keys")).scalar() == "default"
        assert session.execute(text("SELECT id FROM workspaces")).scalars().all() == [
            "default"]
        # The operator's own published wording still wins for its documents...
        assert catalog.resolve(session, "relance", None, "default").version == 2
        # ...and another workspace starts from the built-in, which is published for it.
        fresh = catalog.versions(session, "relance", "acme")
        assert [(v.version, v.status, v.builtin) for v in fresh] == [(1, "published", True)]
        assert catalog.resolve(session, "relance", None, "acme").version == 1
        # A retired version reproduces an old document, and only that.
        with pytest.raises(Unprocessable, match="retired"):
            catalog.resolve(session, "relance", 1, "default")
        assert catalog.resolve(session, "relance", 1, "default", reproduction=True).version == 1
    db.engine.dispose()
