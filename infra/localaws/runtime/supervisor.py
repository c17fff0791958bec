"""The runtime as infra/localaws/stack.py uses it: workers per function, SQS pollers, the scheduler.

    rt = Runtime(template, context, workers_per_function=2, log_dir=Path(".local/logs"), sqs_concurrency=4,
                 path_matcher="src/routing.py", problem_type_base="https://example.com/problems/")
    rt.start()          # every worker answers health; pollers and scheduler run
    rt.upstreams        # {"ApiFunction": [port, port], ...}  (HTTP-facing functions)
    rt.api_routes       # {"/api/items": "ApiFunction", ...}
    rt.invoke("NightlyFunction", event)
    rt.stop()           # no process left behind

Each worker listens on a socket the supervisor created (port 0 → a free port) and
inherited, so a worker that dies is restarted on the same port and nginx never notices.
HTTP-facing functions get `workers_per_function` workers; an SQS-triggered function gets one
worker per batch it may have in flight (the sum of its SQS event sources' concurrency:
`ScalingConfig.MaximumConcurrency`, else `sqs_concurrency`), with as many pollers; other
functions get one. Invokes from pollers, schedules and `invoke()` go to the function's least
busy worker, so concurrent batches run side by side instead of queueing on one worker.
Cold starts are measured with at most one starting worker per CPU, so that a number is a
cold start and not a queue for the CPU. Each API function's worker is then warmed (`warm_up`, as
provisioned concurrency readies an environment): one warm-up invocation of its handler before it
reports ready, timed apart (`warm_ups`), so `cold_starts` stays the import alone.
"""
from __future__ import annotations

import json
import logging
import os
import select
import selectors
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from infra.localaws import config
from infra.localaws.template import LocalContext, Template

from .invocation import FunctionError, Invocation, invoke_worker
from .scheduler import Scheduler, schedule_sources
from .spec import LAMBDA_PYTHON, ROOT, write_context_file
from .sqs_poller import SqsEventSource, SqsPoller, sqs_event_sources, start_pollers, stop_pollers

log = logging.getLogger("localaws.runtime")
INVOKE_MARGIN_S = 10.0


class WorkerStartError(RuntimeError):
    pass


@dataclass
class WorkerProcess:
    logical_id: str
    index: int
    listener: socket.socket
    log_path: Path
    timeout: int
    process: subprocess.Popen | None = None
    ready_read: int | None = None
    ready_report: dict[str, Any] = field(default_factory=dict)
    restarts: int = 0
    next_restart_at: float = 0.0
    in_flight: int = 0                 # invokes the runtime has sent it and not yet had answered
    scale_out: bool = False            # started behind start() (an SQS function's further workers)
    _log: IO[bytes] | None = None

    @property
    def port(self) -> int:
        return self.listener.getsockname()[1]

    @property
    def name(self) -> str:
        return f"{self.logical_id}-{self.index}"


class Runtime:
    def __init__(self, template: Template, context: LocalContext | None = None, workers_per_function: int = 2,
                 log_dir: Path | None = None, extra_env: dict[str, str] | None = None, *,
                 start_concurrency: int | None = None, start_timeout: float = 60.0,
                 schedule_scale: float | None = None, sqs_wait_seconds: int = 1,
                 event_sources: bool = True, sqs_concurrency: int | None = None,
                 path_matcher: str | Path | None = None, problem_type_base: str | None = None,
                 warm_up: bool = True):
        context = context or template.ctx
        self.template = template if template.ctx is context else Template(template.doc, context)
        self.context = context
        self.workers_per_function = workers_per_function
        self.log_dir = Path(log_dir) if log_dir else ROOT / ".local" / "logs"
        self.extra_env = dict(extra_env or {})
        # the project's path matcher and problem type base (events.configure), for every worker
        self.runtime_settings = {k: str(v) for k, v in (("path_matcher", path_matcher),
                                                        ("problem_type_base", problem_type_base)) if v is not None}
        self.start_concurrency = start_concurrency or max(1, os.cpu_count() or 1)
        self.start_timeout = start_timeout
        self.warm_up = warm_up           # each API function's workers run one warm-up invocation before ready
        self.sqs_wait_seconds = sqs_wait_seconds
        self.event_sources = event_sources
        self.sqs_concurrency = max(1, sqs_concurrency if sqs_concurrency is not None else config.SQS_CONCURRENCY)
        self.context_file = self.log_dir / "runtime-context.json"
        self.functions = {f.logical_id: f for f in self.template.functions()}
        self.sqs_sources: list[SqsEventSource] = [s for s in sqs_event_sources(self.template) if s.enabled]
        self.workers: dict[str, list[WorkerProcess]] = {}
        self.init_errors: dict[str, str] = {}
        self.pollers: list[SqsPoller] = []
        self.scheduler = Scheduler(schedule_sources(self.template), self._invoke_for_event_source,
                                   region=context.region, scale=schedule_scale)
        self._lock = threading.Lock()
        self._pick_lock = threading.Lock()
        self._stopping = threading.Event()
        self._monitor: threading.Thread | None = None
        self._scaler: threading.Thread | None = None
        self._started = False

    # ------------------------------------------------------------------ what nginx and the stack read
    @property
    def upstreams(self) -> dict[str, list[int]]:
        return {lid: [w.port for w in workers] for lid, workers in self.workers.items()
                if self._http_facing(lid)}

    @property
    def api_routes(self) -> dict[str, str]:
        routes: dict[str, str] = {}
        for lid, function in self.functions.items():
            for path, _method in function.api_paths:
                prefix = path.split("/{", 1)[0].rstrip("/") or "/"
                routes.setdefault(prefix, lid)
        return routes

    @property
    def function_url_functions(self) -> list[str]:
        return [lid for lid, f in self.functions.items() if f.function_url]

    @property
    def cold_starts(self) -> dict[str, float]:
        """The slowest first cold start among each function's workers started by start(), in ms (scale-out
        workers start while the stack already works, so their figures measure the load as much as the code)."""
        out: dict[str, float] = {}
        for lid, workers in self.workers.items():
            values = [w.ready_report.get("first_cold_start_ms") for w in workers if not w.scale_out]
            values = [v for v in values if v is not None]
            if values:
                out[lid] = max(values)
        return out

    @property
    def warm_ups(self) -> dict[str, float]:
        """The slowest warm-up invocation among each warmed function's first workers, in ms (apart from the
        cold starts: a cold start is the import; the warm-up is what the first request would have paid)."""
        out: dict[str, float] = {}
        for lid, workers in self.workers.items():
            values = [w.ready_report.get("warm_up_ms") for w in workers if not w.scale_out]
            values = [v for v in values if v is not None]
            if values:
                out[lid] = max(values)
        return out

    def _http_facing(self, logical_id: str) -> bool:
        function = self.functions[logical_id]
        return bool(function.api_paths) or function.function_url

    @property
    def sqs_concurrency_of(self) -> dict[str, int]:
        """{logical_id: batches it may have in flight} for every function with an enabled SQS event source."""
        out: dict[str, int] = {}
        for source in self.sqs_sources:
            out[source.function] = out.get(source.function, 0) + source.concurrency(self.sqs_concurrency)
        return out

    def worker_count(self, logical_id: str) -> int:
        """HTTP-facing: workers_per_function; SQS-triggered: one per batch in flight (when event sources
        run); at least one."""
        count = self.workers_per_function if self._http_facing(logical_id) else 1
        if self.event_sources:
            count = max(count, self.sqs_concurrency_of.get(logical_id, 0))
        return count

    # ------------------------------------------------------------------ start / stop
    def start(self) -> None:
        if self._started:
            return
        self._started = True
        self.log_dir.mkdir(parents=True, exist_ok=True)
        write_context_file(self.context_file, self.template, self.extra_env, self.runtime_settings)
        initial: list[WorkerProcess] = []
        scale_out: list[WorkerProcess] = []
        for lid in self.functions:
            self.workers[lid] = [self._new_worker(lid, i) for i in range(self.worker_count(lid))]
            first = self.workers_per_function if self._http_facing(lid) else 1
            initial += self.workers[lid][:first]
            scale_out += self.workers[lid][first:]
        for worker in scale_out:
            worker.scale_out = True
        try:
            self._start_all(initial)
        except BaseException:
            self.stop()
            raise
        self._monitor = threading.Thread(target=self._watch_workers, name="runtime-monitor", daemon=True)
        self._monitor.start()
        if scale_out:
            # an SQS function's further workers start behind start(), one at a time, as Lambda scales out an
            # event source: the stack is up as fast as before, and until they answer the ready ones take the batches
            self._scaler = threading.Thread(target=self._scale_out, args=(scale_out,), name="runtime-scale-out",
                                            daemon=True)
            self._scaler.start()
        if self.event_sources:
            self._start_event_sources()

    def _scale_out(self, workers: list[WorkerProcess]) -> None:
        """Spawn each worker and wait (bounded) for its ready report, which the monitor collects."""
        for worker in workers:
            if self._stopping.is_set():
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self._spawn(worker)
            deadline = time.monotonic() + self.start_timeout
            while worker.ready_read is not None and time.monotonic() < deadline:
                if self._stopping.wait(0.05):
                    return

    def _new_worker(self, logical_id: str, index: int) -> WorkerProcess:
        listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        listener.set_inheritable(True)
        return WorkerProcess(logical_id, index, listener, self.log_dir / f"{logical_id}-{index}.log",
                             self.functions[logical_id].timeout)

    def _spawn(self, worker: WorkerProcess) -> None:
        ready_read, ready_write = os.pipe()
        command = [LAMBDA_PYTHON, "-m", "infra.localaws.runtime.worker", "--function", worker.logical_id,
                   "--context", str(self.context_file), "--port", str(worker.port),
                   "--listen-fd", str(worker.listener.fileno()), "--ready-fd", str(ready_write),
                   "--exit-with-parent", "--spawned-at", repr(time.time())]
        if self.warm_up and self.functions[worker.logical_id].api_paths:
            command.append("--warm-up")
        if worker._log is None:
            worker._log = open(worker.log_path, "ab")  # noqa: SIM115 - closed in stop()
        bootstrap_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        try:
            worker.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                command, cwd=ROOT, env=bootstrap_env, stdin=subprocess.DEVNULL, stdout=worker._log,
                stderr=subprocess.STDOUT, pass_fds=(worker.listener.fileno(), ready_write))
        finally:
            os.close(ready_write)
        worker.ready_read = ready_read

    def _start_all(self, pending: list[WorkerProcess]) -> None:
        """Spawn with bounded concurrency, collect each ready report, fail loudly on a crash."""
        pending = list(pending)
        started = list(pending)
        starting: dict[int, WorkerProcess] = {}
        buffers: dict[int, bytes] = {}
        selector = selectors.DefaultSelector()
        deadline = time.monotonic() + self.start_timeout + len(pending) * 2.0 / self.start_concurrency
        try:
            while pending or starting:
                while pending and len(starting) < self.start_concurrency:
                    worker = pending.pop(0)
                    self._spawn(worker)
                    starting[worker.ready_read] = worker
                    buffers[worker.ready_read] = b""
                    selector.register(worker.ready_read, selectors.EVENT_READ)
                if time.monotonic() > deadline:
                    names = ", ".join(w.name for w in starting.values())
                    raise WorkerStartError(f"workers not ready in time: {names}")
                for key, _ in selector.select(timeout=0.5):
                    fd = key.fd
                    chunk = os.read(fd, 65536)
                    if chunk:
                        buffers[fd] += chunk
                        continue
                    selector.unregister(fd)
                    os.close(fd)
                    worker = starting.pop(fd)
                    worker.ready_read = None
                    self._accept_ready_report(worker, buffers.pop(fd))
        finally:
            for fd in list(starting):
                selector.unregister(fd)
                os.close(fd)
            selector.close()
        for worker in started:
            self._check_health(worker)

    def _accept_ready_report(self, worker: WorkerProcess, data: bytes) -> None:
        if not data.strip():
            code = worker.process.wait(5) if worker.process else None
            raise WorkerStartError(f"worker {worker.name} exited ({code}) before it was ready:\n"
                                   f"{_tail(worker.log_path)}")
        report = json.loads(data.decode().strip().splitlines()[-1])
        report.setdefault("first_cold_start_ms", report.get("cold_start_ms"))
        if worker.ready_report.get("first_cold_start_ms") is not None:
            report["first_cold_start_ms"] = worker.ready_report["first_cold_start_ms"]
        worker.ready_report = report
        if report.get("status") != "ok":
            self.init_errors[worker.logical_id] = report.get("error", "init error")
            log.warning("%s started with an init error: %s", worker.name, report.get("error"))

    def _check_health(self, worker: WorkerProcess) -> None:
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", worker.port, timeout=10)
        try:
            connection.request("GET", "/__runtime/health")
            answer = connection.getresponse()
            body = answer.read()
        finally:
            connection.close()
        if answer.status != 200:
            raise WorkerStartError(f"worker {worker.name} health answered {answer.status}: {body[:200]!r}")

    def _start_event_sources(self) -> None:
        import boto3

        session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                        region_name=self.context.region)
        for source in self.sqs_sources:
            if source.function not in self.workers:
                continue
            client = session.client("sqs", endpoint_url=self.context.aws_endpoint)   # thread-safe: shared
            self.pollers.extend(start_pollers(source, client, self._invoke_for_event_source,
                                              source.concurrency(self.sqs_concurrency), region=self.context.region,
                                              wait_seconds=self.sqs_wait_seconds))
        self.scheduler.start()

    def stop(self) -> None:
        """Stop pollers and scheduler, then every worker (SIGTERM, then SIGKILL); idempotent."""
        self._stopping.set()
        stop_pollers(self.pollers)                 # all asked at once: each may be in a 1 s long poll
        self.pollers.clear()
        self.scheduler.stop()
        if self._scaler is not None:
            self._scaler.join(5)
        if self._monitor is not None:
            self._monitor.join(5)
        all_workers = [w for workers in self.workers.values() for w in workers]
        for worker in all_workers:
            if worker.process is not None and worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        for worker in all_workers:
            if worker.process is None:
                continue
            try:
                worker.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait(5)
        for worker in all_workers:
            if worker.ready_read is not None:
                os.close(worker.ready_read)
                worker.ready_read = None
            worker.listener.close()
            if worker._log is not None:
                worker._log.close()
                worker._log = None

    def __enter__(self) -> Runtime:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ restarts
    def _watch_workers(self) -> None:
        while not self._stopping.wait(0.5):
            for workers in self.workers.values():
                for worker in workers:
                    if self._stopping.is_set():
                        return
                    self._restart_if_dead(worker)

    def _restart_if_dead(self, worker: WorkerProcess) -> None:
        process = worker.process
        if process is None or process.poll() is None:
            if worker.ready_read is not None:
                self._collect_restart_report(worker)
            return
        now = time.monotonic()
        if now < worker.next_restart_at:
            return
        log.warning("worker %s (pid %s) exited with %s; restarting", worker.name, process.pid, process.returncode)
        with self._lock:
            if worker.ready_read is not None:
                os.close(worker.ready_read)
                worker.ready_read = None
            worker.restarts += 1
            worker.next_restart_at = now + min(30.0, 0.5 * 2 ** min(worker.restarts, 6))
            self._spawn(worker)

    def _collect_restart_report(self, worker: WorkerProcess) -> None:
        ready, _, _ = select.select([worker.ready_read], [], [], 0)
        if not ready:
            return
        data = os.read(worker.ready_read, 65536)
        os.close(worker.ready_read)
        worker.ready_read = None
        if data.strip():
            self._accept_ready_report(worker, data)

    # ------------------------------------------------------------------ invoking
    def _worker_for(self, logical_id: str) -> WorkerProcess:
        """The worker with the fewest invokes in flight from this runtime; it now has one more.

        A worker serves one request at a time: handing a second batch to a busy worker while another
        is idle would queue it there (and its wait would count against its timeout). Among idle ones
        the first (spawned, ready) wins, as Lambda reuses a warm environment before it starts a cold
        one: under a light load one warm worker takes the batches, and a worker's first invoke (its
        lazy imports, SDK clients, secret reads) happens only once the load needs it.
        """
        workers = self.workers.get(logical_id)
        if not workers:
            raise KeyError(f"no running function {logical_id}")
        with self._pick_lock:
            worker = min(workers, key=lambda w: (w.process is None, w.in_flight, w.ready_read is not None))
            worker.in_flight += 1
            return worker

    def _done_with(self, worker: WorkerProcess) -> None:
        with self._pick_lock:
            worker.in_flight -= 1

    def invoke_raw(self, logical_id: str, event: Any, request_id: str | None = None) -> Invocation:
        worker = self._worker_for(logical_id)
        try:
            return invoke_worker(worker.port, logical_id, event, timeout=worker.timeout + INVOKE_MARGIN_S,
                                 request_id=request_id)
        finally:
            self._done_with(worker)

    def invoke(self, logical_id: str, event: Any) -> Any:
        """The function's result; raises FunctionError when the handler raised or timed out."""
        outcome = self.invoke_raw(logical_id, event)
        if outcome.failed:
            raise FunctionError(logical_id, outcome.payload if isinstance(outcome.payload, dict) else {})
        return outcome.payload

    def _invoke_for_event_source(self, logical_id: str, event: Any) -> Invocation:
        return self.invoke_raw(logical_id, event)

    def fire_schedule(self, logical_id: str) -> Any:
        """Invoke a function with its schedule's event now; returns its result (FunctionError if it fails)."""
        outcome = self.scheduler.fire(logical_id)
        if outcome.failed:
            raise FunctionError(logical_id, outcome.payload if isinstance(outcome.payload, dict) else {})
        return outcome.payload


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
