"""Both blob stores: content-addressed, checked on the way in and out; S3 through moto."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from service import create_app
from service.bootstrap import blob_store
from service.config import Settings
from service.storage import (
    BlobCorrupted,
    BlobNotFound,
    BlobStoreUnavailable,
    FolderBlobStore,
    S3BlobStore,
)
from tests.conftest import load_example
from tests.pdf_checks import pdfsig
from tests.storage.conftest import S3

KEY = "amk_test_s3_key_0123456789"


def test_folder_store_refuses_a_changed_blob(tmp_path: Path) -> None:
    store = FolderBlobStore(tmp_path)
    name = store.put(b"sealed bytes")
    assert name == hashlib.sha256(b"sealed bytes").hexdigest()
    assert store.get(name) == b"sealed bytes"
    store.path(name).write_bytes(b"sealed bytez")
    with pytest.raises(BlobCorrupted, match=name):
        store.get(name)


def test_s3_store_is_content_addressed_under_its_prefix(s3: S3) -> None:
    bucket = s3.new_bucket()
    store = S3BlobStore(f"s3://{bucket}/amiable/blobs", s3.endpoint_url)
    name = store.put(b"%PDF-1.7 a letter")
    assert name == hashlib.sha256(b"%PDF-1.7 a letter").hexdigest()
    assert store.put(b"%PDF-1.7 a letter") == name  # stored once
    keys = [o["Key"] for o in s3.client().list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [f"amiable/blobs/{name}"]
    assert store.exists(name)
    assert store.get(name) == b"%PDF-1.7 a letter"
    missing = hashlib.sha256(b"never stored").hexdigest()
    assert not store.exists(missing)
    with pytest.raises(BlobNotFound):
        store.get(missing)
    with pytest.raises(BlobNotFound):
        store.get("../../etc/passwd")
    assert store.check() == f"s3://{bucket}/amiable/blobs"


def test_s3_store_refuses_an_object_changed_in_the_bucket(s3: S3) -> None:
    bucket = s3.new_bucket()
    store = S3BlobStore(f"s3://{bucket}", s3.endpoint_url)
    name = store.put(b"original")
    s3.client().put_object(Bucket=bucket, Key=name, Body=b"replaced")
    with pytest.raises(BlobCorrupted, match=name):
        store.get(name)
    # Writing the blob again repairs it: the damaged copy's checksum is not the blob's.
    assert store.put(b"original") == name
    assert store.get(name) == b"original"


def test_s3_store_verifies_what_the_store_kept_on_write(s3: S3) -> None:
    bucket = s3.new_bucket()
    store = S3BlobStore(f"s3://{bucket}", s3.endpoint_url)
    name = store.put(b"checked")
    head = s3.client().head_object(Bucket=bucket, Key=name, ChecksumMode="ENABLED")
    import base64

    assert base64.b64decode(head["ChecksumSHA256"]) == hashlib.sha256(b"checked").digest()


def test_unreachable_bucket_is_a_clear_503(s3: S3) -> None:
    store = S3BlobStore("s3://no-such-bucket-here", s3.endpoint_url)
    with pytest.raises(BlobStoreUnavailable, match="no-such-bucket-here") as refused:
        store.put(b"x")
    assert refused.value.status == 503
    with pytest.raises(BlobStoreUnavailable):
        store.check()


def test_bootstrap_chooses_the_store(tmp_path: Path) -> None:
    assert isinstance(blob_store(Settings(data_dir=tmp_path)), FolderBlobStore)
    chosen = blob_store(Settings(data_dir=tmp_path, blob_url="s3://b/p",
                                 s3_endpoint_url="http://127.0.0.1:9"))
    assert isinstance(chosen, S3BlobStore)
    assert (chosen.bucket, chosen.prefix, chosen.endpoint_url) == ("b", "p",
                                                                   "http://127.0.0.1:9")
    with pytest.raises(ValueError, match="s3://bucket/prefix"):
        S3BlobStore("https://bucket/prefix")


def test_documents_are_issued_and_fetched_through_s3(s3: S3, tmp_path: Path) -> None:
    bucket = s3.new_bucket()
    app = create_app(Settings(data_dir=tmp_path / "var", api_key=KEY,
                              blob_url=f"s3://{bucket}/prod", s3_endpoint_url=s3.endpoint_url))
    try:
        client = app.test_client()
        auth = {"Authorization": f"Bearer {KEY}"}
        made = client.post("/v1/documents", json=load_example("relance-level1"), headers=auth)
        assert made.status_code == 201, made.get_json()
        body = made.get_json()
        pdf = client.get(body["links"]["pdf"], headers=auth)
        assert pdf.status_code == 200
        assert hashlib.sha256(pdf.data).hexdigest() == body["sha256"]
        assert "Signature is Valid" in pdfsig(pdf.data)
        keys = {o["Key"] for o in s3.client().list_objects_v2(Bucket=bucket)["Contents"]}
        assert f"prod/{body['sha256']}" in keys  # the PDF, beside the built-in templates
        assert not (tmp_path / "var" / "blobs").exists()  # nothing went to the folder store
        # A PDF changed in the bucket is never served as the document.
        s3.client().put_object(Bucket=bucket, Key=f"prod/{body['sha256']}", Body=b"%PDF-x")
        damaged = client.get(body["links"]["pdf"], headers=auth)
        assert damaged.status_code == 500
        assert damaged.get_json()["error"]["code"] == "blob_corrupted"
    finally:
        app.extensions["amiable"].db.engine.dispose()
