"""Seal PDFs with the organisation's certificate: PAdES (ETSI.CAdES.detached), in memory.

One `Sealer` is built per process and reused: it holds the signer (with the parsed key,
see `signing.signer`) and the signature size it reserves, both computed once. A seal is an
incremental update, so anything signed earlier in the file (a debtor's signature) stays
valid, and the seal itself covers the whole file as it was handed in.

Why ``bytes_reserved`` is always passed: without it pyHanko estimates the signature size by
making a complete dummy signature first (a second RSA operation, and with a timestamper a
second call to the TSA). We know the size in advance, see `reserved_signature_bytes`.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.timestamps import TimeStamper

from signing.errors import InvalidPdfError
from signing.keys import SealIdentity
from signing.signer import KeptKeySigner

DIGEST = "sha256"
DEFAULT_FIELD_NAME = "AmiableSeal"

# Everything in the CMS SignedData that is neither a certificate nor the signature value:
# ContentInfo/SignedData/SignerInfo framing, algorithm identifiers, and the signed attributes
# (content-type, message-digest, signing-certificate-v2). Measured at ~400 bytes for the
# development seal; 2048 leaves room for more signed attributes (commitment type, signer
# attributes) without revisiting this number. Unused space is zero padding in /Contents.
_CMS_OVERHEAD = 2048
# A timestamp token's size varies by a few bytes between calls (serial number, nonce, time
# precision); pyHanko's own estimate allows 50 % on everything, we allow this much on it.
_TIMESTAMP_MARGIN = 1024


def reserved_signature_bytes(identity: SealIdentity, *, timestamp_token_size: int = 0) -> int:
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
        + _signature_size(identity.private_key)
        + 2 * issuer_serial
        + timestamp_token_size
        + _CMS_OVERHEAD
    )
    return 2 * der_size  # hex encoding; an even number, as pyHanko requires


class Sealer:
    """Seals PDFs with one identity; build it once per process, share it between threads.

    A seal is PAdES B-B, or B-T when a ``timestamper`` is given (an RFC 3161 token from a
    TSA in the signature's unsigned attributes). pyHanko's `TimeStamper` caches the dummy
    token it uses for size estimation, which is why one instance should be kept too.
    """

    def __init__(self, identity: SealIdentity, *, timestamper: TimeStamper | None = None) -> None:
        self._identity = identity
        self._signer = KeptKeySigner(identity)
        self._timestamper = timestamper
        self._bytes_reserved: int | None = (
            reserved_signature_bytes(identity) if timestamper is None else None
        )

    @property
    def identity(self) -> SealIdentity:
        """The seal's key material and certificate description."""
        return self._identity

    @property
    def level(self) -> str:
        """PAdES baseline level of the seals this sealer makes."""
        return "B-B" if self._timestamper is None else "B-T"

    def description(self) -> dict[str, Any]:
        """What the API reports about its seal: ``{"level": ..., "certificate": {...}}``."""
        return {"level": self.level, "certificate": self._identity.info.as_dict()}

    def bytes_reserved(self) -> int:
        """The /Contents placeholder size used for every seal (hex digits).

        With a timestamper the first call asks the TSA for one token to learn its size.
        """
        if self._bytes_reserved is None:
            assert self._timestamper is not None
            token = asyncio.run(self._timestamper.async_dummy_response(DIGEST))
            self._bytes_reserved = reserved_signature_bytes(
                self._identity, timestamp_token_size=len(token.dump()) + _TIMESTAMP_MARGIN
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
        """Return ``pdf`` with a PAdES seal appended in a new, invisible signature field.

        Raises `InvalidPdfError` when ``pdf`` cannot be read or is encrypted. The field must
        not exist already as a filled signature (pyHanko raises `SigningError`).
        """
        try:
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        except (PdfError, ValueError, IndexError, KeyError, TypeError) as exc:
            raise InvalidPdfError(f"not a readable PDF: {exc}") from exc
        if writer.prev.encrypted:
            raise InvalidPdfError("the PDF is encrypted; seal it before encrypting it")
        metadata = signers.PdfSignatureMetadata(
            field_name=field_name,
            md_algorithm=DIGEST,
            subfilter=SigSeedSubFilter.PADES,
            reason=reason,
            location=location,
        )
        pdf_signer = signers.PdfSigner(metadata, self._signer, timestamper=self._timestamper)
        # The sync wrapper runs one asyncio loop per call: measured at ~0.25 ms of a ~10 ms
        # seal, not worth a per-thread loop of our own.
        output = pdf_signer.sign_pdf(
            writer, bytes_reserved=self.bytes_reserved(), output=io.BytesIO()
        )
        return output.getvalue()


def _signature_size(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> int:
    """Upper bound of the signature value's DER size."""
    if isinstance(key, rsa.RSAPrivateKey):
        return (key.key_size + 7) // 8
    # ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }: each may gain a sign byte
    return 2 * ((key.curve.key_size + 7) // 8 + 3) + 4
