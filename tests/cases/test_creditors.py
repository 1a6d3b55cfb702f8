"""Creditor profiles: the checks of what they hold, the API, and the documents they fill."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from typing import Any

import pytest

from service.creditors.checks import LogoRefused, check_logo, siren_ok
from tests.cases.conftest import OWNER, profile_body
from tests.conftest import load_example


def png(width: int, height: int) -> bytes:
    """A real, minimal PNG (one grey pixel row per line), written by hand."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0,
                                                              0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_siren_luhn_worked_by_hand() -> None:
    # 552100554, from the right, every second digit doubled (digits over 9 minus 9):
    # 4 + (5*2-9) + 5 + 0 + 0 + 2 + 2 + (5*2-9) + 5 = 20, a multiple of 10.
    assert siren_ok("552100554")
    # 123456789: 9 + 7 + 7 + 3 + 5 + 8 + 3 + 4 + 1 = 47: refused.
    assert not siren_ok("123456789")
    assert not siren_ok("552100553")
    assert not siren_ok("55210055")
    # La Poste: 6*2-9 + 5 + 3*2 = 14, not Luhn, yet valid (the one exception INSEE names).
    assert siren_ok("356000000")
    assert not siren_ok("356000001")


def test_logo_checks() -> None:
    assert check_logo(png(120, 40), "image/png") == "image/png"
    with pytest.raises(LogoRefused, match="pixels"):
        check_logo(png(5000, 1), "image/png")
    with pytest.raises(LogoRefused, match="PNG"):
        check_logo(b"GIF89a" + b"\x00" * 40, "image/png")
    with pytest.raises(LogoRefused, match="Ko"):
        check_logo(b"\x89PNG" + b"\x00" * 300_000, "image/png")
    good = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
            b'<defs><linearGradient id="g"/></defs><rect width="10" height="10" '
            b'fill="url(#g)"/><use href="#g"/></svg>')
    assert check_logo(good, "image/svg+xml") == "image/svg+xml"
    for hostile, reason in [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/x.png"/>'
         b'</svg>', "autre fichier"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
         b'<image xlink:href="file:///etc/passwd"/></svg>', "autre fichier"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://e.example/a.css);'
         b'</style></svg>', "externe"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(http://e.example/)"/>'
         b'</svg>', "externe"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "script"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "script"),
        (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
         b'<svg xmlns="http://www.w3.org/2000/svg">&x;</svg>', "lisible"),
        (b"<html/>", "racine"),
    ]:
        with pytest.raises(LogoRefused, match=reason):
            check_logo(hostile, "image/svg+xml")
    with pytest.raises(LogoRefused, match="PNG"):
        check_logo(b"GIF89a", "image/gif")


def test_profile_is_checked(api: Callable[..., Any]) -> None:
    for changes, field in [
        ({"siren": "123456789"}, "siren"),
        ({"iban": "FR7630006000011234567890188"}, "iban"),
        ({"bic": "DEUTDEFF"}, None),  # a German BIC with a French IBAN
        ({"rcs_city": None}, None),
        ({"unknown": 1}, "unknown"),
    ]:
        body = {k: v for k, v in profile_body(**changes).items() if v is not None}
        response = api("POST", "/v1/creditors", json=body)
        assert response.status_code == 422, (changes, response.get_json())
        error = response.get_json()["error"]
        if field:
            assert error["details"][0]["field"] == field


def test_create_get_patch_list(api: Callable[..., Any], creditor: dict[str, Any]) -> None:
    assert creditor["iban"] == "FR7630006000011234567890189"
    assert creditor["version"] == 1
    got = api("GET", creditor["links"]["self"]).get_json()
    assert got == creditor
    patched = api("PATCH", creditor["links"]["self"],
                  json={"phone": "+33 1 98 76 54 32", "mediator": None})
    assert patched.status_code == 200, patched.get_json()
    body = patched.get_json()
    assert body["version"] == 2
    assert body["phone"] == "+33 1 98 76 54 32"
    assert "mediator" not in body
    bad = api("PATCH", creditor["links"]["self"], json={"siren": "552100553"})
    assert bad.status_code == 422
    listed = api("GET", "/v1/creditors?q=ACME&limit=200").get_json()
    assert creditor["id"] in [c["id"] for c in listed["items"]]
    assert api("GET", "/v1/creditors/cred_nope").status_code == 404


def test_logo_api(api: Callable[..., Any], creditor: dict[str, Any]) -> None:
    url = creditor["links"]["self"] + "/logo"
    response = api("PUT", url, data=png(200, 60), content_type="image/png")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["logo"]["media_type"] == "image/png"
    assert api("GET", url).data == png(200, 60)
    refused = api("PUT", url, data=b'<svg xmlns="http://www.w3.org/2000/svg">'
                  b'<image href="http://evil.example/a.png"/></svg>',
                  content_type="image/svg+xml")
    assert refused.status_code == 422
    assert "logo refusé" in refused.get_json()["error"]["message"]
    huge = api("PUT", url, data=b"\x89PNG" + b"\x00" * 600_000, content_type="image/png")
    assert huge.status_code == 413


def test_legal_or_admin_role(app: Any, client: Any) -> None:
    from service.auth import create_key

    with app.extensions["amiable"].db.session() as session:
        _, system_key = create_key(session, "billing", ["system"])
        _, legal_key = create_key(session, "legal", ["legal"])
    assert client.get("/v1/creditors", headers={
        "Authorization": f"Bearer {system_key}"}).status_code == 403
    assert client.get("/v1/creditors", headers={
        "Authorization": f"Bearer {legal_key}"}).status_code == 200


def test_document_from_a_profile_keeps_its_copy(api: Callable[..., Any],
                                                creditor: dict[str, Any], app: Any) -> None:
    body = load_example("mise-en-demeure-company")
    del body["creditor"]
    body["creditor_id"] = creditor["id"]
    response = api("POST", "/v1/documents", json=body)
    assert response.status_code == 201, response.get_json()
    doc_id = response.get_json()["id"]
    api("PATCH", creditor["links"]["self"], json={"name": "ACME Holding SAS"})
    document = app.extensions["amiable"].documents.get(doc_id, OWNER)
    assert document.request["creditor"]["name"] == "ACME SAS"
    assert document.request["creditor"]["rcs_city"] == "Paris"
    assert document.request["creditor"]["share_capital"] == "50000.00"
    assert document.request["creditor_id"] == creditor["id"]
    from tests.pdf_checks import pdf_text

    text = pdf_text(api("GET", f"/v1/documents/{doc_id}/pdf").data)
    assert "ACME SAS" in text
    assert "ACME Holding" not in text


def test_unknown_profile_is_a_404(api: Callable[..., Any]) -> None:
    body = load_example("relance-level1")
    del body["creditor"]
    body["creditor_id"] = "cred_unknown"
    response = api("POST", "/v1/documents", json=body)
    assert response.status_code == 404
    assert response.get_json()["error"]["details"][0]["field"] == "creditor_id"


def test_a_collection_agency_letter_carries_the_r124_4_mentions(
        api: Callable[..., Any], app: Any) -> None:
    principal = {"type": "company", "name": "Atelier Lumière SAS", "legal_form": "SAS",
                 "siren": "823456781", "address": {"line1": "21 rue du Faubourg Saint-Antoine",
                                                   "postal_code": "75011", "city": "Paris"}}
    agency = api("POST", "/v1/creditors", json=profile_body(
        name="Recouvrement Conseil SARL", legal_form="SARL",
        collection_agency={"creditor": principal, "mandate_reference": "M-2025-7"}))
    assert agency.status_code == 201, agency.get_json()
    sample = load_example("mise-en-demeure-company")
    case = api("POST", "/v1/cases", json={"creditor_id": agency.get_json()["id"],
                                          "debtor": sample["debtor"],
                                          "invoices": sample["invoices"]}).get_json()
    body = {"kind": "relance", "as_of": "2025-09-01", "case_id": case["id"]}
    first = api("POST", "/v1/documents", json=body)
    second = api("POST", "/v1/documents", json={**body, "kind": "mise_en_demeure"})
    assert first.status_code == 201, first.get_json()
    assert second.status_code == 201, second.get_json()
    from tests.pdf_checks import pdf_text

    stored = app.extensions["amiable"].documents.get(second.get_json()["id"], OWNER)
    assert stored.request["creditor"]["name"] == "Atelier Lumière SAS"
    assert stored.request["creditor"]["iban"] is None
    assert stored.request["agency"]["iban"] == "FR7630006000011234567890189"
    assert stored.request["agency"]["name"] == "Recouvrement Conseil SARL"
    text = " ".join(pdf_text(api("GET", f"/v1/documents/{second.get_json()['id']}/pdf").data)
                    .split())
    figures = second.get_json()["figures"]
    assert "qui exerce une activité de recouvrement amiable, pour le compte de Atelier" in text
    assert "Les frais de recouvrement entrepris sans titre exécutoire restent à la charge" in text
    assert "de laisser tout ou partie des frais ainsi exposés à la charge du débiteur" in text
    assert ("Règlement par virement à l’ordre de Recouvrement Conseil SARL, IBAN FR76 3000 "
            "6000 0112 3456 7890 189 (BIC AGRIFRPP)") in text
    from decimal import Decimal

    from service.rendering.formatting import amount

    split = (f"principal {amount(Decimal(figures['principal']))} ; intérêts "
             f"{amount(Decimal(figures['penalties']))} ; autres accessoires "
             f"{amount(Decimal(figures['indemnities']))} ; soit "
             f"{amount(Decimal(figures['total']))}")
    assert " ".join(split.split()) in text
    first_id = first.get_json()["id"]
    from datetime import date

    from service.rendering.formatting import date_long

    sent = api("GET", case["links"]["self"]).get_json()["first_letter"]
    assert sent["reference"] == first_id
    sent_on = " ".join(date_long(date.fromisoformat(sent["date"])).split())  # issued on
    assert f"Premier courrier sur ce dossier : référence {first_id} du {sent_on}" in text
    first_text = " ".join(pdf_text(api("GET", f"/v1/documents/{first_id}/pdf").data).split())
    assert "Premier courrier sur ce dossier" not in first_text
    assert "recouvrement amiable, pour le compte de" in first_text
