"""Issue 10: forged copies of a document the service issued are never "authentic"; the
genuine file always is; hostile files are refused with a 4xx and a message, quickly."""

from __future__ import annotations

import io
import itertools
import logging
import random
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from tests import tampering
from tests.conftest import MASTER_KEY, load_example
from tests.pdf_checks import (
    independent_validators_accept,
    independent_validators_object,
    pdfa_problems,
)

HEADERS = {"Authorization": f"Bearer {MASTER_KEY}"}
FORGERIES = {**tampering.FORGERIES, "xmp title": tampering.change_xmp_title}


@pytest.fixture(scope="module")
def genuine(app: Flask) -> tuple[dict[str, Any], bytes]:
    client = app.test_client()
    request = load_example("mise-en-demeure-company")
    request["as_of"] = "2025-08-28"  # figures through an earlier day than the issue day
    body = client.post("/v1/documents", json=request,
                       headers=HEADERS).get_json()
    return body, client.get(body["links"]["pdf"], headers=HEADERS).data


@pytest.fixture(scope="module")
def forged(genuine: tuple[dict[str, Any], bytes]) -> dict[str, bytes]:
    return {name: make(genuine[1]) for name, make in FORGERIES.items()}


def _verify(client: FlaskClient, pdf: bytes) -> Any:
    return client.post("/v1/verify", data=pdf,
                       headers={**HEADERS, "Content-Type": "application/pdf"})


_ADDRESSES = itertools.count(1)


def _page(client: FlaskClient, pdf: bytes, address: str | None = None) -> Any:
    """The public page, each call from its own address unless told (the page is rate-limited)."""
    address = address or f"198.51.100.{next(_ADDRESSES) % 250 + 1}"
    return client.post("/verify", data={"file": (io.BytesIO(pdf), "copie.pdf")},
                       content_type="multipart/form-data", environ_base={"REMOTE_ADDR": address})


def test_the_genuine_file_is_authentic(client: FlaskClient,
                                       genuine: tuple[dict[str, Any], bytes]) -> None:
    body, pdf = genuine
    result = _verify(client, pdf).get_json()
    assert result["verdict"] == "authentic"
    assert result["document"]["id"] == body["id"]
    assert result["issued_by_amiable"] is True
    assert result["modification"] is None
    [seal] = result["signatures"]
    assert seal["modification_level"] == "none"
    assert seal["modification"] == "aucune modification après la signature"
    page = _page(client, pdf)
    assert 'class="verdict ok"' in page.get_data(as_text=True)
    independent_validators_accept(pdf)
    assert pdfa_problems(pdf) == []
    # the creation date is the day it was issued, not the date its figures are computed at
    info = PdfFileReader(io.BytesIO(pdf), strict=False).trailer["/Info"]
    created = generic.parse_pdf_date(str(info["/CreationDate"])).date()
    assert created.isoformat() == body["issued_on"]
    assert body["figures"]["as_of"] == "2025-08-28" != created.isoformat()


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_no_forgery_is_authentic(client: FlaskClient, forged: dict[str, bytes],
                                 name: str) -> None:
    response = _verify(client, forged[name])
    if response.status_code == 422:  # the truncated file: not even a readable PDF
        assert name == "truncated"
        assert response.get_json()["error"]["message"]
    else:
        assert response.status_code == 200
        result = response.get_json()
        assert result["verdict"] in {"modified", "invalid"}, result
        assert result["issued_by_amiable"] is False
    page = _page(client, forged[name])
    assert page.status_code in {200, 422}
    text = page.get_data(as_text=True)
    assert "Document authentique" not in text
    assert 'class="verdict ok"' not in text  # never green


@pytest.mark.parametrize(("name", "level"), [
    ("replaced page", "other"), ("page overlay", "other"), ("annotation", "other"),
    # a new field with an appearance, after a certification (P=2), is more than form filling
    ("unsigned signature field", "other"), ("info title", "other"),
    ("xmp title", "other")])
def test_a_change_after_the_seal_is_modified_from_the_issued_revision(
        client: FlaskClient, genuine: tuple[dict[str, Any], bytes], forged: dict[str, bytes],
        name: str, level: str) -> None:
    result = _verify(client, forged[name]).get_json()
    assert result["verdict"] == "modified"
    assert result["document"]["id"] == genuine[0]["id"]
    assert result["matched_revision"] == 2  # the rendering, then the seal's revision
    assert result["revisions"] == 3
    assert result["modification"]["after_revision"] == 2
    assert result["modification"]["level"] == level
    [seal] = result["signatures"]
    assert (seal["intact"], seal["valid"], seal["trusted"]) == (True, True, True)


def test_a_modified_file_shows_the_issued_pages_next_to_the_uploaded_ones(
        client: FlaskClient, forged: dict[str, bytes]) -> None:
    text = _page(client, forged["replaced page"]).get_data(as_text=True)
    assert "Document modifié après son émission" in text
    assert 'class="verdict bad"' in text
    issued = re.findall(r'<img src="data:image/png;base64,[^"]+" alt="Page \d de la version émise"',
                        text)
    uploaded = re.findall(r'<img src="data:image/png;base64,[^"]+" alt="Page \d du fichier déposé"',
                          text)
    assert len(issued) == len(uploaded) >= 1
    assert issued[0].split('"')[1] != uploaded[0].split('"')[1]  # page 1 differs


@pytest.mark.parametrize("name", ["self-signed seal", "empty byte range", "absurd byte range"])
def test_a_forged_signature_is_invalid_and_shown_next_to_the_genuine_seal(
        client: FlaskClient, forged: dict[str, bytes], name: str) -> None:
    result = _verify(client, forged[name]).get_json()
    assert result["verdict"] == "invalid"
    genuine_seal, forgery = result["signatures"]
    assert genuine_seal["field_name"] == "AmiableSeal"
    assert (genuine_seal["intact"], genuine_seal["valid"], genuine_seal["trusted"]) == (True,) * 3
    assert not forgery["trusted"]
    assert forgery["field_name"] in result["reason"]


def test_hidden_padding_and_byte_flip_break_the_seal(client: FlaskClient,
                                                     forged: dict[str, bytes]) -> None:
    hidden = _verify(client, forged["hidden in padding"]).get_json()
    assert hidden["verdict"] == "invalid"
    assert "/Contents" in hidden["signatures"][0]["problem"]
    flipped = _verify(client, forged["byte flip"]).get_json()
    assert flipped["verdict"] == "invalid"
    assert flipped["signatures"][0]["intact"] is False


@pytest.mark.parametrize("name", ["replaced page", "annotation", "byte flip", "info title"])
def test_independent_validators_object_to_forgeries(forged: dict[str, bytes],
                                                    name: str) -> None:
    assert independent_validators_object(forged[name])


def test_hostile_files_are_refused_with_a_message(
        client: FlaskClient, genuine: tuple[dict[str, Any], bytes]) -> None:
    for name, pdf in tampering.hostile_files(genuine[1]).items():
        response = _verify(client, pdf)
        if name in tampering.EXAMINED:  # within the limits: examined, and not authentic
            assert response.status_code == 200
            assert response.get_json()["verdict"] in {"modified", "invalid"}, name
            continue
        assert response.status_code == 422, name
        error = response.get_json()["error"]
        assert error["code"] in {"pdf_too_complex", "not_a_pdf"}, (name, error)
        assert error["message"], name
        page = _page(client, pdf)
        assert page.status_code == 422, name
        assert 'role="alert"' in page.get_data(as_text=True)


def test_one_log_line_per_verification(client: FlaskClient, forged: dict[str, bytes],
                                       caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        _verify(client, forged["absurd byte range"])
    lines = [r for r in caplog.records if r.name.startswith(("amiable", "pyhanko"))]
    assert [r.name for r in lines] == ["amiable.verify"]
    assert "verdict=invalid" in lines[0].getMessage()


def test_the_public_page_is_rate_limited_per_address(
        app: Flask, client: FlaskClient, genuine: tuple[dict[str, Any], bytes],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "AMIABLE_VERIFY_RATE", (2, 600))
    assert _page(client, genuine[1], "203.0.113.9").status_code == 200
    assert _page(client, genuine[1], "203.0.113.9").status_code == 200
    refused = _page(client, genuine[1], "203.0.113.9")
    assert refused.status_code == 429
    assert "Trop de vérifications" in refused.get_data(as_text=True)
    assert refused.headers["Retry-After"] == "600"
    assert _page(client, genuine[1], "203.0.113.10").status_code == 200  # another address


def test_random_damage_is_never_authentic_nor_a_500(
        client: FlaskClient, genuine: tuple[dict[str, Any], bytes]) -> None:
    """Bytes changed or cut at random places (a fixed seed, so a failure can be replayed)."""
    pdf = genuine[1]
    rng = random.Random(20261203)
    copies = []
    for _ in range(40):
        data = bytearray(pdf)
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        copies.append(bytes(data))
    copies += [pdf[: rng.randrange(1, len(pdf) - 1)] for _ in range(10)]
    for data in copies:
        if data == pdf:
            continue
        response = _verify(client, data)
        assert response.status_code in {200, 422}, response.get_json()
        if response.status_code == 200:
            assert response.get_json()["verdict"] != "authentic"
