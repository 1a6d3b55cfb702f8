"""Can this process do its work now? The checks behind GET /readyz.

Each dependency is tried for real, with a short timeout: the database answers a query, the
seal certificate is loaded and not expired, the blob store accepts a write (folder) or its
bucket answers (S3), the broker accepts a connection and the SMTP server a NOOP (each only
when configured). A check's detail never carries a secret (no URL, no password).
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from service.db import utcnow

TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class Check:
    name: str
    state: str  # "ok" | "failed" | "not_configured"
    detail: str
    duration_ms: float

    @property
    def failed(self) -> bool:
        return self.state == "failed"

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state, "detail": self.detail, "duration_ms": self.duration_ms}


def _database(services: Any) -> str:
    with services.db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return services.db.engine.dialect.name


def _seal(services: Any) -> str:
    info = services.sealer.identity.info
    days = (info.not_after - utcnow()).days
    if days < 0:
        raise RuntimeError(f"the seal certificate expired on {info.not_after:%Y-%m-%d}")
    return f"{info.common_name}, expires in {days} days"


def _blob_store(services: Any) -> str:
    return str(services.store.check())


def _broker(services: Any) -> str | None:
    url = services.settings.broker_url
    if not url:
        return None
    from kombu import Connection

    with Connection(url, connect_timeout=TIMEOUT_SECONDS,
                    transport_options={"socket_timeout": TIMEOUT_SECONDS}) as connection:
        # One immediate retry, no backoff: a probe must answer within its own timeout.
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0,
                                     interval_max=0, timeout=TIMEOUT_SECONDS)
        return str(connection.transport_cls)


def _smtp(services: Any) -> str | None:
    settings = services.settings
    if not settings.smtp_host:
        return None
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS) as smtp:
        code, _ = smtp.noop()
        if code != 250:
            raise RuntimeError(f"the SMTP server answered NOOP with {code}")
    return f"{settings.smtp_host}:{settings.smtp_port}"


CHECKS: dict[str, Callable[[Any], str | None]] = {
    "database": _database, "seal": _seal, "blob_store": _blob_store, "broker": _broker,
    "smtp": _smtp}


def _run(name: str, check: Callable[[Any], str | None], services: Any) -> Check:
    started = time.perf_counter()
    try:
        detail = check(services)
        state = "ok" if detail is not None else "not_configured"
    except Exception as exc:  # any failure of a dependency is a "not ready", not a 500
        state, detail = "failed", _describe(exc)
    return Check(name, state, detail or "", round((time.perf_counter() - started) * 1000, 1))


def run_checks(services: Any) -> list[Check]:
    """Every check at once: the probe takes as long as the slowest, not their sum."""
    with ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="readyz") as pool:
        futures = [pool.submit(_run, name, check, services) for name, check in CHECKS.items()]
        return [future.result() for future in futures]


def _describe(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return message.splitlines()[0][:300]
