"""Serve the app with gunicorn, one worker per core, the app preloaded before the fork.

Preloading imports WeasyPrint, parses stylesheets and loads the seal key once in the master;
each worker then drops the inherited database connections and opens its own. Beside the
HTTP workers runs the embedded batch pool (unless batches go to a Celery broker).
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import signal
from typing import Any

from flask import Flask
from gunicorn import glogging
from gunicorn.app.base import BaseApplication

from service.config import Settings

SIGNING_TOKEN = re.compile(r"(/sign/[A-Za-z0-9_-]{4})[A-Za-z0-9_-]+")


class _AccessLog(glogging.Logger):  # type: ignore[misc]
    """Gunicorn's logger, with the debtor's signing token masked in access lines: the link
    is a bearer secret, and logs travel further than the database."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "{raw_uri}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = SIGNING_TOKEN.sub(r"\1…", atoms[key])
        return dict(atoms)


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
    # Everything preloaded so far lives as long as the process: keep it out of the garbage
    # collector's scans, so forked workers neither pay for them nor copy their pages.
    gc.freeze()
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

    def on_exit(_server: Any) -> None:
        if pool_pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pool_pid, signal.SIGTERM)

    _Gunicorn(app, {
        "bind": f"{settings.host}:{settings.port}",
        "workers": settings.workers,
        "preload_app": True,
        "post_fork": post_fork,
        "on_exit": on_exit,
        "timeout": 120,
        "graceful_timeout": 30,
        "accesslog": "-",
        "logger_class": _AccessLog,
        "errorlog": "-",
    }).run()
