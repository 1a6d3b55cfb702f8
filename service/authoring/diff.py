"""What changed between two template versions, as staff read them: the HTML source line by
line, or the words of a Word file paragraph by paragraph."""

from __future__ import annotations

import difflib

from service.authoring.docx_template import docx_text
from service.catalog import TemplateSource


def readable_text(template: TemplateSource) -> str:
    return docx_text(template.data) if template.format == "docx" else template.text


def unified_diff(old: TemplateSource, new: TemplateSource) -> str:
    """A unified diff of the two versions' readable text ('' when they read the same)."""
    return "".join(difflib.unified_diff(
        readable_text(old).splitlines(keepends=True),
        readable_text(new).splitlines(keepends=True),
        fromfile=f"{old.name} v{old.version} ({old.format})",
        tofile=f"{new.name} v{new.version} ({new.format})"))
