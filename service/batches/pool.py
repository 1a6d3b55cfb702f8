"""The embedded worker pool: batch workers as child processes of the server.

Started from gunicorn's master once the app is preloaded, so each worker is a fork that
already has WeasyPrint imported, stylesheets parsed and the seal key loaded. A supervisor
thread restarts a worker that dies; the pool stops with the server. A worker killed mid-item
loses nothing: its lease runs out and another worker finishes the item (see queue.py).
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
import threading
from datetime import timedelta
from multiprocessing.process import BaseProcess
from typing import Any

from service.batches import worker

log = logging.getLogger("amiable.batches")


def _work(services: Any, lease_seconds: float) -> None:
    services.db.dispose()  # never share the parent's connections
    gc.enable()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    worker.run(services, stop, lease=timedelta(seconds=lease_seconds))


class WorkerPool:
    def __init__(self, services: Any, size: int, lease_seconds: float) -> None:
        self.services = services
        self.size = size
        self.lease_seconds = lease_seconds
        self._context = multiprocessing.get_context("fork")
        self._processes: list[BaseProcess] = []
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None

    def _spawn(self) -> BaseProcess:
        # What the parent loaded (WeasyPrint, templates, the seal) is frozen out of the
        # garbage collector's reach: the children never scan it again, nor copy its pages.
        gc.disable()
        gc.freeze()
        process = self._context.Process(target=_work, name="amiable-batch-worker",
                                         args=(self.services, self.lease_seconds), daemon=True)
        process.start()
        gc.enable()
        return process

    def start(self) -> None:
        self._processes = [self._spawn() for _ in range(self.size)]
        log.info("batch pool: %d workers (pids %s)", self.size,
                 ", ".join(str(p.pid) for p in self._processes))
        self._supervisor = threading.Thread(target=self._supervise, daemon=True,
                                            name="amiable-batch-supervisor")
        self._supervisor.start()

    def _supervise(self) -> None:
        while not self._stopping.wait(1.0):
            for i, process in enumerate(self._processes):
                if not process.is_alive() and not self._stopping.is_set():
                    log.warning("batch worker %s exited (%s); restarting", process.pid,
                                process.exitcode)
                    _forget_metrics(process.pid)
                    self._processes[i] = self._spawn()

    def stop(self, timeout: float = 30) -> None:
        self._stopping.set()
        for process in self._processes:
            if process.is_alive() and process.pid:
                os.kill(process.pid, signal.SIGTERM)
        for process in self._processes:
            process.join(timeout)
            _forget_metrics(process.pid)


def _forget_metrics(pid: int | None) -> None:
    from service import metrics

    if pid:
        metrics.process_exited(pid)


def start_beside_server(services: Any, size: int, lease_seconds: float) -> int:
    """Fork a pool manager process and return its pid.

    The manager, not the server, is the parent of the workers: gunicorn's master reaps every
    child it has, which would hide a dead worker from the supervisor. The manager stops its
    workers on SIGTERM and when the server's process goes away.
    """
    server_pid = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        pool = WorkerPool(services, size, lease_seconds)
        pool.start()
        while not stop.wait(1.0):
            if os.getppid() != server_pid:
                break
        pool.stop()
    except BaseException:
        log.exception("batch pool manager failed")
        code = 1
    finally:
        os._exit(code)
