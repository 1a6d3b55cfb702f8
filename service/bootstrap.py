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
from service.cases.dossier import Dossier
from service.cases.service import CaseFiles
from service.config import Settings
from service.db import Database, migrate
from service.documents import DocumentService
from service.pipeline import Pipeline, today_in_paris
from service.storage import BlobStore, FolderBlobStore, S3BlobStore
from signing import Sealer, build_sealer, ensure_development_seal

DEV_KEY_FILE = "development-api-key"
# Written by prepare(): the proof that a folder is a data dir `amiable init` made, so that a
# command run from the wrong folder refuses instead of starting a new database and seal.
INIT_MARKER = ".amiable-data-dir"


@dataclass
class Services:
    settings: Settings
    db: Database
    store: BlobStore
    sealer: Sealer
    pipeline: Pipeline
    documents: DocumentService
    cases: CaseFiles
    dossier: Dossier


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


def blob_store(settings: Settings) -> BlobStore:
    """The S3 bucket of AMIABLE_BLOB_URL, else the data dir's blobs folder."""
    if settings.blob_url:
        return S3BlobStore(settings.blob_url, settings.s3_endpoint_url)
    return FolderBlobStore(settings.blobs_dir)


def prepare(settings: Settings) -> Settings:
    """Make the data dir ready and return the settings completed with defaults it provides."""
    folders = [settings.data_dir, settings.keys_dir]
    if not settings.blob_url:
        folders.append(settings.blobs_dir)
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    migrate(settings.resolved_database_url)
    db = Database(settings.resolved_database_url)
    try:
        with db.session() as session:
            catalog.seed_builtins(session, blob_store(settings))
    except IntegrityError:
        pass  # another machine seeded the same versions at the same moment
    finally:
        db.engine.dispose()
    marker = settings.data_dir / INIT_MARKER
    if not marker.exists():
        with contextlib.suppress(FileExistsError):
            _write_private(marker, "made by `amiable init`; do not delete\n")
    if settings.seal_p12 is None:
        settings = settings.with_overrides(seal_p12=ensure_development_seal(settings.keys_dir))
    if settings.api_key is None:
        settings = settings.with_overrides(api_key=development_api_key(settings.data_dir))
    return settings


def is_initialised(settings: Settings) -> bool:
    """Whether `amiable init` (or a server start) prepared this data dir. Data dirs made
    before the marker existed are recognised by their database and keys folder."""
    if (settings.data_dir / INIT_MARKER).is_file():
        return True
    legacy_db = settings.database_url is not None or (settings.data_dir / "amiable.db").is_file()
    return settings.keys_dir.is_dir() and legacy_db


def build(settings: Settings) -> Services:
    db = Database(settings.resolved_database_url)
    store = blob_store(settings)
    sealer = build_sealer(settings)  # an HSM (PKCS#11) or a .p12, with a TSA if given
    pipeline = Pipeline(sealer)
    documents = DocumentService(db, store, pipeline, settings.public_url)
    cases = CaseFiles(db, store, today_in_paris)
    dossier = Dossier(db, store, pipeline)
    return Services(settings, db, store, sealer, pipeline, documents, cases, dossier)
