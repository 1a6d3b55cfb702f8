"""Keep PAdES B-LTA documents verifiable: renew their archive timestamp before it expires.

A B-LTA document ends with a document timestamp whose proof lasts as long as the TSA
certificate that made it (and the algorithms it uses). Before that certificate expires, a
new document timestamp is added over the whole file, together with the revocation data that
proves the previous one was valid at that moment (ETSI EN 319 142-1 §5.4). Repeated, the
chain keeps the original seal verifiable for as long as it is renewed, even after the seal's
own certificate and the first TSA are long gone.

`timestamp_chain_expires` tells when a document needs this, so a batch job can pick the
documents whose chain expires before a date and run `add_archive_timestamp` on each.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import PdfTimeStamper
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.validation import validate_pdf_timestamp
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

from signing.errors import (
    PDF_READ_ERRORS,
    ArchiveRenewalError,
    InvalidPdfError,
    SealUnavailableError,
)
from signing.signer import to_asn1
from signing.tokens import document_timestamp

_READ_ERRORS = PDF_READ_ERRORS


def archive_validation_context(trust_roots: Iterable[x509.Certificate]) -> ValidationContext:
    """A context that checks the last timestamp and fetches its revocation data.

    Build one per document: it caches what it fetched, which is then embedded in that
    document's DSS.
    """
    unique = {c.fingerprint(hashes.SHA256()): c for c in trust_roots}
    return ValidationContext(
        trust_roots=[to_asn1(c) for c in unique.values()],
        allow_fetching=True,
        revocation_mode="hard-fail",
        fetcher_backend=RequestsFetcherBackend(),
    )


def add_archive_timestamp(
    pdf: bytes, timestamper: TimeStamper, validation_context: ValidationContext
) -> bytes:
    """Return ``pdf`` with the last timestamp's validation data and a new document timestamp.

    ``pdf`` must already be B-LTA (end with a document timestamp) and that timestamp must
    still validate against ``validation_context``: once it has expired it is too late, the
    chain is broken. Raises `InvalidPdfError` (unreadable), `ArchiveRenewalError` (not
    B-LTA, or the last timestamp does not validate) or `SealUnavailableError` (the TSA or a
    revocation service failed; try again later).
    """
    reader, timestamps = _read(pdf)
    if not timestamps:
        raise ArchiveRenewalError(
            "the PDF has no document timestamp (it is not PAdES B-LTA): there is no chain to "
            "extend"
        )
    try:
        status = validate_pdf_timestamp(timestamps[-1], validation_context)
    except _READ_ERRORS as exc:
        raise ArchiveRenewalError(f"the last document timestamp cannot be checked: {exc}") from exc
    if not (status.intact and status.valid and status.trusted):
        raise ArchiveRenewalError(
            "the last document timestamp does not validate now "
            f"(intact={status.intact}, valid={status.valid}, trusted={status.trusted}): "
            "renewal is only possible while it does"
        )
    stamper = PdfTimeStamper(timestamper)
    try:
        output = stamper.update_archival_timestamp_chain(
            reader, validation_context, in_place=False, output=io.BytesIO()
        )
    except TimestampRequestError as exc:
        raise SealUnavailableError(f"the time-stamping authority failed: {exc}") from exc
    except SigningError as exc:
        raise SealUnavailableError(f"the new timestamp could not be validated: {exc}") from exc
    return output.getvalue()


def timestamp_chain_expires(pdf: bytes) -> dt.datetime | None:
    """When the proof of the document's last timestamp expires: its TSA certificate's end.

    None when the PDF has no document timestamp (B-B/B-T/B-LT: nothing to renew) or its
    token carries no certificate. Raises `InvalidPdfError` for an unreadable PDF.
    """
    _, timestamps = _read(pdf)
    if not timestamps:
        return None
    try:
        token = document_timestamp(timestamps[-1])
    except _READ_ERRORS as exc:
        raise InvalidPdfError(f"unreadable document timestamp: {exc}") from exc
    return token.authority.not_valid_after_utc if token.authority is not None else None


def timestamp_chain_expires_before(pdf: bytes, moment: dt.datetime) -> bool:
    """True when the document's timestamp chain expires before ``moment``: renew it now.

    A document without a chain (not B-LTA) is never due.
    """
    expires = timestamp_chain_expires(pdf)
    return expires is not None and expires < moment


def _read(pdf: bytes) -> tuple[PdfFileReader, list[EmbeddedPdfSignature]]:
    """The reader and the document timestamps, oldest first."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        if reader.encrypted:
            raise InvalidPdfError("the PDF is encrypted")
        return reader, list(reader.embedded_timestamp_signatures)
    except InvalidPdfError:
        raise
    except _READ_ERRORS as exc:
        raise InvalidPdfError(f"not a readable PDF: {exc}") from exc
