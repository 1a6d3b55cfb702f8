"""Database schema and sessions (SQLAlchemy 2, migrated with Alembic).

SQLite by default (WAL, busy timeout, so several gunicorn workers can write); any SQLAlchemy
URL works, PostgreSQL included. The schema is created only by the migrations in
`service/migrations`: `migrate()` brings a database to the newest revision.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """`moment` with its zone: SQLite hands timestamps back without it (they are UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z."""
    return as_utc(moment).astimezone(UTC).isoformat().replace("+00:00", "Z")


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {dict[str, Any]: JSON, list[Any]: JSON}


def workspace_column() -> Mapped[str]:
    """The owning workspace of a row (migration 0006); see service.workspaces."""
    return mapped_column(String(64), index=True, server_default="default", default="default")


class Workspace(Base):
    """A tenant: its keys and resources are invisible to every other workspace.

    `webhook_secret` signs the webhooks of its batches and signature requests (an HMAC
    needs the secret itself, so it is kept as is; it is shown once, when made)."""

    __tablename__ = "workspaces"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the slug
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    webhook_secret: Mapped[str] = mapped_column(String(100))
    webhook_url: Mapped[str | None] = mapped_column(Text)  # its signature_request.* events
    max_pending_items: Mapped[int] = mapped_column(Integer, server_default="50000",
                                                   default=50000)


class ApiKey(Base):
    """A caller of the HTTP API. Only the SHA-256 of the secret is kept."""

    __tablename__ = "api_keys"
    workspace: Mapped[str] = workspace_column()
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    roles: Mapped[str] = mapped_column(String(100))  # space-separated
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TemplateVersion(Base):
    """One immutable wording of a document kind; the source lives in the blob store."""

    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("workspace", "name", "version",
                                       name="uq_template_versions_workspace"),)
    # "*" for the built-in versions every workspace sees (service.catalog.BUILT_IN)
    workspace: Mapped[str] = workspace_column()
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # draft | published | retired
    format: Mapped[str] = mapped_column(String(10))  # html | docx
    sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Document(Base):
    """An issued document: what was asked, what was computed, what was stored."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("workspace", "idempotency_key", name="uq_documents_idempotency"),
        # The listings (GET /v1/documents): newest first by (created_at, id), per filter.
        Index("ix_documents_ws_created", "workspace", "created_at", "id"),
        Index("ix_documents_ws_kind_created", "workspace", "kind", "created_at", "id"),
        Index("ix_documents_ws_case_created", "workspace", "case_id", "created_at", "id"),
        Index("ix_documents_ws_external", "workspace", "external_reference"),
    )
    workspace: Mapped[str] = workspace_column()
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    request_sha256: Mapped[str] = mapped_column(String(64))
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    template_name: Mapped[str] = mapped_column(String(40))
    template_version: Mapped[int] = mapped_column(Integer)
    template_sha256: Mapped[str] = mapped_column(String(64))
    pdf_sha256: Mapped[str] = mapped_column(String(64), index=True)  # the stored file now
    seal_revision_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    seal: Mapped[dict[str, Any]] = mapped_column(JSON)
    api_key_id: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The filled Word file, kept when the template is a .docx (GET /v1/documents/{id}/docx).
    docx_sha256: Mapped[str | None] = mapped_column(String(64))
    workspace: Mapped[str] = mapped_column(String(64), index=True, server_default="default")
    case_id: Mapped[str | None] = mapped_column(String(40))
    external_reference: Mapped[str | None] = mapped_column(String(100))


class Event(Base):
    """One step of an audit trail; each event hashes its predecessor on the same subject."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_subject", "subject", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(80))
    type: Mapped[str] = mapped_column(String(80))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class RateOverride(Base):
    """A semester's rates entered by an operator (they win over the shipped data file)."""

    __tablename__ = "rates"
    semester: Mapped[str] = mapped_column(String(7), primary_key=True)
    ecb_rate: Mapped[str] = mapped_column(String(12))
    # None while the semester's arrêté is not known (migration 0008_rates).
    legal_rate_individual: Mapped[str | None] = mapped_column(String(12))
    legal_rate_other: Mapped[str | None] = mapped_column(String(12))
    source: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def insert_ignoring_duplicates(session: Session, model: type[Base],
                               values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING, on SQLite and PostgreSQL alike; True when a row was
    added (the atomic "first one wins" of concurrent requests, with no savepoint)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(model).values(**values).on_conflict_do_nothing()
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


class Database:
    """An engine and its session factory; `session()` is a unit of work (commit or rollback)."""

    def __init__(self, url: str, audit_key: bytes | None = None) -> None:
        self.url = url
        self.engine: Engine = create_engine(url, future=True, pool_pre_ping=True)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _tune_sqlite)
        # Every session carries the audit key (kept outside the database: service.audit).
        self._sessions = sessionmaker(self.engine, expire_on_commit=False,
                                      info={"audit_key": audit_key})

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        """Drop pooled connections; called after a fork so children open their own."""
        self.engine.dispose(close=False)


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def migrate(url: str) -> None:
    """Bring the database at `url` to the newest schema revision."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")
