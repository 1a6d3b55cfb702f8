"""The debtor's signature on an agreement: evidence attached, certified, signed, sealed.

Order of the revisions in the signed file, and why:

1. the agreement exactly as it was rendered (the first revision of the issued document: the
   same bytes the issuance seal covered, so its SHA-256 ties the two files together);
2. one unsigned update (`prepare_agreement`) holding the evidence (a JSON attachment and a
   human-readable evidence page after the agreement) and two empty signature fields: the
   debtor's, visible on the agreement's last page, and the organisation's final seal;
3. the organisation's certification seal (`signing.Sealer`, DocMDP P=2) over all of it:
   from here on only form filling and signatures are allowed, and readers say so;
4. the debtor's visible signature in its field (`sign_agreement`), timestamped (B-T) when a
   TSA is configured;
5. the debtor's chain and the signer CA's CRL in the DSS (`add_debtor_validation_data`), so
   that the final seal's archive timestamp covers what the debtor's signature needs;
6. the final seal in its field (form filling for pyHanko's diff analysis), with its own
   validation data and archive timestamp at B-LT/B-LTA.

Adding a page or an attachment *after* a signature is a change pyHanko cannot classify
("other"): that is why the evidence comes before every signature. The issuance seal is not
carried over for the same reason.
"""

from __future__ import annotations

import io
from datetime import datetime

from asn1crypto import crl as asn1_crl
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils import content, generic, layout
from pyhanko.pdf_utils.embed import (
    EmbeddedFileObject,
    EmbeddedFileParams,
    FileSpec,
    embed_file,
)
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.stamp import StaticStampStyle

from signing.keys import SealIdentity
from signing.pdfa import align_info_with_xmp, retag_fonts
from signing.seal import reserved_signature_bytes
from signing.signer import KeptKeySigner, to_asn1

FIELD_NAME = "SignatureDebiteur"
CERTIFICATION_FIELD_NAME = "AmiableCertification"
SEAL_FIELD_NAME = "AmiableSeal"
EVIDENCE_FILE_NAME = "dossier-de-preuve.json"
REASON = "Bon pour accord : reconnaissance de dette et échéancier de paiement"

def first_revision(pdf: bytes) -> bytes:
    """The file as its first revision ended: an issued document without its seal."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    if reader.xrefs.total_revisions == 1:
        return pdf
    first_xref = reader.xrefs.get_startxref_for_revision(0)
    end = pdf.index(b"%%EOF", first_xref) + len(b"%%EOF")
    while end < len(pdf) and pdf[end:end + 1] in (b"\r", b"\n"):
        end += 1
    return pdf[:end]


def page_count(pdf: bytes) -> int:
    return int(PdfFileReader(io.BytesIO(pdf), strict=False).root["/Pages"]["/Count"])


def prepare_agreement(agreement: bytes, *, box: tuple[int, int, int, int],
                      evidence_json: bytes, evidence_page: bytes, attached_at: datetime
                      ) -> bytes:
    """``agreement`` with the evidence appended and the two empty signature fields (the
    debtor's in ``box``, x1 y1 x2 y2 in points, on the agreement's last page), unsigned."""
    writer = IncrementalPdfFileWriter(io.BytesIO(agreement))
    align_info_with_xmp(writer)
    last_page = int(writer.root["/Pages"]["/Count"]) - 1
    _attach_json(writer, evidence_json, attached_at)
    _append_page(writer, evidence_page)
    fields.append_signature_field(writer, fields.SigFieldSpec(FIELD_NAME, on_page=last_page,
                                                              box=box))
    fields.append_signature_field(writer, fields.SigFieldSpec(SEAL_FIELD_NAME))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def sign_agreement(certified: bytes, identity: SealIdentity, *, signer_name: str,
                   signature_block: bytes, timestamper: TimeStamper | None = None,
                   timestamp_allowance: int = 0) -> bytes:
    """Sign the debtor's field of a `prepare_agreement` file, once certified, with the
    one-time ``identity``. ``signature_block`` is a one-page PDF (the visible "Bon pour
    accord" block) drawn in the field as the signature's appearance. With ``timestamper``
    the signature carries an RFC 3161 token (B-T); ``timestamp_allowance`` is the room to
    reserve for it (`Sealer.timestamp_allowance`)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(certified))
    align_info_with_xmp(writer)
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES,
        reason=REASON, name=signer_name,
    )
    # drawn at its own size, edge to edge (pyHanko's default adds margins and centres it)
    style = StaticStampStyle(
        background=_PdfPage(signature_block), border_width=0, background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN, y_align=layout.AxisAlignment.ALIGN_MIN,
            margins=layout.Margins.uniform(0)))
    pdf_signer = signers.PdfSigner(metadata, KeptKeySigner(identity), stamp_style=style,
                                   timestamper=timestamper)
    # The one-time identity has its own key and chain: size the signature for this one.
    reserved = reserved_signature_bytes(identity, timestamp_token_size=timestamp_allowance)
    return pdf_signer.sign_pdf(writer, bytes_reserved=reserved, output=io.BytesIO()).getvalue()


def add_debtor_validation_data(signed: bytes, identity_chain: list[x509.Certificate],
                               crls: list[x509.CertificateRevocationList]) -> bytes:
    """Put the debtor's certificate chain and the signer CA's CRLs into the DSS (PAdES
    B-LT for the debtor's signature), as an incremental update."""
    reader = PdfFileReader(io.BytesIO(signed), strict=False)
    debtor = next(s for s in reader.embedded_signatures if s.field_name == FIELD_NAME)
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    align_info_with_xmp(writer)
    DocumentSecurityStore.supply_dss_in_writer(
        writer, debtor.pkcs7_content,
        certs=[to_asn1(c) for c in identity_chain],
        crls=[asn1_crl.CertificateList.load(c.public_bytes(Encoding.DER)) for c in crls])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class _PdfPage(content.PdfContent):
    """The first page of a PDF held in memory, as stamp content (pyHanko wants a file)."""

    def __init__(self, pdf: bytes) -> None:
        self._pdf = pdf
        super().__init__()

    def render(self) -> bytes:
        xobject = self._ensure_writer.import_page_as_xobject(
            PdfFileReader(io.BytesIO(self._pdf), strict=False), page_ix=0)
        retag_fonts(xobject)
        self.resources.xobject["/Bloc"] = xobject
        x1, y1, x2, y2 = xobject.get_object()["/BBox"]
        self.box = BoxConstraints(width=abs(x2 - x1), height=abs(y2 - y1))
        return b"/Bloc Do"


def _page_size(pdf: bytes) -> tuple[float, float]:
    page = PdfFileReader(io.BytesIO(pdf), strict=False).root["/Pages"]["/Kids"][0].get_object()
    x1, y1, x2, y2 = (float(v) for v in page["/MediaBox"])
    return abs(x2 - x1), abs(y2 - y1)


def _attach_json(writer: IncrementalPdfFileWriter, data: bytes, attached_at: datetime) -> None:
    """Embed the evidence as an associated file of the document (PDF/A-3 style)."""
    stream = EmbeddedFileObject.from_file_data(
        writer, data, mime_type="application/json",
        params=EmbeddedFileParams(modification_date=attached_at))
    embed_file(writer, FileSpec(
        file_spec_string=EVIDENCE_FILE_NAME, file_name=EVIDENCE_FILE_NAME,
        embedded_data=stream, description="Dossier de preuve de la signature électronique",
    ))
    # The association is written by hand: pyHanko's af_relationship would also raise the
    # file's version to PDF 2.0, which a PDF/A-3 (PDF 1.7 based) must not claim.
    # ISO 19005-3 §6.8: /AF and the name tree must point to the *same* file specification,
    # so take the reference itself (indexing an array dereferences it: /AF would hold a copy).
    names = writer.root["/Names"]["/EmbeddedFiles"]["/Names"]
    spec_ref = names.raw_get(len(names) - 1)
    if not isinstance(spec_ref, generic.IndirectObject):
        spec_ref = writer.add_object(spec_ref)
        names[len(names) - 1] = spec_ref
        writer.update_container(names)
    spec = spec_ref.get_object()
    spec["/AFRelationship"] = pdf_name("/Supplement")
    writer.update_container(spec)
    associated = writer.root.raw_get("/AF") if "/AF" in writer.root else None
    array = associated.get_object() if associated is not None else generic.ArrayObject()
    existing = [array.raw_get(i) for i in range(len(array))]
    writer.root["/AF"] = generic.ArrayObject([*existing, spec_ref])
    writer.update_root()


def _append_page(writer: IncrementalPdfFileWriter, page_pdf: bytes) -> None:
    """Append the first page of ``page_pdf`` as a new last page, drawn as a form XObject."""
    source = PdfFileReader(io.BytesIO(page_pdf), strict=False)
    xobject = writer.import_page_as_xobject(source, 0)
    retag_fonts(xobject)
    width, height = _page_size(page_pdf)
    page = generic.DictionaryObject({
        pdf_name("/Type"): pdf_name("/Page"),
        pdf_name("/MediaBox"): generic.ArrayObject(
            [generic.NumberObject(0), generic.NumberObject(0),
             generic.FloatObject(width), generic.FloatObject(height)]),
        pdf_name("/Resources"): generic.DictionaryObject({
            pdf_name("/XObject"): generic.DictionaryObject({pdf_name("/Preuve"): xobject}),
        }),
        pdf_name("/Contents"): writer.add_object(
            generic.StreamObject(stream_data=b"q /Preuve Do Q")),
    })
    writer.insert_page(page)
