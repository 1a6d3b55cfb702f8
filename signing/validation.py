"""Check every signature and document timestamp in a PDF, as pyHanko sees it.

The report keeps pyHanko's distinctions rather than one verdict, because they answer
different questions at ``POST /v1/verify``:

- ``intact``: the signed bytes hash to the digest the signature covers (nobody edited them);
- ``valid``: the cryptographic signature over that digest checks out with the certificate;
- ``trusted``: the certificate chains to one of ``trust_roots`` (for us: the seal's root);
- ``coverage`` / ``modification_level``: whether anything was appended after signing, and
  if so whether pyHanko judges it harmless (form filling, a later signature, LTV data);
- ``byte_range_sha256`` / ``signed_revision_sha256``: to recognise a document we issued.

Trust is only what the caller passes: the operating system's list is never consulted, and
nothing is fetched from the network (no OCSP/CRL yet: revocation is checked in soft-fail
mode, which passes when no revocation data is available).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import Any, Literal, TypeVar

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import DocumentTimestampStatus, PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext

from signing.errors import InvalidPdfError, NoSignatureError
from signing.keys import CertificateInfo
from signing.signer import to_asn1

SignatureKind = Literal["signature", "document_timestamp"]
T = TypeVar("T")

# pyHanko's default demands nonRepudiation. eIDAS seal certificates in the wild carry
# nonRepudiation, digitalSignature or both, and either is a proper PAdES signing key.
_SIGNER_KEY_USAGE = KeyUsageConstraints(
    key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
)


_READ_ERRORS = (PdfError, ValueError, IndexError, KeyError, TypeError)
"""What pyHanko and asn1crypto raise on malformed input (SignatureValidationError is a
ValueError). A signature that cannot be checked is reported as failed, not raised: one bad
signature must not hide the others, and a verify endpoint must not answer 500 to a bad file."""


@dataclass(frozen=True, slots=True)
class SignatureReport:
    """One embedded signature or document timestamp, in signing order."""

    field_name: str
    kind: SignatureKind
    subfilter: str | None  # "ETSI.CAdES.detached", "adbe.pkcs7.detached", "ETSI.RFC3161"
    signer: CertificateInfo | None  # the signer's (the TSA's for a timestamp); None: unreadable
    signing_time: dt.datetime | None  # as the signer claims it (/M or signingTime)
    timestamp_time: dt.datetime | None  # from an RFC 3161 token, when there is one
    timestamp_trusted: bool | None  # None when there is no token
    intact: bool
    valid: bool
    trusted: bool
    ok: bool  # pyHanko's bottom line: intact, valid, trusted, and no unacceptable change after
    coverage: str  # "entire_file", "entire_revision", "contiguous_block_from_start", "unclear"
    modification_level: str | None  # "none", "lta_updates", "form_filling", "annotations", "other"
    digest_algorithm: str | None
    byte_range_sha256: str | None  # SHA-256 over the bytes the signature covers (all but /Contents)
    signed_revision_sha256: str | None  # SHA-256 of the file as it was just after this signature
    problem: str | None = None  # why the signature could not be checked at all

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form: datetimes as ISO 8601 strings, the signer as a dict."""
        out: dict[str, Any] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, dt.datetime):
                value = value.isoformat()
            elif isinstance(value, CertificateInfo):
                value = value.as_dict()
            out[field.name] = value
        return out


@dataclass(frozen=True, slots=True)
class _Verdict:
    """The part of a report that comes from pyHanko's validation."""

    intact: bool = False
    valid: bool = False
    trusted: bool = False
    ok: bool = False
    coverage: str = "unclear"
    modification_level: str | None = None
    signing_time: dt.datetime | None = None
    timestamp_time: dt.datetime | None = None
    timestamp_trusted: bool | None = None
    problem: str | None = None


def validate_pdf(
    pdf: bytes,
    trust_roots: Iterable[x509.Certificate],
    *,
    validation_time: dt.datetime | None = None,
) -> list[SignatureReport]:
    """Validate every signature of ``pdf``; ``trust_roots`` are the only anchors of trust.

    ``validation_time`` is the moment certificates must be valid at (default: now).
    Raises `InvalidPdfError` for bytes that are not a readable PDF (or whose signature
    containers cannot be parsed at all) and `NoSignatureError` for a PDF with no signature.
    """
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        if reader.encrypted:
            raise InvalidPdfError("the PDF is encrypted; signatures cannot be checked")
        embedded = reader.embedded_signatures
    except InvalidPdfError:
        raise
    except _READ_ERRORS as exc:
        raise InvalidPdfError(f"not a readable PDF: {exc}") from exc
    if not embedded:
        raise NoSignatureError("the PDF carries no signature")
    context = ValidationContext(
        trust_roots=[to_asn1(root) for root in trust_roots],
        allow_fetching=False,
        moment=validation_time,
    )
    return [_report(sig, pdf, context) for sig in embedded]


def _report(sig: EmbeddedPdfSignature, pdf: bytes, context: ValidationContext) -> SignatureReport:
    is_timestamp = sig.sig_object_type == "/DocTimeStamp"
    try:
        verdict = _timestamp_verdict(sig, context) if is_timestamp else _verdict(sig, context)
    except _READ_ERRORS as exc:
        verdict = _Verdict(problem=f"the signature could not be checked: {exc}")
    subfilter = sig.sig_object.get("/SubFilter")
    return SignatureReport(
        field_name=sig.field_name,
        kind="document_timestamp" if is_timestamp else "signature",
        subfilter=str(subfilter)[1:] if subfilter is not None else None,  # drop the "/"
        signer=_or_none(lambda: CertificateInfo.of(_to_cryptography(sig.signer_cert))),
        signing_time=verdict.signing_time,
        timestamp_time=verdict.timestamp_time,
        timestamp_trusted=verdict.timestamp_trusted,
        intact=verdict.intact,
        valid=verdict.valid,
        trusted=verdict.trusted,
        ok=verdict.ok,
        coverage=verdict.coverage,
        modification_level=verdict.modification_level,
        digest_algorithm=sig.md_algorithm,
        byte_range_sha256=_or_none(lambda: sig.compute_digest("sha256").hex()),
        signed_revision_sha256=_or_none(lambda: _signed_revision_sha256(sig, pdf)),
        problem=verdict.problem,
    )


def _verdict(sig: EmbeddedPdfSignature, context: ValidationContext) -> _Verdict:
    status = validate_pdf_signature(sig, context, key_usage_settings=_SIGNER_KEY_USAGE)
    token = status.timestamp_validity
    return _Verdict(
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        ok=status.bottom_line,
        coverage=_coverage(status),
        modification_level=_modification_level(status),
        signing_time=status.signer_reported_dt,
        timestamp_time=token.timestamp if token is not None else None,
        timestamp_trusted=token.trusted if token is not None else None,
    )


def _timestamp_verdict(sig: EmbeddedPdfSignature, context: ValidationContext) -> _Verdict:
    status = validate_pdf_timestamp(sig, context)
    # DocumentTimestampStatus has no bottom_line, and validate_pdf_timestamp drops docmdp_ok:
    # apply PdfSignatureStatus's rule to the integrity summary ourselves.
    docmdp_ok = sig.summarise_integrity_info()["docmdp_ok"]
    ok = status.intact and status.valid and status.trusted
    return _Verdict(
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        ok=ok and bool(docmdp_ok or status.modification_level is None),
        coverage=_coverage(status),
        modification_level=_modification_level(status),
        signing_time=status.timestamp,
        timestamp_time=status.timestamp,
        timestamp_trusted=status.trusted,
    )


def _coverage(status: PdfSignatureStatus | DocumentTimestampStatus) -> str:
    return status.coverage.name.lower() if status.coverage is not None else "unclear"


def _modification_level(status: PdfSignatureStatus | DocumentTimestampStatus) -> str | None:
    level = status.modification_level
    return level.name.lower() if level is not None else None


def _signed_revision_sha256(sig: EmbeddedPdfSignature, pdf: bytes) -> str:
    _, _, start, length = (int(x) for x in sig.byte_range)
    return hashlib.sha256(pdf[: start + length]).hexdigest()


def _or_none(compute: Callable[[], T]) -> T | None:
    """The value, or None when a damaged signature makes it unreadable."""
    try:
        return compute()
    except _READ_ERRORS:
        return None


def _to_cryptography(cert: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())
