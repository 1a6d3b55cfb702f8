"""PDFs for the signing tests."""

from __future__ import annotations

import io

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

PAGE_TEXT = b"Mise en demeure de payer"


def make_pdf(text: bytes = PAGE_TEXT) -> bytes:
    """A one-page PDF written by hand, with an uncompressed content stream so a test can
    change one character of the page and know exactly what it changed."""
    content = b"BT /F1 18 Tf 72 760 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def tamper(pdf: bytes) -> bytes:
    """Change one character of the page's text, inside the signed byte range."""
    assert pdf.count(PAGE_TEXT) == 1
    return pdf.replace(PAGE_TEXT, PAGE_TEXT.replace(b"payer", b"paxer"))


def rewrite_page_after_signing(pdf: bytes) -> bytes:
    """Append an incremental update that gives the page new content: the signed revision is
    untouched (the signature stays intact) but what a reader sees has changed."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page = writer.root["/Pages"]["/Kids"][0]
    page["/Contents"] = writer.add_object(
        generic.StreamObject(stream_data=b"BT /F1 18 Tf 72 760 Td (Payer 9999 EUR) Tj ET")
    )
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def corrupt_signature_value(pdf: bytes) -> bytes:
    """Change one hex digit of the RSA/ECDSA signature value inside /Contents: the signed
    bytes are untouched (intact), but the signature over them no longer verifies."""
    (signature,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[-1:]
    value = signature.signer_info["signature"].native.hex().encode()
    index = pdf.lower().index(value) + 10
    data = bytearray(pdf)
    data[index] = ord("1") if data[index] == ord("0") else ord("0")
    return bytes(data)
