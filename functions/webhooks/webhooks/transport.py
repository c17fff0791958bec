"""One HTTP POST to a checked target (`targets.Target`): to the address that was checked, never a
second resolution (TLS still verifies the certificate for the host name, sent as SNI); redirects are
never followed (a 3xx is a failed attempt); a timeout for connecting and for the answer; at most
`EXCERPT_BYTES` of the answer are read and kept."""
from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from .targets import Target

EXCERPT_BYTES = 1024
USER_AGENT = "Meridian-Webhooks/1.0"


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    response_excerpt: str | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _Pinned:
    """Connects to `address` whatever the Host header says."""

    address: str
    timeout: float
    port: int

    def connect(self):  # noqa: D401 - http.client's hook
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTP(_Pinned, http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        http.client.HTTPConnection.__init__(self, host, port, timeout=timeout)
        self.address = address


class _PinnedHTTPS(_Pinned, http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        http.client.HTTPSConnection.__init__(self, host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self):
        super().connect()
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host)


def post(target: Target, body: bytes, headers: dict[str, str], *, timeout: float) -> Outcome:
    """POST `body` to `target` at its first checked address; every failure is an Outcome, never raised."""
    began = time.monotonic()
    kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = kind(target.host, target.port, target.addresses[0], timeout)
    try:
        connection.request("POST", target.path, body=body, headers={
            "Content-Type": "application/json", "User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        excerpt = response.read(EXCERPT_BYTES).decode("utf-8", errors="replace")
        status, error = response.status, None
        if 300 <= status < 400:
            error = f"redirect to {response.getheader('Location', '?')[:200]} not followed"
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        status, excerpt, error = None, None, f"{type(exc).__name__}: {exc}"[:300]
    finally:
        connection.close()
    return Outcome(status, excerpt, error, int((time.monotonic() - began) * 1000))
