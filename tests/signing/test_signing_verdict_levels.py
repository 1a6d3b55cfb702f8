"""Issue 10.8: every genuine file at every level is "authentic" at /v1/verify, and passes
pdfsig and mutool; a forgery of each is not. Uses the test PKI (TSA, OCSP, CRLs on loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from pki_server import ServedPki

from service import create_app
from service.clock import fixed_clock
from service.config import Settings
from service.renewal import renew_archive_timestamps
from tests import tampering
from tests.conftest import FROZEN_NOW, MASTER_KEY, load_example
from tests.pdf_checks import independent_validators_accept, pdfa_problems

HEADERS = {"Authorization": f"Bearer {MASTER_KEY}"}
LEVELS = {"B-T": {"pki_seal": False, "lta": True}, "B-LT": {"pki_seal": True, "lta": False},
          "B-LTA": {"pki_seal": True, "lta": True}}


@pytest.fixture(scope="module", params=sorted(LEVELS))
def level_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
              test_pki: ServedPki) -> Iterator[tuple[str, Any]]:
    level = request.param
    folder = tmp_path_factory.mktemp(f"level-{level}")
    roots = folder / "roots.pem"
    roots.write_bytes(test_pki.root.public_bytes(serialization.Encoding.PEM))
    p12 = None
    if LEVELS[level]["pki_seal"]:
        p12 = folder / "seal.p12"
        p12.write_bytes(test_pki.seal_p12())
    app = create_app(Settings(data_dir=folder / "data", api_key=MASTER_KEY, seal_p12=p12,
                              tsa_url=test_pki.tsa_url(), trust_roots=roots,
                              seal_lta=bool(LEVELS[level]["lta"]), clock=fixed_clock(FROZEN_NOW)))
    yield level, app
    app.extensions["amiable"].db.engine.dispose()


def _verify(client: Any, pdf: bytes) -> dict[str, Any]:
    response = client.post("/v1/verify", data=pdf,
                           headers={**HEADERS, "Content-Type": "application/pdf"})
    assert response.status_code == 200, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def test_each_level_is_authentic_and_its_forgeries_are_not(level_app: tuple[str, Any]) -> None:
    level, app = level_app
    client = app.test_client()
    body = client.post("/v1/documents", json=load_example("relance-level1"),
                       headers=HEADERS).get_json()
    assert body["seal"]["level"] == level
    pdf = client.get(body["links"]["pdf"], headers=HEADERS).data

    result = _verify(client, pdf)
    assert result["verdict"] == "authentic", result
    assert result["document"]["id"] == body["id"]
    assert result["signatures"][0]["level"] == level
    independent_validators_accept(pdf, validation_data_after=level != "B-T")
    assert pdfa_problems(pdf) == []

    for name in ("replaced page", "info title", "annotation", "self-signed seal", "byte flip"):
        forged = tampering.FORGERIES[name](pdf)
        assert _verify(client, forged)["verdict"] in {"modified", "invalid"}, (level, name)


@pytest.mark.parametrize("level_app", ["B-LTA"], indirect=True)  # only B-LTA is renewed
def test_a_renewed_file_and_the_copy_before_it_are_authentic(
        level_app: tuple[str, Any]) -> None:
    _, app = level_app
    client = app.test_client()
    body = client.post("/v1/documents", json=load_example("mise-en-demeure-consumer"),
                       headers=HEADERS).get_json()
    original = client.get(body["links"]["pdf"], headers=HEADERS).data
    report = renew_archive_timestamps(app.extensions["amiable"], datetime(2100, 1, 1, tzinfo=UTC))
    assert body["id"] in report.renewed
    renewed = client.get(body["links"]["pdf"], headers=HEADERS).data
    assert renewed != original

    for copy in (original, renewed):
        result = _verify(client, copy)
        assert result["verdict"] == "authentic", result
        assert result["document"]["id"] == body["id"]
    # the copy handed out before is no longer the stored file: it is recognised by its seal's
    # revision, followed by validation data and an archive timestamp only
    result = _verify(client, original)
    assert result["matched_revision"] == 2
    assert result["revisions"] > 2
    assert [s["kind"] for s in _verify(client, renewed)["signatures"]].count(
        "document_timestamp") == 2
    independent_validators_accept(renewed, validation_data_after=True)
    assert pdfa_problems(renewed) == []
    # and a title changed after the renewal is caught
    assert _verify(client, tampering.change_info_title(renewed))["verdict"] == "modified"
