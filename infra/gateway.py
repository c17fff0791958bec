"""The nginx gateway: its configuration, generated from infra/nginx/*.template, and its process.

Routes come from the runtime: `/api/v1/<service>` → the upstream of that function's
workers, each function URL path (infra.config.FUNCTION_URL_PATHS) → its function's
workers, `/sandbox/` → the sandbox payment gateway, `/api/v1/openapi.json` → the merged
document on disk. Placeholders in the templates are `{{ name }}` (nginx uses `$name`).
"""
from __future__ import annotations

import getpass
import math
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from infra import config
from infra.certs import Certificate
from infra.processes import ManagedProcess

TEMPLATE_DIR = Path(__file__).resolve().parent / "nginx"
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_RATE = re.compile(r"^(\d+)r/([sm])$")


@dataclass
class GatewaySettings:
    state_dir: Path
    certificate: Certificate
    upstreams: dict[str, list[int]]                 # logical id → worker ports
    api_routes: dict[str, str]                      # "/api/v1/auth" → "AuthFunction"
    function_url_routes: dict[str, str] = field(default_factory=dict)  # "/webhooks/payments" → logical id
    sandbox_port: int | None = None
    https_port: int = config.GATEWAY_HTTPS_PORT
    http_port: int = config.GATEWAY_HTTP_PORT
    internal_port: int = config.GATEWAY_INTERNAL_PORT
    listen_address: str = config.GATEWAY_LISTEN_ADDRESS
    auth_rate: str = config.GATEWAY_AUTH_RATE
    auth_burst: int = config.GATEWAY_AUTH_BURST
    general_rate: str = config.GATEWAY_GENERAL_RATE
    general_burst: int = config.GATEWAY_GENERAL_BURST
    strict_paths: tuple[str, ...] = config.GATEWAY_STRICT_PATHS
    client_max_body_size: str = config.GATEWAY_CLIENT_MAX_BODY_SIZE
    hsts_max_age: int = config.GATEWAY_HSTS_MAX_AGE
    proxy_timeout: int = 65                         # above the longest function Timeout (the runtime answers 504)
    keepalive: int = 8

    @property
    def conf_dir(self) -> Path:
        return self.state_dir / "nginx"

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def openapi_path(self) -> Path:
        return self.conf_dir / "openapi.json"


def retry_after_seconds(rate: str) -> int:
    """Seconds until a limit_req zone with `rate` (e.g. "10r/m") admits the next request."""
    match = _RATE.match(rate)
    if not match:
        raise ValueError(f"rate must look like 10r/s or 10r/m, not {rate!r}")
    per_second = int(match.group(1)) / (60 if match.group(2) == "m" else 1)
    return max(1, math.ceil(1 / per_second))


def upstream_name(logical_id: str) -> str:
    return f"fn_{logical_id}"


def render_template(name: str, values: dict[str, object]) -> str:
    text = (TEMPLATE_DIR / name).read_text(encoding="utf-8")

    def replace(match: re.Match) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"{name}: no value for {{{{ {key} }}}}")
        return str(values[key])

    return _PLACEHOLDER.sub(replace, text)


# ---------------------------------------------------------------------- blocks
def _upstreams(s: GatewaySettings) -> str:
    blocks = []
    for logical_id, ports in sorted(s.upstreams.items()):
        if not ports:
            continue
        servers = "".join(f"        server 127.0.0.1:{port} max_fails=3 fail_timeout=5s;\n" for port in ports)
        blocks.append(f"    upstream {upstream_name(logical_id)} {{\n        least_conn;\n{servers}"
                      f"        keepalive {s.keepalive};\n        keepalive_timeout 30s;\n    }}\n")
    return "\n".join(blocks)


def _proxy(logical_id: str) -> str:
    return f"proxy_pass http://{upstream_name(logical_id)};"


def _routes(s: GatewaySettings, *, public: bool) -> str:
    pad = " " * 8
    lines: list[str] = []
    for prefix, logical_id in sorted(s.api_routes.items()):
        if not s.upstreams.get(logical_id):
            continue
        lines.append(f"{pad}location = {prefix} {{ {_proxy(logical_id)} }}")
        lines.append(f"{pad}location {prefix}/ {{ {_proxy(logical_id)} }}")
        strict = [p for p in s.strict_paths if p.startswith(prefix + "/")]
        if public and strict:
            # a regex location wins over the prefix above; the trailing-slash variant is limited too
            pattern = "|".join(re.escape(p) for p in strict)
            lines += [f"{pad}location ~ ^(?:{pattern})/?$ {{",
                      f"{pad}    limit_req zone=general burst={s.general_burst} nodelay;",
                      f"{pad}    limit_req zone=auth_strict burst={s.auth_burst} nodelay;",
                      f"{pad}    error_page 429 @auth_rate_limited;",
                      f"{pad}    include {s.conf_dir}/upstream_errors.conf;",
                      f"{pad}    {_proxy(logical_id)}",
                      f"{pad}}}"]
    for path, logical_id in sorted(s.function_url_routes.items()):
        if s.upstreams.get(logical_id):
            lines.append(f"{pad}location = {path} {{ {_proxy(logical_id)} }}")
    if s.sandbox_port:
        lines.append(f"{pad}location /sandbox/ {{ proxy_pass http://127.0.0.1:{s.sandbox_port}/; }}")
    else:
        lines.append(f"{pad}location /sandbox/ {{ return 503; }}")
    lines += [f"{pad}location = /api/v1/openapi.json {{",
              f"{pad}    default_type application/json;",
              f"{pad}    alias {s.openapi_path};",
              f"{pad}}}",
              f"{pad}location / {{",
              f"{pad}    default_type application/problem+json;",
              f"{pad}    return 404 '{{\"type\":\"https://meridian.dev/problems/not-found\",\"title\":\"Not Found\","
              f"\"status\":404,\"detail\":\"No route for this path.\",\"request_id\":\"$req_id\"}}';",
              f"{pad}}}"]
    return "\n".join(lines)


def _values(s: GatewaySettings) -> dict[str, object]:
    user = getpass.getuser()
    return {
        "user_directive": f"user {user};" if os.geteuid() == 0 else "# not root: workers run as the current user",
        "conf_dir": s.conf_dir, "log_dir": s.log_dir,
        "cert": s.certificate.cert, "cert_key": s.certificate.key,
        "listen_address": s.listen_address, "https_port": s.https_port, "http_port": s.http_port,
        "internal_port": s.internal_port,
        "auth_rate": s.auth_rate, "general_rate": s.general_rate, "general_burst": s.general_burst,
        "auth_retry_after": retry_after_seconds(s.auth_rate),
        "general_retry_after": retry_after_seconds(s.general_rate),
        "client_max_body_size": s.client_max_body_size, "hsts_max_age": s.hsts_max_age,
        "proxy_timeout": s.proxy_timeout,
        "upstreams": _upstreams(s),
        "public_routes": _routes(s, public=True),
        "internal_routes": _routes(s, public=False),
    }


def write_config(s: GatewaySettings) -> Path:
    """Render every template into STATE_DIR/nginx; returns the path of nginx.conf."""
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (s.conf_dir / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    s.log_dir.mkdir(parents=True, exist_ok=True)
    values = _values(s)
    for name in ("security_headers.conf", "upstream_errors.conf", "problems.conf", "nginx.conf"):
        (s.conf_dir / name).write_text(render_template(f"{name}.template", values), encoding="utf-8")
    if not s.openapi_path.exists():
        s.openapi_path.write_text('{"openapi":"3.0.3","info":{"title":"Meridian API","version":"1"},"paths":{}}')
    return s.conf_dir / "nginx.conf"


# ---------------------------------------------------------------------- process
def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
                                           if os.access(p, os.X_OK)), None)
    if not found:
        raise RuntimeError("nginx is not installed: `make up` installs it (apt-get install nginx)")
    return found


def check_config(conf: Path, s: GatewaySettings) -> None:
    result = subprocess.run(  # noqa: S603
        [nginx_binary(), "-t", "-q", "-c", str(conf), "-p", str(s.conf_dir), "-e", str(s.log_dir / "nginx-error.log")],
        capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"nginx rejected {conf}:\n{result.stderr.strip()}")


def nginx_process(conf: Path, s: GatewaySettings) -> ManagedProcess:
    """nginx in the foreground (`daemon off`) as a child: stopping it stops its workers."""
    return ManagedProcess("nginx", [nginx_binary(), "-c", str(conf), "-p", str(s.conf_dir),
                                    "-e", str(s.log_dir / "nginx-error.log")],
                          s.log_dir / "nginx.log")
