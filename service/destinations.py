"""Where a webhook may go: the outside world only, over https, never by a redirect.

A webhook URL is chosen by whoever holds an API key (a batch's `webhook_url`), so without a
check it would make the service post to itself, to the cloud metadata endpoint
(169.254.169.254) or to any machine of the private network (server-side request forgery).
The host is resolved and every address it has must be public; the check runs when the URL
is given (a 422) and again right before each delivery, because DNS can change between the
two. The delivery then connects to the very address that was checked (the host name is kept
for TLS: SNI and certificate verification), so a second lookup cannot swap it, and it never
follows a redirect (a public receiver could otherwise bounce the post inward).

Two allowances exist for development and tests only: `allow_http`
(AMIABLE_ALLOW_HTTP_WEBHOOKS=1) and `allow_private` (a Settings field, never read from the
environment, so a production deployment cannot be talked into it).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import certifi
import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IPv6 prefixes that carry an IPv4 address the connection ends up at (RFC 6052 NAT64).
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class UnsafeDestination(ValueError):
    """The URL may not receive webhooks; the message says why, for the caller."""


class Unresolvable(UnsafeDestination):
    """The host has no address now (it may have one later: at start, only a warning)."""


class DeliveryError(Exception):
    """The receiver could not be reached or did not accept the webhook."""


@dataclass(frozen=True)
class WebhookPolicy:
    allow_http: bool = False
    allow_private: bool = False

    @classmethod
    def from_settings(cls, settings: Any) -> WebhookPolicy:
        return cls(allow_http=bool(getattr(settings, "webhook_allow_http", False)),
                   allow_private=bool(getattr(settings, "webhook_allow_private", False)))


@dataclass(frozen=True)
class Destination:
    """A checked URL and the addresses its host had when checked."""

    scheme: str
    host: str
    port: int
    target: str  # path and query, as sent on the request line
    addresses: tuple[IpAddress, ...]


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in prefix for prefix in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: IpAddress) -> str | None:
    """Why `address` is not the outside world (None when it is)."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None:
            reason = refusal(inner)
            return f"{reason} (inside the IPv6 address {address})" if reason else None
    for test, name in ((address.is_unspecified, "unspecified"),
                       (address.is_loopback, "loopback"),
                       (address.is_link_local, "link-local"),
                       (address.is_multicast, "multicast"),
                       (address.is_reserved, "reserved"),
                       (address.is_private, "private")):
        if test:
            return f"{address} is a {name} address"
    if not address.is_global:  # 100.64.0.0/10 (carrier-grade NAT) and other special ranges
        return f"{address} is not a public address"
    return None


def resolve(host: str, port: int) -> tuple[IpAddress, ...]:
    """Every address `host` has now (the one place names are looked up; tests replace it)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Unresolvable(f"the webhook host {host!r} cannot be resolved ({exc})") from None
    found: list[IpAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    if not found:
        raise Unresolvable(f"the webhook host {host!r} has no address")
    return tuple(found)


def check(url: str, policy: WebhookPolicy) -> Destination:
    """The destination behind `url`, or UnsafeDestination saying what is wrong with it."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeDestination(f"the webhook URL is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and policy.allow_http):
        raise UnsafeDestination("the webhook URL must use https (http is accepted only with "
                                "AMIABLE_ALLOW_HTTP_WEBHOOKS=1, for development)")
    if parts.username is not None or parts.password is not None:
        raise UnsafeDestination("the webhook URL must not carry credentials; webhooks are "
                                "authenticated by their signature")
    host = parts.hostname
    if not host:
        raise UnsafeDestination("the webhook URL has no host")
    port = port or (443 if scheme == "https" else 80)
    addresses = resolve(host, port)
    if not policy.allow_private:
        for address in addresses:
            reason = refusal(address)
            if reason:
                raise UnsafeDestination(f"webhooks go only to the outside world: {host} "
                                        f"resolves to {reason}")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(scheme, host, port, target, addresses)


def post(url: str, body: bytes, headers: dict[str, str], *, policy: WebhookPolicy,
         timeout: float, ca_certs: str | None = None) -> int:
    """POST `body` to `url` after checking it again; return the status (2xx), else raise.

    Connects to the address just checked; TLS still verifies the certificate for the host
    name. A 3xx is a failure: redirects are never followed.
    """
    destination = check(url, policy)
    address = str(destination.addresses[0])
    host_header = destination.host if ":" not in destination.host else f"[{destination.host}]"
    if destination.port != (443 if destination.scheme == "https" else 80):
        host_header += f":{destination.port}"
    pool: urllib3.HTTPConnectionPool
    if destination.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, destination.port, server_hostname=destination.host,
            assert_hostname=destination.host, cert_reqs="CERT_REQUIRED",
            ca_certs=ca_certs or certifi.where(), retries=False, timeout=timeout)
    else:
        pool = urllib3.HTTPConnectionPool(address, destination.port, retries=False,
                                          timeout=timeout)
    try:
        with pool:
            response = pool.urlopen("POST", destination.target, body=body,
                                    headers={**headers, "Host": host_header},
                                    redirect=False, assert_same_host=False)
    except Urllib3Error as exc:
        raise DeliveryError(f"the receiver could not be reached: {exc}") from None
    status = int(response.status)
    if 300 <= status < 400:
        raise DeliveryError(f"the receiver answered {status} (a redirect, not followed)")
    if not 200 <= status < 300:
        raise DeliveryError(f"the receiver answered {status}")
    return status
