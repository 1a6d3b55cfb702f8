"""`make bench`: how fast Amiable is, next to how fast its libraries can go.

Prints, in one run on this machine:
  floor    the bare libraries, tuned as in the performance notes: Jinja2 fills the letter,
           WeasyPrint lays it out as PDF/A-3b (fonts and stylesheets loaded once, HarfBuzz
           subsetting), pyHanko seals it (key kept, signature size reserved);
  service  the end-to-end latency of POST /v1/documents for the same one-page letter over
           HTTP (gunicorn, SQLite, blob store, audit trail), and the ratio to the floor;
  scaling  documents per second with 4 concurrent clients over 1.
Figures are medians; compare ratios measured in the same run, not across machines.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REQUEST = json.loads((ROOT / "tests/fixtures/relance-level1.json").read_text())
KEY = "amk_bench_key_not_secret"
RUNS = int(os.environ.get("BENCH_RUNS", "20"))


def median_ms(func: Callable[[], object], runs: int = RUNS, warmup: int = 3) -> float:
    for _ in range(warmup):
        func()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def floor(keys_dir: Path) -> dict[str, float]:
    """The libraries alone: no Flask, no database, no audit, no validation."""
    import jinja2
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from service.domain.figures import compute_figures
    from service.pipeline import to_case
    from service.rates import shipped_rates
    from service.rendering.formatting import FILTERS
    from service.web.schemas import DocumentRequest
    from signing import SealIdentity, ensure_development_seal, reserved_signature_bytes
    from signing.signer import KeptKeySigner

    letters = ROOT / "templates/letters"
    fonts = ROOT / "templates/fonts"
    request = DocumentRequest.model_validate(REQUEST)
    as_of = request.as_of or date.today()
    context = request.model_dump(mode="python")
    context["figures"] = compute_figures(to_case(request, as_of), shipped_rates())
    context["document"] = {"id": "doc_bench", "verify_url": "https://example.test/verify"}

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(letters), autoescape=True)
    env.filters.update(FILTERS)
    template = env.get_template("relance.html")
    font_config = FontConfiguration()
    sheets = [CSS(filename=fonts / "fonts.css", font_config=font_config)] + [
        CSS(filename=css, font_config=font_config) for css in sorted(letters.glob("*.css"))]

    identity = SealIdentity.load(ensure_development_seal(keys_dir))
    signer = KeptKeySigner(identity)
    reserved = reserved_signature_bytes(identity)
    meta = signers.PdfSignatureMetadata(field_name="Seal", subfilter=SigSeedSubFilter.PADES)

    def fill() -> str:
        return template.render(context)

    html = fill()

    def layout() -> bytes:
        return HTML(string=html, base_url=letters.as_uri() + "/").write_pdf(
            stylesheets=sheets, font_config=font_config, pdf_variant="pdf/a-3b")

    pdf = layout()

    def seal() -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        return signers.PdfSigner(meta, signer).sign_pdf(
            writer, bytes_reserved=reserved, output=io.BytesIO()).getvalue()

    figures = {"jinja2": median_ms(fill), "weasyprint": median_ms(layout),
               "pyhanko": median_ms(seal)}
    figures["total"] = sum(figures.values())
    return figures


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Service:
    """`amiable serve` in a subprocess on a fresh data dir."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        env = {**os.environ, "PORT": str(self.port), "AMIABLE_DATA_DIR": str(data_dir),
               "AMIABLE_API_KEY": KEY, "AMIABLE_WORKERS": str(os.cpu_count() or 2)}
        self.process = subprocess.Popen([str(ROOT / ".venv/bin/amiable"), "serve"], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the service did not start")

    def client(self) -> Callable[[], None]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        body = json.dumps(REQUEST)
        headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}

        def post() -> None:
            conn.request("POST", "/v1/documents", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 201:
                raise RuntimeError(f"POST answered {response.status}")

        return post

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def throughput(service: Service, clients: int, per_client: int) -> float:
    posts = [service.client() for _ in range(clients)]
    for post in posts:  # warm every worker's fonts and templates
        post()
    errors: list[BaseException] = []

    def run(post: Callable[[], None]) -> None:
        try:
            for _ in range(per_client):
                post()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(post,)) for post in posts]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return clients * per_client / elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = floor(Path(tmp) / "keys")
        service = Service(Path(tmp) / "data")
        try:
            latency = median_ms(service.client(), warmup=5)
            one = throughput(service, 1, RUNS)
            four = throughput(service, 4, RUNS)
        finally:
            service.stop()
    print(f"one-page letter (relance), median of {RUNS}, {os.cpu_count()} cores")
    print(f"  floor  jinja2      {base['jinja2']:7.1f} ms")
    print(f"  floor  weasyprint  {base['weasyprint']:7.1f} ms")
    print(f"  floor  pyhanko     {base['pyhanko']:7.1f} ms   (seal; target <= 15 ms)")
    print(f"  floor  total       {base['total']:7.1f} ms")
    print(f"  service over HTTP  {latency:7.1f} ms   ratio {latency / base['total']:.2f} "
          "(aim <= 1.3)")
    print(f"  throughput 1 client   {one:6.1f} docs/s")
    print(f"  throughput 4 clients  {four:6.1f} docs/s   ratio {four / one:.2f} (aim >= 1.7)")


if __name__ == "__main__":
    main()
