"""Logs as JSON lines, each carrying the id of the request it belongs to.

One object per line (`ts`, `level`, `logger`, `message`, `request_id` when inside a request,
`exc` for a traceback) so a log pipeline needs no parser. The request id lives in a context
variable set by the HTTP edge; anything logged while serving that request carries it.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
import sys
from datetime import UTC, datetime
from typing import Any

REQUEST_ID_ENVIRON = "amiable.request_id"  # the WSGI environ key, for the access log
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id",
                                                                        default=None)

# What a caller's X-Request-Id may be to be kept as given (and written to logs): short,
# printable, no spaces or quotes that could forge fields in a log line.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
# The debtor's signing link is a bearer secret: mask it wherever it appears in a line.
SIGNING_TOKEN = re.compile(r"(/sign/[A-Za-z0-9_-]{4})[A-Za-z0-9_-]+")


def accepted_request_id(given: str | None) -> str:
    """The caller's X-Request-Id when it is sane, else a fresh random one."""
    if given and _SANE_REQUEST_ID.fullmatch(given):
        return given
    return "req_" + secrets.token_hex(12)


def mask_secrets(text: str) -> str:
    return SIGNING_TOKEN.sub(r"\1…", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": mask_secrets(record.getMessage()),
        }
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid:
            entry["request_id"] = rid
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exc"] = mask_secrets(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(level: int = logging.INFO) -> None:
    """Send every logger's records to stderr as JSON lines (the server and workers)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # WeasyPrint narrates every stylesheet and font at INFO (one document, dozens of lines),
    # Alembic each of its plugins at every start.
    for chatty in ("weasyprint", "weasyprint.progress", "fontTools", "alembic.runtime.plugins"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
