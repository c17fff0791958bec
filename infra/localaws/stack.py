"""A SAM template's local AWS on one machine: `LocalAwsStack(settings).start()` … `.stop()`.

start() shows each step as it happens: certificate → DynamoDB Local + moto_server →
provisioning from the template → IAM roles and the authorizing proxy → Lambda runtime
(workers per function) → nginx → health through the gateway → STATE_DIR/stack.json.
stop() stops exactly what start() started, newest first.

It knows nothing of a project's own functions or routes: a harness subclasses it and
fills the hooks (`template_parameters`, `function_url_paths`, `gateway_options`,
`before_runtime`, `after_runtime`, `after_healthy`, `health_path`), as infra/harness/stack.py does.
"""
from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

from infra.localaws import config
from infra.localaws.build import BUILD_DIR, ensure_built
from infra.localaws.certs import Certificate, ensure_certificate
from infra.localaws.gateway import GatewaySettings, check_config, nginx_process, write_config
from infra.localaws.processes import ManagedProcess, StartupFailed, free_ports, http_ok, port_open, wait_until
from infra.localaws.template import ROOT, LocalContext, Template

STATE_FILE = "stack.json"


@dataclass
class LocalAwsSettings:
    """Everything that differs between two stacks on one machine (ports, state dir, limits)."""
    # settings field → the environment variable that overrides its default (named when the port is taken)
    PORTS: ClassVar[dict[str, str]] = {
        "aws_port": "AWS_PORT", "https_port": "GATEWAY_HTTPS_PORT", "http_port": "GATEWAY_HTTP_PORT",
        "internal_port": "GATEWAY_INTERNAL_PORT", "iam_proxy_port": "IAM_PROXY_PORT",
        "dynamodb_port": "DYNAMODB_PORT"}

    state_dir: Path = config.STATE_DIR
    stack_name: str = config.STACK_NAME
    region: str = config.REGION
    aws_port: int = config.AWS_PORT
    dynamodb_port: int = config.DYNAMODB_PORT
    https_port: int = config.GATEWAY_HTTPS_PORT
    http_port: int = config.GATEWAY_HTTP_PORT
    internal_port: int = config.GATEWAY_INTERNAL_PORT
    iam_proxy_port: int = config.IAM_PROXY_PORT
    workers_per_function: int = config.WORKERS_PER_FUNCTION
    listen_address: str = config.GATEWAY_LISTEN_ADDRESS
    general_rate: str = config.GATEWAY_GENERAL_RATE
    general_burst: int = config.GATEWAY_GENERAL_BURST
    health_timeout: float = 120.0
    extra_env: dict[str, str] = field(default_factory=dict)
    # the project's API path matcher (a module file, see config.PATH_MATCHER) and the problem+json `type`
    # base of the runtime's and the gateway's own answers: a harness sets both
    path_matcher: str = config.PATH_MATCHER
    problem_type_base: str = config.PROBLEM_TYPE_BASE

    @classmethod
    def on_free_ports(cls, state_dir: Path, **overrides: Any):
        values: dict[str, Any] = dict(zip(cls.PORTS, free_ports(len(cls.PORTS)), strict=True))
        values["state_dir"] = Path(state_dir)
        values.update(overrides)
        return cls(**values)

    def to_json(self) -> dict:
        return {f.name: str(v) if isinstance(v := getattr(self, f.name), Path) else v for f in fields(self)}


def print_step(message: str) -> None:
    print(message, flush=True)


class LocalAwsStack:
    title = "local AWS stack"
    settings_type: type[LocalAwsSettings] = LocalAwsSettings
    health_path: str | None = None    # e.g. "/api/{service}/health": waited for through the gateway

    def __init__(self, settings: LocalAwsSettings | None = None, *, report: Callable[[str], None] = print_step):
        self.settings = settings or self.settings_type()
        self.report = report
        self.processes: dict[str, ManagedProcess] = {}
        self.runtime: Any = None
        self.certificate: Certificate | None = None
        self.function_credentials: dict[str, dict[str, str]] = {}   # each function's role (infra/localaws/iam/roles.py)
        self.context = self._context()
        self.template = Template(context=self.context)
        self.services: list[str] = []
        self._started_at = 0.0

    # ------------------------------------------------------------------ hooks (a harness fills them)
    def template_parameters(self) -> dict[str, str]:
        """Template parameters set locally (e.g. the URLs of local stand-ins for outside services)."""
        return {}

    def function_url_paths(self) -> dict[str, str]:
        """Where each function URL is served through the gateway (default: /functions/<LogicalId>)."""
        return {}

    def gateway_options(self) -> dict[str, Any]:
        """More GatewaySettings (strict paths, blocked paths, stand-ins); the problem type base is a setting."""
        return {}

    def before_runtime(self) -> None:
        """After AWS, provisioning and IAM, before the runtime: start the harness's own processes."""

    def after_runtime(self) -> None:
        """After the runtime started, before the gateway."""

    def after_healthy(self) -> None:
        """Once every service answers through the gateway (e.g. seed data)."""

    # ------------------------------------------------------------------ addresses
    @property
    def state_dir(self) -> Path:
        return self.settings.state_dir

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def base_url(self) -> str:
        return f"https://localhost:{self.settings.https_port}"

    @property
    def http_url(self) -> str:
        return f"http://localhost:{self.settings.http_port}"

    @property
    def internal_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.internal_port}"

    @property
    def api_base_url(self) -> str:
        """The API's base URL, its stage included, as services call it (API Gateway's URL on AWS)."""
        return f"{self.internal_url}/{config.API_STAGE}"

    @property
    def aws_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.settings.aws_port}"

    @property
    def dynamodb_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.settings.dynamodb_port}"

    @property
    def iam_endpoint(self) -> str:
        """The authorizing IAM proxy functions call AWS through ("" before it runs)."""
        return f"http://127.0.0.1:{self.settings.iam_proxy_port}" if "iam_proxy" in self.processes else ""

    def _context(self) -> LocalContext:
        s = self.settings
        return LocalContext(
            stack_name=s.stack_name, region=s.region,
            aws_endpoint=f"http://127.0.0.1:{s.aws_port}",
            dynamodb_endpoint=self.dynamodb_endpoint,
            # as on AWS, the base URL carries the API's stage; the internal listener routes it
            api_base_url=self.api_base_url,
            build_dir=str(BUILD_DIR),
            function_urls={fn: f"https://localhost:{s.https_port}{path}"
                           for fn, path in self.function_url_paths().items()},
            parameters=self.template_parameters(),
            iam_endpoint=self.iam_endpoint, function_credentials=self.function_credentials)

    def refresh_context(self) -> None:
        """The template again, resolved with what runs now (the proxy, the harness's stand-ins)."""
        self.context = self._context()
        self.template = Template(context=self.context)

    # ------------------------------------------------------------------ clients
    def session(self):
        """A requests.Session that trusts this stack's certificate (and nothing else)."""
        return trusting_session(self.certificate.cert if self.certificate else self.state_dir / "certs" / "gateway.crt")

    def client(self, service: str):
        """An operator's client (unchecked by IAM): DynamoDB Local for dynamodb, moto for the rest."""
        import boto3

        endpoint = self.dynamodb_endpoint if service == "dynamodb" else self.aws_endpoint
        return boto3.client(service, endpoint_url=endpoint, region_name=self.settings.region,
                            aws_access_key_id="test", aws_secret_access_key="test")  # noqa: S106

    def invoke(self, logical_id: str, event: dict | None = None) -> Any:
        return self.runtime.invoke(logical_id, event if event is not None else {})

    # ------------------------------------------------------------------ start
    def start(self):
        self._started_at = time.monotonic()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.report(f"{self.title} '{self.settings.stack_name}' in {self.state_dir}")
        try:
            self.step("ports free", self._check_ports_free)
            self.step("deployment package: sam build (skipped when nothing changed)", ensure_built)
            self.step("TLS certificate", self._ensure_certificate)
            self.step(f"AWS APIs: DynamoDB Local on {self.dynamodb_endpoint}, moto_server on {self.aws_endpoint}",
                      self._start_aws)
            self.step("provisioning from template.yaml", self._provision)
            self.step(f"IAM: roles, authorizing proxy on :{self.settings.iam_proxy_port}", self._start_iam)
            self.before_runtime()
            self.step(f"Lambda runtime ({self.settings.workers_per_function} workers per HTTP function)",
                      self._start_runtime)
            self.after_runtime()
            self.step(f"gateway: nginx on {self.base_url} (HTTP {self.settings.http_port} → 301, "
                      f"internal {self.internal_url})", self._start_gateway)
            if self.health_path:
                self.step("every service healthy through the gateway", self._wait_healthy)
            self.after_healthy()
            self.write_state("up")
        except BaseException:
            self.report("start failed: stopping what was started")
            self.stop()
            raise
        self.report(f"ready in {time.monotonic() - self._started_at:.1f}s")
        return self

    def elapsed(self) -> float:
        return time.monotonic() - self._started_at

    def step(self, title: str, action: Callable[[], str | None]) -> None:
        began = time.monotonic()
        self.report(f"[{began - self._started_at:5.1f}s] {title} ...")
        detail = action()
        suffix = f": {detail}" if detail else ""
        self.report(f"[{self.elapsed():5.1f}s]   ok ({time.monotonic() - began:.1f}s){suffix}")

    def _check_ports_free(self) -> str:
        ports = {variable: getattr(self.settings, name) for name, variable in self.settings.PORTS.items()}
        busy = [f"{name}={port}" for name, port in ports.items() if port_open(port)]
        if busy:
            raise StartupFailed(f"in use: {', '.join(busy)} (another stack? `make down`, or set these variables)")
        return ", ".join(str(p) for p in ports.values())

    def _ensure_certificate(self) -> str:
        self.certificate, created = ensure_certificate(self.state_dir / "certs")
        return f"{'generated' if created else 'kept'} {self.certificate.cert}"

    def _aws_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(config.AWS_CREDENTIALS)
        env.update({"AWS_DEFAULT_REGION": self.settings.region, "AWS_REGION": self.settings.region})
        # the repository and the layers' source folders (the template's ContentUri)
        layers = Template(self.template.doc).layer_paths()
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *(str(p) for p in layers)])
        env.pop("AWS_ENDPOINT_URL", None)
        return env

    def spawn(self, name: str, argv: list[str]) -> ManagedProcess:
        process = ManagedProcess(name, argv, self.log_dir / f"{name}.log", env=self._aws_env(), cwd=ROOT).start()
        self.processes[name] = process
        return process

    def _start_aws(self) -> str:
        """DynamoDB Local (its data under STATE_DIR/dynamodb) and moto_server, started side by side."""
        dynamodb = self._spawn_dynamodb()
        moto = self.spawn("moto", [sys.executable, "-m", "infra.localaws.moto_server", "-H", "127.0.0.1",
                                   "-p", str(self.settings.aws_port)])
        wait_until(lambda: http_ok(f"{self.aws_endpoint}/moto-api/"), what="moto_server", timeout=30, process=moto)
        wait_until(self._dynamodb_answers, what="DynamoDB Local", timeout=60, process=dynamodb, interval=0.1)
        return f"pids {dynamodb.pid}, {moto.pid}"

    def _spawn_dynamodb(self) -> ManagedProcess:
        from infra.localaws import dynamodb_local

        return self.spawn("dynamodb", dynamodb_local.command(self.settings.dynamodb_port, self.state_dir / "dynamodb"))

    def stop_dynamodb(self) -> None:
        """Stop DynamoDB Local (a database outage; its data stays in STATE_DIR/dynamodb)."""
        process = self.processes.get("dynamodb")
        if process is not None:
            process.stop()

    def start_dynamodb(self) -> str:
        """Start DynamoDB Local again, on the same port and data folder, and wait until it answers."""
        current = self.processes.get("dynamodb")
        if current is not None and current.alive():
            return f"already running, pid {current.pid}"
        dynamodb = self._spawn_dynamodb()
        wait_until(lambda: port_open(self.settings.dynamodb_port), what="DynamoDB Local", timeout=60, process=dynamodb)
        wait_until(self._dynamodb_answers, what="DynamoDB Local", timeout=30, process=dynamodb, interval=0.1)
        if (self.state_dir / STATE_FILE).exists():  # its new pid for `make status`
            self.write_state(json.loads((self.state_dir / STATE_FILE).read_text(encoding="utf-8"))["status"])
        return f"pid {dynamodb.pid}"

    def _dynamodb_answers(self) -> bool:
        try:
            self.operator_clients()("dynamodb").list_tables(Limit=1)
            return True
        except Exception:  # noqa: BLE001 - not up yet
            return False

    def operator_clients(self):
        from infra.localaws.provision import boto_clients

        return boto_clients(self.aws_endpoint, self.settings.region, dynamodb_endpoint=self.dynamodb_endpoint)

    def _provision(self) -> str:
        from infra.localaws.provision import provision

        done = provision(self.template, self.operator_clients())
        return f"{len(done)} resources"

    def _start_iam(self) -> str:
        """Each function gets its role's credentials and calls AWS through the proxy that checks them."""
        from infra.localaws.iam.roles import function_credentials

        port = self.settings.iam_proxy_port
        process = self.spawn("iam_proxy", [sys.executable, "-m", "infra.localaws.iam.proxy", "--port", str(port),
                                           "--upstream", self.aws_endpoint,
                                           "--dynamodb-upstream", self.dynamodb_endpoint])
        self.function_credentials = function_credentials(self.template, self.operator_clients())
        wait_until(lambda: port_open(port), what="IAM proxy", timeout=30, process=process)
        self.refresh_context()
        return f"{len(self.function_credentials)} functions with their own role, pid {process.pid}"

    def _start_runtime(self) -> str:
        from infra.localaws.runtime.supervisor import Runtime

        extra_env = {"POWERTOOLS_TRACE_DISABLED": "true", **self.settings.extra_env}
        self.runtime = Runtime(self.template, self.context, workers_per_function=self.settings.workers_per_function,
                               log_dir=self.log_dir, extra_env=extra_env, path_matcher=self.settings.path_matcher,
                               problem_type_base=self.settings.problem_type_base)
        self.runtime.start()
        workers = sum(len(ports) for ports in self.runtime.upstreams.values())
        return f"{workers} workers for {len(self.runtime.upstreams)} functions"

    def gateway_settings(self) -> GatewaySettings:
        s = self.settings
        paths = self.function_url_paths()
        url_routes = {paths.get(fn, f"/functions/{fn}"): fn
                      for fn in getattr(self.runtime, "function_url_functions", [])}
        return GatewaySettings(
            state_dir=self.state_dir, certificate=self.certificate, upstreams=self.runtime.upstreams,
            api_routes=self.runtime.api_routes, function_url_routes=url_routes,
            https_port=s.https_port, http_port=s.http_port, internal_port=s.internal_port,
            listen_address=s.listen_address, general_rate=s.general_rate, general_burst=s.general_burst,
            proxy_timeout=max(f.timeout for f in self.template.functions()) + 5,
            **{"problem_type_base": s.problem_type_base, **self.gateway_options()})

    def _start_gateway(self) -> str:
        gateway = self.gateway_settings()
        conf = write_config(gateway)
        check_config(conf, gateway)
        process = nginx_process(conf, gateway).start()
        self.processes["nginx"] = process
        for port in (self.settings.https_port, self.settings.http_port, self.settings.internal_port):
            wait_until(lambda p=port: port_open(p, self._probe_host()), what=f"nginx port {port}", timeout=15,
                       process=process)
        return f"pid {process.pid}, config {conf}"

    def _probe_host(self) -> str:
        address = self.settings.listen_address
        return "127.0.0.1" if address in ("0.0.0.0", "*") else address  # noqa: S104

    def _wait_healthy(self) -> str:
        session = self.session()
        self.services = sorted({spec.service for spec in self.template.functions() if spec.api_paths})
        waiting = set(self.services)

        def healthy() -> bool:
            for service in sorted(waiting):
                try:
                    response = session.get(f"{self.base_url}{self.health_path.format(service=service)}", timeout=5)
                except OSError:
                    return False
                if response.status_code != 200:
                    return False
                waiting.discard(service)
            return True

        try:
            wait_until(healthy, what="service health", timeout=self.settings.health_timeout,
                       process=self.processes["nginx"], interval=0.1)
        except StartupFailed as failure:
            raise StartupFailed(f"{failure}; still unhealthy: {', '.join(sorted(waiting))} "
                                f"(logs in {self.log_dir})") from None
        return ", ".join(self.services)

    # ------------------------------------------------------------------ state
    def state(self, status: str) -> dict:
        return {
            "status": status,
            "supervisor_pid": os.getpid(),
            "state_dir": str(self.state_dir),
            "settings": self.settings.to_json(),
            "base_url": self.base_url, "http_url": self.http_url, "internal_url": self.internal_url,
            "aws_endpoint": self.aws_endpoint, "dynamodb_endpoint": self.dynamodb_endpoint,
            "iam_endpoint": self.iam_endpoint,
            "certificate": str(self.certificate.cert) if self.certificate else None,
            "health_path": self.health_path,
            "services": self.services,
            "pids": {name: p.pid for name, p in self.processes.items()},
            "upstreams": getattr(self.runtime, "upstreams", {}),
            # every function's workers take the Lambda Invoke API (POST /2015-03-31/functions/<id>/invocations)
            "invoke_endpoints": {lid: [f"http://127.0.0.1:{w.port}" for w in workers]
                                 for lid, workers in getattr(self.runtime, "workers", {}).items()},
            "context": asdict(self.context),
        }

    def write_state(self, status: str) -> Path:
        path = self.state_dir / STATE_FILE
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(self.state(status), indent=2), encoding="utf-8")
        partial.replace(path)
        return path

    # ------------------------------------------------------------------ stop
    def stop(self) -> None:
        """Stop exactly what start() started, newest first. Safe to call twice."""
        nginx = self.processes.pop("nginx", None)
        if nginx:
            self._stopping("nginx", nginx.stop)
        if self.runtime is not None:
            try:
                self._stopping("Lambda runtime", self.runtime.stop)
            finally:
                self.runtime = None
        for name in reversed(list(self.processes)):
            self._stopping(name, self.processes.pop(name).stop)
        (self.state_dir / STATE_FILE).unlink(missing_ok=True)

    def _stopping(self, name: str, stop: Callable[[], None]) -> None:
        began = time.monotonic()
        stop()
        self.report(f"  stopped {name} ({time.monotonic() - began:.1f}s)")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def trusting_session(certificate: Path | str):
    """requests.Session verifying TLS with `certificate`. trust_env is off: otherwise REQUESTS_CA_BUNDLE
    (or a proxy variable) from the environment would win over `verify` and over the loopback address."""
    import requests

    session = requests.Session()
    session.trust_env = False
    session.verify = str(certificate)
    return session
