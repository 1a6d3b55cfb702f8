"""Sealing and validating PDFs with pyHanko (PAdES), and the seal's key material.

Build one `Sealer` per process from a `SealIdentity` (the organisation's PKCS#12, or the
development seal from `ensure_development_seal`), and check files with `validate_pdf`.
"""

from signing.devcert import development_root_path, ensure_development_seal
from signing.errors import InvalidPdfError, NoSignatureError, SealConfigError
from signing.keys import CertificateInfo, SealIdentity, load_certificates
from signing.seal import DEFAULT_FIELD_NAME, Sealer, reserved_signature_bytes
from signing.validation import SignatureReport, validate_pdf

__all__ = [
    "DEFAULT_FIELD_NAME",
    "CertificateInfo",
    "InvalidPdfError",
    "NoSignatureError",
    "SealConfigError",
    "SealIdentity",
    "Sealer",
    "SignatureReport",
    "development_root_path",
    "ensure_development_seal",
    "load_certificates",
    "reserved_signature_bytes",
    "validate_pdf",
]
