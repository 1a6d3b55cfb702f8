"""The roots a verification trusts: Amiable's own seals and signer CA, and configured ones."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from signing import development_root_path, load_certificates
from signing.signer_ca import signer_ca_path


def trust_roots(keys_dir: Path, chain: tuple[x509.Certificate, ...],
                extra: Path | None = None) -> list[x509.Certificate]:
    """Self-signed certificates of the seal's chain, the development root, the signer CA
    that certifies debtors' one-time keys, and configured roots."""
    roots = [c for c in chain if c.issuer == c.subject]
    for own_root in (development_root_path(keys_dir), signer_ca_path(keys_dir)):
        if own_root.is_file():
            roots.extend(load_certificates(own_root))
    if extra is not None:
        roots.extend(load_certificates(extra))
    unique = {c.fingerprint(hashes.SHA256()): c for c in roots}
    return list(unique.values())
