"""Attack class: a Word template that makes LibreOffice fetch a URL or read a file.

Proves that every way a .docx can point outside itself is refused at upload, whatever the
quoting, encoding, relationship type or run splitting: external and out-of-package
relationship targets, linked pictures, fields that include files or URLs (simple and
complex, split across runs, built by Jinja), altChunks, OLE objects, DTDs in UTF-8 and
UTF-16, macros under any part name or content type, and SVG images with outside references.
A plain document with an embedded picture and a self-referencing SVG is still accepted.
"""

from __future__ import annotations

import pytest

from service.authoring.validation import TemplateRefused, check_upload
from tests.security.sandbox_docx import (
    DOCUMENT,
    DOCUMENT_RELS,
    docx_with_picture,
    linked_picture,
    rewrite,
    with_body,
    with_relationship,
)

IMAGE = 'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"'
LOOPBACK = "http://127.0.0.1:9/x.png"
EXTERNAL = ("ce document Word fait référence à un fichier ou une image externe : "
            "insérez les images dans le document")


def refused(data: bytes) -> str:
    with pytest.raises(TemplateRefused) as caught:
        check_upload("relance", "modele.docx", data)
    return " | ".join(problem["message"] for problem in caught.value.details)


def field(code_runs: list[str]) -> str:
    """A complex field whose code is split over several runs, as Word writes it."""
    runs = "".join(f'<w:r><w:instrText xml:space="preserve">{c}</w:instrText></w:r>'
                   for c in code_runs)
    return (f'<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>{runs}'
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>x</w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')


def test_a_plain_document_with_an_embedded_picture_is_accepted() -> None:
    assert check_upload("relance", "modele.docx", docx_with_picture()).format == "docx"


@pytest.mark.parametrize("target", [
    LOOPBACK, "file:///var/amiable/blobs/ab/cd/abcd", "\\\\server\\share\\x.png",
    "//127.0.0.1/x.png"])
def test_a_linked_picture_is_refused(target: str) -> None:
    assert refused(linked_picture(target)) == EXTERNAL


@pytest.mark.parametrize("attributes", [
    # Quoting and character references the old string match missed.
    f"{IMAGE} Target=\"{LOOPBACK}\" TargetMode='External'",
    f'{IMAGE} Target="{LOOPBACK}" TargetMode="&#69;xternal"',
    f'{IMAGE} Target="{LOOPBACK}" TargetMode=" External"',
    # Any relationship type, hyperlinks included.
    f'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" '
    f'Target="{LOOPBACK}" TargetMode="External"',
    'Type="urn:anything" Target="http://127.0.0.1:9/" TargetMode="External"',
    # Internal mode, but a target outside the package.
    f'{IMAGE} Target="file:///etc/passwd"',
    f'{IMAGE} Target="../../../../etc/passwd"',
    f'{IMAGE} Target="%2e%2e/%2e%2e/%2e%2e/etc/passwd"',
    f'{IMAGE} Target="/../x.png"',
    f'{IMAGE} Target="media\\..\\..\\x.png"',
])
def test_a_relationship_reaching_outside_the_package_is_refused(attributes: str) -> None:
    assert refused(with_relationship(attributes)) == EXTERNAL


@pytest.mark.parametrize("fragment", [
    f'<w:p><w:fldSimple w:instr=\' INCLUDEPICTURE "{LOOPBACK}" \\d \'/></w:p>',
    field([" INCLUDE", "PICTURE ", f'"{LOOPBACK}"']),
    field([" includetext ", '"C:\\\\secret.docx"']),
    field([" LINK Word.Document.8 ", '"/var/amiable/amiable.db"']),
    field([' DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc" ']),
    field([" DDE ", "excel x y"]),
    # Nested in an IF: the inner field is read on its own.
    '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> IF 1 = 1 "'
    '</w:instrText></w:r>' + field(["INCLUDETEXT ", f'"{LOOPBACK}"'])[5:-6] +
    '<w:r><w:instrText>"</w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>',
])
def test_a_field_that_reads_a_file_or_a_url_is_refused(fragment: str) -> None:
    assert "champ qui lit un fichier ou une adresse" in refused(with_body(fragment))


def test_a_field_code_assembled_by_jinja_is_refused_once_filled() -> None:
    fragment = field(['{{ "INCLUDEPIC" ~ "TURE" }} ', f'"{LOOPBACK}"'])
    message = refused(with_body(fragment))
    assert message.startswith("essai avec les données d’exemple")  # the filled file
    assert "champ qui lit un fichier ou une adresse" in message


def test_markup_printed_with_safe_is_refused_once_filled() -> None:
    # Escaped in the upload (plain text to the first check); raw XML once Jinja prints it.
    injected = ("{{ '&lt;w:fldSimple w:instr=&quot;INCLUDEPICTURE " + LOOPBACK
                + "&quot;/&gt;'|safe }}")
    message = refused(with_body(f"<w:p><w:r><w:t>{injected}</w:t></w:r></w:p>"))
    assert message.startswith("essai avec les données d’exemple")
    assert "champ qui lit un fichier ou une adresse" in message


def test_an_alt_chunk_is_refused() -> None:
    data = rewrite(docx_with_picture(), DOCUMENT_RELS, lambda xml: xml.replace(
        b"</Relationships>",
        b'<Relationship Id="rId98" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/aFChunk" Target="chunk.html"/></Relationships>'),
        extra={"word/chunk.html": b"<html><img src='http://127.0.0.1:9/'/></html>"})
    assert "objet incorporé ou lié" in refused(data)


def test_an_alt_chunk_element_alone_is_refused() -> None:
    assert "altChunk" in refused(with_body('<w:altChunk r:id="rId1"/>'))


def test_an_ole_object_is_refused() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    data = with_relationship('Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                             'relationships/oleObject" Target="embeddings/oleObject1.bin"')
    assert "objet incorporé" in refused(rewrite(data, DOCUMENT, lambda x: x,
                                                extra={"word/embeddings/oleObject1.bin": ole}))
    assert "objet" in refused(with_body('<w:p><w:r><w:object/></w:r></w:p>'))


def test_linked_vml_image_data_is_refused() -> None:
    fragment = ('<w:p><w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml" '
                'xmlns:o="urn:schemas-microsoft-com:office:office"><v:imagedata '
                f'o:href="{LOOPBACK}"/></v:shape></w:pict></w:r></w:p>')
    assert refused(with_body(fragment)) == EXTERNAL


def _utf16(xml: bytes) -> bytes:
    text = xml.decode("utf-8").replace("encoding='UTF-8'", "encoding='UTF-16'", 1).replace(
        'encoding="UTF-8"', 'encoding="UTF-16"', 1)
    return text.encode("utf-16")


@pytest.mark.parametrize("encode", [lambda x: x, _utf16], ids=["utf-8", "utf-16"])
def test_a_dtd_is_refused_in_any_encoding(encode) -> None:  # type: ignore[no-untyped-def]
    def add_dtd(xml: bytes) -> bytes:
        return encode(xml.replace(b"?>", b'?><!DOCTYPE w:document [<!ENTITY a SYSTEM '
                                         b'"http://127.0.0.1:9/">]>', 1))

    assert refused(rewrite(docx_with_picture(), DOCUMENT, add_dtd)) == (
        "ce document Word contient des déclarations XML interdites (DTD)")


def test_a_utf16_part_without_dtd_is_still_read() -> None:
    data = rewrite(docx_with_picture(), "word/styles.xml", _utf16)
    assert check_upload("relance", "modele.docx", data).format == "docx"


@pytest.mark.parametrize("change", ["renamed", "content-type"])
def test_macros_are_refused_under_any_name(change: str) -> None:
    macros = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    if change == "renamed":
        data = rewrite(docx_with_picture(), DOCUMENT, lambda x: x,
                       extra={"word/media/innocent.png": macros})
    else:
        data = rewrite(docx_with_picture(), "[Content_Types].xml", lambda xml: xml.replace(
            b"wordprocessingml.document.main+xml", b"wordprocessingml.document.main+xml"
            b'"/><Override PartName="/word/extra.xml" ContentType="application/'
            b'vnd.ms-word.vbaData+xml', 1))
    assert "macro" in refused(data) or "objet incorporé" in refused(data)


def test_a_macro_enabled_main_part_is_refused() -> None:
    data = rewrite(docx_with_picture(), "[Content_Types].xml", lambda xml: xml.replace(
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        b"application/vnd.ms-word.document.macroEnabled.main+xml"))
    assert refused(data) == "les documents Word avec macros ne sont pas acceptés"


SVG = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
       'width="10" height="10">{}</svg>')


@pytest.mark.parametrize("inner", [
    f'<image xlink:href="{LOOPBACK}" width="10" height="10"/>',
    '<image href="file:///etc/passwd" width="10" height="10"/>',
    f'<rect width="10" height="10" style="fill: url({LOOPBACK})"/>',
    f'<style>@import url("{LOOPBACK}");</style>',
    '<use href="other.svg#a"/>',
    '<script>fetch("http://127.0.0.1:9/")</script>',
])
def test_an_svg_referencing_anything_but_itself_is_refused(inner: str) -> None:
    data = rewrite(docx_with_picture(), DOCUMENT, lambda x: x,
                   extra={"word/media/image9.svg": SVG.format(inner).encode()})
    assert "image SVG" in refused(data)


def test_an_svg_with_only_internal_references_is_accepted() -> None:
    inner = ('<defs><linearGradient id="g"/></defs><rect id="r" width="10" height="10" '
             'fill="url(#g)"/><use href="#r"/>')
    data = rewrite(docx_with_picture(), DOCUMENT, lambda x: x,
                   extra={"word/media/image9.svg": SVG.format(inner).encode()})
    assert check_upload("relance", "modele.docx", data).format == "docx"
