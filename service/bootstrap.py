"""The one place where real adapters are chosen and wired: database, blob store, seal, pipeline.

`prepare()` makes a data dir ready (idempotent, fast on the second run): folders, migrated
database, built-in templates, development seal and development API key when none is given.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from service import catalog, destinations, hardening
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
MIN_AUDIT_KEY_LENGTH = 32


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
def audit_key(settings: Settings) -> str:
    """The key of the audit chains: AMIABLE_AUDIT_KEY, else the data dir's key file, made
    once (0600) by the first `prepare`. Never in the database: see service.audit."""
    if settings.audit_key is not None:
        if len(settings.audit_key) < MIN_AUDIT_KEY_LENGTH:
            raise ValueError(f"AMIABLE_AUDIT_KEY must have at least {MIN_AUDIT_KEY_LENGTH} "
                             "characters (e.g. `openssl rand -hex 32`)")
        return settings.audit_key
    path = settings.audit_key_file
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process made it first
            _write_private(path, secrets.token_hex(32))
    key = path.read_text().strip()
    if len(key) < MIN_AUDIT_KEY_LENGTH:
        raise ValueError(f"{path} holds no usable audit key (at least "
                         f"{MIN_AUDIT_KEY_LENGTH} characters)")
    return key


def database(settings: Settings) -> Database:
    """The database, its sessions carrying the audit key (prepared settings)."""
    key = settings.audit_key or audit_key(settings)
    return Database(settings.resolved_database_url, audit_key=key.encode())


def prepare(settings: Settings, *, tighten_modes: bool = False) -> Settings:
    """Make the data dir ready and return the settings completed with defaults it provides.

    Refuses (StartupRefused) production settings fit only for development, and a data dir
    others can read; with `tighten_modes` (`amiable init`) it first makes it private."""
    hardening.check_environment(
        settings, seal_given=settings.seal_p12 is not None or settings.seal_pkcs11_module
        is not None, key_given=settings.api_key is not None)
    folders = [settings.data_dir, settings.keys_dir]
    if not settings.blob_url:
        folders.append(settings.blobs_dir)
    for folder in folders:
        hardening.make_private_dir(folder)
    sqlite_file = hardening.sqlite_path(settings)
    if sqlite_file is not None:
        hardening.make_private_file(sqlite_file)
    migrate(settings.resolved_database_url)
    settings = settings.with_overrides(audit_key=audit_key(settings))
    db = database(settings)
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
    if tighten_modes:
        hardening.tighten(settings)
    hardening.check_private_files(settings)
    return settings


def is_initialised(settings: Settings) -> bool:
    """Whether `amiable init` (or a server start) prepared this data dir. Data dirs made
    before the marker existed are recognised by their database and keys folder."""
    if (settings.data_dir / INIT_MARKER).is_file():
        return True
    legacy_db = settings.database_url is not None or (settings.data_dir / "amiable.db").is_file()
    return settings.keys_dir.is_dir() and legacy_db


def check_webhook_url(settings: Settings) -> None:
    """Refuse to start with an AMIABLE_WEBHOOK_URL that may not receive webhooks (http,
    a private address); a host that does not resolve yet is only a warning (checked again
    at each delivery)."""
    if not settings.webhook_url:
        return
    try:
        destinations.check(settings.webhook_url, destinations.WebhookPolicy.from_settings(settings))
    except destinations.Unresolvable as exc:
        logging.getLogger("amiable.outbox").warning("AMIABLE_WEBHOOK_URL: %s", exc)
    except destinations.UnsafeDestination as exc:
        raise destinations.UnsafeDestination(f"AMIABLE_WEBHOOK_URL: {exc}") from None


def build(settings: Settings) -> Services:
    check_webhook_url(settings)
    db = database(settings)
    store = blob_store(settings)
    sealer = build_sealer(settings)  # an HSM (PKCS#11) or a .p12, with a TSA if given
    hardening.check_seal_certificate(settings, sealer.description()["certificate"])
    pipeline = Pipeline(sealer, private_dirs=(settings.data_dir, settings.blobs_dir,
                                              settings.keys_dir))
    documents = DocumentService(db, store, pipeline, settings.public_url,
                                settings.clock)
    cases = CaseFiles(db, store, lambda: today_in_paris(settings.clock))
    dossier = Dossier(db, store, pipeline)
    return Services(settings, db, store, sealer, pipeline, documents, cases, dossier)
