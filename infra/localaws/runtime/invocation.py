"""Invoking a worker the way the Lambda Invoke API does (POST .../invocations), from another process."""
from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any


@dataclass
class Invocation:
    """A function's answer: its payload, or its error ({errorType, errorMessage, ...}) when error_type is set."""
    payload: Any
    error_type: str | None = None

    @property
    def failed(self) -> bool:
        return self.error_type is not None


class FunctionError(RuntimeError):
    """The handler raised (or timed out); `payload` is Lambda's error document."""

    def __init__(self, logical_id: str, payload: dict[str, Any]):
        self.logical_id = logical_id
        self.payload = payload
        self.error_type = payload.get("errorType", "Unhandled")
        super().__init__(f"{logical_id} failed: {self.error_type}: {payload.get('errorMessage', '')}")


def invoke_worker(port: int, logical_id: str, event: Any, *, timeout: float,
                  request_id: str | None = None, host: str = "127.0.0.1") -> Invocation:
    """One synchronous invoke on one worker. Raises OSError when the worker cannot be reached."""
    headers = {"Content-Type": "application/json"}
    if request_id:
        headers["X-Request-Id"] = request_id
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("POST", f"/2015-03-31/functions/{logical_id}/invocations",
                           body=json.dumps(event, default=str).encode("utf-8"), headers=headers)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise OSError(f"invoke of {logical_id} answered {response.status}: {data[:200]!r}")
    payload = json.loads(data) if data else None
    if response.getheader("X-Amz-Function-Error"):
        kind = payload.get("errorType") if isinstance(payload, dict) else None
        return Invocation(payload, kind or "Unhandled")
    return Invocation(payload)
