"""`make bench`: how fast Amiable is, next to how fast its libraries can go.

Prints, in one run on this machine:
  floor    the bare libraries, tuned as in the performance notes: Jinja2 fills the letter,
           WeasyPrint lays it out as PDF/A-3b (fonts and stylesheets loaded once, HarfBuzz
           subsetting), pyHanko seals it (key kept, signature size reserved);
  service  the end-to-end latency of POST /v1/documents for the same one-page letter over
           HTTP (gunicorn, SQLite, blob store, audit trail), and the ratio to the floor;
  scaling  documents per second with 4 concurrent clients over 1;
  verify   the median time of POST /v1/verify on a genuine one-page sealed letter, and the
           worst time on the hostile corpus (every forgery of issue 10, and files built to be
           costly: deep nesting, self-reference, huge counts, a field repeated 1,000 times);
  batches  documents per second for batches of 1,000 and 10,000 relances through the embedded
           worker pool, over twice the floor's rate (two cores), and the peak memory (RSS) of
           each worker process.
  listings on PostgreSQL (scripts/bench_listings.py, optional): p50/p95 of filtered pages
           of documents and cases over 1,000,000 documents and 100,000 cases.
Figures are medians; compare ratios measured in the same run, not across machines.
BENCH_RUNS (20) and BENCH_BATCHES ("1000,10000") make the run shorter or longer.
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
BATCHES = [int(n) for n in os.environ.get("BENCH_BATCHES", "1000,10000").split(",") if n]


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
    from service.pipeline import DocumentMeta, template_context, to_case
    from service.rates import shipped_rates
    from service.rendering.formatting import FILTERS
    from service.requests import DocumentRequest
    from signing import SealIdentity, ensure_development_seal, reserved_signature_bytes
    from signing.signer import KeptKeySigner

    letters = ROOT / "templates/letters"
    shared = ROOT / "templates/shared"
    request = DocumentRequest.model_validate(REQUEST)
    as_of = request.as_of or date.today()
    figures = compute_figures(to_case(request, as_of), shipped_rates())
    context = template_context(request, as_of, figures, DocumentMeta(
        id="doc_01KBENCH0000000000000000000", verify_url="http://localhost:8000/verify/"
        "doc_01KBENCH0000000000000000000", issued_on=as_of))

    env = jinja2.Environment(loader=jinja2.FileSystemLoader([letters, shared]),
                             autoescape=True)
    env.filters.update(FILTERS)
    template = env.get_template("relance.html")
    font_config = FontConfiguration()
    sheets = [CSS(filename=css, font_config=font_config) for css in
              [shared / "fonts.css", shared / "seal.css", *sorted(letters.glob("*.css"))]]

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
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)
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

    def call(self, method: str, path: str, body: object = None) -> dict:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        conn.request(method, path, body=None if body is None else json.dumps(body),
                     headers={"Authorization": f"Bearer {KEY}",
                              "Content-Type": "application/json"})
        response = conn.getresponse()
        payload = json.loads(response.read())
        if response.status >= 300:
            raise RuntimeError(f"{method} {path} answered {response.status}: {payload}")
        return payload

    def peak_rss_mb(self) -> dict[str, float]:
        """Peak resident memory (VmHWM) of each process of the service. The batch workers are
        the grandchildren of `amiable serve` (children of the pool manager)."""
        master = self.process.pid
        peaks: dict[str, float] = {}
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                pid = int(status.parent.name)
                if os.getpgid(pid) != master:
                    continue
                fields = dict(line.split(":", 1) for line in status.read_text().splitlines())
            except (OSError, ValueError):
                continue
            parent = int(fields["PPid"])
            try:  # the verification pool's fork server and the workers it forks
                command = (status.parent / "cmdline").read_bytes()
            except OSError:
                command = b""
            role = ("server master" if pid == master else
                    "verification worker" if b"forkserver" in command else
                    "multiprocessing tracker" if b"resource_tracker" in command else
                    "http worker/pool manager" if parent == master else "batch worker")
            peaks[f"{role} {pid}"] = int(fields["VmHWM"].split()[0]) / 1024
        return peaks

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def verify_times(service: Service) -> tuple[float, float, str]:
    """(median ms on a genuine letter, worst ms on the hostile corpus, its name)."""
    from tests import tampering

    document = service.call("POST", "/v1/documents", REQUEST)
    conn = http.client.HTTPConnection("127.0.0.1", service.port, timeout=120)
    conn.request("GET", document["links"]["pdf"], headers={"Authorization": f"Bearer {KEY}"})
    genuine = conn.getresponse().read()

    def verify(pdf: bytes) -> None:
        conn.request("POST", "/v1/verify", body=pdf, headers={
            "Authorization": f"Bearer {KEY}", "Content-Type": "application/pdf"})
        response = conn.getresponse()
        response.read()
        if response.status not in (200, 422):
            raise RuntimeError(f"POST /v1/verify answered {response.status}")

    median = median_ms(lambda: verify(genuine), warmup=5)
    corpus = {name: make(genuine) for name, make in tampering.FORGERIES.items()}
    corpus.update(tampering.hostile_files(genuine))
    worst, worst_name = 0.0, ""
    for name, pdf in corpus.items():
        elapsed = max(median_ms(lambda pdf=pdf: verify(pdf), runs=3, warmup=1), 0.0)
        if elapsed > worst:
            worst, worst_name = elapsed, name
    return median, worst, worst_name


def batch_rate(service: Service, size: int) -> float:
    """Documents per second for one batch of `size` relances, submission to last document."""
    items = []
    for i in range(size):
        item = json.loads(json.dumps(REQUEST))
        item["invoices"][0]["number"] = f"BENCH-{size}-{i:05d}"
        items.append(item)
    start = time.perf_counter()
    batch = service.call("POST", "/v1/batches", {"documents": items})
    while True:
        batch = service.call("GET", f"/v1/batches/{batch['id']}")
        if batch["status"] == "done":
            break
        time.sleep(0.5)
    elapsed = time.perf_counter() - start
    if batch["failed"]:
        raise RuntimeError(f"{batch['failed']} items failed")
    return size / elapsed


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
    rates: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = floor(Path(tmp) / "keys")
        service = Service(Path(tmp) / "data")
        try:
            latency = median_ms(service.client(), warmup=5)
            one = throughput(service, 1, RUNS)
            four = throughput(service, 4, RUNS)
            verify_median, verify_worst, worst_name = verify_times(service)
            for size in BATCHES:
                rates[size] = batch_rate(service, size)
            memory = service.peak_rss_mb()
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
    print(f"  verify genuine letter {verify_median:6.1f} ms   (aim < 150 ms)")
    print(f"  verify worst hostile  {verify_worst:6.1f} ms   ({worst_name}; aim < 2000 ms)")
    cores = os.cpu_count() or 1
    floor_rate = cores * 1000 / base["total"]
    for size, rate in rates.items():
        print(f"  batch of {size:>6,}      {rate:6.1f} docs/s   over {cores} x floor "
              f"({floor_rate:.1f} docs/s): {rate / floor_rate:.2f} (aim >= 0.8)")
    if len(rates) >= 2:
        small, large = rates[min(rates)], rates[max(rates)]
        print(f"  linear cost: {max(rates):,} items at {large / small:.2f} x the rate of "
              f"{min(rates):,} (aim within 10 %)")
    for name, mb in sorted(memory.items()):
        print(f"  peak RSS {name:<24} {mb:6.0f} MB" + ("   (aim <= 250 MB)"
                                                      if name.startswith("batch") else ""))
    # Optional: skipped, and said so, when no PostgreSQL server answers.
    import bench_listings

    print("\n".join(bench_listings.run()))


if __name__ == "__main__":
    main()
