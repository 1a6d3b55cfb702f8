"""Independent checks of a PDF with the command-line tools a court expert would use."""

from __future__ import annotations

import subprocess
import tempfile
import unicodedata
from pathlib import Path


def _run(args: list[str], pdf: bytes) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf)
        return subprocess.run([*args, str(path)] if args[0] != "pdftotext" else
                              [*args, str(path), "-"], capture_output=True, text=True,
                              check=False, timeout=60)


def pdf_text(pdf: bytes) -> str:
    """The text of the PDF, spaces normalised (Babel uses narrow no-break spaces)."""
    out = _run(["pdftotext", "-layout"], pdf)
    assert out.returncode == 0, out.stderr
    text = unicodedata.normalize("NFKC", out.stdout).replace("\u202f", " ").replace("\xa0", " ")
    return " ".join(text.split())


def pdfsig(pdf: bytes) -> str:
    """poppler's report of every signature (exit status ignored: it is non-zero when a
    certificate is not trusted, which a development seal never is)."""
    return _run(["pdfsig"], pdf).stdout


def qpdf_check(pdf: bytes) -> None:
    out = _run(["qpdf", "--check"], pdf)
    assert out.returncode == 0, out.stdout + out.stderr


def tamper(pdf: bytes) -> bytes:
    """Change one byte inside the signed part of the file (its first revision)."""
    index = pdf.index(b"/Producer") if b"/Producer" in pdf else 200
    data = bytearray(pdf)
    data[index + 2] = ord("X") if data[index + 2] != ord("X") else ord("Y")
    return bytes(data)
