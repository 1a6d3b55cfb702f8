"""The internal signer CA: key encrypted at rest, RSA-3072, a CRL it signs (issue 10.7, 11.7)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from signing.errors import SealConfigError
from signing.signer_ca import CA_KEY_NAME, CA_PASSWORD_NAME, SignerCA


def test_the_key_is_encrypted_and_the_development_password_private(tmp_path: Path) -> None:
    ca = SignerCA.load(tmp_path)
    pem = (tmp_path / CA_KEY_NAME).read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):  # no password: cannot be read
        serialization.load_pem_private_key(pem, None)
    password = tmp_path / CA_PASSWORD_NAME
    assert stat.S_IMODE(password.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / CA_KEY_NAME).stat().st_mode) == 0o600
    assert isinstance(ca.key, rsa.RSAPrivateKey)
    assert ca.key.key_size == 3072
    assert "PRIVATE" not in repr(ca)
    # loaded again (another worker), the same CA
    assert SignerCA.load(tmp_path).certificate == ca.certificate


def test_a_configured_password_and_a_wrong_one(tmp_path: Path) -> None:
    SignerCA.load(tmp_path, "correct horse battery staple")
    assert not (tmp_path / CA_PASSWORD_NAME).exists()  # no development password made
    assert SignerCA.load(tmp_path, "correct horse battery staple").key.key_size == 3072
    with pytest.raises(SealConfigError, match="AMIABLE_SIGNER_CA_PASSWORD"):
        SignerCA.load(tmp_path, "wrong")


def test_a_key_left_unencrypted_by_an_earlier_version_is_encrypted_on_load(
        tmp_path: Path) -> None:
    ca = SignerCA.load(tmp_path, "secret-1")
    (tmp_path / CA_KEY_NAME).write_bytes(ca.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    again = SignerCA.load(tmp_path, "secret-1")
    assert again.certificate == ca.certificate
    assert b"ENCRYPTED" in (tmp_path / CA_KEY_NAME).read_bytes()


def test_one_time_certificates_and_the_crl(tmp_path: Path) -> None:
    ca = SignerCA.load(tmp_path, "pw")
    identity = ca.issue_one_time("Mme Louise Martin", "louise@example.org",
                                 crl_url="https://amiable.test/signer-ca.crl")
    points = identity.certificate.extensions.get_extension_for_class(
        x509.CRLDistributionPoints).value
    assert points[0].full_name[0].value == "https://amiable.test/signer-ca.crl"
    assert identity.certificate.public_key().key_size == 3072  # type: ignore[union-attr]
    ca.certificate.public_key().verify(  # type: ignore[union-attr]
        identity.certificate.signature, identity.certificate.tbs_certificate_bytes,
        padding.PKCS1v15(), identity.certificate.signature_hash_algorithm)  # type: ignore[arg-type]
    crl = ca.crl()
    assert crl.issuer == ca.certificate.subject
    assert crl.is_signature_valid(ca.certificate.public_key())  # type: ignore[arg-type]
    assert crl.get_revoked_certificate_by_serial_number(
        identity.certificate.serial_number) is None
    assert crl.next_update_utc is not None
    assert crl.next_update_utc > crl.last_update_utc
    assert isinstance(crl, x509.CertificateRevocationList)
