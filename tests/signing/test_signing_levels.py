"""PAdES levels B-T, B-LT and B-LTA against a real test PKI (TSA, OCSP, CRL on loopback)."""

from __future__ import annotations

import io
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings
from hypothesis import strategies as st
from pdf_factory import corrupt_signature_value, make_pdf, tamper
from pki_server import ServedPki, serve_test_pki
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import TimeStamper

from signing import (
    InvalidPdfError,
    NoSignatureError,
    Sealer,
    SealIdentity,
    SealUnavailableError,
    make_timestamper,
    seal_level,
    validate_pdf,
)

VALID_LINE = "  - Signature Validation: Signature is Valid."


def _dss(pdf: bytes) -> set[str]:
    root = PdfFileReader(io.BytesIO(pdf)).root
    return {str(key) for key in root["/DSS"]} if "/DSS" in root else set()


def test_the_level_follows_the_tsa_and_the_certificate(
    identity: SealIdentity, pki_seal: SealIdentity
) -> None:
    development = identity.certificate  # no OCSP URL, no CRL distribution point
    published = pki_seal.certificate  # both

    assert seal_level(development, timestamped=False, lta=True) == "B-B"
    assert seal_level(development, timestamped=True, lta=True) == "B-T"
    assert seal_level(published, timestamped=False, lta=True) == "B-B"
    assert seal_level(published, timestamped=True, lta=False) == "B-LT"
    assert seal_level(published, timestamped=True, lta=True) == "B-LTA"


def test_b_t_with_the_development_seal(
    identity: SealIdentity,
    pki_timestamper: TimeStamper,
    test_pki: ServedPki,
    dev_root: x509.Certificate,
) -> None:
    sealer = Sealer(identity, timestamper=pki_timestamper)
    sealed = sealer.seal(make_pdf())

    (report,) = validate_pdf(sealed, [dev_root, test_pki.root])

    assert sealer.level == "B-T"
    assert report.level == "B-T"
    assert report.ok
    assert report.timestamp_trusted is True
    assert report.timestamp_authority is not None
    assert report.timestamp_authority.common_name == "Amiable test TSA"
    assert "/DSS" not in PdfFileReader(io.BytesIO(sealed)).root


def test_b_lt_embeds_certificates_and_revocation_data(
    pki_seal: SealIdentity, pki_timestamper: TimeStamper, test_pki: ServedPki
) -> None:
    sealer = Sealer(pki_seal, timestamper=pki_timestamper, lta=False)
    sealed = sealer.seal(make_pdf())

    (report,) = validate_pdf(sealed, [test_pki.root])

    assert sealer.level == "B-LT"
    assert {"/Certs", "/OCSPs", "/CRLs"} <= _dss(sealed)
    assert report.level == "B-LT"
    assert report.ok
    assert report.signer.common_name == "Amiable test seal"
    assert report.timestamp_trusted is True
    assert report.ades_indication is None  # the long-term check is for B-LTA


def test_b_lta_adds_a_document_timestamp_that_passes_ades_validation(
    lta_sealer: Sealer, lta_pdf: bytes, test_pki: ServedPki
) -> None:
    seal, stamp = validate_pdf(lta_pdf, [test_pki.root])

    assert lta_sealer.level == "B-LTA"
    assert seal.level == "B-LTA"
    assert seal.ok
    assert (seal.ades_indication, seal.ades_subindication) == ("passed", None)
    assert seal.coverage == "entire_revision"
    assert seal.modification_level == "lta_updates"
    assert seal.modification == (
        "seules des données de validation ou d'horodatage ont été ajoutées"
    )
    assert stamp.kind == "document_timestamp"
    assert stamp.subfilter == "ETSI.RFC3161"
    assert stamp.ok
    assert stamp.modification_level == "lta_updates"  # the TSA's own validation data
    assert stamp.signer.common_name == "Amiable test TSA"
    assert stamp.level is None
    assert stamp.timestamp_time >= seal.timestamp_time


def test_the_seal_description_reports_the_token(lta_sealer: Sealer, lta_pdf: bytes) -> None:
    description = lta_sealer.description(lta_pdf)
    (report,) = [r for r in validate_pdf(lta_pdf, []) if r.kind == "signature"]

    assert description["level"] == "B-LTA"
    assert description["certificate"]["common_name"] == "Amiable test seal"
    assert description["timestamp"]["authority"]["common_name"] == "Amiable test TSA"
    assert description["timestamp"]["time"] == report.timestamp_time.isoformat()
    assert lta_sealer.description()["timestamp"] == {"time": None, "authority": None}


def test_a_tampered_b_lta_copy_fails(lta_pdf: bytes, test_pki: ServedPki) -> None:
    seal, stamp = validate_pdf(tamper(lta_pdf), [test_pki.root])

    assert not seal.intact
    assert not seal.ok
    assert seal.ades_indication != "passed"
    assert not stamp.intact


# pdfsig's "Certificate Validation" line is not asserted for the test PKI's seal: poppler
# 22.12 asks NSS for an OCSP check of any certificate with an OCSP URL but gives NSS no HTTP
# client, so the check fails without a request ("Unknown issue with Certificate"), and
# -no-ocsp fails for every certificate. The signature itself is checked all the same.


def test_pdfsig_validates_b_lta_and_lists_the_document_timestamp(
    lta_pdf: bytes, pdfsig: Callable[..., str], nss_trusting_test_pki: Path
) -> None:
    lines = pdfsig(lta_pdf, nss_dir=nss_trusting_test_pki).splitlines()

    first = lines[lines.index("Signature #1:") : lines.index("Signature #2:")]
    second = lines[lines.index("Signature #2:") :]
    assert "  - Signer Certificate Common Name: Amiable test seal" in first
    assert "  - Signature Type: ETSI.CAdES.detached" in first
    assert VALID_LINE in first
    assert "  - Not total document signed" in first  # the DSS and the timestamp come after
    # the archive timestamp: poppler lists it with its TSA, but does not check RFC 3161 tokens
    # (pyHanko then appends the TSA's own validation data, hence not the total document)
    assert "  - Signer Certificate Common Name: Amiable test TSA" in second
    assert "Signature #3:" not in lines


def test_pdfsig_validates_and_trusts_b_t(
    identity: SealIdentity,
    pki_timestamper: TimeStamper,
    pdfsig: Callable[..., str],
    nss_trusting_dev_root: Path,
) -> None:
    lines = pdfsig(
        Sealer(identity, timestamper=pki_timestamper).seal(make_pdf()),
        nss_dir=nss_trusting_dev_root,
    ).splitlines()

    assert VALID_LINE in lines
    assert "  - Certificate Validation: Certificate is Trusted." in lines
    assert "  - Total document signed" in lines
    assert "Signature #2:" not in lines


def test_pdfsig_validates_b_lt(
    pki_seal: SealIdentity,
    pki_timestamper: TimeStamper,
    pdfsig: Callable[..., str],
    nss_trusting_test_pki: Path,
) -> None:
    sealed = Sealer(pki_seal, timestamper=pki_timestamper, lta=False).seal(make_pdf())

    lines = pdfsig(sealed, nss_dir=nss_trusting_test_pki).splitlines()

    assert "  - Signer Certificate Common Name: Amiable test seal" in lines
    assert VALID_LINE in lines
    assert "  - Not total document signed" in lines  # the DSS comes after the signature
    assert "Signature #2:" not in lines


def test_pdfsig_rejects_a_tampered_b_lta_copy(lta_pdf: bytes, pdfsig: Callable[..., str]) -> None:
    lines = pdfsig(tamper(lta_pdf)).splitlines()

    assert "  - Signature Validation: Digest Mismatch." in lines
    assert VALID_LINE not in lines


def test_no_seal_when_the_tsa_does_not_answer(identity: SealIdentity) -> None:
    with socket.socket() as probe:  # a loopback port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sealer = Sealer(identity, timestamper=make_timestamper(f"http://127.0.0.1:{port}/tsa"))

    with pytest.raises(SealUnavailableError, match="time-stamping authority"):
        sealer.seal(make_pdf())


def test_no_seal_when_revocation_data_cannot_be_fetched(
    pki_timestamper: TimeStamper, test_pki: ServedPki, tmp_path: Path
) -> None:
    """B-LT must not quietly become B-T: here the seal's OCSP responder and CRL are gone."""
    with serve_test_pki(tmp_path) as stopped:
        seal = SealIdentity.from_pkcs12(stopped.seal_p12())
    # the TSA still answers (another PKI, trusted through trust_roots)
    sealer = Sealer(seal, timestamper=pki_timestamper, trust_roots=[test_pki.root])

    with pytest.raises(SealUnavailableError, match="revocation data unreachable"):
        sealer.seal(make_pdf())


def test_a_forged_archive_timestamp_is_reported_not_raised(
    lta_pdf: bytes, test_pki: ServedPki
) -> None:
    seal, stamp = validate_pdf(corrupt_signature_value(lta_pdf), [test_pki.root])

    assert stamp.intact
    assert not stamp.valid
    assert not stamp.ok
    assert seal.intact  # the seal's own bytes are untouched...
    assert seal.ades_indication != "passed"  # ...but its proof of existence is gone


def test_a_damaged_timestamp_token_is_reported_not_raised(
    lta_pdf: bytes, test_pki: ServedPki
) -> None:
    """The seal's /Contents (hence its token and the TSA certificate in it) is covered by the
    archive timestamp: damage there breaks that timestamp, and unreadable parts read as None."""
    tsa_der_hex = test_pki.cert("tsa").public_bytes(serialization.Encoding.DER).hex().encode()
    index = lta_pdf.lower().index(tsa_der_hex) + len(tsa_der_hex) // 2
    damaged = bytearray(lta_pdf)
    damaged[index] = ord("0") if damaged[index] != ord("0") else ord("1")

    seal, stamp = validate_pdf(bytes(damaged), [test_pki.root])

    assert not seal.ok
    assert seal.ades_indication != "passed"
    assert not stamp.intact


@settings(max_examples=40, deadline=None, database=None)
@given(position=st.floats(min_value=0, max_value=1, exclude_max=True), xor=st.integers(1, 255))
def test_no_change_in_a_b_lta_file_goes_unnoticed(
    lta_pdf: bytes, test_pki: ServedPki, position: float, xor: int
) -> None:
    """Any one changed byte that a signature or timestamp covers: refused, or reported not
    ok; never an exception (the long-term check reads tokens and certificates in the file)."""
    signed: set[int] = set()
    for signature in PdfFileReader(io.BytesIO(lta_pdf)).embedded_signatures:
        start1, length1, start2, length2 = (int(x) for x in signature.byte_range)
        signed.update(range(start1, start1 + length1), range(start2, start2 + length2))
    covered = sorted(signed)
    changed = bytearray(lta_pdf)
    changed[covered[int(position * len(covered))]] ^= xor

    try:
        reports = validate_pdf(bytes(changed), [test_pki.root])
    except (InvalidPdfError, NoSignatureError):
        return
    assert not all(report.ok for report in reports)
