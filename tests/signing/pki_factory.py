"""Small test PKIs built with `cryptography`: seals with longer chains or other keys, a TSA.

certomancer could do this from YAML, but these few certificates are clearer as code and
need no pre-generated key files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
NOW = dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Issued:
    key: PrivateKey
    cert: x509.Certificate


def rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def issue(
    common_name: str,
    key: PrivateKey,
    issuer: Issued | None = None,
    *,
    ca: bool = False,
    not_after: dt.datetime | None = None,
    time_stamping: bool = False,
) -> Issued:
    """A certificate for ``key``, signed by ``issuer`` (self-signed when None)."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Amiable tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    usage = dict.fromkeys(
        (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    if ca:
        usage.update(key_cert_sign=True, crl_sign=True)
    else:
        usage.update(digital_signature=True, content_commitment=not time_stamping)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(not_after or NOW + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(**usage), critical=True)
    )
    if time_stamping:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    cert = builder.sign(issuer.key if issuer else key, hashes.SHA256())
    return Issued(key, cert)


def seal_p12(
    *,
    leaf_key: PrivateKey | None = None,
    intermediates: int = 0,
    password: bytes | None = None,
    not_after: dt.datetime | None = None,
    with_key: bool = True,
) -> tuple[bytes, x509.Certificate]:
    """A PKCS#12 for a seal under a new root and ``intermediates`` CAs, and that root."""
    root = issue("Test root", rsa_key(), ca=True)
    issuer = root
    chain = [root.cert]
    for depth in range(intermediates):
        issuer = issue(f"Test intermediate {depth}", rsa_key(), issuer, ca=True)
        chain.insert(0, issuer.cert)
    leaf = issue("Test seal", leaf_key or rsa_key(), issuer, not_after=not_after)
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    data = pkcs12.serialize_key_and_certificates(
        b"seal", leaf.key if with_key else None, leaf.cert, chain, encryption
    )
    return data, root.cert


def time_stamping_authority() -> tuple[Issued, x509.Certificate]:
    """A TSA certificate (EKU timeStamping, critical) and the root it chains to."""
    root = issue("Test TSA root", rsa_key(), ca=True)
    return issue("Test TSA", rsa_key(), root, time_stamping=True), root.cert
