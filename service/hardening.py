"""What the service checks before it starts: private files, and production settings.

The data dir holds the database (debtors' names, addresses, amounts), the signed PDFs, the
session key and, in development, the seal and API key; the keys dir holds private keys. Any
other local account able to read them could forge seals or sign in as staff. So the data dir
and keys dir must be 0700 and the database and key files 0600: `prepare()` creates them so,
and `check_private_files()` refuses to start (naming the path and the fix) when one is open
to the group or others, e.g. a data dir made by hand under a 022 umask.

In production (`AMIABLE_ENV=production`) the service refuses to start with what only suits
development: the generated development seal, a generated or development API key.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from service.config import Settings

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
ENVIRONMENTS = ("development", "production")
DEVELOPMENT_KEY_PREFIX = "amk_dev_"
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


class StartupRefused(RuntimeError):
    """The service must not start as configured; the message says what to change."""


def make_private_dir(path: Path) -> None:
    """Create `path` 0700 if missing, and each missing parent too (`mkdir(parents=True)`
    would make those with the umask: a data dir made as the parent of another folder would
    be 0755). An existing folder is left as it is (and checked at start)."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it first
            folder.mkdir(mode=PRIVATE_DIR)
            os.chmod(folder, PRIVATE_DIR)  # mkdir's mode is masked by the umask


def make_private_file(path: Path) -> None:
    """Create an empty 0600 file if missing (so SQLite does not create it 0644)."""
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process made it first
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))


def tighten(settings: Settings) -> None:
    """`amiable init`: bring an existing data dir to the modes the start check wants."""
    for path, mode in _private_paths(settings):
        os.chmod(path, mode)


def sqlite_path(settings: Settings) -> Path | None:
    url = settings.resolved_database_url
    if not url.startswith("sqlite:///") or url.endswith(":memory:"):
        return None
    return Path(url.removeprefix("sqlite:///"))


def _private_paths(settings: Settings) -> Iterator[tuple[Path, int]]:
    for folder in (settings.data_dir, settings.keys_dir):
        if folder.is_dir():
            yield folder, PRIVATE_DIR
    database = sqlite_path(settings)
    if database is not None:
        for suffix in SQLITE_SUFFIXES:
            candidate = Path(f"{database}{suffix}")
            if candidate.is_file():
                yield candidate, PRIVATE_FILE
    if settings.keys_dir.is_dir():
        for entry in sorted(settings.keys_dir.iterdir()):
            if entry.is_file() and not entry.is_symlink():
                yield entry, PRIVATE_FILE
    for entry in sorted(settings.data_dir.glob("*key*")):  # development key, session key
        if entry.is_file() and not entry.is_symlink():
            yield entry, PRIVATE_FILE


def check_private_files(settings: Settings) -> None:
    """StartupRefused if the data dir, keys dir, database or a key file is readable (or
    writable) by anyone but the owner."""
    for path, wanted in _private_paths(settings):
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise StartupRefused(
                f"{path} is open to other users (mode {mode:04o}); it holds private data: "
                f"run `chmod {wanted:o} {path}` (or `amiable init`, which fixes the data dir)")


def check_environment(settings: Settings, seal_given: bool, key_given: bool) -> None:
    """In production, refuse the development seal and generated or development keys.

    `seal_given` / `key_given`: whether the operator configured them (before `prepare()`
    filled in the development defaults)."""
    if settings.environment not in ENVIRONMENTS:
        raise StartupRefused(f"AMIABLE_ENV={settings.environment!r}: write "
                             f"{' or '.join(ENVIRONMENTS)}")
    if settings.environment != "production":
        return
    from signing.devcert import P12_NAME

    seal = settings.seal_p12
    if not seal_given or (settings.seal_pkcs11_module is None and seal is not None
                          and seal.name == P12_NAME):
        raise StartupRefused("AMIABLE_ENV=production refuses the DEVELOPMENT seal: set "
                             "AMIABLE_SEAL_P12 and AMIABLE_SEAL_PASSWORD to the organisation's "
                             "certificate, or AMIABLE_SEAL_PKCS11_* for an HSM")
    if not key_given or (settings.api_key or "").startswith(DEVELOPMENT_KEY_PREFIX):
        raise StartupRefused("AMIABLE_ENV=production refuses a generated API key: set "
                             "AMIABLE_API_KEY to a long random secret (e.g. "
                             "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`)")


def check_seal_certificate(settings: Settings, certificate: dict[str, object]) -> None:
    """In production, refuse a seal whose certificate is the development one, whatever the
    file is called (a copy of development-seal.p12 under another name)."""
    from signing.keys import DEVELOPMENT_ORGANISATION

    if settings.environment == "production" and (
            certificate.get("organisation") == DEVELOPMENT_ORGANISATION
            or "DEVELOPMENT" in str(certificate.get("common_name", ""))):
        raise StartupRefused("AMIABLE_ENV=production refuses the DEVELOPMENT seal certificate "
                             f"({certificate.get('common_name')}): configure the "
                             "organisation's seal (AMIABLE_SEAL_P12 or AMIABLE_SEAL_PKCS11_*)")
