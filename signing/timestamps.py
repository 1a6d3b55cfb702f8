"""The RFC 3161 time-stamping client: one per process, built from ``AMIABLE_TSA_URL``.

pyHanko 0.38's default `HTTPTimeStamper` is the aiohttp client, which needs an event loop and
a session whose life we would have to manage; the `requests` client is synchronous, thread
safe and what the rest of the service already uses. One instance per process matters: it
caches the dummy token pyHanko asks for to size the signature (one TSA call, once).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

from signing.errors import SealConfigError

DEFAULT_TIMEOUT = 10.0
"""Seconds to wait for the TSA; a seal waits on it, so a dead TSA must fail fast."""


def make_timestamper(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> TimeStamper:
    """A client for the TSA at ``url`` (http or https). Raises `SealConfigError` on a bad URL."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise SealConfigError(
            f"AMIABLE_TSA_URL must be an http(s) URL of an RFC 3161 time-stamping service, "
            f"got {url!r}"
        )
    return RequestsHTTPTimeStamper(url, timeout=timeout)
