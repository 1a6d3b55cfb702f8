"""The one place where real adapters are chosen and wired: database, blob store, seal, pipeline.

`prepare()` makes a data dir ready (idempotent, fast on the second run): folders, migrated
database, built-in templates, development seal and development API key when none is given.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from service import catalog
from service.config import Settings
from service.db import Database, migrate
from service.documents import DocumentService
from service.pipeline import Pipeline
from service.storage import BlobStore
from signing import Sealer, build_sealer, ensure_development_seal

DEV_KEY_FILE = "development-api-key"


@dataclass
class Services:
    settings: Settings
    db: Database
    store: BlobStore
    sealer: Sealer
    pipeline: Pipeline
    documents: DocumentService


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def development_api_key(data_dir: Path) -> str:
    """The data dir's development key, made on first use (kept so restarts keep working)."""
    path = data_dir / DEV_KEY_FILE
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process made it first
            _write_private(path, "amk_dev_" + secrets.token_urlsafe(32))
    return path.read_text().strip()


def prepare(settings: Settings) -> Settings:
    """Make the data dir ready and return the settings completed with defaults it provides."""
    for folder in (settings.data_dir, settings.blobs_dir, settings.keys_dir):
        folder.mkdir(parents=True, exist_ok=True)
    migrate(settings.resolved_database_url)
    db = Database(settings.resolved_database_url)
    try:
        with db.session() as session:
            catalog.seed_builtins(session, BlobStore(settings.blobs_dir))
    except IntegrityError:
        pass  # another machine seeded the same versions at the same moment
    finally:
        db.engine.dispose()
    if settings.seal_p12 is None:
        settings = settings.with_overrides(seal_p12=ensure_development_seal(settings.keys_dir))
    if settings.api_key is None:
        settings = settings.with_overrides(api_key=development_api_key(settings.data_dir))
    return settings


def build(settings: Settings) -> Services:
    db = Database(settings.resolved_database_url)
    store = BlobStore(settings.blobs_dir)
    sealer = build_sealer(settings)  # an HSM (PKCS#11) or a .p12, with a TSA if given
    pipeline = Pipeline(sealer)
    documents = DocumentService(db, store, pipeline, settings.public_url)
    return Services(settings, db, store, sealer, pipeline, documents)
