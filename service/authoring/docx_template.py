"""Word templates: check the package, fill it with docxtpl in the sandbox, read its text.

A .docx is a zip of XML parts. It is checked before python-docx parses it (sizes declared
by the zip directory, so a zip bomb is refused unread; no part may point outside the file).
docxtpl turns the Word XML into one Jinja source per part (body, headers, footers), with a
line per paragraph, so a syntax error's line number is a paragraph number.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from docx import Document
from docxtpl import DocxTemplate
from jinja2.exceptions import SecurityError

from service.authoring import package_guard
from service.authoring.package_guard import PackageRefused
from service.rendering.formatting import FILTERS, FilterError
from service.rendering.html import (
    TEMPLATE_CODE_ERRORS,
    RenderLimitExceeded,
    TemplateError,
    TemplateSecurityError,
)
from service.rendering.limits import BoundedSandbox, LimitExceeded

MAX_UNCOMPRESSED = 40 * 1024 * 1024
MAX_MEMBERS = 2000
MAX_RATIO = 200  # a real Word file compresses 3–20×; hundreds means a bomb
REQUIRED_PARTS = ("[Content_Types].xml", "word/document.xml")
PARAGRAPH_START = re.compile(r"<w:p[ >]")
TAG = re.compile(r"<[^>]+>")


class BadPackage(ValueError):
    """The file is not a Word document we accept (the message is for staff, in French)."""


@dataclass(frozen=True)
class JinjaPart:
    """One part's Jinja source; line n + 1 holds its n-th paragraph."""

    label: str
    source: str

    def where(self, lineno: int) -> str:
        lines = self.source.splitlines()
        text = TAG.sub("", lines[lineno - 1]).strip() if 0 < lineno <= len(lines) else ""
        excerpt = f" (« {text[:60]}{'…' if len(text) > 60 else ''} »)" if text else ""
        return f"{self.label}, paragraphe {max(lineno - 1, 1)}{excerpt}"


def check_package(data: bytes) -> None:
    """Refuse what is not a plain .docx before any XML parser sees it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise BadPackage("ce fichier n’est pas un document Word (.docx) valide") from None
    with archive:
        members = archive.infolist()
        names = {m.filename for m in members}
        if len(members) > MAX_MEMBERS:
            raise BadPackage("ce document Word contient trop de parties")
        total = sum(m.file_size for m in members)
        if total > MAX_UNCOMPRESSED or any(
                m.compress_size and m.file_size / m.compress_size > MAX_RATIO for m in members):
            raise BadPackage("ce document Word est anormalement volumineux une fois "
                             "décompressé")
        missing = [part for part in REQUIRED_PARTS if part not in names]
        if missing:
            raise BadPackage("ce fichier n’est pas un document Word (.docx) : "
                             f"il lui manque {', '.join(missing)}")
        try:
            package_guard.check(archive)
        except PackageRefused as exc:
            raise BadPackage(str(exc)) from None


def _refuse_none(value: Any) -> Any:
    # Same rule as HTML templates: a missing optional field must be guarded, never printed.
    if value is None:
        raise FilterError("a value to print is None: guard optional fields with {% if %}")
    return value


def docx_environment() -> jinja2.Environment:
    """The sandbox Word templates are filled in: autoescaped (the output is XML)."""
    env = BoundedSandbox(autoescape=True, undefined=jinja2.StrictUndefined,
                                        finalize=_refuse_none)
    env.filters.update(FILTERS)
    return env


def open_template(data: bytes) -> DocxTemplate:
    template = DocxTemplate(io.BytesIO(data))
    template.init_docx()
    return template


def jinja_parts(data: bytes) -> list[JinjaPart]:
    """The Jinja source docxtpl fills, part by part, a line per paragraph."""
    template = open_template(data)
    sources = [("document", template.get_xml())]
    for label, uri in (("en-tête", template.HEADER_URI), ("pied de page", template.FOOTER_URI)):
        sources.extend((label, template.get_part_xml(part))
                       for _key, part in template.get_headers_footers(uri))
    return [JinjaPart(label, PARAGRAPH_START.sub(lambda m: "\n" + m.group(0),
                                                 template.patch_xml(xml)))
            for label, xml in sources]


def fill_docx(data: bytes, context: Mapping[str, Any]) -> bytes:
    """The Word template filled with `context`; TemplateError (as for HTML) if it cannot be."""
    template = open_template(data)
    try:
        template.render(dict(context), jinja_env=docx_environment(), autoescape=True)
    except SecurityError as exc:
        raise TemplateSecurityError(f"forbidden in templates: {exc}") from exc
    except LimitExceeded as exc:
        raise RenderLimitExceeded(str(exc)) from exc
    except RecursionError as exc:
        raise RenderLimitExceeded("a macro calls itself too deeply") from exc
    except (jinja2.TemplateError, FilterError, *TEMPLATE_CODE_ERRORS) as exc:
        raise TemplateError(str(exc)) from exc
    out = io.BytesIO()
    template.save(out)
    filled = out.getvalue()
    # Checked again once filled: `{{ "INCLUDE" ~ "PICTURE" }}` in a field code, or markup
    # printed with `|safe`, only becomes a link after rendering.
    try:
        with zipfile.ZipFile(io.BytesIO(filled)) as archive:
            package_guard.check(archive)
    except PackageRefused as exc:
        raise TemplateSecurityError(f"the filled document is refused: {exc}") from None
    return filled


def docx_text(data: bytes) -> str:
    """The words of a Word file, a paragraph a line (tables cell by cell), for diffs."""
    document = Document(io.BytesIO(data))
    lines: list[str] = []
    for section in document.sections:
        lines.extend(p.text for p in section.header.paragraphs if p.text.strip())
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append("".join(t.text or "" for t in block.iter() if t.tag.endswith("}t")))
        elif tag == "tbl":
            for row in block.iter():
                if row.tag.endswith("}tr"):
                    cells = ["".join(t.text or "" for t in cell.iter() if t.tag.endswith("}t"))
                             for cell in row if cell.tag.endswith("}tc")]
                    lines.append(" | ".join(cells))
    for section in document.sections:
        lines.extend(p.text for p in section.footer.paragraphs if p.text.strip())
    return "\n".join(lines) + "\n"
