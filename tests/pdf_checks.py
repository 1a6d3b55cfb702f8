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


def pdfa_problems(pdf: bytes) -> list[str]:
    """What veraPDF would object to among the rules a signed file can break, checked by hand:
    Info and XMP agree on producer and dates (ISO 19005-3 §6.6.2.3.1), associated files are
    the name tree's own file specifications (§6.8), distinct font subsets have distinct tags
    (ISO 32000-1 §9.6.4), and the file does not claim PDF 2.0."""
    import datetime as dt
    import hashlib
    import io

    from lxml import etree
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    problems: list[str] = []
    if not pdf.startswith(b"%PDF-1.") or str(reader.root.get("/Version", "/1.7")) >= "/2":
        problems.append("claims PDF 2.0")
    info = reader.trailer["/Info"] if "/Info" in reader.trailer else {}  # noqa: SIM401 (no .get)
    if "/Metadata" in reader.root:
        xmp = etree.fromstring(reader.root["/Metadata"].data)
        values = {etree.QName(k).localname: v for el in xmp.iter() for k, v in el.attrib.items()}
        values.update({etree.QName(el).localname: (el.text or "").strip() for el in xmp.iter()
                       if isinstance(el.tag, str) and (el.text or "").strip()})

        def same_moment(info_key: str, xmp_key: str) -> None:
            if info_key not in info:
                return
            mine = generic.parse_pdf_date(str(info[info_key]))
            theirs_text = values.get(xmp_key)
            if theirs_text is None:
                problems.append(f"Info {info_key} without XMP {xmp_key}")
                return
            theirs = dt.datetime.fromisoformat(theirs_text.replace("Z", "+00:00"))
            if len(theirs_text) == 10:
                if mine.date() != theirs.date():
                    problems.append(f"{info_key} {mine} != {xmp_key} {theirs_text}")
            elif mine.replace(tzinfo=mine.tzinfo or dt.UTC) != theirs.replace(
                    tzinfo=theirs.tzinfo or dt.UTC):
                problems.append(f"{info_key} {mine} != {xmp_key} {theirs_text}")

        if "/Producer" in info and str(info["/Producer"]) != values.get("Producer"):
            problems.append(f"Producer {info['/Producer']!s} != XMP {values.get('Producer')}")
        same_moment("/CreationDate", "CreateDate")
        same_moment("/ModDate", "ModifyDate")
    if "/AF" in reader.root:
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
        specs = {names.raw_get(i) for i in range(1, len(names), 2)}
        af = reader.root["/AF"]
        for i in range(len(af)):
            if af.raw_get(i) not in specs:
                problems.append("an /AF entry is not the name tree's file specification")

    programs: dict[str, set[str]] = {}
    seen: set[object] = set()
    stack: list[object] = [reader.root]
    while stack and len(seen) < 200_000:
        obj = stack.pop()
        if isinstance(obj, generic.IndirectObject):
            if obj.reference in seen:
                continue
            seen.add(obj.reference)
            obj = obj.get_object()
        if isinstance(obj, generic.DictionaryObject):
            base = str(obj.get("/BaseFont", "")) if obj.get("/Type") == "/Font" else ""
            descriptor = obj["/FontDescriptor"] if base and "/FontDescriptor" in obj else None
            if descriptor is not None and "+" in base:
                for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                    if key in descriptor:
                        programs.setdefault(base, set()).add(
                            hashlib.sha256(descriptor[key].data).hexdigest())
            stack.extend(obj.raw_get(k) for k in obj if k not in ("/Parent", "/P"))
        elif isinstance(obj, generic.ArrayObject):
            stack.extend(obj.raw_get(i) for i in range(len(obj)))
    problems += [f"{len(p)} different subsets named {name}" for name, p in programs.items()
                 if len(p) > 1]
    return problems
