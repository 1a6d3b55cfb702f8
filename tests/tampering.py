"""Forgeries of a sealed PDF, made the way an outsider would (issue 10): each function takes the
genuine bytes and returns a changed copy. None of them may ever be called "authentic".

Also hostile PDFs (issue 10.4, 11.8): files built to make a verifier spend time or memory.
"""

from __future__ import annotations

import datetime as dt
import io
import zlib
from collections.abc import Callable

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers

from signing.keys import CertificateInfo, SealIdentity
from signing.signer import KeptKeySigner

NEW_AMOUNT = "MONTANT DÛ : 1,00 EUR"


def _write(writer: IncrementalPdfFileWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _text_stream(writer: IncrementalPdfFileWriter, text: str, *, x: int = 72, y: int = 700,
                 bbox: tuple[int, int, int, int] | None = None) -> generic.IndirectObject:
    escaped = text.encode("cp1252").replace(b"(", b"\\(").replace(b")", b"\\)")
    content = b"q 1 1 1 rg 0 0 595 842 re f Q " if bbox is None else b""
    content += b"BT /Helv 20 Tf 0 0 0 rg %d %d Td (%s) Tj ET" % (x, y, escaped)
    font = generic.DictionaryObject({
        pdf_name("/Type"): pdf_name("/Font"), pdf_name("/Subtype"): pdf_name("/Type1"),
        pdf_name("/BaseFont"): pdf_name("/Helvetica"),
        pdf_name("/Encoding"): pdf_name("/WinAnsiEncoding")})
    fonts = generic.DictionaryObject({pdf_name("/Helv"): font})
    stream = generic.StreamObject({
        pdf_name("/Resources"): generic.DictionaryObject({pdf_name("/Font"): fonts}),
    }, stream_data=content)
    if bbox is not None:
        stream[pdf_name("/Type")] = pdf_name("/XObject")
        stream[pdf_name("/Subtype")] = pdf_name("/Form")
        stream[pdf_name("/BBox")] = generic.ArrayObject([generic.NumberObject(v) for v in bbox])
    return writer.add_object(stream)


def replace_first_page(pdf: bytes) -> bytes:
    """An incremental update that gives page 1 new content: a new amount due."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    stream = _text_stream(writer, NEW_AMOUNT)
    page["/Contents"] = stream
    page["/Resources"] = stream.get_object()["/Resources"]
    writer.update_container(page)
    return _write(writer)


def overlay_first_page(pdf: bytes) -> bytes:
    """Keep page 1's content and paint a white box and a new amount over it."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    page_ref = writer.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    overlay = _text_stream(writer, NEW_AMOUNT, bbox=(0, 0, 595, 842))
    xobjects = generic.DictionaryObject({pdf_name("/Surcharge"): overlay})
    resources = page["/Resources"]
    resources = resources.get_object() if hasattr(resources, "get_object") else resources
    resources[pdf_name("/XObject")] = xobjects
    page["/Resources"] = resources
    contents = page.raw_get("/Contents")
    paint = writer.add_object(generic.StreamObject(stream_data=b"q /Surcharge Do Q"))
    old = list(contents) if isinstance(contents, generic.ArrayObject) else [contents]
    page["/Contents"] = generic.ArrayObject([*old, paint])
    writer.update_container(page)
    return _write(writer)


def _annotation(writer: IncrementalPdfFileWriter, page_ref: generic.IndirectObject,
                extra: dict[str, generic.PdfObject]) -> generic.IndirectObject:
    rect = (60, 680, 540, 730)
    appearance = _text_stream(writer, NEW_AMOUNT, x=8, y=15, bbox=(0, 0, 480, 50))
    annot = generic.DictionaryObject({
        pdf_name("/Type"): pdf_name("/Annot"),
        pdf_name("/Rect"): generic.ArrayObject([generic.NumberObject(v) for v in rect]),
        pdf_name("/F"): generic.NumberObject(4),
        pdf_name("/P"): page_ref,
        pdf_name("/AP"): generic.DictionaryObject({pdf_name("/N"): appearance}),
        **{pdf_name(k): v for k, v in extra.items()},
    })
    ref = writer.add_object(annot)
    page = page_ref.get_object()
    annots = page.get("/Annots")
    page["/Annots"] = generic.ArrayObject([*(annots or []), ref])
    writer.update_container(page)
    return ref


def add_annotation(pdf: bytes) -> bytes:
    """A free-text annotation on page 1 that paints a new amount."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    _annotation(writer, writer.root["/Pages"]["/Kids"][0], {
        "/Subtype": pdf_name("/FreeText"), "/Contents": pdf_string(NEW_AMOUNT),
        "/DA": pdf_string("/Helv 20 Tf 0 g")})
    return _write(writer)


def add_unsigned_signature_field(pdf: bytes) -> bytes:
    """A new, empty signature field whose widget's appearance paints a new amount."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    ref = _annotation(writer, writer.root["/Pages"]["/Kids"][0], {
        "/Subtype": pdf_name("/Widget"), "/FT": pdf_name("/Sig"),
        "/T": pdf_string("Montant")})
    form = writer.root["/AcroForm"].get_object()
    form["/Fields"].append(ref)
    writer.update_container(form["/Fields"] if isinstance(form.raw_get("/Fields"),
                                                          generic.IndirectObject) else form)
    writer.update_container(form)
    return _write(writer)


def change_info_title(pdf: bytes) -> bytes:
    """The Info dictionary's title becomes "Quittance – dette soldée"."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    info_ref = writer.trailer.raw_get("/Info")
    info = info_ref.get_object()
    info["/Title"] = pdf_string("Quittance – dette soldée")
    writer.mark_update(info_ref)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def change_xmp_title(pdf: bytes) -> bytes:
    """The XMP metadata's dc:title becomes "Quittance – dette soldée"."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    ref = writer.root.raw_get("/Metadata")
    stream = ref.get_object()
    xml = stream.data
    start = xml.index(b"<rdf:li", xml.index(b"dc:title"))
    start = xml.index(b">", start) + 1
    end = xml.index(b"</rdf:li>", start)
    new = generic.StreamObject({pdf_name("/Type"): pdf_name("/Metadata"),
                                pdf_name("/Subtype"): pdf_name("/XML")},
                               stream_data=xml[:start] + "Quittance – dette soldée".encode()
                               + xml[end:])
    writer.root["/Metadata"] = writer.add_object(new)
    writer.update_root()
    return _write(writer)


def hide_in_padding(pdf: bytes) -> bytes:
    """Write an object into the zero padding of the last signature's /Contents (not signed)."""
    (sig,) = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures[-1:]
    _, gap_start, gap_end, _ = (int(x) for x in sig.byte_range)
    hidden = b"99 0 obj << /Type /Page /Contents (" + NEW_AMOUNT.encode() + b") >> endobj"
    hex_hidden = hidden.hex().encode()
    gap = pdf[gap_start:gap_end]
    at = gap.rindex(b"0" * (len(hex_hidden) + 8)) + 4
    data = bytearray(pdf)
    data[gap_start + at:gap_start + at + len(hex_hidden)] = hex_hidden
    return bytes(data)


def _self_signed(common_name: str, organisation: str | None) -> SealIdentity:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organisation:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    name = x509.Name(attrs)
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False,
                                         False, False), critical=True)
            .sign(key, hashes.SHA256()))
    return SealIdentity(private_key=key, certificate=cert, chain=(),
                        info=CertificateInfo.of(cert))


def self_signed_seal(pdf: bytes) -> bytes:
    """A visible signature by a self-signed certificate named like the genuine seal."""
    genuine = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_regular_signatures[0]
    subject = genuine.signer_cert.subject.native
    identity = _self_signed(subject.get("common_name", "Amiable"),
                            subject.get("organization_name"))
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    signer = signers.PdfSigner(
        signers.PdfSignatureMetadata(field_name="CachetAmiable", md_algorithm="sha256",
                                     reason="Quittance : dette soldée"),
        KeptKeySigner(identity),
        new_field_spec=fields.SigFieldSpec("CachetAmiable", on_page=0,
                                           box=(60, 680, 540, 730)))
    return signer.sign_pdf(writer, output=io.BytesIO()).getvalue()


def _fake_signature_field(pdf: bytes, byte_range: list[int], contents: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    value = writer.add_object(generic.DictionaryObject({
        pdf_name("/Type"): pdf_name("/Sig"), pdf_name("/Filter"): pdf_name("/Adobe.PPKLite"),
        pdf_name("/SubFilter"): pdf_name("/ETSI.CAdES.detached"),
        pdf_name("/ByteRange"): generic.ArrayObject([generic.NumberObject(v)
                                                     for v in byte_range]),
        pdf_name("/Contents"): generic.ByteStringObject(contents),
    }))
    page_ref = writer.root["/Pages"]["/Kids"][0]
    ref = _annotation(writer, page_ref, {
        "/Subtype": pdf_name("/Widget"), "/FT": pdf_name("/Sig"),
        "/T": pdf_string("Faux"), "/V": value})
    form = writer.root["/AcroForm"].get_object()
    form["/Fields"].append(ref)
    writer.update_container(form)
    return _write(writer)


def broken_signature_empty_range(pdf: bytes) -> bytes:
    """An extra signature field with an empty /ByteRange and no real signature."""
    return _fake_signature_field(pdf, [], b"\x00" * 16)


def broken_signature_absurd_range(pdf: bytes) -> bytes:
    """An extra signature field reusing the genuine CMS with an impossible /ByteRange."""
    genuine = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures[0]
    return _fake_signature_field(pdf, [0, 10**12, -5, 7], bytes(genuine.pkcs7_content))


def byte_flip(pdf: bytes) -> bytes:
    """One bit changed inside the first signature's signed bytes."""
    sig = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures[0]
    _, first_length, _, _ = (int(x) for x in sig.byte_range)
    data = bytearray(pdf)
    index = first_length * 2 // 3
    data[index] ^= 0x01
    return bytes(data)


def truncated(pdf: bytes) -> bytes:
    """The file cut short in the middle of its last revision."""
    return pdf[: len(pdf) - max(200, len(pdf) // 10)]


FORGERIES: dict[str, Callable[[bytes], bytes]] = {
    "replaced page": replace_first_page,
    "page overlay": overlay_first_page,
    "annotation": add_annotation,
    "unsigned signature field": add_unsigned_signature_field,
    "info title": change_info_title,
    "hidden in padding": hide_in_padding,
    "self-signed seal": self_signed_seal,
    "empty byte range": broken_signature_empty_range,
    "absurd byte range": broken_signature_absurd_range,
    "byte flip": byte_flip,
    "truncated": truncated,
}
"""Every class of change the issue names; `change_xmp_title` needs a file with XMP."""


# --- hostile files ---------------------------------------------------------------------

def _raw_pdf(objects: list[bytes], root: int = 1) -> bytes:
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, root, xref)
    return bytes(out)


def deeply_nested() -> bytes:
    """An array nested 100,000 deep as the catalog's value."""
    depth = 100_000
    return _raw_pdf([b"<< /Type /Catalog /Pages 2 0 R /Deep " + b"[" * depth + b"]" * depth
                     + b" >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])


def self_referencing() -> bytes:
    """A page tree whose node is its own kid, an AcroForm whose field is its own kid."""
    return _raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] >> >>",
        b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>",
        b"<< /FT /Sig /T (Boucle) /Kids [3 0 R] /V 4 0 R >>",
        b"<< /Type /Sig /ByteRange 4 0 R /Contents 4 0 R >>",
    ])


def huge_count() -> bytes:
    """A page tree that claims 2^31 pages and a trailer claiming 10^9 objects."""
    pdf = _raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                    b"<< /Type /Pages /Kids [] /Count 2147483647 >>"])
    return pdf.replace(b"/Size 3", b"/Size 1000000000")


def repeated_field(genuine: bytes, times: int = 1000) -> bytes:
    """The genuine seal's field listed `times` times in the form, each as a new field that
    shares its signature value (a naive verifier checks it `times` times)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(genuine), strict=False)
    form = writer.root["/AcroForm"].get_object()
    value = form["/Fields"][0].get_object().raw_get("/V")
    for i in range(times):
        form["/Fields"].append(writer.add_object(generic.DictionaryObject({
            pdf_name("/FT"): pdf_name("/Sig"), pdf_name("/T"): pdf_string(f"Copie{i}"),
            pdf_name("/V"): value})))
    writer.update_container(form)
    return _write(writer)


def many_revisions(genuine: bytes, count: int = 60) -> bytes:
    """`count` empty incremental updates after the seal."""
    pdf = genuine
    for _ in range(count):
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        writer.update_root()
        pdf = _write(writer)
    return pdf


def metadata_bomb(genuine: bytes) -> bytes:
    """New XMP metadata after the seal: 1.5 MB of Deflate that decodes to 1.5 GB of zeros."""
    compressor = zlib.compressobj(9)
    chunk = b"\0" * (1 << 20)
    data = b"".join(compressor.compress(chunk) for _ in range(1500)) + compressor.flush()
    writer = IncrementalPdfFileWriter(io.BytesIO(genuine), strict=False)
    stream = generic.StreamObject({
        pdf_name("/Type"): pdf_name("/Metadata"), pdf_name("/Subtype"): pdf_name("/XML"),
        pdf_name("/Filter"): pdf_name("/FlateDecode")}, encoded_data=data)
    writer.root["/Metadata"] = writer.add_object(stream)
    writer.update_root()
    return _write(writer)


def at_the_caps(genuine: bytes) -> bytes:
    """As costly as a file may be and still be examined: 8 signatures (the genuine seal and
    7 self-signed ones, each visible), 30 revisions."""
    identity = _self_signed("Signataire", None)
    pdf = genuine
    for i in range(7):
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        signer = signers.PdfSigner(
            signers.PdfSignatureMetadata(field_name=f"Signature{i}", md_algorithm="sha256"),
            KeptKeySigner(identity),
            new_field_spec=fields.SigFieldSpec(f"Signature{i}", on_page=0,
                                               box=(20 + 70 * i, 20, 80 + 70 * i, 60)))
        pdf = many_revisions(signer.sign_pdf(writer, output=io.BytesIO()).getvalue(), 3)
    return pdf


def hostile_files(genuine: bytes) -> dict[str, bytes]:
    return {
        "deeply nested": deeply_nested(),
        "self-referencing": self_referencing(),
        "huge count": huge_count(),
        "field repeated 1000 times": repeated_field(genuine),
        "60 revisions": many_revisions(genuine),
        "metadata bomb": metadata_bomb(genuine),
        "at the caps": at_the_caps(genuine),
    }
# Each hostile file is refused (422) but these, examined within the limits: never authentic.
EXAMINED = frozenset({"metadata bomb", "at the caps"})
