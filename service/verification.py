"""Answer "did Amiable issue exactly this file?" with one verdict, derived strictly (issue 10).

Each signature is checked by `signing.inspect_pdf` (in a bounded worker process) against the
roots Amiable trusts; then the verdict, in this order:

- ``authentic``: the bytes are a file we issued or stored; or a signature's signed revision
  is such a file, every signature is intact, valid and trusted, and everything after that
  revision is document timestamps and validation data only (pyHanko's ``LTA_UPDATES``, with
  the stricter metadata rules of `signing.strict_diff`): a B-LTA file and its renewals.
- ``invalid``: a signature is broken (altered bytes, bad value, unreadable) or untrusted.
- ``modified``: every signature holds, a revision is one we issued, but the file was changed
  after it beyond validation data (an overlay, an annotation, a new field, new metadata…).
- ``unknown``: readable, signed or not, and no revision of it is a file we issued.

"A revision we issued": a sealed document (its file, or the revision its seal signed) or a
signed échéancier (the file both parties received, or the revision its final seal signed).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from cryptography import x509
from sqlalchemy import or_, select

from service.db import Database, Document, iso_utc
from service.signature_requests.models import SignatureRequest
from service.trust import trust_roots
from signing import InvalidPdfError, NoSignatureError, SignatureReport
from signing.bounded import BoundedValidator
from signing.validation import MODIFICATIONS_IN_WORDS, PdfInspection

Verdict = Literal["authentic", "modified", "invalid", "unknown"]
VALIDATION_DATA_ONLY = frozenset({"none", "lta_updates"})

VERDICT_REASONS = {
    "authentic": "the file is one Amiable issued, with at most validation data added since",
    "modified": "the file was changed after the revision Amiable issued",
    "invalid": "a signature is broken or not trusted",
    "unknown": "no revision of this file is one Amiable issued",
}


@dataclass(frozen=True)
class Issued:
    """What a matched revision is: a document, and the signature request when signed."""

    document: Document
    request: SignatureRequest | None = None


@dataclass(frozen=True)
class Verification:
    verdict: Verdict
    signatures: list[SignatureReport]
    revisions: int
    issued: Issued | None = None  # the document of the matched revision
    matched_revision: int | None = None  # 1-based; the last revision we issued
    change: str | None = None  # for "modified": pyHanko's level of the change after it
    problem: str | None = None  # for "invalid"/"unknown": why, in English

    @property
    def authentic(self) -> bool:
        return self.verdict == "authentic"

    @property
    def document(self) -> Document | None:
        return self.issued.document if self.issued else None

    @property
    def change_in_words(self) -> str | None:
        if self.change is None:
            return None
        return MODIFICATIONS_IN_WORDS.get(self.change, MODIFICATIONS_IN_WORDS["other"])

    def as_dict(self, *, show_document: bool = True) -> dict[str, Any]:
        issued = self.issued if show_document else None
        document = None if issued is None else {
            "id": issued.document.id, "kind": issued.document.kind,
            "sha256": issued.document.pdf_sha256,
            "links": {"self": f"/v1/documents/{issued.document.id}"}}
        request = None
        if issued is not None and issued.request is not None:
            row = issued.request
            request = {"id": row.id, "signer": {"name": row.signer_name},
                       "signed_at": iso_utc(row.closed_at) if row.closed_at else None,
                       "links": {"self": f"/v1/signature-requests/{row.id}"}}
        modification = None
        if self.verdict == "modified":
            modification = {"after_revision": self.matched_revision, "level": self.change,
                            "description": self.change_in_words}
        return {
            "verdict": self.verdict,
            "reason": self.problem or VERDICT_REASONS[self.verdict],
            "revisions": self.revisions,
            "matched_revision": self.matched_revision,
            "modification": modification,
            "document": document,
            "signature_request": request,
            "signatures": [s.as_dict() for s in self.signatures],
            # kept for earlier callers; `verdict` is the answer
            "intact": bool(self.signatures) and all(s.intact and s.valid
                                                    for s in self.signatures),
            "trusted": bool(self.signatures) and all(s.trusted for s in self.signatures),
            "issued_by_amiable": self.authentic,
            "problem": self.problem,
        }


def verify(pdf: bytes, roots: list[x509.Certificate], db: Database,
           validator: BoundedValidator) -> Verification:
    """Check `pdf`. Raises `InvalidPdfError` (`PdfTooComplexError` past the caps) when it is
    not a readable PDF."""
    whole = hashlib.sha256(pdf).hexdigest()
    try:
        inspection = validator.inspect(pdf, roots)
    except NoSignatureError:
        issued = _issued(db, {whole}).get(whole)
        if issued is not None:  # never happens for our files, which are all sealed
            return Verification("authentic", [], 1, issued)
        return Verification("unknown", [], 0, problem="the file carries no signature")
    hashes_seen = {whole} | {r.signed_revision_sha256 for r in inspection.signatures
                             if r.signed_revision_sha256}
    return decide(inspection, whole, _issued(db, hashes_seen))


def decide(inspection: PdfInspection, whole_sha256: str,
           issued: dict[str, Issued]) -> Verification:
    """The verdict for a file whose hash is `whole_sha256`; `issued` maps the hashes of files
    we issued (among those in the file) to what they are."""
    signatures, revisions = inspection.signatures, inspection.revisions
    if whole_sha256 in issued:
        return Verification("authentic", signatures, revisions, issued[whole_sha256],
                            matched_revision=revisions)
    broken = [s for s in signatures if s.problem or not (s.intact and s.valid)]
    if broken:
        return Verification("invalid", signatures, revisions, _matched(signatures, issued),
                            problem=f"signature {broken[0].field_name!r} is broken: "
                                    f"{broken[0].problem or _why_broken(broken[0])}")
    untrusted = [s for s in signatures if not s.trusted]
    if untrusted:
        return Verification("invalid", signatures, revisions, _matched(signatures, issued),
                            problem=f"signature {untrusted[0].field_name!r} is not made "
                                    "with a certificate Amiable trusts")
    position = _matched_position(signatures, issued)
    if position is None:
        return Verification("unknown", signatures, revisions)
    matched = signatures[position]
    match = issued[matched.signed_revision_sha256 or ""]
    later = signatures[position + 1:]
    only_validation_data = matched.modification_level in VALIDATION_DATA_ONLY and all(
        s.kind == "document_timestamp" and s.modification_level in VALIDATION_DATA_ONLY
        for s in later)
    if only_validation_data:
        return Verification("authentic", signatures, revisions, match,
                            matched_revision=matched.revision)
    change = matched.modification_level or "other"
    if change in VALIDATION_DATA_ONLY:  # a later signature that is not a timestamp
        change = "form_filling"
    return Verification("modified", signatures, revisions, match,
                        matched_revision=matched.revision, change=change)


def _why_broken(report: SignatureReport) -> str:
    if not report.intact:
        return "the signed bytes were changed"
    return "the signature value does not verify"


def _matched_position(signatures: list[SignatureReport], issued: dict[str, Issued]
                      ) -> int | None:
    found = [i for i, s in enumerate(signatures) if s.signed_revision_sha256 in issued]
    return found[-1] if found else None


def _matched(signatures: list[SignatureReport], issued: dict[str, Issued]) -> Issued | None:
    position = _matched_position(signatures, issued)
    return None if position is None else issued[signatures[position].signed_revision_sha256 or ""]


def _issued(db: Database, candidates: set[str]) -> dict[str, Issued]:
    """Hash → what we issued, for those of `candidates` that are files or revisions of ours."""
    found: dict[str, Issued] = {}
    with db.session() as session:
        for document in session.scalars(select(Document).where(or_(
                Document.pdf_sha256.in_(candidates),
                Document.seal_revision_sha256.in_(candidates)))):
            for sha in (document.pdf_sha256, document.seal_revision_sha256):
                if sha in candidates:
                    found.setdefault(sha, Issued(document))
        requests = list(session.scalars(select(SignatureRequest).where(or_(
            SignatureRequest.signed_pdf_sha256.in_(candidates),
            SignatureRequest.signed_revision_sha256.in_(candidates)))))
        for row in requests:
            document = session.get(Document, row.document_id)
            if document is None:
                continue
            for sha in (row.signed_pdf_sha256, row.signed_revision_sha256):
                if sha in candidates:
                    found[sha] = Issued(document, row)
    return found


__all__ = ["InvalidPdfError", "Issued", "Verification", "decide", "trust_roots", "verify"]
