"""Serve the app with gunicorn, one worker per core, the app preloaded before the fork.

Preloading imports WeasyPrint, parses stylesheets and loads the seal key once in the master;
each worker then drops the inherited database connections and opens its own.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from service.config import Settings


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

    def post_fork(_server: Any, _worker: Any) -> None:
        services.db.dispose()

    _Gunicorn(app, {
        "bind": f"{settings.host}:{settings.port}",
        "workers": settings.workers,
        "preload_app": True,
        "post_fork": post_fork,
        "timeout": 120,
        "graceful_timeout": 30,
        "accesslog": "-",
        "errorlog": "-",
        "limit_request_line": 8190,
    }).run()
