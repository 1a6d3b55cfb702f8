"""Hostile Word files for the sandbox tests: a real python-docx document with one embedded
picture, then one part rewritten the way an attacker would."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable

from docx import Document
from docx.shared import Cm

DOCUMENT = "word/document.xml"
DOCUMENT_RELS = "word/_rels/document.xml.rels"


def png() -> bytes:
    """A 1×1 red PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def docx_with_picture(text: str = "Madame, Monsieur, {{ debtor.name }}") -> bytes:
    document = Document()
    document.add_paragraph(text)
    document.add_picture(io.BytesIO(png()), width=Cm(2))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def rewrite(data: bytes, part: str, change: Callable[[bytes], bytes],
            extra: dict[str, bytes] | None = None) -> bytes:
    """A copy of the package with `part` changed (and `extra` parts added)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item)
            target.writestr(item.filename, change(content) if item.filename == part else content)
        for name, content in (extra or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def linked_picture(target: str, mode: str = ' TargetMode="External"') -> bytes:
    """The picture linked (r:link), not embedded, to `target`: LibreOffice fetches it."""
    data = rewrite(docx_with_picture(), DOCUMENT, lambda xml: xml.replace(b"r:embed=", b"r:link="))
    return rewrite(data, DOCUMENT_RELS, lambda xml: re.sub(
        rb'(Type="[^"]*/image" Target=")[^"]*"',
        lambda m: m.group(1) + target.encode() + b'"' + mode.encode(), xml))


def with_body(xml_fragment: str) -> bytes:
    """The document with raw WordprocessingML added at the start of its body."""
    return rewrite(docx_with_picture(), DOCUMENT,
                   lambda xml: xml.replace(b"<w:body>", b"<w:body>" + xml_fragment.encode(), 1))


def with_relationship(attributes: str) -> bytes:
    return rewrite(docx_with_picture(), DOCUMENT_RELS, lambda xml: xml.replace(
        b"</Relationships>", f"<Relationship Id=\"rId99\" {attributes}/></Relationships>"
        .encode()))
