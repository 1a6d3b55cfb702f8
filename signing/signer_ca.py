"""Amiable's internal signer CA: it issues a one-time certificate for each debtor who signs.

The CA's key is generated once in the data dir's keys folder (mode 0600) and never leaves
the server; it is encrypted at rest (PKCS#8, AES-256) with a password from the environment
(`AMIABLE_SIGNER_CA_PASSWORD`), or, in development, one generated next to it in
`signer-ca.password` (mode 0600). A key written unencrypted by an earlier version is
encrypted in place the first time it is loaded with a password.

Each debtor signature gets a fresh key pair and a certificate naming the signer (CN = name,
emailAddress = email); the key lives only in memory for the one signature and is then
dropped, so the certificate can never sign anything else.

Validity: a validator without a trusted timestamp checks the certificate at the moment it
validates, so a certificate that expired an hour after signing would make every later check
fail. Since the one-time key no longer exists, a long validity gives nobody the power to
sign again; it only keeps the signature checkable. The CA outlives its certificates.

Revocation: the CA publishes a CRL (`SignerCA.crl`), put in the signed file's DSS next to the
debtor's chain, which proves the one-time certificate was not revoked when the debtor signed
(PAdES B-LT for the debtor's signature, covered by the final seal's archive timestamp).
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
from signing.errors import SealConfigError
from signing.keys import CertificateInfo, SealIdentity

CA_KEY_NAME = "signer-ca.key.pem"
CA_CERT_NAME = "signer-ca.pem"
CA_PASSWORD_NAME = "signer-ca.password"
CA_COMMON_NAME = "Amiable signer CA"
ORGANISATION = "Amiable"

# RSA-3072: ANSSI's RGS (annexe B1) accepts RSA-2048 only until 2030, and a signed échéancier
# must stay checkable for years. ECDSA P-256 would be faster to generate (a key pair per
# signature), but pyHanko then declares the ISO 32002 extension, which raises the file to
# PDF 2.0: a PDF/A-3 document (PDF 1.7 based) must not claim that.
_KEY_BITS = 3072
_CRL_VALIDITY = dt.timedelta(days=30)
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
    def load(cls, keys_dir: Path, password: str | None = None) -> SignerCA:
        """The CA of ``keys_dir``, created on first call (safe against concurrent workers).

        ``password`` decrypts the key; None: the development password of ``keys_dir``
        (generated on first use). Raises `SealConfigError` when the key cannot be opened.
        """
        secret = (password or development_password(keys_dir)).encode()
        ensure_signer_ca(keys_dir, secret)
        key_path = keys_dir / CA_KEY_NAME
        pem = key_path.read_bytes()
        try:
            if b"ENCRYPTED" in pem:
                key = serialization.load_pem_private_key(pem, secret)
            else:  # written by an earlier version: encrypt it now
                key = serialization.load_pem_private_key(pem, None)
                with exclusive_lock(keys_dir / ".signer-ca.lock"):
                    write_atomic(key_path, _encrypted_pem(key, secret))
        except (ValueError, TypeError) as exc:
            raise SealConfigError(
                f"the signer CA key {key_path} cannot be opened with the configured password "
                "(AMIABLE_SIGNER_CA_PASSWORD)") from exc
        assert isinstance(key, rsa.RSAPrivateKey)
        certificate = x509.load_pem_x509_certificate((keys_dir / CA_CERT_NAME).read_bytes())
        return cls(key=key, certificate=certificate)

    def crl(self, now: dt.datetime | None = None) -> x509.CertificateRevocationList:
        """A CRL of this CA, valid from ``now`` for 30 days. It revokes nothing: a one-time
        certificate's key is destroyed after its one signature, so it can sign nothing else,
        and revoking it would make the signature it made look revoked to a validator that
        checks at the present time."""
        moment = now or dt.datetime.now(dt.UTC)
        return (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.certificate.subject)
            .last_update(moment - _CLOCK_SKEW)
            .next_update(moment + _CRL_VALIDITY)
            .add_extension(x509.CRLNumber(int(moment.timestamp())), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )

    def issue_one_time(self, name: str, email: str, crl_url: str | None = None) -> SealIdentity:
        """A fresh key and a certificate for this signer, as an identity to sign once with;
        ``crl_url`` is where `crl` is published (the certificate's distribution point)."""
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
        )
        if crl_url:
            certificate = certificate.add_extension(x509.CRLDistributionPoints([
                x509.DistributionPoint(full_name=[x509.UniformResourceIdentifier(crl_url)],
                                       relative_name=None, reasons=None, crl_issuer=None)]),
                critical=False)
        certificate = certificate.sign(self.key, hashes.SHA256())
        return SealIdentity(private_key=key, certificate=certificate,
                            chain=(self.certificate,), info=CertificateInfo.of(certificate))


def development_password(keys_dir: Path) -> str:
    """The signer CA's password kept in ``keys_dir`` (0600), made on first use."""
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = keys_dir / CA_PASSWORD_NAME
    if not path.is_file():
        with exclusive_lock(keys_dir / ".signer-ca.lock"):
            if not path.is_file():
                write_atomic(path, secrets.token_urlsafe(32).encode())
    return path.read_text().strip()


def _encrypted_pem(key: rsa.RSAPrivateKey, secret: bytes) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.BestAvailableEncryption(secret))


def ensure_signer_ca(keys_dir: Path, secret: bytes | None = None) -> Path:
    """Create the CA's key (encrypted with ``secret``; default: the development password)
    and certificate in ``keys_dir`` if missing; return the certificate's path."""
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    cert_path = keys_dir / CA_CERT_NAME
    key_path = keys_dir / CA_KEY_NAME
    if cert_path.is_file() and key_path.is_file():
        return cert_path
    with exclusive_lock(keys_dir / ".signer-ca.lock"):
        if not (cert_path.is_file() and key_path.is_file()):
            key, certificate = _generate()
            write_atomic(key_path, _encrypted_pem(
                key, secret or development_password(keys_dir).encode()))
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
