"""One Lambda execution environment as a process: one function, one request at a time.

    python -m infra.localaws.runtime.worker --function MyFunction --port 0 --context ctx.json

* environment: exactly the function's (see spec.lambda_environment); sys.path: the
  function's CodeUri, then the layers' python dirs, then the interpreter's own;
* imports the handler once (cold start = process start → handler imported);
* serves HTTP/1.1 with keep-alive on many connections but runs one request at a time
  (a selector loop, no threads): `POST /2015-03-31/functions/<id>/invocations` is a raw
  Lambda invoke, `GET /__runtime/health` reports readiness, anything else becomes an
  API Gateway v1 or function-URL v2 event and its result an HTTP response;
* a handler running past the template Timeout is interrupted by SIGALRM → 504.
"""
from __future__ import annotations

import time

_IMPORTED_AT = time.time()

import importlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import selectors  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402
import uuid  # noqa: E402
from decimal import Decimal  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from infra.localaws.runtime import events, http11  # noqa: E402
from infra.localaws.runtime.context import LambdaContext  # noqa: E402
from infra.localaws.runtime.spec import ROOT, WorkerSpec, read_worker_setup  # noqa: E402

INVOKE_PATH = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations/?$")
HEALTH_PATH = "/__runtime/health"
JSON_HEADERS = [("Content-Type", "application/json")]


# what an API function's handler gets once before its first request (--warm-up), like a warmer's invocation
WARM_UP_EVENT = {"source": "warm-up"}


class HandlerTimeout(BaseException):
    """Raised by SIGALRM inside the handler; BaseException so `except Exception` cannot swallow it."""


def _on_alarm(signum, frame):
    raise HandlerTimeout()


def _lambda_json_default(value: Any) -> Any:
    if isinstance(value, Decimal):          # what Lambda's Python runtime does with Decimal
        return float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> str:
    return json.dumps(value, default=_lambda_json_default)


def process_start_epoch() -> float:
    """When this process was created (from /proc), for a cold start measured from process start."""
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            after_name = fh.read().rsplit(")", 1)[1].split()
        started_ticks = int(after_name[19])                  # field 22: starttime, in clock ticks since boot
        since_start = time.clock_gettime(time.CLOCK_BOOTTIME) - started_ticks / os.sysconf("SC_CLK_TCK")
        return time.time() - since_start
    except (OSError, ValueError, IndexError, AttributeError):
        return _IMPORTED_AT


class Outcome:
    __slots__ = ("result", "error_type", "error_message", "stack", "timed_out")

    def __init__(self, result: Any = None, error_type: str | None = None, error_message: str = "",
                 stack: list[str] | None = None, timed_out: bool = False):
        self.result, self.error_type, self.error_message = result, error_type, error_message
        self.stack, self.timed_out = stack or [], timed_out


class Worker:
    def __init__(self, spec: WorkerSpec, started_at: float):
        self.spec = spec
        self.started_at = started_at
        self.handler = None
        self.init_error: Outcome | None = None
        self.cold_start_ms: float | None = None
        self.warm_up_ms: float | None = None          # None: not warmed (warm_up)
        self.invocations = 0
        self.log_stream = f"{time.strftime('%Y/%m/%d', time.gmtime())}/[$LATEST]{uuid.uuid4().hex}"
        self.resources = [events.ApiResource(path, method) for path, method in spec.api_resources]

    # ------------------------------------------------------------------ init
    def become_execution_environment(self) -> None:
        """os.environ, sys.path and cwd as Lambda gives them to the function."""
        os.environ.clear()
        os.environ.update(self.spec.environment)
        own = {str(ROOT), "", os.getcwd()}
        rest = [p for p in sys.path if p not in own]
        sys.path[:] = [self.spec.code_uri, *self.spec.layer_paths, *rest]
        os.chdir(self.spec.code_uri)
        signal.signal(signal.SIGALRM, _on_alarm)

    def import_handler(self) -> None:
        module_name, _, attribute = self.spec.handler.rpartition(".")
        try:
            self.handler = getattr(importlib.import_module(module_name), attribute)
        except Exception as error:  # an init error is reported on every invoke, as Lambda does
            kind = "Runtime.HandlerNotFound" if isinstance(error, AttributeError) else "Runtime.ImportModuleError"
            self.init_error = Outcome(error_type=kind, error_message=f"Unable to import {self.spec.handler}: "
                                      f"{type(error).__name__}: {error}", stack=traceback.format_exc().splitlines())
            self._log_error(self.init_error, request_id=None)
        self.cold_start_ms = round((time.time() - self.started_at) * 1000, 1)

    def warm_up(self) -> None:
        """As provisioned concurrency readies an environment before traffic: one WARM_UP_EVENT invocation of an
        API function's handler, after its cold start is measured (cold_start_ms stays the import) and before
        it is ready, so the first request does not pay the function's lazy initialisation (imports, SDK
        clients, first SSM and secret reads). Its time is `warm_up_ms`; it is not counted as an invocation.
        The handler must answer it without side effects (meridian.api.ServiceApp does); an error is logged
        and the worker serves as it would have."""
        if self.init_error is not None or not self.resources:
            return
        began = time.time()
        self.run(dict(WARM_UP_EVENT), request_id=f"warm-up-{uuid.uuid4()}")
        self.invocations = 0
        self.warm_up_ms = round((time.time() - began) * 1000, 1)

    def ready_report(self) -> dict[str, Any]:
        report = {"status": "ok" if self.init_error is None else "init_error", "function": self.spec.logical_id,
                  "pid": os.getpid(), "cold_start_ms": self.cold_start_ms, "invocations": self.invocations,
                  "warm_up_ms": self.warm_up_ms}
        if self.init_error is not None:
            report["error"] = self.init_error.error_message
        return report

    # ------------------------------------------------------------------ invoking the handler
    def run(self, event: Any, request_id: str) -> Outcome:
        if self.init_error is not None:
            return self.init_error
        self.invocations += 1
        timeout = float(self.spec.timeout)
        context = LambdaContext(request_id=request_id, function_name=self.spec.function_name, arn=self.spec.arn,
                                memory_mb=self.spec.memory, log_stream_name=self.log_stream, timeout_s=timeout)
        try:
            try:
                # re-arms every second, in case the handler swallows the first HandlerTimeout
                signal.setitimer(signal.ITIMER_REAL, timeout, 1.0)
                result = self.handler(event, context)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except HandlerTimeout:
            message = f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds"
            outcome = Outcome(error_type="Sandbox.Timedout", error_message=message, timed_out=True)
            self._log_error(outcome, request_id)
            return outcome
        except (Exception, SystemExit) as error:
            outcome = Outcome(error_type=type(error).__name__, error_message=str(error),
                              stack=traceback.format_exc().splitlines())
            self._log_error(outcome, request_id)
            return outcome
        return Outcome(result)

    def _log_error(self, outcome: Outcome, request_id: str | None) -> None:
        sys.stderr.write(json.dumps({"level": "ERROR", "location": "infra.localaws.runtime.worker",
                                     "function": self.spec.logical_id, "request_id": request_id,
                                     "errorType": outcome.error_type, "errorMessage": outcome.error_message,
                                     "stackTrace": outcome.stack}) + "\n")
        sys.stderr.flush()

    # ------------------------------------------------------------------ requests
    def respond(self, request: events.HttpRequest) -> events.HttpResponse:
        path = request.raw_path
        if path == HEALTH_PATH:
            return events.HttpResponse(200, list(JSON_HEADERS), json.dumps(self.ready_report()).encode())
        invoke = INVOKE_PATH.match(path)
        if invoke and request.method == "POST":
            return self.respond_to_invoke(invoke.group(1), request)
        return self.respond_to_http(request)

    def respond_to_invoke(self, name: str, request: events.HttpRequest) -> events.HttpResponse:
        request_id = request.header("x-request-id") or str(uuid.uuid4())
        if name not in (self.spec.logical_id, self.spec.function_name, self.spec.arn):
            return _aws_error(404, "ResourceNotFoundException", f"Function not found: {name}")
        try:
            event = json.loads(request.body) if request.body else {}
        except ValueError:
            return _aws_error(400, "InvalidRequestContentException", "Could not parse request body into json")
        outcome = self.run(event, request_id)
        headers = [*JSON_HEADERS, ("X-Amz-Executed-Version", "$LATEST"), ("x-amzn-RequestId", request_id)]
        if outcome.error_type is None:
            try:
                return events.HttpResponse(200, headers, dumps(outcome.result).encode())
            except (TypeError, ValueError) as error:
                outcome = Outcome(error_type="Runtime.MarshalError",
                                  error_message=f"Unable to marshal response: {error}")
        payload = {"errorMessage": outcome.error_message, "errorType": outcome.error_type,
                   "requestId": request_id, "stackTrace": outcome.stack}
        return events.HttpResponse(200, [*headers, ("X-Amz-Function-Error", "Unhandled")], dumps(payload).encode())

    def respond_to_http(self, request: events.HttpRequest) -> events.HttpResponse:
        request_id = request.header("x-request-id") or str(uuid.uuid4())
        if self.spec.function_url:
            event = events.function_url_event(request, request_id)
            to_http = _v2_response
        else:
            matched = events.match_resource(self.resources, request.raw_path, request.method)
            if matched is None:
                return events.problem_response(404, "Not Found", "not-found",
                                               f"No API resource of {self.spec.logical_id} matches "
                                               f"{request.method} {request.raw_path}.", request_id)
            event = events.api_gateway_v1_event(request, matched[0], matched[1], request_id)
            to_http = events.http_response_from_v1
        outcome = self.run(event, request_id)
        if outcome.timed_out:
            response = events.problem_response(504, "Gateway Timeout", "timeout",
                                               f"The function did not answer within {self.spec.timeout} s.",
                                               request_id)
        elif outcome.error_type is not None:
            response = events.problem_response(502, "Bad Gateway", "bad-gateway",
                                               "The function failed; see its log for the error.", request_id)
        else:
            try:
                response = to_http(outcome.result)
            except (events.MalformedResult, TypeError, ValueError) as error:
                self._log_error(Outcome(error_type="MalformedResult", error_message=str(error)), request_id)
                response = events.problem_response(502, "Bad Gateway", "bad-gateway",
                                                   "The function returned a malformed proxy response.", request_id)
        if response.header("x-request-id") is None:
            response.headers.append(("X-Request-Id", request_id))
        return response


def _v2_response(result: Any) -> events.HttpResponse:
    return events.http_response_from_v2(result, dumps=dumps)


def _aws_error(status: int, kind: str, message: str) -> events.HttpResponse:
    return events.HttpResponse(status, [*JSON_HEADERS, ("x-amzn-ErrorType", kind)],
                               json.dumps({"Type": "User", "message": message}).encode())


# ---------------------------------------------------------------------------- the server loop
class Connection:
    __slots__ = ("sock", "buffer", "peer_ip", "continued")

    def __init__(self, sock: socket.socket, peer_ip: str):
        self.sock, self.buffer, self.peer_ip, self.continued = sock, bytearray(), peer_ip, False


def serve(worker: Worker, listener: socket.socket, parent_pid: int | None) -> None:
    selector = selectors.DefaultSelector()
    listener.setblocking(False)
    selector.register(listener, selectors.EVENT_READ, None)
    while True:
        for key, _ in selector.select(timeout=1.0):
            if key.data is None:
                _accept(selector, listener)
            else:
                _read(selector, key.data, worker)
        if parent_pid is not None and os.getppid() != parent_pid:
            return                                         # the supervisor is gone: leave no orphan


def _accept(selector: selectors.BaseSelector, listener: socket.socket) -> None:
    while True:
        try:
            sock, address = listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        sock.setblocking(True)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        selector.register(sock, selectors.EVENT_READ, Connection(sock, address[0]))


def _close(selector: selectors.BaseSelector, conn: Connection) -> None:
    selector.unregister(conn.sock)
    conn.sock.close()


def _read(selector: selectors.BaseSelector, conn: Connection, worker: Worker) -> None:
    try:
        data = conn.sock.recv(262144)
    except OSError:
        data = b""
    if not data:
        _close(selector, conn)
        return
    conn.buffer += data
    try:
        while conn.buffer:
            parsed = http11.parse_request(conn.buffer, conn.peer_ip)
            if parsed is None:
                head = http11.parse_head(conn.buffer)
                if head is not None and head.expects_continue and not conn.continued:
                    conn.continued = True
                    conn.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                return
            request, keep_alive, consumed = parsed
            del conn.buffer[:consumed]
            conn.continued = False
            response = worker.respond(request)
            conn.sock.sendall(http11.render_response(response, keep_alive=keep_alive,
                                                     head_only=request.method == "HEAD"))
            if not keep_alive:
                _close(selector, conn)
                return
    except http11.BadRequest as error:
        response = events.problem_response(error.status, "Bad Request", "bad-request", str(error), "")
        _send_quietly(conn.sock, http11.render_response(response, keep_alive=False))
        _close(selector, conn)
    except OSError:
        _close(selector, conn)


def _send_quietly(sock: socket.socket, data: bytes) -> None:
    try:
        sock.sendall(data)
    except OSError:
        pass


# ---------------------------------------------------------------------------- entry point
class Args:
    """Command-line options (parsed by hand: argparse costs a cold start ~10 ms for nothing)."""
    function: str
    context: Path
    port: int = 0
    host: str = "127.0.0.1"
    listen_fd: int | None = None
    ready_fd: int | None = None
    spawned_at: float | None = None
    exit_with_parent: bool = False
    warm_up: bool = False


USAGE = ("usage: python -m infra.localaws.runtime.worker --function <LogicalId> --context <file>\n"
         "       [--port P] [--host H] [--listen-fd FD] [--ready-fd FD] [--spawned-at EPOCH] [--exit-with-parent]"
         " [--warm-up]")
_OPTIONS = {"--function": str, "--context": Path, "--port": int, "--host": str, "--listen-fd": int,
            "--ready-fd": int, "--spawned-at": float}


def parse_args(argv: list[str] | None = None) -> Args:
    args, items = Args(), list(sys.argv[1:] if argv is None else argv)
    while items:
        option = items.pop(0)
        name, _, inline = option.partition("=")
        if option in ("-h", "--help"):
            print(USAGE)
            sys.exit(0)
        if option == "--exit-with-parent":
            args.exit_with_parent = True
        elif option == "--warm-up":
            args.warm_up = True
        elif name in _OPTIONS and (inline or items):
            setattr(args, name[2:].replace("-", "_"), _OPTIONS[name](inline or items.pop(0)))
        else:
            sys.exit(f"{USAGE}\nunexpected argument: {option}")
    if not getattr(args, "function", None) or not getattr(args, "context", None):
        sys.exit(f"{USAGE}\n--function and --context are required")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started_at = args.spawned_at or process_start_epoch()
    parent_pid = os.getppid() if args.exit_with_parent else None
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    if args.listen_fd is not None:
        listener = socket.socket(fileno=args.listen_fd)
    else:
        listener = socket.create_server((args.host, args.port), backlog=128)
    spec, runtime_settings = read_worker_setup(args.context, args.function)
    events.configure(**runtime_settings)
    if spec.api_resources:
        events.routing  # noqa: B018 - loaded now: part of the cold start, and a missing one fails the start
    worker = Worker(spec, started_at)
    worker.become_execution_environment()
    worker.import_handler()
    if args.warm_up:
        worker.warm_up()
    report = worker.ready_report()
    report["port"] = listener.getsockname()[1]
    line = json.dumps({"event": "ready", **report})
    print(line, flush=True)
    if args.ready_fd is not None:
        with os.fdopen(args.ready_fd, "w") as ready:
            ready.write(line + "\n")
    serve(worker, listener, parent_pid)


if __name__ == "__main__":
    main()
