"""The organisation's seal: its key, certificate and chain, loaded and checked once.

Parsing the key is the expensive part (cryptography validates an RSA key as it loads it,
~38 ms for RSA-2048), so a `SealIdentity` keeps the parsed key object and the signer built
on it reuses that object for every signature. Everything an operator can get wrong (path,
password, file format, an expired certificate) is reported as a `SealConfigError` whose
message says what to change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from signing.devcert import ORGANISATION as DEVELOPMENT_ORGANISATION
from signing.errors import SealConfigError
from signing.signer import KeptKeySigner

SealPrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
"""Key types we seal with: both verified by pdfsig/NSS, Adobe and pyHanko in PAdES."""

_MIN_RSA_BITS = 2048


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    """What the API reports about the seal certificate (``seal: {level, certificate}``)."""

    common_name: str | None
    organisation: str | None
    issuer_common_name: str | None
    serial_number: str  # lowercase hex, as most certificate viewers print it
    sha256_fingerprint: str  # lowercase hex of SHA-256 over the DER certificate
    not_before: dt.datetime
    not_after: dt.datetime
    key: str  # e.g. "RSA-2048", "EC-secp256r1"
    development: bool  # the generated development seal, not an organisation's certificate

    @classmethod
    def of(cls, cert: x509.Certificate) -> CertificateInfo:
        """Describe ``cert``; works for any certificate (seal, chain, signer of a PDF)."""
        organisation = _name_attr(cert.subject, NameOID.ORGANIZATION_NAME)
        return cls(
            common_name=_name_attr(cert.subject, NameOID.COMMON_NAME),
            organisation=organisation,
            issuer_common_name=_name_attr(cert.issuer, NameOID.COMMON_NAME),
            serial_number=f"{cert.serial_number:x}",
            sha256_fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            key=_describe_key(cert.public_key()),
            development=organisation == DEVELOPMENT_ORGANISATION,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form: datetimes as ISO 8601 strings."""
        return {
            "common_name": self.common_name,
            "organisation": self.organisation,
            "issuer_common_name": self.issuer_common_name,
            "serial_number": self.serial_number,
            "sha256_fingerprint": self.sha256_fingerprint,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "key": self.key,
            "development": self.development,
        }


@dataclass(frozen=True, slots=True, repr=False)
class SealIdentity:
    """A parsed, checked seal: key object, certificate, and the chain above it.

    ``chain`` holds the other certificates of the PKCS#12 (intermediates, root), which are
    embedded in every signature so validators can build the path without fetching.
    """

    private_key: SealPrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    info: CertificateInfo

    def __repr__(self) -> str:  # never print key material in a log or a traceback
        return f"SealIdentity({self.info.common_name!r}, serial={self.info.serial_number})"

    def signer(self) -> KeptKeySigner:
        """A pyHanko signer over the parsed key; build one per `Sealer` and keep it."""
        return KeptKeySigner(self)

    @classmethod
    def load(
        cls,
        p12_path: Path | str,
        password: str | bytes | None = None,
        *,
        now: dt.datetime | None = None,
    ) -> SealIdentity:
        """Load and check a PKCS#12 (.p12/.pfx) file.

        An empty password means none (an unset or empty environment variable). ``now`` is for
        tests: the certificate must be valid at that time (default: the current time).
        """
        p12_path = Path(p12_path)
        try:
            data = p12_path.read_bytes()
        except FileNotFoundError:
            raise SealConfigError(
                f"seal certificate file not found: {p12_path} "
                "(AMIABLE_SEAL_P12 must name a PKCS#12 .p12/.pfx file)"
            ) from None
        except OSError as exc:
            raise SealConfigError(
                f"cannot read seal certificate file {p12_path}: {exc.strerror}"
            ) from exc
        return cls.from_pkcs12(data, password, source=str(p12_path), now=now)

    @classmethod
    def from_pkcs12(
        cls,
        data: bytes,
        password: str | bytes | None = None,
        *,
        source: str = "PKCS#12 data",
        now: dt.datetime | None = None,
    ) -> SealIdentity:
        """Like `load`, from bytes already in memory; ``source`` names them in messages."""
        key, cert, others = _open_pkcs12(data, password, source)
        if key is None:
            raise SealConfigError(
                f"{source} holds no private key; export the seal with its private key"
            )
        if cert is None:
            raise SealConfigError(f"{source} holds no certificate; export it with its certificate")
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise SealConfigError(
                f"{source}: unsupported key type {type(key).__name__}; use an RSA (≥ 2048 bits) "
                "or ECDSA key"
            )
        if isinstance(key, rsa.RSAPrivateKey) and key.key_size < _MIN_RSA_BITS:
            raise SealConfigError(f"{source}: RSA key of {key.key_size} bits; 2048 at least")
        if key.public_key().public_numbers() != cert.public_key().public_numbers():
            raise SealConfigError(f"{source}: the private key does not match the certificate")
        info = CertificateInfo.of(cert)
        moment = now or dt.datetime.now(dt.UTC)
        if moment > info.not_after:
            raise SealConfigError(
                f"{source}: seal certificate {info.common_name!r} expired on "
                f"{info.not_after:%Y-%m-%d}; install a renewed certificate"
            )
        if moment < info.not_before:
            raise SealConfigError(
                f"{source}: seal certificate {info.common_name!r} is not valid before "
                f"{info.not_before:%Y-%m-%d %H:%M} UTC; check the certificate and the clock"
            )
        chain = tuple(c for c in others if c != cert)
        return cls(private_key=key, certificate=cert, chain=chain, info=info)


def load_certificates(path: Path) -> list[x509.Certificate]:
    """Read one or more certificates from a PEM or DER file (e.g. trust roots for validation)."""
    data = path.read_bytes()
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_certificates(data)
    return [x509.load_der_x509_certificate(data)]


def _open_pkcs12(
    data: bytes, password: str | bytes | None, source: str
) -> tuple[Any, x509.Certificate | None, list[x509.Certificate]]:
    if data.lstrip().startswith(b"-----BEGIN"):
        raise SealConfigError(
            f"{source} is a PEM file, not a PKCS#12; convert it with "
            "`openssl pkcs12 -export -inkey key.pem -in cert.pem -certfile chain.pem -out seal.p12`"
        )
    if not _looks_like_pkcs12(data):
        raise SealConfigError(f"{source} is not a PKCS#12 (.p12/.pfx) file")
    if isinstance(password, str):
        password = password.encode()
    # "no password" comes in two encodings: absent, or the empty string (openssl -passout pass:)
    candidates = [password] if password else [None, b""]
    for candidate in candidates:
        try:
            key, cert, others = pkcs12.load_key_and_certificates(data, candidate)
        except ValueError:
            continue
        return key, cert, others
    if password:
        hint = "wrong password (AMIABLE_SEAL_PASSWORD), or the file is damaged"
    else:
        hint = "the file is protected by a password: set AMIABLE_SEAL_PASSWORD"
    raise SealConfigError(f"cannot open {source}: {hint}")


def _looks_like_pkcs12(data: bytes) -> bool:
    """Sniff the DER header: PFX ::= SEQUENCE { version INTEGER (3), ... } (RFC 7292 §4).

    cryptography reports a wrong password and a non-PKCS#12 file with the same exception type;
    this tells the operator which of the two it is.
    """
    if len(data) < 8 or data[0] != 0x30:
        return False
    length_byte = data[1]
    offset = 2 if length_byte < 0x80 else 2 + (length_byte & 0x7F)
    return data[offset : offset + 3] == b"\x02\x01\x03"


def _name_attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    attrs = name.get_attributes_for_oid(oid)
    if not attrs:
        return None
    value = attrs[0].value
    return value if isinstance(value, str) else value.decode(errors="replace")


def _describe_key(public_key: Any) -> str:
    if isinstance(public_key, rsa.RSAPublicKey):
        return f"RSA-{public_key.key_size}"
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return f"EC-{public_key.curve.name}"
    return type(public_key).__name__
