"""Where a crawl may connect: which IP addresses are public (``private_ip``), and DNS lookups
that end within a deadline (``lookup``)."""

from __future__ import annotations

import ipaddress
import socket
import threading
from typing import Any

DNS_TIMEOUT = 10.0  # seconds for one DNS lookup (and never past the deadline)
PRIVATE_REASON = "private or loopback address reached from a public site"
OTHER_PRIVATE_REASON = "private or loopback address other than the start URL's"

# Global by Python's table, yet not a public host of their own: 6to4 relays and NAT64
# prefixes (they carry an IPv4 address inside, a private one too) and IETF protocol addresses.
_NOT_PUBLIC = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.0.0/24", "192.88.99.0/24", "2002::/16", "64:ff9b::/96", "64:ff9b:1::/48")
)


def private_ip(address: str) -> bool:
    """True unless ``address`` is a public (globally reachable) unicast address."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        elif ip.teredo or ip.sixtofour:
            return True
    return (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or any(ip in net for net in _NOT_PUBLIC if net.version == ip.version)
    )


def lookup(host: str, timeout: float) -> list[str]:
    """The addresses ``host`` resolves to, waiting at most ``timeout`` seconds for DNS.

    Raises:
        TimeoutError: no answer in time (the lookup goes on in a daemon thread, unused).
        OSError: the name does not resolve.
    """
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["infos"] = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError, ValueError) as exc:
            box["error"] = exc

    worker = threading.Thread(target=work, name="mine-dns", daemon=True)
    worker.start()
    worker.join(max(timeout, 0.0))
    if worker.is_alive():
        raise TimeoutError(f"no DNS answer for {host} within {timeout:.3g} s")
    if "error" in box:
        error = box["error"]
        raise error if isinstance(error, OSError) else OSError(str(error))
    return list(dict.fromkeys(str(info[4][0]) for info in box["infos"]))


def bare(address: str) -> str:
    """An IP address without its zone (``fe80::1%eth0`` is ``fe80::1``)."""
    return address.split("%")[0]
