"""The development seal: generated once, readable only by its owner, and plainly not real."""

from __future__ import annotations

import datetime as dt
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from signing import SealIdentity, ensure_development_seal, load_certificates
from signing.devcert import development_root_path


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_creates_a_p12_and_the_root_readable_only_by_the_owner(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    p12_path = ensure_development_seal(keys_dir)

    assert p12_path == keys_dir / "development-seal.p12"
    assert development_root_path(keys_dir) == keys_dir / "development-root.pem"
    assert _mode(keys_dir) == 0o700
    assert _mode(p12_path) == 0o600
    assert _mode(development_root_path(keys_dir)) == 0o600
    assert not [p for p in keys_dir.iterdir() if p.name.startswith(".development-seal.p12.")]


def test_is_idempotent(tmp_path: Path) -> None:
    first = ensure_development_seal(tmp_path)
    before = (first.read_bytes(), development_root_path(tmp_path).read_bytes())

    assert ensure_development_seal(tmp_path) == first
    assert (first.read_bytes(), development_root_path(tmp_path).read_bytes()) == before


def test_restores_a_deleted_root_from_the_p12(tmp_path: Path) -> None:
    ensure_development_seal(tmp_path)
    root_path = development_root_path(tmp_path)
    original = root_path.read_bytes()
    root_path.unlink()

    ensure_development_seal(tmp_path)

    assert root_path.read_bytes() == original


def test_concurrent_first_calls_build_one_consistent_pki(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        paths = set(pool.map(lambda _: ensure_development_seal(tmp_path), range(4)))

    assert paths == {tmp_path / "development-seal.p12"}
    _key, _cert, chain = pkcs12.load_key_and_certificates(paths.pop().read_bytes(), None)
    assert load_certificates(development_root_path(tmp_path)) == chain


def test_the_seal_certificate_says_development(keys_dir: Path) -> None:
    identity = SealIdentity.load(ensure_development_seal(keys_dir), None)
    cert = identity.certificate

    assert cert.subject.rfc4514_string() == (
        "CN=Amiable DEVELOPMENT seal - not for production,O=Amiable (development),C=FR"
    )
    assert "DEVELOPMENT" in identity.info.common_name
    assert "DEVELOPMENT" in (identity.info.issuer_common_name or "")
    assert identity.info.development
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert usage.content_commitment  # nonRepudiation
    assert not usage.key_cert_sign
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert dt.timedelta(days=3650) <= lifetime <= dt.timedelta(days=3660)
    assert isinstance(identity.private_key, rsa.RSAPrivateKey)
    assert identity.private_key.key_size == 3072


def test_the_root_is_a_ca_that_issued_the_seal_and_travels_in_the_p12(keys_dir: Path) -> None:
    identity = SealIdentity.load(ensure_development_seal(keys_dir))
    (root,) = load_certificates(development_root_path(keys_dir))

    assert root.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        "Amiable DEVELOPMENT root CA (not trusted)"
    )
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    identity.certificate.verify_directly_issued_by(root)
    assert identity.chain == (root,)
