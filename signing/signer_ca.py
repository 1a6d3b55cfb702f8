"""Amiable's internal signer CA: it issues a one-time certificate for each debtor who signs.

The CA's key is generated once in the data dir's keys folder (mode 0600) and never leaves
the server. Each debtor signature gets a fresh key pair and a certificate naming the signer
(CN = name, emailAddress = email); the key lives only in memory for the one signature and
is then dropped, so the certificate can never sign anything else.

Validity: a validator without a trusted timestamp checks the certificate at the moment it
validates, so a certificate that expired an hour after signing would make every later check
fail. Since the one-time key no longer exists, a long validity gives nobody the power to
sign again; it only keeps the signature checkable. The CA outlives its certificates.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from signing.devcert import exclusive_lock, key_usage, write_atomic
from signing.keys import CertificateInfo, SealIdentity

CA_KEY_NAME = "signer-ca.key.pem"
CA_CERT_NAME = "signer-ca.pem"
CA_COMMON_NAME = "Amiable signer CA"
ORGANISATION = "Amiable"

# RSA-2048, like the seal. ECDSA would be faster to generate (a key pair per signature), but
# pyHanko then declares the ISO 32002 extension, which raises the file to PDF 2.0: a PDF/A-3
# document (PDF 1.7 based) must not claim that.
_KEY_BITS = 2048
_CA_VALIDITY = dt.timedelta(days=7305)
_SIGNER_VALIDITY = dt.timedelta(days=3653)
_CLOCK_SKEW = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class SignerCA:
    """The CA's key and certificate, loaded once per process."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    def __repr__(self) -> str:  # never print key material
        return f"SignerCA({self.certificate.subject.rfc4514_string()!r})"

    @classmethod
    def load(cls, keys_dir: Path) -> SignerCA:
        """The CA of ``keys_dir``, created on first call (safe against concurrent workers)."""
        ensure_signer_ca(keys_dir)
        key = serialization.load_pem_private_key((keys_dir / CA_KEY_NAME).read_bytes(), None)
        assert isinstance(key, rsa.RSAPrivateKey)
        certificate = x509.load_pem_x509_certificate((keys_dir / CA_CERT_NAME).read_bytes())
        return cls(key=key, certificate=certificate)

    def issue_one_time(self, name: str, email: str) -> SealIdentity:
        """A fresh key and a certificate for this signer, as an identity to sign once with."""
        now = dt.datetime.now(dt.UTC)
        key = rsa.generate_private_key(public_exponent=65537, key_size=_KEY_BITS)
        subject = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.COMMON_NAME, name[:64]),
            x509.NameAttribute(NameOID.EMAIL_ADDRESS, email),
        ])
        ca_ski = self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(int.from_bytes(secrets.token_bytes(16), "big") >> 1)
            .not_valid_before(now - _CLOCK_SKEW)
            .not_valid_after(now + _SIGNER_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(key_usage(digital_signature=True, content_commitment=True),
                           critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]),
                           critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski.value),
                critical=False)
            .sign(self.key, hashes.SHA256())
        )
        return SealIdentity(private_key=key, certificate=certificate,
                            chain=(self.certificate,), info=CertificateInfo.of(certificate))


def ensure_signer_ca(keys_dir: Path) -> Path:
    """Create the CA's key and certificate in ``keys_dir`` if missing; return the cert path."""
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    cert_path = keys_dir / CA_CERT_NAME
    key_path = keys_dir / CA_KEY_NAME
    if cert_path.is_file() and key_path.is_file():
        return cert_path
    with exclusive_lock(keys_dir / ".signer-ca.lock"):
        if not (cert_path.is_file() and key_path.is_file()):
            key, certificate = _generate()
            write_atomic(key_path, key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()))
            write_atomic(cert_path, certificate.public_bytes(serialization.Encoding.PEM))
    return cert_path


def signer_ca_path(keys_dir: Path) -> Path:
    """The CA certificate (PEM), a trust root for validating debtor signatures."""
    return keys_dir / CA_CERT_NAME


def _generate() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    now = dt.datetime.now(dt.UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=_KEY_BITS)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
        x509.NameAttribute(NameOID.COMMON_NAME, CA_COMMON_NAME),
    ])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + _CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, certificate
