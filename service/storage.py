"""Content-addressed blob stores: a folder on the local file system, or an S3 bucket.

A blob's name is the SHA-256 of its bytes, so the same PDF is stored once and a name proves
its content. Both stores check that proof on the way in and on the way out: a blob whose
bytes no longer hash to its name is refused (`BlobCorrupted`), never served.

The folder store writes atomically (temp file in the same folder, fsync, rename, fsync of the
folder): a crash leaves either the whole file or nothing under its final name. The S3 store
relies on S3's own atomic PUT and sends the SHA-256 with it, so the store itself refuses a
body damaged on the way (`ChecksumSHA256`). `service.bootstrap.blob_store` chooses one.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from service.errors import ServiceError

_HEX = frozenset("0123456789abcdef")


class BlobNotFound(KeyError):
    """No blob has that hash."""


class BlobCorrupted(ServiceError):
    """A blob's bytes do not hash to its name: the store damaged it, or someone changed it."""

    status = 500
    code = "blob_corrupted"


class BlobStoreUnavailable(ServiceError):
    """The store could not be reached or refused the operation; worth retrying later."""

    status = 503
    code = "blob_store_unavailable"


class BlobStore(Protocol):
    """What the service needs from a blob store."""

    def put(self, data: bytes) -> str:
        """Store `data` and return its SHA-256 (hex)."""
        ...

    def get(self, sha256: str) -> bytes:
        """The bytes named `sha256`; BlobNotFound, or BlobCorrupted if they do not match."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def check(self) -> str:
        """Raise if the store cannot be used now; else say briefly what it is (readiness)."""
        ...


def _valid_name(sha256: str) -> bool:
    return len(sha256) == 64 and all(c in _HEX for c in sha256)


def _verified(sha256: str, data: bytes) -> bytes:
    if hashlib.sha256(data).hexdigest() != sha256:
        raise BlobCorrupted(f"blob {sha256} does not match its checksum: it was damaged or "
                            "changed in the store; restore it from a backup")
    return data


class FolderBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        if not _valid_name(sha256):
            raise BlobNotFound(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
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
            # What reached the disk is what was given: read it back before it gets its name.
            _verified(digest, Path(tmp).read_bytes())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)
        return digest

    def get(self, sha256: str) -> bytes:
        try:
            return _verified(sha256, self.path(sha256).read_bytes())
        except FileNotFoundError as exc:
            raise BlobNotFound(sha256) from exc

    def exists(self, sha256: str) -> bool:
        try:
            return self.path(sha256).is_file()
        except BlobNotFound:
            return False

    def check(self) -> str:
        if not self.root.is_dir():
            raise BlobStoreUnavailable(f"the blob folder {self.root} does not exist")
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".ready-")
        os.close(fd)
        Path(tmp).unlink()
        return f"folder {self.root}"


class S3BlobStore:
    """Blobs as objects `<prefix>/<sha256>` in a bucket of any S3-compatible store.

    Credentials, region and the rest come the usual boto3 way (AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, profiles, instance roles). A boto3 client is
    not fork-safe: each process (gunicorn worker, batch worker) makes its own on first use.
    """

    def __init__(self, url: str, endpoint_url: str | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"{url!r} is not an S3 URL; write it like s3://bucket/prefix")
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/")
        self.endpoint_url = endpoint_url
        self._pid = os.getpid()
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None or self._pid != os.getpid():
                import boto3
                from botocore.config import Config

                self._client = boto3.client(
                    "s3", endpoint_url=self.endpoint_url,
                    config=Config(connect_timeout=5, read_timeout=30,
                                  retries={"max_attempts": 4, "mode": "standard"}))
                self._pid = os.getpid()
            return self._client

    def key(self, sha256: str) -> str:
        if not _valid_name(sha256):
            raise BlobNotFound(sha256)
        return f"{self.prefix}/{sha256}" if self.prefix else sha256

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data)
        name = digest.hexdigest()
        checksum = base64.b64encode(digest.digest()).decode()
        if self._holds_intact(name, checksum):
            return name  # already there, intact (a damaged copy is overwritten below)
        try:
            # A store that checks ChecksumSHA256 refuses a body damaged on the way (BadDigest).
            self.client.put_object(
                Bucket=self.bucket, Key=self.key(name), Body=data, ChecksumAlgorithm="SHA256",
                ChecksumSHA256=checksum,
                ContentType="application/octet-stream", Metadata={"sha256": name})
        except Exception as exc:
            raise self._unavailable("store", name, exc) from exc
        # Then ask what the store now holds: the write is done only when it is the blob.
        if not self._holds_intact(name, checksum):
            raise BlobCorrupted(f"blob {name} was not stored intact in bucket {self.bucket!r}; "
                                "try again")
        return name

    def _holds_intact(self, sha256: str, checksum: str) -> bool:
        """Whether the bucket holds the blob, intact: by the SHA-256 the store keeps for the
        object, or, for a store that keeps none, by reading it back."""
        head = self._head(sha256, ChecksumMode="ENABLED")
        if head is None:
            return False
        if head.get("ChecksumSHA256"):
            return bool(head["ChecksumSHA256"] == checksum)
        try:
            self.get(sha256)
        except (BlobCorrupted, BlobNotFound):
            return False
        return True

    def _head(self, sha256: str, **options: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return dict(self.client.head_object(Bucket=self.bucket, Key=self.key(sha256),
                                                **options))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404", "NotFound"}:
                return None
            raise self._unavailable("look up", sha256, exc) from exc
        except BlobNotFound:
            raise
        except Exception as exc:
            raise self._unavailable("look up", sha256, exc) from exc

    def get(self, sha256: str) -> bytes:
        from botocore.exceptions import ClientError

        key = self.key(sha256)
        try:
            data = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                raise BlobNotFound(sha256) from exc
            raise self._unavailable("read", sha256, exc) from exc
        except Exception as exc:
            raise self._unavailable("read", sha256, exc) from exc
        return _verified(sha256, data)

    def exists(self, sha256: str) -> bool:
        try:
            return self._head(sha256) is not None
        except BlobNotFound:
            return False

    def check(self) -> str:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except Exception as exc:
            raise BlobStoreUnavailable(f"bucket {self.bucket!r} is not reachable: "
                                       f"{_short(exc)}") from exc
        return f"s3://{self.bucket}/{self.prefix}"

    def _unavailable(self, action: str, sha256: str, exc: Exception) -> BlobStoreUnavailable:
        return BlobStoreUnavailable(f"could not {action} blob {sha256} in bucket "
                                    f"{self.bucket!r}: {_short(exc)}; try again later")


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
