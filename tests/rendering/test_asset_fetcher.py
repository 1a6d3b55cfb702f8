"""The URL fetcher serves files of the asset folders and refuses everything else."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from service.rendering.builtin import LETTERS_DIR, SHARED_DIR
from service.rendering.pdf import AssetFetcher, ForbiddenResourceError


@pytest.fixture
def fetcher() -> AssetFetcher:
    return AssetFetcher((LETTERS_DIR, SHARED_DIR))


def test_serves_a_file_of_the_asset_folder(fetcher: AssetFetcher) -> None:
    response = fetcher.fetch((LETTERS_DIR / "letter.css").as_uri())
    assert b"@page" in response.read()
    assert response.content_type == "text/css"


def test_serves_the_shared_fonts(fetcher: AssetFetcher) -> None:
    font = fetcher.fetch((SHARED_DIR / "LiberationSans-Regular.ttf").as_uri()).read()
    assert font[:4] == b"\x00\x01\x00\x00"  # a TrueType font


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file://localhost/etc/passwd",
        f"{LETTERS_DIR.as_uri()}/../../../../etc/passwd",
        f"{LETTERS_DIR.as_uri()}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        f"{LETTERS_DIR.as_uri()}/missing.css",
        "file://evil.example/share/x.css",
        "http://127.0.0.1/",
        "https://example.org/logo.png",
        "ftp://127.0.0.1/x",
        "data:text/plain,hello",
        "/etc/passwd",
    ],
)
def test_refuses_anything_else(
    fetcher: AssetFetcher, url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="service.rendering.pdf"),
        pytest.raises(ForbiddenResourceError),
    ):
        fetcher.fetch(url)
    assert any("refused to fetch" in record.getMessage() for record in caplog.records)


def test_refuses_a_symlink_that_leads_outside(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (assets / "logo.png").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(ForbiddenResourceError, match="outside"):
        AssetFetcher((assets,)).fetch((assets / "logo.png").as_uri())


def test_refuses_a_sibling_folder_with_a_common_prefix(tmp_path: Path) -> None:
    (tmp_path / "letters").mkdir()
    (tmp_path / "letters-private").mkdir()
    (tmp_path / "letters-private" / "x.css").write_text("x")
    with pytest.raises(ForbiddenResourceError, match="outside"):
        AssetFetcher((tmp_path / "letters",)).fetch((tmp_path / "letters-private/x.css").as_uri())
