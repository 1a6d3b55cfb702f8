"""Answer "is this PDF intact, who sealed it, and did Amiable issue it?".

Each signature is checked by `signing.validate_pdf` against the roots Amiable trusts (the
seal's own chain, past and present); a document is ours when the hash of a signed revision
equals the hash of a PDF we stored. The result is plain data for the API and the pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from sqlalchemy import or_, select

from service.db import Database, Document
from signing import (
    InvalidPdfError,
    NoSignatureError,
    SignatureReport,
    development_root_path,
    load_certificates,
    validate_pdf,
)
from signing.signer_ca import signer_ca_path


@dataclass(frozen=True)
class Verification:
    signatures: list[SignatureReport]
    document: Document | None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return bool(self.signatures) and all(s.intact and s.valid for s in self.signatures)

    @property
    def trusted(self) -> bool:
        return bool(self.signatures) and all(s.trusted for s in self.signatures)

    def as_dict(self) -> dict[str, Any]:
        document = None if self.document is None else {
            "id": self.document.id, "kind": self.document.kind,
            "sha256": self.document.pdf_sha256,
            "links": {"self": f"/v1/documents/{self.document.id}"}}
        return {
            "intact": self.intact,
            "trusted": self.trusted,
            "issued_by_amiable": self.document is not None,
            "document": document,
            "signatures": [s.as_dict() for s in self.signatures],
            "problem": self.problem,
        }


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


def verify(pdf: bytes, roots: list[x509.Certificate], db: Database) -> Verification:
    """Check `pdf`. Raises `InvalidPdfError` when it is not a readable PDF."""
    try:
        reports = validate_pdf(pdf, roots)
    except NoSignatureError:
        return Verification([], None, problem="le fichier ne porte aucune signature")
    hashes = {r.signed_revision_sha256 for r in reports if r.signed_revision_sha256}
    with db.session() as session:
        document = session.scalar(select(Document).where(or_(
            Document.pdf_sha256.in_(hashes), Document.seal_revision_sha256.in_(hashes))
        ).limit(1)) if hashes else None
    return Verification(reports, document)


__all__ = ["InvalidPdfError", "Verification", "trust_roots", "verify"]
