"""Content-addressed blob store on the local file system.

A blob's name is the SHA-256 of its bytes, so the same PDF is stored once and a name proves
its content. Writes are atomic (temp file in the same folder, fsync, rename, fsync of the
folder): a crash leaves either the whole file or nothing under its final name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


class BlobNotFound(KeyError):
    """No blob has that hash."""


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise BlobNotFound(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        """Store `data` and return its SHA-256 (hex)."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)
        return digest

    def get(self, sha256: str) -> bytes:
        try:
            return self.path(sha256).read_bytes()
        except FileNotFoundError as exc:
            raise BlobNotFound(sha256) from exc

    def exists(self, sha256: str) -> bool:
        try:
            return self.path(sha256).is_file()
        except BlobNotFound:
            return False


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
