"""Validation reports: what a sealed, tampered, amended or foreign PDF looks like."""

from __future__ import annotations

import hashlib
import io

import pytest
from cryptography import x509
from hypothesis import given, settings
from hypothesis import strategies as st
from pdf_factory import corrupt_signature_value, make_pdf, rewrite_page_after_signing, tamper
from pki_factory import time_stamping_authority
from pyhanko.keys.internal import translate_pyca_cryptography_key_to_asn1
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers import PdfTimeStamper
from pyhanko.sign.timestamps import DummyTimeStamper

from signing import InvalidPdfError, NoSignatureError, validate_pdf
from signing.signer import to_asn1


def test_a_tampered_copy_is_not_intact(sealed_pdf: bytes, dev_root: x509.Certificate) -> None:
    (report,) = validate_pdf(tamper(sealed_pdf), [dev_root])

    assert report.intact is False
    assert report.ok is False


def test_a_forged_signature_value_is_intact_but_invalid(
    sealed_pdf: bytes, dev_root: x509.Certificate
) -> None:
    (report,) = validate_pdf(corrupt_signature_value(sealed_pdf), [dev_root])

    assert (report.intact, report.valid, report.ok) == (True, False, False)


def test_without_the_root_the_seal_is_valid_but_not_trusted(sealed_pdf: bytes) -> None:
    (report,) = validate_pdf(sealed_pdf, [])

    assert (report.intact, report.valid, report.trusted, report.ok) == (True, True, False, False)


def test_content_changed_after_signing_is_flagged(
    sealed_pdf: bytes, dev_root: x509.Certificate
) -> None:
    (report,) = validate_pdf(rewrite_page_after_signing(sealed_pdf), [dev_root])

    assert (report.intact, report.valid, report.trusted) == (True, True, True)
    assert report.coverage == "entire_revision"
    assert report.modification_level == "other"
    assert report.ok is False


def test_hashes_identify_the_issued_document(sealed_pdf: bytes, dev_root: x509.Certificate) -> None:
    """signed_revision_sha256 is the hash of the file as the service stored it, and stays
    the same when someone appends to that file later."""
    (signature,) = PdfFileReader(io.BytesIO(sealed_pdf)).embedded_signatures
    start1, length1, start2, length2 = (int(x) for x in signature.byte_range)
    covered = sealed_pdf[start1 : start1 + length1] + sealed_pdf[start2 : start2 + length2]

    (report,) = validate_pdf(sealed_pdf, [dev_root])
    (amended,) = validate_pdf(rewrite_page_after_signing(sealed_pdf), [dev_root])

    assert report.byte_range_sha256 == hashlib.sha256(covered).hexdigest()
    assert report.signed_revision_sha256 == hashlib.sha256(sealed_pdf).hexdigest()
    assert amended.signed_revision_sha256 == report.signed_revision_sha256
    assert amended.byte_range_sha256 == report.byte_range_sha256


def test_a_document_timestamp_is_reported(sealed_pdf: bytes, dev_root: x509.Certificate) -> None:
    tsa, tsa_root = time_stamping_authority()
    timestamper = DummyTimeStamper(
        tsa_cert=to_asn1(tsa.cert), tsa_key=translate_pyca_cryptography_key_to_asn1(tsa.key)
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(sealed_pdf))
    stamped = PdfTimeStamper(timestamper).timestamp_pdf(writer, "sha256").getvalue()

    seal, timestamp = validate_pdf(stamped, [dev_root, tsa_root])

    assert seal.ok
    assert seal.modification_level == "lta_updates"
    assert timestamp.kind == "document_timestamp"
    assert timestamp.subfilter == "ETSI.RFC3161"
    assert timestamp.signer.common_name == "Test TSA"
    assert timestamp.timestamp_time is not None
    assert timestamp.timestamp_trusted is True
    assert timestamp.ok
    assert timestamp.coverage == "entire_file"


@settings(max_examples=60, deadline=None, database=None)
@given(position=st.floats(min_value=0, max_value=1, exclude_max=True), xor=st.integers(1, 255))
def test_no_change_in_the_signed_bytes_goes_unnoticed(
    sealed_pdf: bytes, dev_root: x509.Certificate, position: float, xor: int
) -> None:
    """Any one changed byte of the signed ranges: the file is refused, or reported not ok;
    never an exception the service would turn into a 500."""
    (signature,) = PdfFileReader(io.BytesIO(sealed_pdf)).embedded_signatures
    start1, length1, start2, length2 = (int(x) for x in signature.byte_range)
    signed = [*range(start1, start1 + length1), *range(start2, start2 + length2)]
    index = signed[int(position * len(signed))]
    changed = bytearray(sealed_pdf)
    changed[index] ^= xor

    try:
        reports = validate_pdf(bytes(changed), [dev_root])
    except (InvalidPdfError, NoSignatureError):
        return
    assert not any(report.ok for report in reports)


@pytest.mark.parametrize("data", [b"", b"not a pdf", b"%PDF-1.7\n" + b"x" * 64])
def test_not_a_pdf(data: bytes) -> None:
    with pytest.raises(InvalidPdfError, match="not a readable PDF"):
        validate_pdf(data, [])


def test_a_pdf_without_signature() -> None:
    with pytest.raises(NoSignatureError, match="no signature"):
        validate_pdf(make_pdf(), [])
