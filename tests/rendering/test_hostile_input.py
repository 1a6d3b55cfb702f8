"""Attacker-controlled data prints as plain text and makes WeasyPrint fetch nothing; a
template that asks for a forbidden resource gets nothing either."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
import samples
from pdftools import Render, pdf_text

from service.rendering.builtin import BUILTIN, LETTERS_DIR, SHARED_DIR
from service.rendering.html import HtmlTemplates
from service.rendering.pdf import AssetFetcher, PdfRenderer, rendering_warnings

WORDS_MISSING = importlib.util.find_spec("service.domain.words") is None


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL WeasyPrint asks the fetcher for while the test runs."""
    urls: list[str] = []
    original = AssetFetcher.fetch

    def spy(self: AssetFetcher, url: str, headers: object = None) -> Any:
        urls.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(AssetFetcher, "fetch", spy)
    return urls


def _under(url: str, *folders: Path) -> bool:
    return any(url.startswith(folder.resolve().as_uri() + "/") for folder in folders)


@pytest.mark.parametrize(
    ("kind", "context"),
    [
        ("relance", samples.company_relance(2)),
        ("mise_en_demeure", samples.company_mise_en_demeure()),
        ("mise_en_demeure", samples.consumer_mise_en_demeure()),
        pytest.param(
            "echeancier",
            samples.consumer_echeancier(),
            marks=pytest.mark.skipif(
                WORDS_MISSING, reason="the échéancier needs service.domain.words"
            ),
        ),
    ],
)
def test_hostile_strings_print_as_text_and_fetch_nothing(
    render: Render, fetched: list[str], kind: str, context: dict[str, Any]
) -> None:
    text = pdf_text(render(kind, samples.hostile(context)))  # fails on any warning
    for value in samples.HOSTILE.values():
        assert value in text, value
    # Nothing outside the template's assets was even asked for.
    assert all(_under(url, BUILTIN[kind].assets_dir, SHARED_DIR) for url in fetched), fetched


def test_hostile_strings_are_escaped_in_the_html() -> None:
    html = HtmlTemplates(LETTERS_DIR).render(
        BUILTIN["mise_en_demeure"].source(), samples.hostile(samples.company_mise_en_demeure())
    )
    assert "<script>" not in html
    assert "<img " not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    "markup",
    [
        '<img src="file:///etc/passwd">',
        '<img src="../../../../../../etc/passwd">',
        '<img src="http://127.0.0.1:9/pixel.png">',
        '<link rel="stylesheet" href="https://127.0.0.1:9/x.css">',
        "<style>@import url(http://127.0.0.1:9/x.css);</style>",
        '<div style="background: url(file:///etc/hostname)">x</div>',
    ],
)
def test_a_template_cannot_fetch_outside_its_assets(fetched: list[str], markup: str) -> None:
    html = f"<html lang='fr'><body><p>Texte</p>{markup}</body></html>"
    # A renderer of its own: WeasyPrint remembers failed images for the renderer's life.
    with rendering_warnings() as records:
        pdf = PdfRenderer().render(html, LETTERS_DIR)
    assert any("refused to fetch" in record.getMessage() for record in records), records
    assert fetched  # WeasyPrint asked...
    assert "root:" not in pdf_text(pdf)  # ...and got nothing


def test_a_template_may_use_files_of_its_own_folder(
    pdf_renderer: PdfRenderer, fetched: list[str], strict_weasyprint: None
) -> None:
    html = (
        "<html lang='fr'><head><link rel='stylesheet' href='letter.css'></head>"
        "<body><p>Texte</p></body></html>"
    )
    pdf_renderer.render(html, LETTERS_DIR)
    assert fetched == [(LETTERS_DIR / "letter.css").resolve().as_uri()]
