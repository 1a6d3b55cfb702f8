"""Validate untrusted PDFs in worker processes with a time and memory limit (issue 10.4).

Caps on revisions, signatures and objects (`signing.validation`) bound the work pyHanko is
asked to do, but a hostile file can still find a slow path in a parser (a self-referencing
object, a stream that decompresses to gigabytes). A worker process can be stopped; a thread
cannot. Each verification runs in a small pool of warm processes (started by a fork server,
so they share nothing with the caller's threads, database connections or locks) under an
address-space limit; past the timeout the pool is killed and rebuilt, and the file is
refused. The workers log nothing: pyHanko warns once per malformed object, which would be
thousands of lines for one upload; the caller logs one line per request.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from signing.errors import InvalidPdfError, NoSignatureError, PdfTooComplexError
from signing.validation import PdfInspection, inspect_pdf

DEFAULT_TIMEOUT_SECONDS = 5.0
# Headroom above the worker's own footprint (~150 MB with pyHanko loaded); a one-page letter
# needs a few MB, a 25 MB scan a few hundred.
DEFAULT_MEMORY_BYTES = 768 * 1024 * 1024
# Starting the workers (a fork server, then pyHanko imported) takes a second or two on an
# idle machine: waited for apart, so it never counts against a file's time limit.
_START_TIMEOUT_SECONDS = 120.0
QUEUE_TIMEOUT_SECONDS = 30.0


class VerifierBusyError(Exception):
    """No worker became free in time (HTTP 503: retry later)."""


def _start_worker(memory_bytes: int) -> None:
    logging.disable(logging.CRITICAL)
    with open("/proc/self/statm") as statm:
        current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = current + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _ready() -> bool:
    return True


def _inspect(pdf: bytes, roots_der: list[bytes]) -> PdfInspection:
    roots = [x509.load_der_x509_certificate(der) for der in roots_der]
    try:
        return inspect_pdf(pdf, roots)
    except MemoryError:
        raise PdfTooComplexError("checking this PDF needs more memory than allowed") from None
    except (InvalidPdfError, NoSignatureError):
        raise
    except Exception as exc:
        # A parser path nobody listed (zlib, NotImplementedError for an exotic feature, …):
        # the file is still the caller's problem, not a server fault (issue 11.8).
        raise InvalidPdfError(f"not a readable PDF ({type(exc).__name__}: {exc})") from None


class BoundedValidator:
    """`inspect_pdf` in a pool of worker processes; share one per process, across threads."""

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT_SECONDS,
                 memory_bytes: int = DEFAULT_MEMORY_BYTES, workers: int = 2) -> None:
        self.timeout = timeout
        self._memory = memory_bytes
        self._workers = workers
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._pid = os.getpid()

    def inspect(self, pdf: bytes, roots: list[x509.Certificate]) -> PdfInspection:
        """Raises what `inspect_pdf` raises, and `PdfTooComplexError` past the limits."""
        roots_der = [c.public_bytes(serialization.Encoding.DER) for c in roots]
        for attempt in range(2):
            pool = self._current_pool()
            future = pool.submit(_inspect, pdf, roots_der)
            self._wait_for_a_worker(future)
            try:
                return future.result(timeout=self.timeout)
            except FutureTimeout:
                self._discard(pool)
                raise PdfTooComplexError(
                    f"checking this PDF takes longer than {self.timeout:g} s") from None
            except BrokenProcessPool:
                # our worker died (memory) or another request's timeout killed the pool
                self._discard(pool)
                if attempt:
                    raise PdfTooComplexError("checking this PDF exceeded the limits") from None
        raise AssertionError("unreachable")

    def _wait_for_a_worker(self, future: Future[PdfInspection]) -> None:
        """Wait while the file is queued behind others: the time limit is for the check
        itself, so a genuine file is not refused because hostile ones came first."""
        deadline = time.monotonic() + QUEUE_TIMEOUT_SECONDS
        while not (future.running() or future.done()):
            if time.monotonic() > deadline:
                future.cancel()
                raise VerifierBusyError("every verification worker is busy; try again shortly")
            time.sleep(0.005)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _current_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pid != os.getpid():  # forked (gunicorn): the parent's pool is not ours
                self._pool, self._pid = None, os.getpid()
            if self._pool is None:
                context = multiprocessing.get_context("forkserver")
                pool = ProcessPoolExecutor(
                    max_workers=self._workers, mp_context=context,
                    initializer=_start_worker, initargs=(self._memory,))
                for ready in [pool.submit(_ready) for _ in range(self._workers)]:
                    ready.result(timeout=_START_TIMEOUT_SECONDS)
                self._pool = pool
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
