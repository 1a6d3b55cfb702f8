"""Prometheus metrics: what the processes count and time, and gauges read from the state.

Counters and histograms live in this module and are updated where things happen (the HTTP
edge, the document pipeline's stages, the LibreOffice pool). Under `amiable serve` several
processes share them: gunicorn workers and the embedded batch workers, all forked from one
master. prometheus-client's multiprocess mode keeps each process's values in files under
PROMETHEUS_MULTIPROC_DIR (set by the server before this module is first imported, see
service.server) and sums them at scrape time. Gauges that describe the installation (queue,
signature requests, expiries) are not counted by anyone: they are read from the database at
scrape time (`StateCollector`), once, whichever worker answers.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import REGISTRY, GaugeMetricFamily
from prometheus_client.registry import Collector

from service.db import utcnow

CONTENT_TYPE = CONTENT_TYPE_LATEST
# From a fast HTTP answer (~5 ms) to a slow Word conversion (tens of seconds).
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

DOCUMENTS_ISSUED = Counter("amiable_documents_issued", "Documents issued (sealed and stored)",
                           ["kind"])
HTTP_DURATION = Histogram("amiable_http_request_duration_seconds",
                          "Time to answer an HTTP request, by route", ["method", "route",
                                                                       "status"],
                          buckets=_BUCKETS)
STAGE_DURATION = Histogram("amiable_document_stage_duration_seconds",
                           "Time spent in each stage of issuing a document",
                           ["stage"], buckets=_BUCKETS)
OFFICE_WORKERS = Gauge("amiable_libreoffice_workers",
                       "LibreOffice workers running (warm), summed over live processes",
                       multiprocess_mode="livesum")
OFFICE_BUSY = Gauge("amiable_libreoffice_busy", "LibreOffice conversions in progress",
                    multiprocess_mode="livesum")
OFFICE_CONVERSIONS = Counter("amiable_libreoffice_conversions", "Word to PDF/A conversions",
                             ["outcome"])
OFFICE_STARTS = Counter("amiable_libreoffice_worker_starts",
                        "LibreOffice workers started (first use, recycling, crash, timeout)")


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


@contextmanager
def stage(name: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        STAGE_DURATION.labels(name).observe(time.perf_counter() - started)


class OfficeWatch:
    """Follows a LibreOffice pool from outside: busy conversions, workers seen starting."""

    def __init__(self) -> None:
        self._seen: set[int] = set()

    @contextmanager
    def converting(self, pool: Any) -> Iterator[None]:
        OFFICE_BUSY.inc()
        outcome = "error"
        try:
            yield
            outcome = "ok"
        finally:
            OFFICE_BUSY.dec()
            OFFICE_CONVERSIONS.labels(outcome).inc()
            pids = set(pool.worker_pids())
            OFFICE_STARTS.inc(len(pids - self._seen))
            self._seen |= pids
            OFFICE_WORKERS.set(len(pids))


class StateCollector(Collector):
    """Gauges read from the database and the seal when Prometheus scrapes."""

    def __init__(self, services: Any) -> None:
        self.services = services

    def collect(self) -> Iterable[GaugeMetricFamily]:
        from service.operations import snapshot
        from service.pipeline import today_in_paris

        state = snapshot(self.services, utcnow(), today_in_paris(self.services.settings.clock))
        queue = GaugeMetricFamily("amiable_batch_queue_items", "Batch items waiting or being "
                                  "made", labels=["status"])
        queue.add_metric(["pending"], state.queue.pending)
        queue.add_metric(["running"], state.queue.running)
        yield queue
        age = GaugeMetricFamily("amiable_batch_queue_oldest_age_seconds",
                                "Age of the oldest pending batch item (0 when none)")
        age.add_metric([], state.queue.oldest_pending_age_seconds or 0.0)
        yield age
        requests = GaugeMetricFamily("amiable_signature_requests",
                                     "Signature requests by status", labels=["status"])
        for status in ("pending", "signed", "locked", "expired", "cancelled"):
            requests.add_metric([status], state.signature_requests.get(status, 0))
        yield requests
        seal = GaugeMetricFamily("amiable_seal_certificate_expiry_days",
                                 "Days until the seal certificate expires")
        seal.add_metric([], state.seal.days_left)
        yield seal
        rates = GaugeMetricFamily("amiable_rate_table_expiry_days",
                                  "Days until the last semester with known rates ends "
                                  "(negative: documents needing later rates are refused)")
        rates.add_metric([], state.rates.days_left if state.rates.days_left is not None else -1)
        yield rates
        if state.last_renewal is not None:
            renewal = GaugeMetricFamily("amiable_seal_renewal_last_run_timestamp_seconds",
                                        "When `amiable seals renew` last ran (Unix time)")
            renewal.add_metric([], state.last_renewal.at.timestamp())
            yield renewal


def exposition(services: Any) -> bytes:
    """The text Prometheus scrapes: every process's counters, and the state gauges."""
    registry = CollectorRegistry()
    if multiprocess_mode():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = _SingleProcess()
    registry.register(StateCollector(services))
    return generate_latest(registry)


class _SingleProcess(CollectorRegistry):
    """The default registry's metrics plus the ones registered here (tests, `flask run`)."""

    def collect(self) -> Iterator[Any]:
        yield from REGISTRY.collect()
        yield from super().collect()


def serve_in_thread(host: str, port: int, services: Any) -> None:
    """/metrics on its own port, for processes that serve no HTTP (`amiable worker`)."""
    import threading
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"this port serves /metrics only\n"]
        body = exposition(services)
        start_response("200 OK", [("Content-Type", CONTENT_TYPE),
                                  ("Content-Length", str(len(body)))])
        return [body]

    class Quiet(WSGIRequestHandler):
        def log_message(self, *_: Any) -> None:  # a scrape every 15 s is not news
            pass

    server = make_server(host, port, app, handler_class=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True,
                     name="amiable-metrics").start()


def process_exited(pid: int) -> None:
    """Forget a dead process's live gauges (its counters stay: they happened)."""
    if multiprocess_mode():
        multiprocess.mark_process_dead(pid)
