"""The debtor's signature on an agreement: evidence attached, then a visible PAdES signature.

Order of the revisions in the signed file, and why:

1. the agreement exactly as it was rendered (the first revision of the issued document: the
   same bytes the issuance seal covered, so its SHA-256 ties the two files together);
2. one incremental update holding the evidence (a JSON attachment and a human-readable
   evidence page appended after the agreement) and the debtor's visible signature over all
   of it. Adding a page or an attachment *after* a signature is a change pyHanko's diff
   analysis cannot classify ("other"), which marks that signature as not OK; adding them in
   the signature's own revision keeps them covered by it;
3. the organisation's seal (`signing.Sealer`), a new signature field: pyHanko classifies that
   change as "form filling", so the debtor's signature stays valid, and the seal covers the
   whole file.

The issuance seal is not carried over: a page added after it would likewise invalidate it.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

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
from pyhanko.stamp import StaticStampStyle

from signing.keys import SealIdentity
from signing.seal import reserved_signature_bytes
from signing.signer import KeptKeySigner

FIELD_NAME = "SignatureDebiteur"
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


def sign_agreement(agreement: bytes, identity: SealIdentity, *, signer_name: str,
                   signature_block: bytes, box: tuple[int, int, int, int],
                   evidence_json: bytes, evidence_page: bytes) -> bytes:
    """Append the evidence to ``agreement`` and sign it all with the one-time ``identity``.

    ``signature_block`` is a one-page PDF (the visible "Bon pour accord" block) drawn in
    ``box`` (x1, y1, x2, y2 in points) on the agreement's last page as the signature's
    appearance.
    """
    writer = IncrementalPdfFileWriter(io.BytesIO(agreement))
    last_page = int(writer.root["/Pages"]["/Count"]) - 1
    _attach_json(writer, evidence_json)
    _append_page(writer, evidence_page)
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
    pdf_signer = signers.PdfSigner(
        metadata, KeptKeySigner(identity), stamp_style=style,
        new_field_spec=fields.SigFieldSpec(FIELD_NAME, on_page=last_page, box=box),
    )
    # The one-time identity has its own key and chain: size the signature for this one.
    reserved = reserved_signature_bytes(identity)
    return pdf_signer.sign_pdf(writer, bytes_reserved=reserved, output=io.BytesIO()).getvalue()


class _PdfPage(content.PdfContent):
    """The first page of a PDF held in memory, as stamp content (pyHanko wants a file)."""

    def __init__(self, pdf: bytes) -> None:
        self._pdf = pdf
        super().__init__()

    def render(self) -> bytes:
        xobject = self._ensure_writer.import_page_as_xobject(
            PdfFileReader(io.BytesIO(self._pdf), strict=False), page_ix=0)
        self.resources.xobject["/Bloc"] = xobject
        x1, y1, x2, y2 = xobject.get_object()["/BBox"]
        self.box = BoxConstraints(width=abs(x2 - x1), height=abs(y2 - y1))
        return b"/Bloc Do"


def _page_size(pdf: bytes) -> tuple[float, float]:
    page = PdfFileReader(io.BytesIO(pdf), strict=False).root["/Pages"]["/Kids"][0].get_object()
    x1, y1, x2, y2 = (float(v) for v in page["/MediaBox"])
    return abs(x2 - x1), abs(y2 - y1)


def _attach_json(writer: IncrementalPdfFileWriter, data: bytes) -> None:
    """Embed the evidence as an associated file of the document (PDF/A-3 style)."""
    stream = EmbeddedFileObject.from_file_data(
        writer, data, mime_type="application/json",
        params=EmbeddedFileParams(modification_date=datetime.now(UTC)))
    embed_file(writer, FileSpec(
        file_spec_string=EVIDENCE_FILE_NAME, file_name=EVIDENCE_FILE_NAME,
        embedded_data=stream, description="Dossier de preuve de la signature électronique",
    ))
    # The association is written by hand: pyHanko's af_relationship would also raise the
    # file's version to PDF 2.0, which a PDF/A-3 (PDF 1.7 based) must not claim.
    spec_ref = writer.root["/Names"]["/EmbeddedFiles"]["/Names"][-1]
    spec = spec_ref.get_object()
    spec["/AFRelationship"] = pdf_name("/Supplement")
    writer.update_container(spec)
    associated = writer.root.get("/AF")
    writer.root["/AF"] = generic.ArrayObject([*(associated or []), spec_ref])
    writer.update_root()


def _append_page(writer: IncrementalPdfFileWriter, page_pdf: bytes) -> None:
    """Append the first page of ``page_pdf`` as a new last page, drawn as a form XObject."""
    source = PdfFileReader(io.BytesIO(page_pdf), strict=False)
    xobject = writer.import_page_as_xobject(source, 0)
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
