"""The service sealing with a real PKI and TSA: B-LTA documents, reported, verified, renewed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from pki_server import ServedPki

from service import create_app
from service.clock import fixed_clock
from service.config import Settings
from service.renewal import renew_archive_timestamps
from signing import validate_pdf
from tests.conftest import FROZEN_NOW, MASTER_KEY, load_example

HEADERS = {"Authorization": f"Bearer {MASTER_KEY}"}


@pytest.fixture(scope="module")
def lta_app(tmp_path_factory: pytest.TempPathFactory, test_pki: ServedPki) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("lta-service")
    p12 = folder / "seal.p12"
    p12.write_bytes(test_pki.seal_p12())
    roots = folder / "roots.pem"
    roots.write_bytes(test_pki.root.public_bytes(serialization.Encoding.PEM))
    app = create_app(Settings(data_dir=folder / "data", api_key=MASTER_KEY, seal_p12=p12,
                              tsa_url=test_pki.tsa_url(), trust_roots=roots,
                              clock=fixed_clock(FROZEN_NOW)))
    yield app
    app.extensions["amiable"].db.engine.dispose()


def test_documents_are_sealed_b_lta_and_say_so(lta_app: Any, test_pki: ServedPki) -> None:
    client = lta_app.test_client()
    body = client.post("/v1/documents", json=load_example("relance-level1"),
                       headers=HEADERS).get_json()
    assert body["seal"]["level"] == "B-LTA"
    assert body["seal"]["timestamp"]["time"]
    assert body["seal"]["timestamp"]["authority"]
    pdf = client.get(body["links"]["pdf"], headers=HEADERS).data
    reports = validate_pdf(pdf, [test_pki.root])
    assert [r.kind for r in reports] == ["signature", "document_timestamp"]
    assert all(r.intact and r.valid and r.trusted for r in reports)

    result = client.post("/v1/verify", data=pdf, headers={
        **HEADERS, "Content-Type": "application/pdf"}).get_json()
    assert result["issued_by_amiable"] is True
    assert result["document"]["id"] == body["id"]
    assert result["signatures"][0]["level"] == "B-LTA"


def test_renewal_adds_an_archive_timestamp(lta_app: Any, test_pki: ServedPki,
                                           tmp_path: Path) -> None:
    client = lta_app.test_client()
    body = client.post("/v1/documents", json=load_example("mise-en-demeure-consumer"),
                       headers=HEADERS).get_json()
    original = client.get(body["links"]["pdf"], headers=HEADERS).data
    services = lta_app.extensions["amiable"]

    # Nothing expires within a day: nothing to do.
    assert renew_archive_timestamps(services, datetime.now(UTC) + timedelta(days=1)).renewed == []
    # Everything made now expires before 2100: every B-LTA document is renewed once.
    report = renew_archive_timestamps(services, datetime(2100, 1, 1, tzinfo=UTC))
    assert body["id"] in report.renewed
    assert not report.failed

    renewed_body = client.get(body["links"]["self"], headers=HEADERS).get_json()
    assert renewed_body["sha256"] != body["sha256"]
    renewed = client.get(body["links"]["pdf"], headers=HEADERS).data
    assert renewed.startswith(original)  # an incremental update: the sealed bytes unchanged
    reports = validate_pdf(renewed, [test_pki.root])
    assert [r.kind for r in reports].count("document_timestamp") == 2
    assert all(r.intact and r.valid for r in reports)
    events = client.get(body["links"]["events"], headers=HEADERS).get_json()
    assert events["events"][-1]["type"] == "pdf.archive_timestamp_added"
    assert events["chain_valid"] is True
    # The copy handed out before the renewal is still recognised as ours.
    old_copy = client.post("/v1/verify", data=original, headers={
        **HEADERS, "Content-Type": "application/pdf"}).get_json()
    assert old_copy["document"]["id"] == body["id"]
