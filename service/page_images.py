"""Small PNG images of a PDF's first pages, for the verification page (poppler's pdftoppm).

The PDF may be hostile: pdftoppm runs in its own temporary folder, with a timeout and an
address-space limit, and a failure gives no images rather than an error (the verdict does
not depend on them).
"""

from __future__ import annotations

import resource
import subprocess
import tempfile
from pathlib import Path

MAX_PAGES = 3
RESOLUTION_DPI = 40  # ~330 px wide for A4: enough to see a changed amount, small in HTML
TIMEOUT_SECONDS = 10
MEMORY_BYTES = 512 * 1024 * 1024


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def page_images(pdf: bytes, pages: int = MAX_PAGES) -> list[bytes]:
    """PNG bytes of the first ``pages`` pages; [] if the file cannot be drawn in time."""
    with tempfile.TemporaryDirectory(prefix="amiable-pages-") as folder:
        source = Path(folder) / "in.pdf"
        source.write_bytes(pdf)
        try:
            subprocess.run(
                ["pdftoppm", "-png", "-r", str(RESOLUTION_DPI), "-f", "1", "-l", str(pages),
                 str(source), str(Path(folder) / "page")],
                capture_output=True, timeout=TIMEOUT_SECONDS, check=True, cwd=folder,
                preexec_fn=_limit_memory)
        except (subprocess.SubprocessError, OSError):
            return []
        return [p.read_bytes() for p in sorted(Path(folder).glob("page-*.png"))]
