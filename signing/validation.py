"""Check every signature and document timestamp in a PDF, as pyHanko sees it.

The report keeps pyHanko's distinctions rather than one verdict, because they answer
different questions at ``POST /v1/verify``:

- ``intact``: the signed bytes hash to the digest the signature covers (nobody edited them);
- ``valid``: the cryptographic signature over that digest checks out with the certificate;
- ``trusted``: the certificate chains to one of ``trust_roots`` (for us: the seal's root);
- ``coverage`` / ``modification_level``: whether anything was appended after signing, and
  if so whether pyHanko judges it harmless (form filling, a later signature, LTV data);
- ``byte_range_sha256`` / ``signed_revision_sha256``: to recognise a document we issued;
- ``level``: the PAdES baseline level the file shows (B-B, B-T, B-LT, B-LTA);
- ``ades_indication``: for B-LTA, the verdict of pyHanko's ETSI EN 319 102-1 long-term
  validation, which, unlike the checks above, holds after the certificates have expired:
  it validates the seal at the time the timestamps prove, with the data in the file.

Trust is only what the caller passes: the operating system's list is never consulted. By
default nothing is fetched from the network (a file to verify may come from anyone, and so
may the URLs in it): revocation is checked in soft-fail mode, from what the file embeds.
``allow_fetching=True`` is for the service's own documents (archive renewal).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from typing import Any, Literal, TypeVar

from asn1crypto import parser as asn1_parser
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import ades, validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import DocumentTimestampStatus, PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy
from pyhanko_certvalidator.registry import SimpleTrustManager

from signing.errors import PDF_READ_ERRORS, InvalidPdfError, NoSignatureError, PdfTooComplexError
from signing.keys import CertificateInfo
from signing.signer import to_asn1
from signing.strict_diff import STRICT_DIFF_POLICY
from signing.tokens import TimestampToken, signature_timestamp

logger = logging.getLogger(__name__)
SignatureKind = Literal["signature", "document_timestamp"]
T = TypeVar("T")
PADES_SUBFILTER = "ETSI.CAdES.detached"

MODIFICATIONS_IN_WORDS = {
    "none": "aucune modification après la signature",
    "lta_updates": "seules des données de validation ou d'horodatage ont été ajoutées",
    "form_filling": "seuls des champs de formulaire ou des signatures ont été ajoutés",
    "annotations": "des annotations ont été ajoutées après la signature",
    "other": "le document a été modifié après la signature",
}
"""What pyHanko's modification levels mean, for the people who read a verification (French)."""

# pyHanko's default demands nonRepudiation. eIDAS seal certificates in the wild carry
# nonRepudiation, digitalSignature or both, and either is a proper PAdES signing key.
_SIGNER_KEY_USAGE = KeyUsageConstraints(
    key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
)


class _DemoteExpectedFailures(logging.Filter):
    """An untrusted or broken signature is an answer to the caller, not a server fault.

    pyHanko logs each failed path building or validation as a WARNING with a full
    traceback; those would flood the service's logs with every document someone checks.
    They are kept, as one INFO line without the traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING and record.exc_info:
            record.msg = f"{record.getMessage()}: {record.exc_info[1]}"
            record.args = None
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


# logging.Filter applies to the logger it is attached to, not to its children: name each
for _name in (
    "pyhanko.sign.validation.generic_cms",
    "pyhanko.sign.validation.ades",
    "pyhanko.sign.validation.pdf_embedded",
):
    logging.getLogger(_name).addFilter(_DemoteExpectedFailures())


_READ_ERRORS = PDF_READ_ERRORS

# Caps on what one verification examines (issue 10.4). Our files have 1 to 5 revisions, 1 to 4
# signatures and a few hundred objects; a file past these is refused, not examined, because
# pyHanko's diff analysis costs about signatures × revisions × changed objects.
MAX_REVISIONS = 32
MAX_SIGNATURES = 8
MAX_OBJECTS = 50_000
"""A signature that cannot be checked is reported as failed, not raised: one bad signature
must not hide the others, and a verify endpoint must not answer 500 to a bad file."""


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
    level: str | None = None  # "B-B" … "B-LTA" for a PAdES signature; None otherwise
    timestamp_authority: CertificateInfo | None = None  # the TSA that made the token
    ades_indication: str | None = None  # long-term validation (B-LTA): "passed", …
    ades_subindication: str | None = None  # why not passed, e.g. "NO_POE" (ETSI names)
    revision: int | None = None  # 1-based revision of the file this signature ends
    signed_revision_end: int | None = None  # byte offset where that revision ends

    @property
    def modification(self) -> str | None:
        """The modification level in words (French), None when it could not be told."""
        if self.modification_level is None:
            return None
        return MODIFICATIONS_IN_WORDS.get(self.modification_level, MODIFICATIONS_IN_WORDS["other"])

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
        out["modification"] = self.modification
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


@dataclass(frozen=True, slots=True)
class PdfInspection:
    """Every signature of a file, and how many revisions (incremental updates + 1) it has."""

    revisions: int
    signatures: list[SignatureReport]


def validate_pdf(
    pdf: bytes,
    trust_roots: Iterable[x509.Certificate],
    *,
    validation_time: dt.datetime | None = None,
    allow_fetching: bool = False,
) -> list[SignatureReport]:
    """Validate every signature of ``pdf``; ``trust_roots`` are the only anchors of trust.

    ``validation_time`` is the moment certificates must be valid at (default: now).
    ``allow_fetching`` lets the checks fetch current OCSP responses and CRLs; off, they use
    what the file embeds, and a B-LTA document whose newest revocation data is older than
    its issuer's update schedule is "indeterminate" until renewed or checked online.
    Raises `InvalidPdfError` for bytes that are not a readable PDF (`PdfTooComplexError`
    past the caps above) and `NoSignatureError` for a PDF with no signature.
    """
    return inspect_pdf(pdf, trust_roots, validation_time=validation_time,
                       allow_fetching=allow_fetching).signatures


def inspect_pdf(
    pdf: bytes,
    trust_roots: Iterable[x509.Certificate],
    *,
    validation_time: dt.datetime | None = None,
    allow_fetching: bool = False,
) -> PdfInspection:
    """`validate_pdf`, with the file's revision count. Same errors."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        if reader.encrypted:
            raise InvalidPdfError("the PDF is encrypted; signatures cannot be checked")
        revisions = reader.xrefs.total_revisions
        _check_caps(reader)
        candidates = _signature_fields(reader)
    except InvalidPdfError:
        raise
    except RecursionError:
        raise PdfTooComplexError("the PDF's objects are nested too deeply to be checked") from None
    except _READ_ERRORS as exc:
        raise InvalidPdfError(f"not a readable PDF: {exc}") from exc
    if not candidates:
        raise NoSignatureError("the PDF carries no signature")
    roots = [to_asn1(root) for root in trust_roots]
    context = ValidationContext(
        trust_roots=roots,
        allow_fetching=allow_fetching,
        moment=validation_time,
        fetcher_backend=RequestsFetcherBackend() if allow_fetching else None,
    )
    long_term = _LongTermCheck(roots, validation_time, allow_fetching)
    embedded = sorted((c for c in candidates if isinstance(c, EmbeddedPdfSignature)),
                      key=lambda sig: sig.signed_revision)
    broken = [c for c in candidates if not isinstance(c, EmbeddedPdfSignature)]
    try:
        reports = [_report(sig, pdf, context, embedded, long_term) for sig in embedded]
    except RecursionError:
        raise PdfTooComplexError("the PDF's objects are nested too deeply to be checked") from None
    return PdfInspection(revisions, [*reports, *(_broken_report(*b) for b in broken)])


def _check_caps(reader: PdfFileReader) -> None:
    revisions = reader.xrefs.total_revisions
    if revisions > MAX_REVISIONS:
        raise PdfTooComplexError(
            f"the PDF has {revisions} revisions; at most {MAX_REVISIONS} are checked")
    objects = int(reader.trailer["/Size"]) if "/Size" in reader.trailer else 0
    if objects > MAX_OBJECTS:
        raise PdfTooComplexError(
            f"the PDF declares {objects} objects; at most {MAX_OBJECTS} are checked")


def _signature_fields(reader: PdfFileReader) -> list[EmbeddedPdfSignature | tuple[str, str]]:
    """Each filled signature field, parsed, or (name, why not) when it cannot be.

    pyHanko's own `embedded_signatures` raises on the first unreadable one, so a forged
    field with an absurd /ByteRange would hide the genuine seal behind a 422 (issue 10.3).
    The same signature dictionary reached from several fields counts once.
    """
    found: list[EmbeddedPdfSignature | tuple[str, str]] = []
    seen: set[Any] = set()
    for count, (name, sig_obj, field) in enumerate(
            enumerate_sig_fields(reader, filled_status=True), start=1):
        if count > MAX_SIGNATURES * 4:
            raise PdfTooComplexError(f"the PDF has more than {MAX_SIGNATURES * 4} signature fields")
        key = getattr(sig_obj, "reference", None) or id(sig_obj)
        if key in seen:
            continue
        seen.add(key)
        if len(seen) > MAX_SIGNATURES:
            raise PdfTooComplexError(
                f"the PDF has more than {MAX_SIGNATURES} signatures; that many are not checked")
        try:
            sig = EmbeddedPdfSignature(reader, field, name)
            _check_byte_range(sig, reader)
            found.append(sig)
        except _READ_ERRORS as exc:
            found.append((name, f"the signature cannot be read: {exc}"))
    return found


def _check_byte_range(sig: EmbeddedPdfSignature, reader: PdfFileReader) -> None:
    """Four non-negative integers, the first 0, the two ranges in order and in the file."""
    values = [int(x) for x in sig.byte_range]
    if len(values) != 4:
        raise ValueError(f"/ByteRange has {len(values)} numbers instead of 4")
    start, first, second, length = values
    size = len(reader.stream.getbuffer()) if hasattr(reader.stream, "getbuffer") else None
    if start != 0 or min(values) < 0 or second < first or (
            size is not None and second + length > size):
        raise ValueError(f"/ByteRange {values} does not describe this file")


def _broken_report(name: str, problem: str) -> SignatureReport:
    return SignatureReport(
        field_name=name, kind="signature", subfilter=None, signer=None, signing_time=None,
        timestamp_time=None, timestamp_trusted=None, intact=False, valid=False, trusted=False,
        ok=False, coverage="unclear", modification_level=None, digest_algorithm=None,
        byte_range_sha256=None, signed_revision_sha256=None, problem=problem)


def signed_revision_hashes(pdf: bytes) -> dict[str, str]:
    """Field name → SHA-256 of the file as it was just after that signature, without checks.

    What to record when issuing a document, to recognise it later: a B-LTA file gets
    revisions after its seal (pyHanko appends the TSA's validation data after the archive
    timestamp; renewals add more), so the hash of the whole file stops matching, while the
    seal's signed revision stays the same. Raises `InvalidPdfError` for an unreadable PDF.
    """
    try:
        signatures = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
        return {sig.field_name: _signed_revision_sha256(sig, pdf) for sig in signatures}
    except _READ_ERRORS as exc:
        raise InvalidPdfError(f"not a readable PDF: {exc}") from exc


def _report(
    sig: EmbeddedPdfSignature,
    pdf: bytes,
    context: ValidationContext,
    embedded: list[EmbeddedPdfSignature],
    long_term: _LongTermCheck,
) -> SignatureReport:
    is_timestamp = sig.sig_object_type == "/DocTimeStamp"
    try:
        verdict = _timestamp_verdict(sig, context) if is_timestamp else _verdict(sig, context)
    except _READ_ERRORS as exc:
        verdict = _Verdict(problem=f"the signature could not be checked: {exc}")
    if verdict.problem is None and (hidden := _hidden_in_padding(sig)):
        verdict = replace(verdict, ok=False, problem=hidden)
    subfilter_name = sig.sig_object.get("/SubFilter")
    subfilter = str(subfilter_name)[1:] if subfilter_name is not None else None  # drop "/"
    token = None if is_timestamp else _or_none(lambda: signature_timestamp(sig))
    level = None
    if not is_timestamp and subfilter == PADES_SUBFILTER:
        level = _or_none(lambda: pades_level(sig, token, embedded))
    indication, subindication = (None, None)
    if level == "B-LTA" and verdict.problem is None:
        indication, subindication = long_term.run(sig)
    if is_timestamp:
        authority = _or_none(lambda: _authority(sig))
    else:
        authority = _or_none(lambda: _token_authority(token))
    return SignatureReport(
        field_name=sig.field_name,
        kind="document_timestamp" if is_timestamp else "signature",
        subfilter=subfilter,
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
        level=level,
        timestamp_authority=authority,
        ades_indication=indication,
        ades_subindication=subindication,
        revision=sig.signed_revision + 1,
        signed_revision_end=_or_none(lambda: _revision_end(sig)),
    )


def pades_level(
    sig: EmbeddedPdfSignature,
    token: TimestampToken | None,
    embedded: list[EmbeddedPdfSignature],
) -> str:
    """The PAdES baseline level of a PAdES signature, as far as the file tells.

    B-T: a signature timestamp token. B-LT: also validation data for it in the DSS (a VRI
    entry for this signature, or, as PAdES no longer requires VRI, revocation data in a DSS
    without VRI). B-LTA: also a document timestamp made after it.
    """
    if token is None:
        return "B-B"
    if not _has_validation_data(sig):
        return "B-T"
    position = next(i for i, other in enumerate(embedded) if other is sig)
    later = embedded[position + 1 :]
    if any(other.sig_object_type == "/DocTimeStamp" for other in later):
        return "B-LTA"
    return "B-LT"


def _has_validation_data(sig: EmbeddedPdfSignature) -> bool:
    root = sig.reader.root
    if "/DSS" not in root:
        return False
    dss = root["/DSS"]  # indexing resolves indirect references, .get() does not
    if "/VRI" in dss:
        # ETSI EN 319 142-1 §5.4.2.2: keyed by the SHA-1 of the signature's container
        return DocumentSecurityStore.sig_content_identifier(sig.pkcs7_content) in dss["/VRI"]
    return "/OCSPs" in dss or "/CRLs" in dss


class _LongTermCheck:
    """pyHanko's AdES long-term validation (ETSI EN 319 102-1 §5.6.3) with our trust."""

    def __init__(
        self,
        roots: list[asn1_x509.Certificate],
        validation_time: dt.datetime | None,
        allow_fetching: bool,
    ) -> None:
        self._roots = roots
        self._time = validation_time
        rule = (
            RevinfoOnlineFetchingRule.NO_HISTORICAL_FETCH
            if allow_fetching
            else RevinfoOnlineFetchingRule.LOCAL_ONLY
        )
        # the requests backend holds no session to close, unlike the default (aiohttp) one
        self._fetching = RevocationInfoGatheringSpec(
            online_fetching_rule=rule, fetcher_backend=RequestsFetcherBackend()
        )

    def run(self, sig: EmbeddedPdfSignature) -> tuple[str | None, str | None]:
        policy = CertValidationPolicySpec(
            trust_manager=SimpleTrustManager.build(trust_roots=self._roots),
            revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO),
        )
        spec = PdfSignatureValidationSpec(
            SignatureValidationSpec(
                cert_validation_policy=policy,
                revinfo_gathering_policy=self._fetching,
                key_usage_settings=_SIGNER_KEY_USAGE,
            )
        )
        timing = None
        if self._time is not None:
            timing = ValidationTimingInfo(self._time, self._time, point_in_time_validation=False)
        try:
            result = asyncio.run(ades.ades_lta_validation(sig, spec, timing_info=timing))
        except Exception:  # a damaged file is an answer, not an error
            # the classic checks of the same report already say what is wrong with it
            logger.info("long-term validation of %s could not run", sig.field_name, exc_info=True)
            return "indeterminate", "GENERIC"
        subindication = result.ades_subindic
        indication = subindication.status.name.lower()
        return indication, None if indication == "passed" else subindication.name


def _verdict(sig: EmbeddedPdfSignature, context: ValidationContext) -> _Verdict:
    status = validate_pdf_signature(sig, context, key_usage_settings=_SIGNER_KEY_USAGE,
                                    diff_policy=STRICT_DIFF_POLICY)
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
    status = validate_pdf_timestamp(sig, context, diff_policy=STRICT_DIFF_POLICY)
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


def _hidden_in_padding(sig: EmbeddedPdfSignature) -> str | None:
    """Why the space reserved for the signature holds more than the signature, if it does.

    /Contents is excluded from the bytes a signature covers; pyHanko parses the CMS object
    at its start and ignores the rest. Whatever follows must be the zero padding the signer
    wrote: anything else is data smuggled where no signature protects it.
    """
    content = bytes(sig.pkcs7_content)
    try:
        _, _, _, header, body, trailer = asn1_parser.parse(content)
    except _READ_ERRORS:
        return "the signature's reserved space (/Contents) holds no readable signature"
    rest = content[len(header) + len(body) + len(trailer):]
    if rest.strip(b"\x00"):
        return "bytes other than padding follow the signature in its reserved space (/Contents)"
    return None


def _coverage(status: PdfSignatureStatus | DocumentTimestampStatus) -> str:
    return status.coverage.name.lower() if status.coverage is not None else "unclear"


def _modification_level(status: PdfSignatureStatus | DocumentTimestampStatus) -> str | None:
    level = status.modification_level
    return level.name.lower() if level is not None else None


def _revision_end(sig: EmbeddedPdfSignature) -> int:
    _, _, start, length = (int(x) for x in sig.byte_range)
    return start + length


def _signed_revision_sha256(sig: EmbeddedPdfSignature, pdf: bytes) -> str:
    return hashlib.sha256(pdf[: _revision_end(sig)]).hexdigest()


def _token_authority(token: TimestampToken | None) -> CertificateInfo | None:
    if token is None or token.authority is None:
        return None
    return CertificateInfo.of(token.authority)


def _authority(sig: EmbeddedPdfSignature) -> CertificateInfo | None:
    cert = sig.signer_cert
    return CertificateInfo.of(_to_cryptography(cert)) if cert is not None else None


def _or_none(compute: Callable[[], T]) -> T | None:
    """The value, or None when a damaged signature makes it unreadable."""
    try:
        return compute()
    except _READ_ERRORS:
        return None


def _to_cryptography(cert: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())
