"""Read RFC 3161 timestamp tokens as they sit in a PDF, without validating anything.

A token is a CMS SignedData whose content is a TSTInfo (RFC 3161 §2.4.2). What the service
reports about one is when it was made (``genTime``) and by whom (the TSA certificate the
token names as its signer). A signature carries its token as an unsigned attribute
(PAdES B-T); a document timestamp (/DocTimeStamp) is a token itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from asn1crypto import cms
from cryptography import x509
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from signing.keys import CertificateInfo


@dataclass(frozen=True, slots=True)
class TimestampToken:
    """When a token says it was made, and the TSA certificate that signed it."""

    time: dt.datetime
    authority: x509.Certificate | None  # None when the token does not embed its certificate

    def as_dict(self) -> dict[str, object]:
        authority = CertificateInfo.of(self.authority) if self.authority is not None else None
        return {
            "time": self.time.isoformat(),
            "authority": authority.as_dict() if authority is not None else None,
        }


def read_token(signed_data: cms.SignedData) -> TimestampToken:
    """The time and TSA certificate of one token (raises one of `PDF_READ_ERRORS` if malformed)."""
    tst_info = signed_data["encap_content_info"]["content"].parsed
    return TimestampToken(time=tst_info["gen_time"].native, authority=_token_signer(signed_data))


def signature_timestamp(sig: EmbeddedPdfSignature) -> TimestampToken | None:
    """The RFC 3161 token in a signature's unsigned attributes (B-T and up), if any."""
    for signed_data in extract_tst_data_iter(sig.signer_info, signed=False):
        return read_token(signed_data)
    return None


def document_timestamp(sig: EmbeddedPdfSignature) -> TimestampToken:
    """The token a /DocTimeStamp is made of."""
    return read_token(sig.signed_data)


def _token_signer(signed_data: cms.SignedData) -> x509.Certificate | None:
    sid = signed_data["signer_infos"][0]["sid"]
    for choice in signed_data["certificates"] or ():
        cert = choice.chosen
        if not isinstance(cert, cms.Certificate):
            continue  # attribute certificates and other kinds
        if sid.name == "issuer_and_serial_number":
            if cert.issuer_serial == _issuer_serial(sid.chosen):
                return x509.load_der_x509_certificate(cert.dump())
        elif cert.key_identifier == sid.chosen.native:
            return x509.load_der_x509_certificate(cert.dump())
    return None


def _issuer_serial(value: cms.IssuerAndSerialNumber) -> bytes:
    # asn1crypto's Certificate.issuer_serial format: <SHA-256 of the issuer name>:<serial>
    return value["issuer"].sha256 + b":" + str(value["serial_number"].native).encode()
