"""Seal PDFs with the organisation's certificate: PAdES (ETSI.CAdES.detached), in memory.

One `Sealer` is built per process and reused: it holds the signer (with the parsed key,
see `signing.signer`, or a PKCS#11 key, see `signing.pkcs11`), the time-stamping client and
the signature size it reserves, all set up once. A seal is an incremental update, so anything
signed earlier in the file (a debtor's signature) stays valid, and the seal itself covers the
whole file as it was handed in.

The level (see `seal_level`):

- B-B: no TSA configured; the signing time is only the server's word.
- B-T: an RFC 3161 token from the TSA proves the seal existed at that time.
- B-LT: also the certificates and OCSP responses/CRLs of the seal and of the TSA, in the
  document security store (DSS), so the seal can be checked once those services are gone.
- B-LTA: also a document timestamp over all that, which `signing.archive` renews before
  the TSA certificate expires: the seal keeps holding up long after its own certificate.

Why ``bytes_reserved`` is always passed: without it pyHanko estimates the signature size by
making a complete dummy signature first (a second RSA operation, and with a timestamper a
second call to the TSA). We know the size in advance, see `reserved_signature_bytes`. With
LT/LTA the validation data goes to the DSS, outside the CMS, so the size is as for B-T.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterable
from typing import Any, Literal, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter, enumerate_sig_fields
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

from signing.errors import (
    PDF_READ_ERRORS,
    InvalidPdfError,
    SealConfigError,
    SealUnavailableError,
)
from signing.keys import CertificateInfo
from signing.pdfa import align_info_with_xmp
from signing.signer import to_asn1
from signing.tokens import TimestampToken, signature_timestamp

DIGEST = "sha256"
DEFAULT_FIELD_NAME = "AmiableSeal"

PadesLevel = Literal["B-B", "B-T", "B-LT", "B-LTA"]
LONG_TERM_LEVELS: frozenset[str] = frozenset({"B-LT", "B-LTA"})

# Everything in the CMS SignedData that is neither a certificate nor the signature value:
# ContentInfo/SignedData/SignerInfo framing, algorithm identifiers, and the signed attributes
# (content-type, message-digest, signing-certificate-v2). Measured at ~400 bytes for the
# development seal; 2048 leaves room for more signed attributes (commitment type, signer
# attributes) without revisiting this number. Unused space is zero padding in /Contents.
_CMS_OVERHEAD = 2048
# A timestamp token's size varies by a few bytes between calls (serial number, nonce, time
# precision); pyHanko's own estimate allows 50 % on everything, we allow this much on it.
_TIMESTAMP_MARGIN = 1024
# Key usages a PAdES seal may be made with. pyHanko's signer demands *all* the usages it is
# given (default: nonRepudiation alone, pyHanko issue #10), so we ask for those of these
# the certificate actually has.
# (pyHanko's names → cryptography's KeyUsage attributes)
_SIGNING_KEY_USAGES = {
    "digital_signature": "digital_signature",
    "non_repudiation": "content_commitment",
}


class SealKey(Protocol):
    """What a `Sealer` needs from a seal: `signing.SealIdentity` or `signing.Pkcs11Seal`."""

    @property
    def certificate(self) -> x509.Certificate: ...

    @property
    def chain(self) -> tuple[x509.Certificate, ...]: ...

    @property
    def info(self) -> CertificateInfo: ...

    def signer(self) -> signers.Signer: ...


def reserved_signature_bytes(identity: SealKey, *, timestamp_token_size: int = 0) -> int:
    """Size of the /Contents placeholder, in hex digits (twice the DER size allowed).

    The CMS object holds every certificate of the identity (pyHanko embeds the whole chain,
    root included), the signature value, the issuer name and serial number twice (SignerInfo
    ``sid`` and the signing-certificate-v2 attribute), an optional timestamp token, and the
    fixed overhead above. Each term is an upper bound, so the sum is one too; pyHanko raises
    a `SigningError` rather than write a truncated signature if it ever were exceeded.
    """
    certificates = (identity.certificate, *identity.chain)
    certificate_bytes = sum(len(c.public_bytes(serialization.Encoding.DER)) for c in certificates)
    issuer_serial = len(identity.certificate.issuer.public_bytes()) + 32  # serial ≤ 20 bytes
    der_size = (
        certificate_bytes
        + _signature_size(identity.certificate.public_key())
        + 2 * issuer_serial
        + timestamp_token_size
        + _CMS_OVERHEAD
    )
    return 2 * der_size  # hex encoding; an even number, as pyHanko requires


class Sealer:
    """Seals PDFs with one seal key; build it once per process, share it between threads.

    ``timestamper`` (see `signing.timestamps.make_timestamper`) raises the level to B-T, and
    to B-LT/B-LTA when the seal certificate says where its revocation status is published
    (see `seal_level`; ``lta`` chooses between the two). ``trust_roots`` are the anchors the
    seal's and the TSA's chains are validated against before LT data is embedded; the
    self-signed certificates of the seal's own chain are always among them.
    """

    def __init__(
        self,
        identity: SealKey,
        *,
        timestamper: TimeStamper | None = None,
        trust_roots: Iterable[x509.Certificate] = (),
        lta: bool = True,
    ) -> None:
        self._identity = identity
        self._signer = identity.signer()
        self._timestamper = timestamper
        self._level: PadesLevel = seal_level(
            identity.certificate, timestamped=timestamper is not None, lta=lta
        )
        roots = [*trust_roots, *(c for c in identity.chain if c.issuer == c.subject)]
        unique = {c.fingerprint(hashes.SHA256()): c for c in roots}
        self._trust_roots = [to_asn1(c) for c in unique.values()]
        self._other_certs = [to_asn1(c) for c in identity.chain]
        if self._level in LONG_TERM_LEVELS and not self._trust_roots:
            raise SealConfigError(
                "long-term seals (B-LT/B-LTA) validate the seal's chain before embedding it, "
                "but no root is known: put the root in the PKCS#12 or set AMIABLE_TRUST_ROOTS"
            )
        self._key_usage = _signer_key_usage(identity.certificate)
        self._bytes_reserved: int | None = (
            reserved_signature_bytes(identity) if timestamper is None else None
        )
        self._timestamp_allowance: int | None = 0 if timestamper is None else None

    @property
    def identity(self) -> SealKey:
        """The seal's certificate, chain and signer."""
        return self._identity

    @property
    def level(self) -> PadesLevel:
        """PAdES baseline level of the seals this sealer makes."""
        return self._level

    def description(self, sealed_pdf: bytes | None = None) -> dict[str, Any]:
        """What the API reports about a seal: ``{"level", "certificate", "timestamp"}``.

        ``timestamp`` is None for B-B. Given the ``sealed_pdf`` this sealer returned, it is
        ``{"time", "authority"}`` read from the seal's token; without it, both are None.
        """
        timestamp: dict[str, Any] | None = None
        if self._timestamper is not None:
            token = _last_signature_timestamp(sealed_pdf) if sealed_pdf is not None else None
            timestamp = token.as_dict() if token else {"time": None, "authority": None}
        return {
            "level": self.level,
            "certificate": self._identity.info.as_dict(),
            "timestamp": timestamp,
        }

    @property
    def timestamper(self) -> TimeStamper | None:
        """The TSA client seals are timestamped with (None: B-B)."""
        return self._timestamper

    def timestamp_allowance(self) -> int:
        """Bytes to reserve in a signature for one of this TSA's tokens (0 without a TSA)."""
        if self._timestamp_allowance is None:
            self.bytes_reserved()
        assert self._timestamp_allowance is not None
        return self._timestamp_allowance

    def bytes_reserved(self) -> int:
        """The /Contents placeholder size used for every seal (hex digits).

        With a timestamper the first call asks the TSA for one token to learn its size.
        """
        if self._bytes_reserved is None:
            assert self._timestamper is not None
            try:
                token = asyncio.run(self._timestamper.async_dummy_response(DIGEST))
            except TimestampRequestError as exc:
                raise SealUnavailableError(f"the time-stamping authority failed: {exc}") from exc
            self._timestamp_allowance = len(token.dump()) + _TIMESTAMP_MARGIN
            self._bytes_reserved = reserved_signature_bytes(
                self._identity, timestamp_token_size=self._timestamp_allowance
            )
        return self._bytes_reserved

    def seal(
        self,
        pdf: bytes,
        *,
        field_name: str = DEFAULT_FIELD_NAME,
        reason: str | None = None,
        location: str | None = None,
    ) -> bytes:
        """Return ``pdf`` with a PAdES seal appended in a new, invisible signature field
        (or in the empty signature field ``field_name`` if the file has one).

        The first signature of a file is a certification signature (DocMDP, ISO 32000-1
        §12.8.2.2) that allows form filling and further signatures only (P=2): a debtor can
        sign after it, and Acrobat, pdfsig and mutool flag any other change made later
        (a replaced page, an annotation, an overlay), which an approval signature alone
        would leave to each reader's diff analysis.

        Raises `InvalidPdfError` when ``pdf`` cannot be read or is encrypted, and
        `SealUnavailableError` when the TSA or a revocation service fails (nothing is
        sealed then). The field must not exist already as a filled signature (pyHanko
        raises `SigningError`).
        """
        try:
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        except PDF_READ_ERRORS as exc:
            raise InvalidPdfError(f"not a readable PDF: {exc}") from exc
        if writer.prev.encrypted:
            raise InvalidPdfError("the PDF is encrypted; seal it before encrypting it")
        align_info_with_xmp(writer)
        long_term = self._level in LONG_TERM_LEVELS
        certify = not _has_signature(writer.prev)
        metadata = signers.PdfSignatureMetadata(
            certify=certify,
            docmdp_permissions=MDPPerm.FILL_FORMS,
            field_name=field_name,
            md_algorithm=DIGEST,
            subfilter=SigSeedSubFilter.PADES,
            reason=reason,
            location=location,
            embed_validation_info=long_term,
            use_pades_lta=self._level == "B-LTA",
            # a fresh context per seal: it caches OCSP responses, which must not go stale
            validation_context=self._validation_context() if long_term else None,
            signer_key_usage=self._key_usage,
        )
        pdf_signer = signers.PdfSigner(metadata, self._signer, timestamper=self._timestamper)
        bytes_reserved = self.bytes_reserved()
        try:
            # The sync wrapper runs one asyncio loop per call: measured at ~0.25 ms of a
            # ~10 ms seal, not worth a per-thread loop of our own.
            output = pdf_signer.sign_pdf(writer, bytes_reserved=bytes_reserved, output=io.BytesIO())
        except TimestampRequestError as exc:
            raise SealUnavailableError(f"the time-stamping authority failed: {exc}") from exc
        except SigningError as exc:
            if not long_term or exc.__cause__ is None:
                raise
            raise SealUnavailableError(
                f"{exc}: {exc.__cause__} (revocation data unreachable, or a certificate of "
                "the seal's or the TSA's chain is revoked or not trusted)"
            ) from exc
        return output.getvalue()

    def _validation_context(self) -> ValidationContext:
        return ValidationContext(
            trust_roots=self._trust_roots,
            other_certs=self._other_certs,
            allow_fetching=True,
            # a certificate that names an OCSP responder or CRL must be checked there:
            # a seal claiming B-LT without that data would be a lie
            revocation_mode="hard-fail",
            fetcher_backend=RequestsFetcherBackend(),
        )


def seal_level(certificate: x509.Certificate, *, timestamped: bool, lta: bool) -> PadesLevel:
    """The level a seal with ``certificate`` gets.

    LT/LTA need a TSA (the DSS is only worth something under a timestamp, pyHanko issue #52)
    and a certificate that says where its revocation status is published (an OCSP URL in
    its AIA, or a CRL distribution point): without those there is nothing to embed, and a
    self-made certificate such as the development seal stays B-T.
    """
    if not timestamped:
        return "B-B"
    if not publishes_revocation_status(certificate):
        return "B-T"
    return "B-LTA" if lta else "B-LT"


def publishes_revocation_status(certificate: x509.Certificate) -> bool:
    """True when the certificate names an OCSP responder or a CRL distribution point."""
    extensions = certificate.extensions
    try:
        aia = extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_INFORMATION_ACCESS).value
    except x509.ExtensionNotFound:
        aia = []
    if any(d.access_method == AuthorityInformationAccessOID.OCSP for d in aia):
        return True
    try:
        extensions.get_extension_for_oid(ExtensionOID.CRL_DISTRIBUTION_POINTS)
    except x509.ExtensionNotFound:
        return False
    return True


def _signer_key_usage(certificate: x509.Certificate) -> set[str]:
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return set()  # no keyUsage extension: every use is allowed
    present = {name for name, attr in _SIGNING_KEY_USAGES.items() if getattr(usage, attr)}
    if not present:
        raise SealConfigError(
            "the seal certificate allows neither digitalSignature nor nonRepudiation "
            "(keyUsage): it cannot sign"
        )
    return present


def _has_signature(reader: PdfFileReader) -> bool:
    try:
        return any(True for _ in enumerate_sig_fields(reader, filled_status=True))
    except PDF_READ_ERRORS as exc:
        raise InvalidPdfError(f"not a readable PDF: {exc}") from exc


def _last_signature_timestamp(pdf: bytes) -> TimestampToken | None:
    try:
        signatures = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_regular_signatures
        return signature_timestamp(signatures[-1]) if signatures else None
    except PDF_READ_ERRORS:
        return None


def _signature_size(key: Any) -> int:
    """Upper bound of the signature value's DER size, for the certificate's public key."""
    if isinstance(key, rsa.RSAPublicKey):
        return (key.key_size + 7) // 8
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise SealConfigError(f"unsupported seal key type {type(key).__name__}; use RSA or ECDSA")
    # ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }: each may gain a sign byte
    return 2 * ((key.curve.key_size + 7) // 8 + 3) + 4
