"""The agreement's pages as PNG images, so any phone shows it without a PDF viewer."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

_RESOLUTION_DPI = 110  # A4 at 110 dpi is ~910 px wide: sharp on a phone, ~100 kB a page
_TIMEOUT_SECONDS = 120


def rasterise(pdf: bytes) -> list[bytes]:
    """One PNG per page, in order (poppler's pdftoppm)."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", str(_RESOLUTION_DPI), "-png", str(source),
                        str(Path(folder) / "page")], check=True, capture_output=True,
                       timeout=_TIMEOUT_SECONDS)
        # pdftoppm pads the page number to the width of the page count: sort by number
        images = sorted(Path(folder).glob("page-*.png"), key=lambda p: int(p.stem[5:]))
        return [image.read_bytes() for image in images]
