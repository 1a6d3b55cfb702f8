"""Loading the seal: a description for the API, and errors an operator can act on."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyhanko.sign.signers.pdf_cms
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from pdf_factory import make_pdf
from pki_factory import rsa_key, seal_p12

from signing import SealConfigError, Sealer, SealIdentity, validate_pdf


def test_describes_the_certificate_for_the_api(identity: SealIdentity) -> None:
    info = identity.info.as_dict()

    assert info["common_name"] == "Amiable DEVELOPMENT seal - not for production"
    assert info["organisation"] == "Amiable (development)"
    assert info["serial_number"] == f"{identity.certificate.serial_number:x}"
    assert info["sha256_fingerprint"] == identity.certificate.fingerprint(hashes.SHA256()).hex()
    assert dt.datetime.fromisoformat(info["not_after"]) == identity.certificate.not_valid_after_utc
    assert info["key"] == "RSA-3072"
    assert info["development"] is True


def test_repr_shows_no_key_material(identity: SealIdentity) -> None:
    assert repr(identity) == (
        f"SealIdentity('Amiable DEVELOPMENT seal - not for production', "
        f"serial={identity.info.serial_number})"
    )


@pytest.mark.parametrize("password", ["s3cret é", b"s3cret \xc3\xa9"])
def test_loads_a_password_protected_p12(tmp_path: Path, password: str | bytes) -> None:
    data, _root = seal_p12(password="s3cret é".encode(), intermediates=1)
    path = tmp_path / "seal.p12"
    path.write_bytes(data)

    identity = SealIdentity.load(path, password)

    assert identity.info.common_name == "Test seal"
    assert identity.info.development is False
    assert [c.subject.rfc4514_string() for c in identity.chain] == [
        "CN=Test intermediate 0,O=Amiable tests",
        "CN=Test root,O=Amiable tests",
    ]


def test_wrong_password(tmp_path: Path) -> None:
    path = tmp_path / "seal.p12"
    path.write_bytes(seal_p12(password=b"right")[0])

    with pytest.raises(SealConfigError, match=r"wrong password \(AMIABLE_SEAL_PASSWORD\)"):
        SealIdentity.load(path, "wrong")


@pytest.mark.parametrize("password", [None, ""])
def test_missing_password(tmp_path: Path, password: str | None) -> None:
    path = tmp_path / "seal.p12"
    path.write_bytes(seal_p12(password=b"right")[0])

    with pytest.raises(SealConfigError, match="protected by a password: set AMIABLE_SEAL_PASSWORD"):
        SealIdentity.load(path, password)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SealConfigError, match=r"not found: .*nowhere\.p12 \(AMIABLE_SEAL_P12"):
        SealIdentity.load(tmp_path / "nowhere.p12", "x")


@pytest.mark.parametrize("data", [b"", b"hello", make_pdf(), b"0\x03\x02\x01\x01 not pfx"])
def test_not_a_p12(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "seal.p12"
    path.write_bytes(data)

    with pytest.raises(SealConfigError, match=r"is not a PKCS#12 \(\.p12/\.pfx\) file"):
        SealIdentity.load(path)


def test_pem_instead_of_p12(tmp_path: Path, keys_dir: Path) -> None:
    path = tmp_path / "seal.pem"
    path.write_bytes((keys_dir / "development-root.pem").read_bytes())

    with pytest.raises(SealConfigError, match="is a PEM file, not a PKCS#12; convert it"):
        SealIdentity.load(path)


def test_p12_without_private_key() -> None:
    data, _root = seal_p12(with_key=False)

    with pytest.raises(SealConfigError, match="holds no private key"):
        SealIdentity.from_pkcs12(data)


def test_expired_certificate() -> None:
    data, _root = seal_p12(not_after=dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)

    with pytest.raises(SealConfigError, match=r"expired on \d{4}-\d\d-\d\d; install a renewed"):
        SealIdentity.from_pkcs12(data, source="seal.p12", now=later)


def test_weak_rsa_key_is_refused() -> None:
    data, _root = seal_p12(leaf_key=rsa_key(1024))

    with pytest.raises(SealConfigError, match="RSA key of 1024 bits; 2048 at least"):
        SealIdentity.from_pkcs12(data)


def test_an_ecdsa_seal_works() -> None:
    data, root = seal_p12(leaf_key=ec.generate_private_key(ec.SECP256R1()))
    identity = SealIdentity.from_pkcs12(data)

    (report,) = validate_pdf(Sealer(identity).seal(make_pdf()), [root])

    assert identity.info.key == "EC-secp256r1"
    assert report.ok


def test_the_key_is_parsed_once_not_per_signature(
    identity: SealIdentity, monkeypatch: pytest.MonkeyPatch, dev_root: x509.Certificate
) -> None:
    """pyHanko's SimpleSigner re-parses its key in every sign_raw (~38 ms for RSA)."""
    sealer = Sealer(identity)

    def no_parsing(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the private key was parsed again")

    monkeypatch.setattr(
        pyhanko.sign.signers.pdf_cms.serialization, "load_der_private_key", no_parsing
    )
    first = sealer.seal(make_pdf(b"first letter"))
    second = sealer.seal(make_pdf(b"second letter"))

    assert all(report.ok for pdf in (first, second) for report in validate_pdf(pdf, [dev_root]))
