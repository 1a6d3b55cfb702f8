"""Keep a PDF/A-3 file PDF/A-3 through pyHanko's incremental updates.

- Info and XMP agree (ISO 19005-3 §6.6.2.3.1): every pyHanko write sets the XMP producer to
  pyHanko's name and its modification date to now, but appends pyHanko's name to the Info
  producer and only updates an Info modification date that already exists. Before a write,
  `align_info_with_xmp` makes the Info producer exactly pyHanko's and gives Info a /ModDate,
  so that the write leaves the two equal.
- Font subsets get distinct tags (ISO 32000-1 §9.6.4): WeasyPrint derives a subset's tag from
  the font's name only, so two separately rendered parts (the agreement, the evidence page,
  the signature block) carry different subsets of one font under the same name. `retag_fonts`
  renames the subsets of an imported part after the SHA-256 of their font program.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import VENDOR

_SUBSET = re.compile(r"^/?[A-Z]{6}\+")
_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")
_PLACEHOLDER_DATE = datetime(2000, 1, 1, tzinfo=UTC)


def align_info_with_xmp(writer: IncrementalPdfFileWriter) -> None:
    """See the module's docstring; a no-op for a file without XMP or without Info."""
    if "/Metadata" not in writer.root:
        return
    info_ref = writer.trailer.raw_get("/Info") if "/Info" in writer.trailer else None
    if info_ref is None:
        return
    info = info_ref.get_object()
    changed = False
    if str(_get(info, "/Producer") or "") != VENDOR:
        info[pdf_name("/Producer")] = generic.TextStringObject(VENDOR)
        changed = True
    if "/ModDate" not in info:
        # any value: pyHanko overwrites it with the same moment as the XMP's
        info[pdf_name("/ModDate")] = generic.pdf_date(_PLACEHOLDER_DATE)
        changed = True
    if changed and isinstance(info_ref, generic.IndirectObject):
        writer.mark_update(info_ref)


def _get(holder: generic.PdfObject | None, key: str) -> generic.PdfObject | None:
    """``holder[key]`` resolved (DictionaryObject.get does not resolve references)."""
    if holder is None:
        return None
    holder = holder.get_object()
    if not isinstance(holder, generic.DictionaryObject) or key not in holder:
        return None
    return holder[key]


def retag_fonts(resources_owner: generic.PdfObject, *, _seen: set[int] | None = None) -> None:
    """Rename every font subset reachable from ``resources_owner`` (a page, a form XObject or
    a resources dictionary, already copied into the writer) after its font program."""
    seen = _seen if _seen is not None else set()
    owner = resources_owner.get_object()
    if id(owner) in seen or not isinstance(owner, generic.DictionaryObject):
        return
    seen.add(id(owner))
    resources = _get(owner, "/Resources") or owner
    if not isinstance(resources, generic.DictionaryObject):
        return
    fonts = _get(resources, "/Font")
    for name in list(fonts.keys()) if isinstance(fonts, generic.DictionaryObject) else []:
        _retag(fonts[name].get_object())
    xobjects = _get(resources, "/XObject")
    for name in list(xobjects.keys()) if isinstance(xobjects, generic.DictionaryObject) else []:
        retag_fonts(xobjects[name], _seen=seen)


def _retag(font: generic.DictionaryObject) -> None:
    base = str(_get(font, "/BaseFont") or "")
    if not _SUBSET.match(base):
        return
    descendants = _get(font, "/DescendantFonts")
    parts = [font]
    if isinstance(descendants, generic.ArrayObject):
        parts += [descendants[i].get_object() for i in range(len(descendants))]
    program = b""
    for part in parts:
        for key in _FONT_FILES:
            stream = _get(_get(part, "/FontDescriptor"), key)
            if isinstance(stream, generic.StreamObject):
                program += stream.data
    if not program:
        return
    digest = hashlib.sha256(program).digest()
    tag = "".join(chr(65 + b % 26) for b in digest[:6])
    for part in parts:
        for key, holder in (("/BaseFont", part), ("/FontName", _get(part, "/FontDescriptor"))):
            if not isinstance(holder, generic.DictionaryObject):
                continue
            value = str(_get(holder, key) or "")
            if _SUBSET.match(value):
                holder[pdf_name(key)] = pdf_name("/" + tag + "+" + value.lstrip("/")[7:])
