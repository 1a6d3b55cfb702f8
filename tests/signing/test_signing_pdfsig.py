"""poppler's pdfsig, an implementation independent of pyHanko (NSS), must agree with it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pdf_factory import corrupt_signature_value, rewrite_page_after_signing, tamper

SIGNER_LINE = "  - Signer Certificate Common Name: Amiable DEVELOPMENT seal - not for production"
VALID_LINE = "  - Signature Validation: Signature is Valid."


def test_pdfsig_finds_a_valid_pades_seal(sealed_pdf: bytes, pdfsig: Callable[..., str]) -> None:
    lines = pdfsig(sealed_pdf).splitlines()

    assert "Signature #1:" in lines
    assert "  - Signature Field Name: AmiableSeal" in lines
    assert SIGNER_LINE in lines
    assert "  - Signing Hash Algorithm: SHA-256" in lines
    assert "  - Signature Type: ETSI.CAdES.detached" in lines
    assert "  - Total document signed" in lines
    assert VALID_LINE in lines
    assert "  - Certificate Validation: Certificate issuer isn't Trusted." in lines
    assert "Signature #2:" not in lines


def test_pdfsig_trusts_the_seal_when_nss_trusts_the_development_root(
    sealed_pdf: bytes, pdfsig: Callable[..., str], nss_trusting_dev_root: Path
) -> None:
    lines = pdfsig(sealed_pdf, nss_dir=nss_trusting_dev_root).splitlines()

    assert VALID_LINE in lines
    assert "  - Certificate Validation: Certificate is Trusted." in lines


def test_pdfsig_rejects_a_tampered_copy(sealed_pdf: bytes, pdfsig: Callable[..., str]) -> None:
    lines = pdfsig(tamper(sealed_pdf)).splitlines()

    assert SIGNER_LINE in lines
    assert "  - Signature Validation: Digest Mismatch." in lines
    assert VALID_LINE not in lines


def test_pdfsig_rejects_a_forged_signature_value(
    sealed_pdf: bytes, pdfsig: Callable[..., str]
) -> None:
    lines = pdfsig(corrupt_signature_value(sealed_pdf)).splitlines()

    assert "  - Signature Validation: Signature is Invalid." in lines
    assert VALID_LINE not in lines


def test_pdfsig_sees_content_appended_after_the_seal(
    sealed_pdf: bytes, pdfsig: Callable[..., str]
) -> None:
    lines = pdfsig(rewrite_page_after_signing(sealed_pdf)).splitlines()

    assert VALID_LINE in lines  # the signed revision itself is untouched...
    assert "  - Total document signed" not in lines  # ...but it is no longer the whole file
