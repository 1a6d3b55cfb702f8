"""Sealing: a PAdES B-B signature that pyHanko, qpdf and pdfsig all accept."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from pdf_factory import make_pdf
from pki_factory import rsa_key, seal_p12, time_stamping_authority
from pyhanko.keys.internal import translate_pyca_cryptography_key_to_asn1
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import DummyTimeStamper

from signing import InvalidPdfError, Sealer, SealIdentity, reserved_signature_bytes, validate_pdf
from signing.signer import to_asn1


def _cms_size(pdf: bytes) -> int:
    """DER size of the last signature's CMS object (/Contents without its zero padding)."""
    (signature,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[-1:]
    return len(cms.ContentInfo.load(signature.pkcs7_content).dump())


def test_seal_is_pades_and_validates(sealed_pdf: bytes, dev_root: x509.Certificate) -> None:
    (report,) = validate_pdf(sealed_pdf, [dev_root])

    assert report.field_name == "AmiableSeal"
    assert report.kind == "signature"
    assert report.subfilter == "ETSI.CAdES.detached"
    assert (report.intact, report.valid, report.trusted, report.ok) == (True, True, True, True)
    assert report.coverage == "entire_file"
    assert report.modification_level == "none"
    assert report.digest_algorithm == "sha256"
    assert report.signer.common_name == "Amiable DEVELOPMENT seal - not for production"
    assert report.signer.organisation == "Amiable (development)"
    assert report.signing_time is not None
    assert abs(dt.datetime.now(dt.UTC) - report.signing_time) < dt.timedelta(minutes=10)
    assert report.timestamp_time is None
    assert report.timestamp_trusted is None


def test_seal_is_an_incremental_update_with_an_invisible_field(
    sealed_pdf: bytes, one_page_pdf: bytes
) -> None:
    assert sealed_pdf.startswith(one_page_pdf)
    (signature,) = PdfFileReader(io.BytesIO(sealed_pdf)).embedded_signatures

    assert signature.sig_field["/T"] == "AmiableSeal"
    assert [float(x) for x in signature.sig_field["/Rect"]] == [0, 0, 0, 0]
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert signature.sig_object["/Reason"] == "Mise en demeure"
    assert signature.sig_object["/Location"] == "Paris"


def test_qpdf_finds_the_sealed_file_well_formed(sealed_pdf: bytes, tmp_path: Path) -> None:
    if shutil.which("qpdf") is None:
        pytest.fail("qpdf not found: install qpdf")
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed_pdf)

    done = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)

    assert done.returncode == 0, done.stdout + done.stderr


def test_level_and_description(sealer: Sealer) -> None:
    assert sealer.level == "B-B"
    description = sealer.description()
    assert description["level"] == "B-B"
    assert description["certificate"]["common_name"] == (
        "Amiable DEVELOPMENT seal - not for production"
    )


def test_one_sealer_seals_many_documents(sealer: Sealer, dev_root: x509.Certificate) -> None:
    letters = [make_pdf(b"letter %d" % n) for n in range(3)]

    sealed = [sealer.seal(letter) for letter in letters]

    assert all(validate_pdf(pdf, [dev_root])[0].ok for pdf in sealed)


def test_one_sealer_is_shared_between_threads(sealer: Sealer, dev_root: x509.Certificate) -> None:
    letters = [make_pdf(b"letter %d" % n) for n in range(8)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        sealed = list(pool.map(sealer.seal, letters))

    for letter, pdf in zip(letters, sealed, strict=True):
        assert pdf.startswith(letter)
        assert validate_pdf(pdf, [dev_root])[0].ok


def test_a_second_seal_keeps_the_first_valid(
    sealer: Sealer, sealed_pdf: bytes, dev_root: x509.Certificate
) -> None:
    twice = sealer.seal(sealed_pdf, field_name="AmiableSeal2")

    first, second = validate_pdf(twice, [dev_root])

    assert (first.field_name, second.field_name) == ("AmiableSeal", "AmiableSeal2")
    assert first.ok
    assert first.coverage == "entire_revision"
    assert first.modification_level == "form_filling"
    assert second.ok
    assert second.coverage == "entire_file"


def test_a_weasyprint_pdf_can_be_sealed(sealer: Sealer, dev_root: x509.Certificate) -> None:
    weasyprint = pytest.importorskip("weasyprint")
    html = "<h1>Mise en demeure</h1><p>Montant dû : 1 113,63 €</p>"
    pdf = weasyprint.HTML(string=html).write_pdf()

    (report,) = validate_pdf(sealer.seal(pdf), [dev_root])

    assert report.ok
    assert report.coverage == "entire_file"


@pytest.mark.parametrize(
    "data",
    [b"", b"hello", b"%PDF-1.7\n" + b"x" * 100, make_pdf()[:300]],
    ids=["empty", "text", "header-only", "truncated"],
)
def test_refuses_what_is_not_a_pdf(sealer: Sealer, data: bytes) -> None:
    with pytest.raises(InvalidPdfError, match="not a readable PDF"):
        sealer.seal(data)


@pytest.mark.parametrize(
    ("key_kind", "intermediates"),
    [("rsa-2048", 0), ("rsa-4096", 3), ("ec-p384", 1)],
)
def test_the_reservation_fits_the_signature(key_kind: str, intermediates: int) -> None:
    """bytes_reserved is computed, not measured by a dry run: it must bound the real CMS."""
    leaf_key = {
        "rsa-2048": lambda: rsa_key(2048),
        "rsa-4096": lambda: rsa_key(4096),
        "ec-p384": lambda: ec.generate_private_key(ec.SECP384R1()),
    }[key_kind]()
    data, root = seal_p12(leaf_key=leaf_key, intermediates=intermediates)
    identity = SealIdentity.from_pkcs12(data)
    sealed = Sealer(identity).seal(make_pdf())

    reserved_der = reserved_signature_bytes(identity) // 2
    used = _cms_size(sealed)

    assert used <= reserved_der
    assert reserved_der - used <= 2048 + 256  # the documented overhead allowance, not more
    assert validate_pdf(sealed, [root])[0].ok


def test_the_placeholder_is_the_reserved_size(sealer: Sealer, sealed_pdf: bytes) -> None:
    match = re.search(rb"/Contents <([0-9a-fA-F]*)>", sealed_pdf)

    assert match is not None
    assert len(match.group(1)) == sealer.bytes_reserved()


def test_with_a_timestamper_the_seal_is_b_t(
    identity: SealIdentity, dev_root: x509.Certificate
) -> None:
    tsa, tsa_root = time_stamping_authority()
    timestamper = DummyTimeStamper(
        tsa_cert=to_asn1(tsa.cert), tsa_key=translate_pyca_cryptography_key_to_asn1(tsa.key)
    )
    sealer = Sealer(identity, timestamper=timestamper)

    (report,) = validate_pdf(sealer.seal(make_pdf()), [dev_root, tsa_root])

    assert sealer.level == "B-T"
    assert report.ok
    assert report.timestamp_trusted is True
    assert report.timestamp_time is not None
    assert abs(report.timestamp_time - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=10)


def test_encrypted_pdfs_are_refused(sealer: Sealer, sealed_pdf: bytes, tmp_path: Path) -> None:
    if shutil.which("qpdf") is None:
        pytest.fail("qpdf not found: install qpdf")
    plain, encrypted = tmp_path / "plain.pdf", tmp_path / "encrypted.pdf"
    plain.write_bytes(sealed_pdf)
    subprocess.run(
        ["qpdf", "--encrypt", "", "owner", "256", "--", str(plain), str(encrypted)], check=True
    )

    with pytest.raises(InvalidPdfError, match="encrypted"):
        sealer.seal(encrypted.read_bytes())
    with pytest.raises(InvalidPdfError, match="encrypted"):
        validate_pdf(encrypted.read_bytes(), [])
