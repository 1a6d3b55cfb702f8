"""Sealing and validating PDFs with pyHanko (PAdES), and the seal's key material.

Build one `Sealer` per process with `build_sealer(settings)` (the organisation's PKCS#12 or
an HSM key, a TSA for B-T and up, see `signing.seal`), check files with `validate_pdf`, and
keep B-LTA documents verifiable with `signing.archive`.
"""

from signing.archive import (
    add_archive_timestamp,
    archive_validation_context,
    timestamp_chain_expires,
    timestamp_chain_expires_before,
)
from signing.devcert import development_root_path, ensure_development_seal
from signing.errors import (
    ArchiveRenewalError,
    InvalidPdfError,
    NoSignatureError,
    SealConfigError,
    SealUnavailableError,
)
from signing.factory import build_sealer, load_trust_roots
from signing.keys import CertificateInfo, SealIdentity, load_certificates
from signing.pkcs11 import Pkcs11Seal
from signing.seal import (
    DEFAULT_FIELD_NAME,
    PadesLevel,
    Sealer,
    SealKey,
    reserved_signature_bytes,
    seal_level,
)
from signing.timestamps import make_timestamper
from signing.validation import (
    MODIFICATIONS_IN_WORDS,
    SignatureReport,
    signed_revision_hashes,
    validate_pdf,
)

__all__ = [
    "DEFAULT_FIELD_NAME",
    "MODIFICATIONS_IN_WORDS",
    "ArchiveRenewalError",
    "CertificateInfo",
    "InvalidPdfError",
    "NoSignatureError",
    "PadesLevel",
    "Pkcs11Seal",
    "SealConfigError",
    "SealIdentity",
    "SealKey",
    "SealUnavailableError",
    "Sealer",
    "SignatureReport",
    "add_archive_timestamp",
    "archive_validation_context",
    "build_sealer",
    "development_root_path",
    "ensure_development_seal",
    "load_certificates",
    "load_trust_roots",
    "make_timestamper",
    "reserved_signature_bytes",
    "seal_level",
    "signed_revision_hashes",
    "timestamp_chain_expires",
    "timestamp_chain_expires_before",
    "validate_pdf",
]
