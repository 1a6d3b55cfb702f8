"""DOCX → PDF/A-3b with a small pool of warm LibreOffice processes.

A cold `soffice --convert-to pdf` costs about a second per document; a LibreOffice kept
running converts a one-page letter in a fraction of that. Each worker is
`uno_worker.py` run by the system Python (the only one with the UNO bridge) and owns one
`soffice` with its own profile. A worker converts one document at a time, so the pool holds
a few of them; it is started lazily, on the first conversion, so a service without Word
templates never starts LibreOffice.

A worker is replaced after `max_conversions` documents (LibreOffice grows over time), when
it crashes, and when a conversion outlives `timeout` (its whole process group is killed).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import queue
import selectors
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SYSTEM_PYTHON = "/usr/bin/python3"
WORKER_SCRIPT = Path(__file__).resolve().parent / "uno_worker.py"
START_TIMEOUT = 60.0


class ConversionError(RuntimeError):
    """LibreOffice could not turn a document into a PDF (bad file, crash or timeout)."""


@dataclass(frozen=True)
class PoolSettings:
    size: int = 2
    max_conversions: int = 200
    timeout: float = 30.0
    soffice: str = "soffice"


def _read_line(stream: Any, timeout: float) -> str | None:
    """One line from a worker's stdout, or None when it does not come in time."""
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout):
            return None
    return stream.readline()


class Worker:
    """One system-Python UNO worker and its soffice, in their own process group."""

    def __init__(self, soffice: str) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="amiable-lo-"))
        self.conversions = 0
        pipe_name = f"amiable-{os.getpid()}-{self.home.name}"
        self.process = subprocess.Popen(
            [SYSTEM_PYTHON, str(WORKER_SCRIPT), shutil.which(soffice) or soffice, pipe_name,
             (self.home / "profile").as_uri()],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, start_new_session=True, env={**os.environ, "HOME": str(self.home)})
        ready = self._answer(START_TIMEOUT)
        if not ready.get("ready"):
            self.stop()
            raise ConversionError("LibreOffice did not start")

    def _answer(self, timeout: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = _read_line(self.process.stdout, timeout)
        if not line:
            self.kill()
            raise ConversionError("LibreOffice did not answer in time" if line is None
                                  else "LibreOffice stopped")
        return json.loads(line)

    def convert(self, docx: bytes, timeout: float) -> bytes:
        assert self.process.stdin is not None
        job = Path(tempfile.mkdtemp(prefix="job-", dir=self.home))
        try:
            source, target = job / "document.docx", job / "document.pdf"
            source.write_bytes(docx)
            try:
                self.process.stdin.write(json.dumps({"in": str(source), "out": str(target)})
                                         + "\n")
                self.process.stdin.flush()
            except (BrokenPipeError, OSError) as exc:
                self.kill()
                raise ConversionError("LibreOffice stopped") from exc
            result = self._answer(timeout)
            self.conversions += 1
            if not result.get("ok"):
                raise ConversionError(f"LibreOffice could not convert the document: "
                                      f"{result.get('error')}")
            return target.read_bytes()
        finally:
            shutil.rmtree(job, ignore_errors=True)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Close stdin so the worker shuts LibreOffice down, then make sure it is gone."""
        if self.alive and self.process.stdin is not None:
            try:
                self.process.stdin.close()
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        shutil.rmtree(self.home, ignore_errors=True)


class LibreOfficePool:
    """Up to `size` warm workers; `convert()` borrows one, or waits for one to be free."""

    def __init__(self, settings: PoolSettings | None = None) -> None:
        self.settings = settings or PoolSettings()
        self._idle: queue.LifoQueue[Worker | None] = queue.LifoQueue()
        self._lock = threading.Lock()
        self._started = False
        self._all: set[Worker] = set()
        self._owner = os.getpid()

    def _start_slots(self) -> None:
        # Slots (None) are turned into workers on first use: no soffice until needed.
        with self._lock:
            if self._started and self._owner == os.getpid():
                return
            if self._owner != os.getpid():  # forked: the parent's workers are not ours
                self._idle, self._all, self._owner = queue.LifoQueue(), set(), os.getpid()
            for _ in range(self.settings.size):
                self._idle.put(None)
            self._started = True
            atexit.register(self.close)

    def convert(self, docx: bytes) -> bytes:
        """The PDF/A-3b LibreOffice makes of `docx`; ConversionError if it cannot."""
        self._start_slots()
        worker = self._idle.get()
        try:
            if worker is None or not worker.alive:
                worker = self._spawn()
            return worker.convert(docx, self.settings.timeout)
        finally:
            self._idle.put(self._recycle(worker))

    def _spawn(self) -> Worker:
        started = time.monotonic()
        worker = Worker(self.settings.soffice)
        with self._lock:
            self._all.add(worker)
        log.info("LibreOffice worker started in %.1f s", time.monotonic() - started)
        return worker

    def _recycle(self, worker: Worker | None) -> Worker | None:
        if worker is None:
            return None
        if worker.alive and worker.conversions < self.settings.max_conversions:
            return worker
        worker.stop()
        with self._lock:
            self._all.discard(worker)
        return None

    def worker_pids(self) -> list[int]:
        """Process ids of the running workers (for operators and tests)."""
        with self._lock:
            return [w.process.pid for w in self._all if w.alive]

    def close(self) -> None:
        with self._lock:
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.stop()
