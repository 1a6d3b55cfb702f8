"""Fixtures for the rendering tests: one PdfRenderer for the session (as in a worker
process) and renders that fail on any WeasyPrint warning. PDF tools are in pdftools.py."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from pdftools import Render

from service.rendering.builtin import BUILTIN
from service.rendering.html import HtmlTemplates
from service.rendering.pdf import PdfRenderer, rendering_warnings


@pytest.fixture(scope="session")
def pdf_renderer() -> PdfRenderer:
    return PdfRenderer()


@pytest.fixture(scope="session")
def html_templates() -> dict[Path, HtmlTemplates]:
    return {}


@pytest.fixture(scope="session")
def render(pdf_renderer: PdfRenderer, html_templates: dict[Path, HtmlTemplates]) -> Render:
    """Render a built-in template to PDF; fail on any WeasyPrint warning or refused fetch."""

    def _render(kind: str, context: Mapping[str, Any]) -> bytes:
        template = BUILTIN[kind]
        html = html_templates.setdefault(template.assets_dir, HtmlTemplates(template.assets_dir))
        source = html.render(template.source(), context)
        with rendering_warnings() as records:
            pdf = pdf_renderer.render(source, template.assets_dir)
        assert not records, [f"{r.name}: {r.getMessage()}" for r in records]
        return pdf

    return _render


@pytest.fixture
def strict_weasyprint() -> Iterator[None]:
    """Fail the test if WeasyPrint logs any warning while it runs."""
    with rendering_warnings() as records:
        yield
    assert not records, [f"{r.name}: {r.getMessage()}" for r in records]
