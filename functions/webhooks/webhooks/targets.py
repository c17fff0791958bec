"""Which URLs a webhook may be sent to (no server-side request forgery): one rule, checked when an
endpoint is registered or changed AND before every delivery (DNS may change in between), and the
delivery connects to the very address checked here (`Target.addresses`), never resolving again.

A target is refused unless
* its scheme is https, it has a host and no user:password@, and its port is 1–65535;
* its host resolves, and EVERY address it resolves to is public: not private, loopback, link-local
  (169.254.169.254, the cloud metadata service), multicast, reserved, unspecified, CGNAT
  (100.64.0.0/10), benchmarking or documentation space, nor an IPv6 address that embeds one of those
  (IPv4-mapped ::ffff:a.b.c.d, 6to4 2002::/16, Teredo, NAT64 64:ff9b::/96). One bad answer refuses
  the host: an attacker's DNS must not be able to mix one in.

The one exception is the explicit local test receiver (WEBHOOK_TEST_RECEIVER_ORIGIN, e.g.
http://127.0.0.1:8097, set by the dev stack; empty on AWS): a URL of exactly that origin may be http
and on loopback. Nothing else on loopback is, not even another port.
"""
from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

TEST_RECEIVER_ENV = "WEBHOOK_TEST_RECEIVER_ORIGIN"
MAX_URL_LENGTH = 2048

# not caught by `is_global` on every Python, or worth saying explicitly
_REFUSED_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
    "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
    "::/128", "::1/128", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8", "2001:db8::/32", "100::/64"))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

Resolver = Callable[[str, int], list[str]]


class TargetRefused(ValueError):
    """Why a URL may not be a webhook target (said to the admin as the `url` field's error)."""


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    path: str               # path and query, what the request line carries
    addresses: tuple[str, ...]


def is_public(address: str) -> bool:
    """Whether a webhook may connect to this IP address (see the module's documentation)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.teredo:
            return False          # a tunnel to wherever its server says: never a merchant's endpoint
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(str(embedded))       # the IPv4 address it reaches decides
    if any(ip.version == net.version and ip in net for net in _REFUSED_NETWORKS):
        return False
    return ip.is_global and not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
                                 or ip.is_reserved or ip.is_unspecified)


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def test_receiver_origin() -> str:
    return os.environ.get(TEST_RECEIVER_ENV, "").strip().rstrip("/").lower()


def _origin(scheme: str, host: str, port: int) -> str:
    return f"{scheme}://{host}:{port}"


def check(url: str, *, resolve: Resolver | None = None) -> Target:
    """The target `url` names, with the addresses to connect to; TargetRefused saying why not."""
    resolve = resolve or system_resolver
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise TargetRefused(f"Must be an https URL of at most {MAX_URL_LENGTH} characters.")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise TargetRefused("Must not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused("Not a valid URL (its port?).") from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if not host:
        raise TargetRefused("Must name a host.")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("Must not carry a user name or password.")
    if parts.fragment:
        raise TargetRefused("Must not have a #fragment.")
    port = (443 if scheme == "https" else 80) if port is None else port
    if not 1 <= port <= 65535:
        raise TargetRefused("The port must be 1 to 65535.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    allowed = test_receiver_origin()
    if allowed and _origin(scheme, host, port) == allowed:
        return Target(url, scheme, host, port, path, (host,) if _is_ip(host) else tuple(resolve(host, port)))
    if scheme != "https":
        raise TargetRefused("Must be an https URL.")
    try:
        addresses = tuple(resolve(host, port))
    except (OSError, UnicodeError):
        raise TargetRefused(f"The host {host!r} does not resolve.") from None
    if not addresses:
        raise TargetRefused(f"The host {host!r} does not resolve.")
    for address in addresses:
        if not is_public(address):
            raise TargetRefused("Must not point to a private, loopback, link-local or otherwise internal "
                                "address.")
    return Target(url, scheme, host, port, path, addresses)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
