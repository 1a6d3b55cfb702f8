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


def mutool_verify(pdf: bytes) -> str:
    """MuPDF's `mutool sign -v` report (exit status 0 whatever it finds: read the lines)."""
    out = _run(["mutool", "sign", "-v"], pdf)
    assert out.returncode == 0, out.stderr
    return out.stdout


def independent_validators_accept(pdf: bytes, *, validation_data_after: bool = False) -> None:
    """poppler's pdfsig and MuPDF both find every signature valid and, unless the file is
    B-LT/B-LTA (whose DSS comes after the last signature), nothing changed after the last
    one. Neither is told to trust our roots: trust is pyHanko's part."""
    report = pdfsig(pdf)
    blocks = report.split("Signature #")[1:]
    assert blocks, report
    for block in blocks:  # pdfsig does not check document timestamps ("Type: unknown")
        if "Signature Type: unknown" not in block:
            assert "Signature Validation: Signature is Valid." in block, report
    mutool = mutool_verify(pdf)
    assert mutool.count("Verifying signature") >= 1, mutool
    assert "Digest error" not in mutool, mutool
    if not validation_data_after:  # the last signature (in any order listed) covers it all
        assert any("Total document signed" in block for block in blocks), report
        assert "The document is unchanged since signing." in mutool, mutool


def independent_validators_object(pdf: bytes) -> bool:
    """True when pdfsig or mutool sees a broken signature or a change after the last one."""
    report, mutool = pdfsig(pdf), mutool_verify(pdf)
    blocks = report.split("Signature #")[1:]
    pdfsig_ok = bool(blocks) and all("Signature is Valid." in b for b in blocks) and any(
        "Total document signed" in b for b in blocks)
    mutool_ok = "Digest error" not in mutool and "unchanged since signing" in mutool
    return not (pdfsig_ok and mutool_ok)
