"""Serve the app with gunicorn, one worker per core, the app preloaded before the fork.

Preloading imports WeasyPrint, parses stylesheets and loads the seal key once in the master;
each worker then drops the inherited database connections and opens its own. Beside the
HTTP workers runs the embedded batch pool (unless batches go to a Celery broker).

Every process logs JSON lines (service.logs), gunicorn's access lines included, with the
request id and the debtor's signing token masked. Metrics are in prometheus-client's
multiprocess mode: `use_multiprocess_metrics` must run before anything imports it.
"""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from flask import Flask
from gunicorn import glogging
from gunicorn.app.base import BaseApplication

from service import hardening, logs
from service.config import Settings


def use_multiprocess_metrics(metrics_dir: Path) -> None:
    """Point prometheus-client at a fresh folder shared by every process of this server.

    Files left by an earlier run would add its counts to this one's: the folder is emptied.
    prometheus-client reads the variable when first imported, hence the check."""
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before its multiprocess folder "
                           "was set: metrics would miss the workers")
    shutil.rmtree(metrics_dir, ignore_errors=True)
    hardening.make_private_dir(metrics_dir)  # it may be the first to make the data dir
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir.resolve())


class _JsonLog(glogging.Logger):  # type: ignore[misc]
    """Gunicorn's logger writing JSON lines: the access line carries the request id, and
    the debtor's signing token is masked (the link is a bearer secret, and logs travel
    further than the database)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(logs.JsonFormatter())

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        uri = logs.mask_secrets(environ.get("RAW_URI") or environ.get("PATH_INFO", ""))
        method = environ.get("REQUEST_METHOD", "-")
        fields = {"method": method, "path": uri, "status": int(status),
                  "bytes": getattr(resp, "sent", None),
                  "duration_ms": round(request_time.total_seconds() * 1000, 1),
                  "remote_addr": environ.get("REMOTE_ADDR"),
                  "user_agent": logs.mask_secrets(environ.get("HTTP_USER_AGENT", "")),
                  "pid": os.getpid()}
        rid = environ.get(logs.REQUEST_ID_ENVIRON)
        self.access_log.info("%s %s %s", method, uri, status,
                             extra={"fields": fields, "request_id": rid})


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def serve(app: Flask, settings: Settings) -> None:
    services = app.extensions["amiable"]
    logs.configure()
    # Everything preloaded so far lives as long as the process: keep it out of the garbage
    # collector's scans, so forked workers neither pay for them nor copy their pages.
    gc.freeze()
    # Warn at start when a semester with no rates draws near; then each HTTP worker checks
    # daily. Checked here without a thread, and the connection closed: the master forks.
    from service import rates as rate_store

    rate_store.check_once(services)
    services.db.dispose()
    pool_pid: int | None = None
    if settings.broker_url is None and settings.batch_workers > 0:
        from service.batches.pool import start_beside_server

        pool_pid = start_beside_server(services, settings.batch_workers,
                                       settings.batch_lease_seconds)

    def post_fork(_server: Any, _worker: Any) -> None:
        from service.signature_requests import signatures

        services.db.dispose()
        # Each HTTP worker runs the outbox thread: e-mails, webhooks and expiry sweeps go
        # out even when no one has used the signing pages since the start.
        signatures(app)
        threading.Thread(target=rate_store.watch, args=(services, threading.Event()),
                         kwargs={"check_now": False}, daemon=True,
                         name="amiable-rates-watch").start()

    def child_exit(_server: Any, worker: Any) -> None:
        from service import metrics

        metrics.process_exited(worker.pid)

    def on_exit(_server: Any) -> None:
        if pool_pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pool_pid, signal.SIGTERM)

    bind = [f"{settings.host}:{settings.port}"]
    if settings.metrics_port:
        bind.append(f"{settings.host}:{settings.metrics_port}")
    _Gunicorn(app, {
        "bind": bind,
        "workers": settings.workers,
        "preload_app": True,
        "post_fork": post_fork,
        "on_exit": on_exit,
        "child_exit": child_exit,
        "timeout": 120,
        "graceful_timeout": 30,
        "accesslog": "-",
        "logger_class": _JsonLog,
        "errorlog": "-",
    }).run()
