"""The client's address: X-Forwarded-For is believed only when a configured proxy sent it."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(specs: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(spec, strict=False) for spec in specs)


def _trusted(address: str, proxies: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_ip(remote_addr: str | None, forwarded_for: str | None,
              proxies: tuple[Network, ...]) -> str:
    """Walk X-Forwarded-For from the right while hops are trusted proxies.

    The right-most entries were written by our own proxies; anything further left was
    written by the client and may be forged, so the first untrusted hop is the client.
    """
    address = remote_addr or "unknown"
    if not forwarded_for or not _trusted(address, proxies):
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        address = hop
        if not _trusted(hop, proxies):
            break
    return address
