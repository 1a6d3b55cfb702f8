"""A development seal, generated on first run so `make run` works with no configuration.

The PKI is two certificates: a root CA and the seal it issued. Both say DEVELOPMENT in their
names, so a document sealed with them can never be mistaken for a production one. The root's
private key is thrown away once the seal is issued: nothing else can ever chain to this root,
and there is no CA key lying in the data directory.

The PKCS#12 has **no password**. A password stored in a file next to it would protect nothing
(whoever can read one can read the other); the file's mode (0600, in a 0700 directory) is the
protection. `SealIdentity.load(path, None)` reads it.

The PKCS#12 is the single source of truth: it holds the key, the seal certificate and the
chain, root included. `development-root.pem` is an export of that root for validators
(pyHanko trust roots, `pdfsig -nssdir`), and is rewritten from the PKCS#12 if it goes missing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

P12_NAME = "development-seal.p12"
ROOT_PEM_NAME = "development-root.pem"
ROOT_COMMON_NAME = "Amiable DEVELOPMENT root CA (not trusted)"
SEAL_COMMON_NAME = "Amiable DEVELOPMENT seal - not for production"
ORGANISATION = "Amiable (development)"

# RSA-3072: verified by every validator we care about (pdfsig/NSS, Adobe, pyHanko, MuPDF);
# ANSSI's RGS accepts RSA-2048 only until 2030, and a sealed letter must outlive that. (ECDSA
# would make pyHanko declare ISO 32002 and raise the file to PDF 2.0, not PDF/A-3.)
_KEY_BITS = 3072
_SEAL_VALIDITY = dt.timedelta(days=3653)  # ten years
_ROOT_VALIDITY = dt.timedelta(days=7305)  # twenty: the root must outlive the seal it issued
_CLOCK_SKEW = dt.timedelta(days=1)  # back-date notBefore so a machine running late still works


def ensure_development_seal(keys_dir: Path) -> Path:
    """Return the development seal's PKCS#12 in ``keys_dir``, creating the PKI on first call.

    Idempotent and safe against concurrent callers (several gunicorn workers starting at
    once): generation runs under an exclusive lock on ``keys_dir/.development-seal.lock``,
    and each file is written to a temporary name then renamed, so no reader ever sees half
    a file.
    """
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    p12_path = keys_dir / P12_NAME
    root_path = keys_dir / ROOT_PEM_NAME
    if p12_path.is_file() and root_path.is_file():
        return p12_path
    with exclusive_lock(keys_dir / ".development-seal.lock"):
        if not p12_path.is_file():
            root_cert, p12_bytes = _generate()
            write_atomic(p12_path, p12_bytes)
        else:
            root_cert = _root_from_p12(p12_path.read_bytes())
        if not root_path.is_file():
            write_atomic(root_path, root_cert.public_bytes(serialization.Encoding.PEM))
    return p12_path


def development_root_path(keys_dir: Path) -> Path:
    """Where `ensure_development_seal` puts the root certificate (PEM)."""
    return keys_dir / ROOT_PEM_NAME


def _generate() -> tuple[x509.Certificate, bytes]:
    now = dt.datetime.now(dt.UTC)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=_KEY_BITS)
    root_name = _name(ROOT_COMMON_NAME)
    root_ski = x509.SubjectKeyIdentifier.from_public_key(root_key.public_key())
    root_cert = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _CLOCK_SKEW)
        .not_valid_after(now + _ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(root_ski, critical=False)
        .sign(root_key, hashes.SHA256())
    )

    seal_key = rsa.generate_private_key(public_exponent=65537, key_size=_KEY_BITS)
    # No extendedKeyUsage on purpose: NSS (pdfsig) checks signers for the "email signer"
    # usage, which an EKU without emailProtection would fail; absent, any use is allowed.
    seal_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(SEAL_COMMON_NAME))
        .issuer_name(root_name)
        .public_key(seal_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _CLOCK_SKEW)
        .not_valid_after(now + _SEAL_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(seal_key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    p12_bytes = pkcs12.serialize_key_and_certificates(
        name=SEAL_COMMON_NAME.encode(),
        key=seal_key,
        cert=seal_cert,
        cas=[root_cert],
        encryption_algorithm=serialization.NoEncryption(),
    )
    return root_cert, p12_bytes


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def key_usage(**enabled: bool) -> x509.KeyUsage:
    """A KeyUsage extension with only the named usages set (shared with the signer CA)."""
    flags = dict.fromkeys(
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
    flags.update(enabled)
    return x509.KeyUsage(**flags)


def _root_from_p12(p12_bytes: bytes) -> x509.Certificate:
    _key, _cert, cas = pkcs12.load_key_and_certificates(p12_bytes, None)
    roots = [c for c in cas if c.subject == c.issuer]
    if not roots:
        raise ValueError(
            "development seal PKCS#12 has no root certificate; delete it to regenerate"
        )
    return roots[0]


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with mode 0600, via a temporary file and a rename."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


@contextlib.contextmanager
def exclusive_lock(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive file lock: several workers starting at once generate keys once."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the flock
