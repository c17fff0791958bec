"""The `context` object a handler receives, with the fields Lambda's Python runtime gives it."""
from __future__ import annotations

import time


class LambdaContext:
    __slots__ = ("aws_request_id", "function_name", "function_version", "invoked_function_arn",
                 "memory_limit_in_mb", "log_group_name", "log_stream_name", "identity", "client_context",
                 "tenant_id", "_deadline")

    def __init__(self, *, request_id: str, function_name: str, arn: str, memory_mb: int, log_stream_name: str,
                 timeout_s: float, now: float | None = None):
        self.aws_request_id = request_id
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = arn
        self.memory_limit_in_mb = memory_mb
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = log_stream_name
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline = (time.monotonic() if now is None else now) + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
