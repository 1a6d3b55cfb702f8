"""The command-line tools a court expert would use on our PDFs: poppler and qpdf."""

from __future__ import annotations

import json
import subprocess
import tempfile
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

#: The ``render`` fixture: (template kind, context) -> PDF bytes.
Render = Callable[[str, Mapping[str, Any]], bytes]


def _tool(args: list[str], pdf: bytes, *after: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.pdf"
        path.write_bytes(pdf)
        return subprocess.run(
            [*args, str(path), *after], capture_output=True, text=True, check=False, timeout=60
        )


def normalise(text: str) -> str:
    """Collapse whitespace, including Babel's no-break and narrow no-break spaces."""
    text = unicodedata.normalize("NFC", text).replace("\u202f", " ").replace("\xa0", " ")
    return " ".join(text.split())


def pdf_text(pdf: bytes, page: int | None = None) -> str:
    """The text of every page (or of one), table rows kept on one line, spaces collapsed."""
    pages = [] if page is None else ["-f", str(page), "-l", str(page)]
    result = _tool(["pdftotext", "-layout", "-enc", "UTF-8", *pages], pdf, "-")
    assert result.returncode == 0, result.stderr
    return normalise(result.stdout)


def pdf_info(pdf: bytes) -> dict[str, str]:
    result = _tool(["pdfinfo"], pdf)
    assert result.returncode == 0, result.stderr
    pairs = (line.split(":", 1) for line in result.stdout.splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def xmp_metadata(pdf: bytes) -> str:
    result = _tool(["pdfinfo", "-meta"], pdf)
    assert result.returncode == 0, result.stderr
    return result.stdout


def pdf_fonts(pdf: bytes) -> list[dict[str, str]]:
    """pdffonts rows: the font name, whether it is embedded and subset ("yes"/"no")."""
    result = _tool(["pdffonts"], pdf)
    assert result.returncode == 0, result.stderr
    fonts = []
    for row in result.stdout.splitlines()[2:]:  # two header lines
        parts = row.split()  # name type... encoding emb sub uni num gen
        fonts.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4]})
    return fonts


def qpdf_check(pdf: bytes) -> None:
    result = _tool(["qpdf", "--check"], pdf)
    assert result.returncode == 0, result.stdout + result.stderr


def catalog_lang(pdf: bytes) -> str | None:
    """The /Lang entry of the document catalog."""
    result = _tool(["qpdf", "--json", "--json-key=qpdf"], pdf)
    assert result.returncode == 0, result.stderr
    objects = json.loads(result.stdout)["qpdf"][1]
    for entry in objects.values():
        body = entry.get("value") if isinstance(entry, dict) else None
        if isinstance(body, dict) and body.get("/Type") == "/Catalog":
            lang = body.get("/Lang")
            return lang.removeprefix("u:") if isinstance(lang, str) else None
    return None
