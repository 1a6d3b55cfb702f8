"""Verification by API and by the public pages, on documents the service really issued."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import load_example
from tests.pdf_checks import tamper


@pytest.fixture(scope="module")
def issued(app: Any) -> tuple[dict[str, Any], bytes]:
    client = app.test_client()
    headers = {"Authorization": "Bearer amk_test_master_key_0123456789"}
    body = client.post("/v1/documents", json=load_example("relance-level1"),
                       headers=headers).get_json()
    return body, client.get(body["links"]["pdf"], headers=headers).data


def _verify(client: Any, auth: dict[str, str], data: bytes) -> Any:
    return client.post("/v1/verify", data=data,
                       headers={**auth, "Content-Type": "application/pdf"})


def test_an_issued_document_is_recognised(client: Any, auth: dict[str, str],
                                          issued: tuple[dict[str, Any], bytes]) -> None:
    body, pdf = issued
    result = _verify(client, auth, pdf).get_json()
    assert result["verdict"] == "authentic"
    assert result["intact"] is True
    assert result["trusted"] is True
    assert result["issued_by_amiable"] is True
    assert result["document"]["id"] == body["id"]
    [seal] = result["signatures"]
    assert seal["subfilter"] == "ETSI.CAdES.detached"
    assert seal["coverage"] == "entire_file"
    assert "DEVELOPMENT" in seal["signer"]["common_name"]


def test_a_tampered_copy_says_so(client: Any, auth: dict[str, str],
                                 issued: tuple[dict[str, Any], bytes]) -> None:
    result = _verify(client, auth, tamper(issued[1])).get_json()
    assert result["verdict"] == "invalid"
    assert result["intact"] is False
    assert result["issued_by_amiable"] is False


def test_not_a_pdf_is_422(client: Any, auth: dict[str, str]) -> None:
    response = _verify(client, auth, b"GIF89a not a pdf at all")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "not_a_pdf"


def test_wrong_content_type_and_empty_body_are_400(client: Any, auth: dict[str, str]) -> None:
    assert client.post("/v1/verify", data=b"%PDF", headers=auth).status_code == 400
    assert _verify(client, auth, b"").status_code == 400


def test_verify_needs_a_key(client: Any, issued: tuple[dict[str, Any], bytes]) -> None:
    response = client.post("/v1/verify", data=issued[1],
                           headers={"Content-Type": "application/pdf"})
    assert response.status_code == 401


def test_public_page_checks_an_upload(client: Any, issued: tuple[dict[str, Any], bytes]) -> None:
    import io

    form = client.get("/verify")
    assert form.status_code == 200
    assert 'lang="fr"' in form.get_data(as_text=True)
    assert "default-src 'none'" in form.headers["Content-Security-Policy"]
    page = client.post("/verify", data={"file": (io.BytesIO(issued[1]), "lettre.pdf")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "Document authentique et intact" in page
    assert issued[0]["id"] in page
    bad = client.post("/verify", data={"file": (io.BytesIO(tamper(issued[1])), "x.pdf")},
                      content_type="multipart/form-data").get_data(as_text=True)
    assert "altéré" in bad


def test_document_status_page(client: Any, issued: tuple[dict[str, Any], bytes]) -> None:
    body, _ = issued
    page = client.get(f"/verify/{body['id']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert body["sha256"] in text
    assert "Menuiserie" not in text  # the public page shows no party data
    assert "verdict ok" not in text  # green is for an uploaded file found authentic only
    assert client.get("/verify/doc_unknown").status_code == 404
