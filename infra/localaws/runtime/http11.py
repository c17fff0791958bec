"""Just enough HTTP/1.1 for a worker behind nginx: parse requests from a byte buffer, render responses.

No threads and no `http.server` (its per-request header parsing through `email` costs
more than the rest of the worker's overhead together).
"""
from __future__ import annotations

from http import HTTPStatus

from .events import HttpRequest, HttpResponse

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 6 * 1024 * 1024          # Lambda's synchronous payload limit
HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "upgrade",
                        "proxy-connection", "te", "trailer"})


class BadRequest(ValueError):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class ParsedHead:
    __slots__ = ("method", "target", "protocol", "headers", "body_start", "content_length", "chunked",
                 "keep_alive", "expects_continue")

    def __init__(self, method, target, protocol, headers, body_start, content_length, chunked, keep_alive,
                 expects_continue):
        self.method, self.target, self.protocol, self.headers = method, target, protocol, headers
        self.body_start, self.content_length, self.chunked = body_start, content_length, chunked
        self.keep_alive, self.expects_continue = keep_alive, expects_continue


def parse_head(buffer: bytes | bytearray) -> ParsedHead | None:
    """The request line and headers, or None while they are incomplete."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        if len(buffer) > MAX_HEADER_BYTES:
            raise BadRequest(431, "request headers too large")
        return None
    lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
    while lines and not lines[0]:            # tolerate stray CRLF between keep-alive requests
        lines.pop(0)
    try:
        method, target, protocol = lines[0].split(" ")
    except (ValueError, IndexError) as error:
        raise BadRequest(400, "malformed request line") from error
    if not protocol.startswith("HTTP/1."):
        raise BadRequest(505, "only HTTP/1.x is served")
    headers: list[tuple[str, str]] = []
    content_length, chunked, connection, expects_continue = 0, False, "", False
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise BadRequest(400, "malformed header line")
        value = value.strip()
        headers.append((name, value))
        lower = name.lower()
        if lower == "content-length":
            if not value.isdigit():
                raise BadRequest(400, "bad Content-Length")
            content_length = int(value)
        elif lower == "transfer-encoding":
            chunked = "chunked" in value.lower()
        elif lower == "connection":
            connection = value.lower()
        elif lower == "expect":
            expects_continue = value.lower() == "100-continue"
    if content_length > MAX_BODY_BYTES:
        raise BadRequest(413, "request body larger than 6 MB")
    keep_alive = "close" not in connection if protocol == "HTTP/1.1" else "keep-alive" in connection
    return ParsedHead(method, target, protocol, headers, end + 4, content_length, chunked, keep_alive,
                      expects_continue)


def _dechunk(buffer: bytes | bytearray, start: int) -> tuple[bytes, int] | None:
    body = bytearray()
    pos = start
    while True:
        line_end = buffer.find(b"\r\n", pos)
        if line_end < 0:
            return None
        try:
            size = int(bytes(buffer[pos:line_end]).split(b";", 1)[0].strip(), 16)
        except ValueError as error:
            raise BadRequest(400, "bad chunk size") from error
        pos = line_end + 2
        if size == 0:
            trailer_end = buffer.find(b"\r\n\r\n", pos - 2)
            return (bytes(body), trailer_end + 4) if trailer_end >= 0 else None
        if len(buffer) < pos + size + 2:
            return None
        body += buffer[pos:pos + size]
        if len(body) > MAX_BODY_BYTES:
            raise BadRequest(413, "request body larger than 6 MB")
        pos += size + 2


def parse_request(buffer: bytes | bytearray, peer_ip: str = "127.0.0.1"
                  ) -> tuple[HttpRequest, bool, int] | None:
    """(request, keep_alive, bytes consumed) once a whole request is in the buffer, else None."""
    head = parse_head(buffer)
    if head is None:
        return None
    if head.chunked:
        found = _dechunk(buffer, head.body_start)
        if found is None:
            return None
        body, consumed = found
    else:
        consumed = head.body_start + head.content_length
        if len(buffer) < consumed:
            return None
        body = bytes(buffer[head.body_start:consumed])
    request = HttpRequest(head.method, head.target, head.headers, body, peer_ip, head.protocol)
    return request, head.keep_alive, consumed


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _clean(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ")


def render_response(response: HttpResponse, *, keep_alive: bool, head_only: bool = False) -> bytes:
    lines = [f"HTTP/1.1 {response.status} {_reason(response.status)}"]
    for name, value in response.headers:
        if name.lower() not in HOP_BY_HOP:
            lines.append(f"{_clean(name)}: {_clean(value)}")
    lines.append(f"Content-Length: {len(response.body)}")
    lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
    return head if head_only else head + response.body
