"""The operator's side of the HTTP edge: request ids, request timing, /metrics and /readyz.

Every response carries `X-Request-Id` (the caller's, when sane, else a new one); the same id
is on every log line written while serving it, and on gunicorn's access line. /metrics needs
an admin key, unless it is asked on the separate metrics port (AMIABLE_METRICS_PORT), which
answers nothing else. /readyz is for load balancers: no key, no secret in its answer.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import NotFound

from service import metrics, readiness
from service.logs import REQUEST_ID_ENVIRON, accepted_request_id, request_id
from service.web.api import ERRORS, api
from service.web.openapi import require_role
from service.web.ops_models import Readiness

bp = Blueprint("observability", __name__)
_METRICS_PORT_PATHS = {"/metrics", "/healthz", "/readyz"}


def _services() -> Any:
    return current_app.extensions["amiable"]


def on_metrics_port() -> bool:
    """Whether this request came in on AMIABLE_METRICS_PORT (gunicorn gives the socket)."""
    port = _services().settings.metrics_port
    sock = request.environ.get("gunicorn.socket")
    if port is None or sock is None:
        return False
    try:
        return int(sock.getsockname()[1]) == port
    except (OSError, IndexError, TypeError):
        return False


@api.operation(bp, "GET", "/metrics", tag="service",
               summary="Prometheus metrics (text exposition format)",
               description="Counters and latency histograms summed over every process of the "
               "server (HTTP and batch workers), and gauges read from the state: batch queue, "
               "signature requests by status, days until the seal certificate and the rate "
               "table expire. Needs an `admin` key, except on `AMIABLE_METRICS_PORT` when "
               "that is set.",
               responses={200: metrics.CONTENT_TYPE, 401: ERRORS[401], 403: ERRORS[403]},
               security=True)
def metrics_view() -> Response:
    if not on_metrics_port():
        require_role("admin")
    return Response(metrics.exposition(_services()),
                    headers={"Content-Type": metrics.CONTENT_TYPE})


@api.operation(bp, "GET", "/readyz", tag="service", summary="Readiness",
               description="Tries each dependency (database, seal, blob store, and the broker "
               "and SMTP server when configured) and reports each one's `state`: `ok`, "
               "`failed` or `not_configured`. `503` when one has failed: take this machine "
               "out of the load balancer. `/healthz` is the cheap liveness check.",
               responses={200: Readiness, 503: Readiness})
def readyz() -> tuple[Response, int]:
    checks = readiness.run_checks(_services())
    ready = not any(check.failed for check in checks)
    body = {"status": "ready" if ready else "not_ready",
            "checks": {check.name: check.as_json() for check in checks}}
    return jsonify(body), 200 if ready else 503


def register(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()
        rid = accepted_request_id(request.headers.get("X-Request-Id"))
        g.request_id = rid
        g.request_id_token = request_id.set(rid)
        request.environ[REQUEST_ID_ENVIRON] = rid
        if on_metrics_port() and request.path not in _METRICS_PORT_PATHS:
            raise NotFound("the metrics port serves /metrics, /healthz and /readyz only")

    @app.after_request
    def _finish(response: Response) -> Response:
        rid = g.get("request_id")
        if rid:
            response.headers["X-Request-Id"] = rid
        started = g.get("started")
        if started is not None:
            rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
            metrics.HTTP_DURATION.labels(request.method, rule, str(response.status_code)
                                         ).observe(time.perf_counter() - started)
        return response

    @app.teardown_request
    def _forget(_exc: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            request_id.reset(token)
