"""Errors the signing package raises, so callers never have to catch pyHanko's own types."""

from __future__ import annotations

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.x509 import InvalidVersion
from pyhanko.pdf_utils.misc import PdfError

PDF_READ_ERRORS: tuple[type[Exception], ...] = (
    PdfError,
    ValueError,
    IndexError,
    KeyError,
    TypeError,
    AttributeError,
    ArithmeticError,
    AssertionError,
    InvalidVersion,
    UnsupportedAlgorithm,
)
"""What pyHanko and asn1crypto raise on malformed input (found by changing each signed byte
of a sealed file in turn): SignatureValidationError is a ValueError; a damaged cross-reference
table gives a PDF null where a dictionary was expected, and an AttributeError on it; a damaged
number ("/Type" become ".Type") raises decimal.InvalidOperation, an ArithmeticError; and
pyHanko asserts, rather than checks, that the trailer's /Root is a dictionary; cryptography
refuses a damaged certificate version with InvalidVersion, a damaged key algorithm with
UnsupportedAlgorithm."""


class SealConfigError(Exception):
    """The seal's key material cannot be used; the message says what an operator should fix."""


class InvalidPdfError(ValueError):
    """The bytes are not a PDF that can be sealed or verified (garbage, truncated, encrypted)."""


class NoSignatureError(ValueError):
    """A readable PDF that carries no signature or document timestamp at all."""


class SealUnavailableError(Exception):
    """A service the seal depends on (the TSA, an OCSP responder, a CRL) did not answer.

    Nothing was sealed: the document must not go out with a weaker seal than the one
    configured. Transient; worth retrying later (HTTP 503 at the API).
    """


class ArchiveRenewalError(Exception):
    """The document's archive timestamp chain cannot be extended; the message says why."""


class PdfTooComplexError(InvalidPdfError):
    """A PDF past the caps a verification examines (revisions, signatures, objects, depth,
    time or memory): refused rather than examined at unbounded cost."""
