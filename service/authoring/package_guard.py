"""Refuse a Word package that could make LibreOffice reach outside the file.

A .docx can name things LibreOffice fetches or runs while converting: relationships to a URL
or a file (`TargetMode="External"`, `file:///…`, `../../etc/passwd`), linked pictures
(`r:link`), OLE objects, INCLUDETEXT / INCLUDEPICTURE / LINK / DDE fields, altChunks
(another document pulled in), macros, and SVG images with their own links. Each XML part is
parsed with lxml configured to load no DTD, resolve no entity and use no network, and any
part declaring a DTD is refused whatever its encoding (UTF-16 too, since the parser decodes
before it looks). String matching is not enough: quoting, character references and
namespace prefixes are all the parser's business.

The jail LibreOffice runs in (`lo_jail.py`) is the second wall; this is the first, and the
one that tells legal staff what to change.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from urllib.parse import unquote

from lxml import etree

RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
XINCLUDE_NS = ("http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # compound file: vbaProject.bin, OLE objects
MAIN_TYPES = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
              "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml")
# Relationship types (last segment of the type URI) that embed active or foreign content
# even when internal.
FORBIDDEN_RELATIONSHIPS = frozenset({"oleobject", "package", "afchunk", "subdocument", "frame",
                                     "control", "activexcontrol", "activexcontrolbinary",
                                     "keymapcustomizations"})
MACRO_RELATIONSHIPS = frozenset({"vbaproject", "vbadata", "wordvbadata", "vbaprojectsignature",
                                 "vbaprojectsignatureagile", "vbaprojectsignaturev3"})
FORBIDDEN_CONTENT_TYPES = ("macroenabled", "vbaproject", "vbadata", "activex", "oleobject",
                           "ms-office.keymapcustomizations", "x-msdownload", "java-archive")
# Word elements that pull in other documents or run objects.
FORBIDDEN_ELEMENTS = frozenset(f"{{{W_NS}}}{name}" for name in (
    "altChunk", "subDoc", "object", "objectEmbed", "objectLink", "control", "frameset"))
# Attributes that name a resource to fetch (DrawingML r:link, VML o:href / src, SVG href).
LINK_ATTRIBUTES = frozenset({"link", "href", "src"})
# Field codes that read a file or a URL, or talk to another program (DDE).
FORBIDDEN_FIELDS = frozenset({"INCLUDETEXT", "INCLUDEPICTURE", "INCLUDE", "LINK", "DDE",
                              "DDEAUTO", "IMPORT", "AUTOTEXTLIST", "DATABASE"})
FIELD_WORD = re.compile(r"[A-Z]+")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
CSS_URL = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]*)", re.IGNORECASE)
ENCODINGS = {"utf-8", "utf8", "utf-16", "utf16", "utf-16le", "utf-16be", "ascii", "us-ascii"}

DTD = "ce document Word contient des déclarations XML interdites (DTD)"
EXTERNAL = ("ce document Word fait référence à un fichier ou une image externe : "
            "insérez les images dans le document")
MACROS = "les documents Word avec macros ne sont pas acceptés"


class PackageRefused(ValueError):
    """The package reaches outside itself; the message is for legal staff, in French."""


def _parser() -> etree.XMLParser:
    # No DTD loaded, no entity resolved, no network, no billion laughs (huge_tree off).
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=False)


def looks_like_xml(data: bytes) -> bool:
    head = data[:4]
    return (head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"<", b"\x00<",
                             b"<\x00")) or data.lstrip()[:1] == b"<")


def parse(name: str, data: bytes) -> etree._Element:
    """The part's root element; PackageRefused if it is not plain XML without a DTD."""
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError:
        if b"<!" in data or b"<\x00!" in data or b"\x00<\x00!" in data:
            raise PackageRefused(DTD) from None
        raise PackageRefused(f"ce document Word contient une partie illisible ({name})") from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise PackageRefused(DTD)
    if (info.encoding or "utf-8").lower() not in ENCODINGS:
        raise PackageRefused(f"ce document Word utilise un encodage inattendu ({name})")
    return root


def check(archive: zipfile.ZipFile) -> None:
    """Refuse the package if any part can reach outside it (PackageRefused)."""
    for member in archive.infolist():
        name = member.filename
        data = archive.read(member)
        if data.startswith(OLE_MAGIC) or name.lower().endswith(".bin"):
            raise PackageRefused(MACROS if "vba" in name.lower() else
                                 "ce document Word contient un objet incorporé (OLE) : "
                                 "insérez-le comme image")
        if not looks_like_xml(data):
            continue
        root = parse(name, data)
        if name == "[Content_Types].xml":
            _check_content_types(root)
        elif name.endswith(".rels"):
            _check_relationships(name, root)
        elif _local(root.tag) == "svg":
            _check_svg(root)
        else:
            _check_part(root)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _check_content_types(root: etree._Element) -> None:
    main = None
    for entry in root:
        content_type = (entry.get("ContentType") or "").strip().lower()
        if any(word in content_type for word in FORBIDDEN_CONTENT_TYPES):
            raise PackageRefused(MACROS)
        if (entry.get("PartName") or "").lower() == "/word/document.xml":
            main = content_type
    if main is not None and main not in MAIN_TYPES:
        raise PackageRefused("ce fichier n’est pas un document Word (.docx) ordinaire")


def source_folder(rels_name: str) -> str:
    """The folder relative targets start from: `word/_rels/document.xml.rels` → `word`."""
    return posixpath.dirname(posixpath.dirname(rels_name))


def target_inside(rels_name: str, target: str) -> bool:
    """Whether a relationship target names a part of this package (OPC part names)."""
    decoded = unquote(target.strip())
    if (not decoded or SCHEME.match(decoded) or decoded.startswith("//") or "\\" in decoded
            or "\x00" in decoded or any(ord(c) < 32 for c in decoded)):
        return False
    if decoded.startswith("/"):
        path = decoded.lstrip("/")
    else:
        path = posixpath.join(source_folder(rels_name), decoded)
    parts: list[str] = []
    for piece in path.split("/"):
        if piece in ("", "."):
            continue
        if piece == "..":
            if not parts:
                return False  # above the package's root
            parts.pop()
        else:
            parts.append(piece)
    return bool(parts)


def _check_relationships(name: str, root: etree._Element) -> None:
    for relationship in root.iter():
        if _local(relationship.tag) != "Relationship":
            continue
        attributes = {_local(key).lower(): value for key, value in relationship.attrib.items()}
        mode = attributes.get("targetmode", "Internal").strip()
        kind = attributes.get("type", "").strip().lower().rstrip("/").rsplit("/", 1)[-1]
        if kind in MACRO_RELATIONSHIPS or "vba" in kind:
            raise PackageRefused(MACROS)
        if kind == "attachedtemplate":
            raise PackageRefused("ce document Word est lié à un modèle (.dotx, .dotm) : "
                                 "détachez-le (Développeur › Modèle de document) puis "
                                 "enregistrez-le à nouveau")
        if kind in FORBIDDEN_RELATIONSHIPS or "activex" in kind or "oleobject" in kind:
            raise PackageRefused("ce document Word contient un objet incorporé ou lié (OLE, "
                                 "sous-document, modèle attaché) : enregistrez-le sans")
        if mode != "Internal" or not target_inside(name, attributes.get("target", "")):
            raise PackageRefused(EXTERNAL)


def field_codes(root: etree._Element) -> Iterator[str]:
    """Every field instruction of a part: simple fields, and complex fields whose code is
    split over runs (`w:instrText` between the begin and separate/end markers), nested ones
    each on their own."""
    stack: list[list[str]] = []
    for element in root.iter():
        tag = element.tag
        if tag == f"{{{W_NS}}}fldSimple":
            yield element.get(f"{{{W_NS}}}instr") or ""
        elif tag == f"{{{W_NS}}}fldChar":
            kind = element.get(f"{{{W_NS}}}fldCharType")
            if kind == "begin":
                stack.append([])
            elif kind in ("separate", "end") and stack:
                code = "".join(stack.pop())
                if code:
                    yield code
                if kind == "separate":
                    stack.append([])  # the result part: not code, dropped at "end"
        elif tag in (f"{{{W_NS}}}instrText", f"{{{W_NS}}}delInstrText") and stack:
            stack[-1].append(element.text or "")
    for pending in stack:  # an unterminated field is still a field
        if pending:
            yield "".join(pending)


def _check_part(root: etree._Element) -> None:
    for element in root.iter():
        tag = element.tag
        if not isinstance(tag, str):
            continue
        if tag in FORBIDDEN_ELEMENTS:
            raise PackageRefused(f"ce document Word contient un élément interdit "
                                 f"({_local(tag)}) : un objet ou un document inclus")
        if tag.startswith(tuple(f"{{{ns}}}" for ns in XINCLUDE_NS)):
            raise PackageRefused(EXTERNAL)
        for key, value in element.attrib.items():
            # A linked (not embedded) picture: `<a:blip r:link=…>`, `<v:imagedata o:href=…>`.
            if _local(key) in LINK_ATTRIBUTES and value.strip() and not value.startswith("#"):
                raise PackageRefused(EXTERNAL)
        if _local(tag) == "OLEObject":
            raise PackageRefused("ce document Word contient un objet OLE : insérez-le comme "
                                 "image")
    for code in field_codes(root):
        words = FIELD_WORD.findall(code.upper())
        if any(word in FORBIDDEN_FIELDS for word in words):
            first = words[0] if words else ""
            raise PackageRefused(f"ce document Word contient un champ qui lit un fichier ou "
                                 f"une adresse ({first}) : supprimez-le")


def _check_svg(root: etree._Element) -> None:
    """An SVG may point only at itself (`#id`), never at a file, a URL or a script."""
    for element in root.iter():
        tag = element.tag
        if not isinstance(tag, str):
            continue
        name = _local(tag).lower()
        if name in ("script", "foreignobject", "iframe", "embed", "object", "handler"):
            raise PackageRefused("ce document Word contient une image SVG avec un script ou "
                                 "un contenu étranger")
        texts = list(element.attrib.items())
        if name == "style":
            texts.append(("style", element.text or ""))
        for key, value in texts:
            local = _local(key).lower()
            if local in ("href", "src") and not value.strip().startswith("#"):
                raise PackageRefused("ce document Word contient une image SVG qui fait "
                                     "référence à un fichier ou une adresse externe")
            if "@import" in value.lower() or any(
                    not ref.startswith("#") for ref in CSS_URL.findall(value)):
                raise PackageRefused("ce document Word contient une image SVG qui fait "
                                     "référence à un fichier ou une adresse externe")
            if local.startswith("on"):
                raise PackageRefused("ce document Word contient une image SVG avec un script "
                                     "ou un contenu étranger")
