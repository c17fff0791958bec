"""The nginx gateway in front of a SAM template's APIs: its configuration, generated from
infra/localaws/nginx/*.template, and its process.

Routes come from the runtime: each API prefix of the template (`/api/v1/<service>`) → the
upstream of that function's workers, each function URL path the caller names → its function's
workers, each stand-in service prefix (`stand_ins`, e.g. a sandbox of an outside API) → its
port. Paths matching `blocked_pattern` answer 404 on the public listeners; paths in
`strict_paths` get a second, stricter rate-limit zone. The internal listener (API_BASE_URL
locally) serves `/<API_STAGE>/<prefix>/...` with the stage stripped, as API Gateway does.
Functions set their own security headers and X-Request-Id; nginx adds its copies only to what
it answers itself. Placeholders in the templates are `{{ name }}` (nginx uses `$name`).
"""
from __future__ import annotations

import getpass
import json
import math
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from infra.localaws import config
from infra.localaws.certs import Certificate
from infra.localaws.processes import ManagedProcess

TEMPLATE_DIR = Path(__file__).resolve().parent / "nginx"
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_RATE = re.compile(r"^(\d+)r/([sm])$")
_NGINX_HEADERS = ("Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options",
                  "Content-Security-Policy", "Referrer-Policy", "X-Request-Id")   # security_headers.conf


@dataclass
class GatewaySettings:
    state_dir: Path
    certificate: Certificate
    upstreams: dict[str, list[int]]                 # logical id → worker ports
    api_routes: dict[str, str]                      # API prefix → logical id, e.g. "/api/items" → "ItemsFunction"
    function_url_routes: dict[str, str] = field(default_factory=dict)  # "/webhooks/x" → logical id
    # outside services' local stand-ins: "/sandbox/" → port (None: the prefix answers 503)
    stand_ins: dict[str, int | None] = field(default_factory=dict)
    https_port: int = config.GATEWAY_HTTPS_PORT
    http_port: int = config.GATEWAY_HTTP_PORT
    internal_port: int = config.GATEWAY_INTERNAL_PORT
    listen_address: str = config.GATEWAY_LISTEN_ADDRESS
    strict_rate: str = config.GATEWAY_STRICT_RATE
    strict_burst: int = config.GATEWAY_STRICT_BURST
    general_rate: str = config.GATEWAY_GENERAL_RATE
    general_burst: int = config.GATEWAY_GENERAL_BURST
    strict_paths: tuple[str, ...] = ()               # exact paths limited by the strict zone too
    strict_zone: str = "strict"                      # its limit_req zone's name
    strict_detail: str = "Too many requests to this path from this address; retry after Retry-After seconds."
    blocked_pattern: str | None = None               # a regex of paths the public listeners answer 404
    # single-page apps built into one folder (S3 + CloudFront on AWS): URL prefix → its index.html there,
    # e.g. {"/admin/": "admin/index.html", "/": "index.html"}; any other path under the prefix that is no
    # file answers the app's index.html (client-side routes). `api_prefix` paths keep their 404 problem.
    web_root: Path | None = None
    web_apps: dict[str, str] = field(default_factory=dict)
    web_csp: str = config.GATEWAY_WEB_CSP
    api_prefix: str = "/api/"
    problem_type_base: str = config.PROBLEM_TYPE_BASE  # problem+json `type` = this + a slug
    client_max_body_size: str = config.GATEWAY_CLIENT_MAX_BODY_SIZE
    hsts_max_age: int = config.GATEWAY_HSTS_MAX_AGE
    api_stage: str = config.API_STAGE                # the internal listener serves /<stage>/api/v1/... (API_BASE_URL)
    proxy_timeout: int = 65                         # above the longest function Timeout (the runtime answers 504)
    keepalive: int = 8

    @property
    def conf_dir(self) -> Path:
        return self.state_dir / "nginx"

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"


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


def _proxy(logical_id: str, uri: str = "") -> str:
    return f"proxy_pass http://{upstream_name(logical_id)}{uri};"


def _problem_404(s: GatewaySettings, pad: str, detail: str = "No route for this path.") -> list[str]:
    """The body of a location answering nginx's own 404 problem, with the gateway's security headers."""
    body = json.dumps({"type": f"{s.problem_type_base}not-found", "title": "Not Found", "status": 404,
                       "detail": detail, "request_id": "$req_id"}, separators=(",", ":"))
    return [f"{pad}    include {s.conf_dir}/security_headers.conf;",
            f"{pad}    default_type application/problem+json;",
            f"{pad}    return 404 '{body}';"]


def blocked_paths(s: GatewaySettings, pad: str = " " * 8) -> str:
    """Paths matching `blocked_pattern` (e.g. internal APIs) are not reachable from outside: a 404 problem
    from nginx itself, like any unknown path (a regex location: it wins over the service's prefix location;
    nginx matches the decoded, slash-merged path, so %69nternal or // do not slip through)."""
    if not s.blocked_pattern:
        return ""
    return "\n".join([f"{pad}location ~* {s.blocked_pattern} {{", *_problem_404(s, pad), f"{pad}}}"])


def _api_prefixes(s: GatewaySettings) -> list[tuple[str, str]]:
    return [(prefix, lid) for prefix, lid in sorted(s.api_routes.items()) if s.upstreams.get(lid)]


def _routes(s: GatewaySettings, *, public: bool) -> str:
    """Locations of the public HTTPS listener, or (public=False) of the internal one.

    Responses of functions pass through untouched: they carry their own security headers and
    X-Request-Id, as on AWS. Only what nginx answers itself (404s, the
    stand-ins, the named error locations) gets security_headers.conf.
    """
    pad = " " * 8
    lines: list[str] = []
    if public:
        if s.blocked_pattern:
            lines.append(blocked_paths(s, pad))
        lines += _api_locations(s, "", pad, public=True)
    else:
        # API Gateway's stage: /Prod/api/v1/... reaches the function as /api/v1/... (stage "Prod")
        lines += _api_locations(s, f"/{s.api_stage}", pad, public=False)
        for top, example in _unstaged_hints(s):
            lines += [f"{pad}location {top} {{",
                      *_problem_404(s, pad, f"API paths here carry the stage: /{s.api_stage}{example}..."),
                      f"{pad}}}"]
    for path, logical_id in sorted(s.function_url_routes.items()):
        if s.upstreams.get(logical_id):                   # function URLs have no stage
            lines.append(f"{pad}location = {path} {{ {_proxy(logical_id)} }}")
    for prefix, port in sorted(s.stand_ins.items()):
        if port:
            # a stand-in for an outside service, not a function: nginx's headers replace whatever it sends
            lines += [f"{pad}location {prefix} {{",
                      *(f"{pad}    proxy_hide_header {name};" for name in _NGINX_HEADERS),
                      f"{pad}    include {s.conf_dir}/security_headers.conf;",
                      f"{pad}    proxy_pass http://127.0.0.1:{port}/;",
                      f"{pad}}}"]
        else:
            lines.append(f"{pad}location {prefix} {{ return 503; }}")
    if public and s.web_root:
        lines += _web_locations(s, pad)
    else:
        lines += [f"{pad}location / {{", *_problem_404(s, pad), f"{pad}}}"]
    return "\n".join(lines)


def _web_locations(s: GatewaySettings, pad: str) -> list[str]:
    """The SPAs' files: hashed assets cached for a year, each app's index.html never cached (a new deploy is
    seen at once), unknown API paths still a 404 problem (never an HTML page)."""
    root = s.web_root.resolve()
    lines = [f"{pad}location {s.api_prefix} {{", *_problem_404(s, pad), f"{pad}}}",
             f"{pad}location /assets/ {{",
             f"{pad}    root {root};",
             f"{pad}    include {s.conf_dir}/web_headers.conf;",
             f"{pad}    add_header Cache-Control \"public, max-age=31536000, immutable\" always;",
             f"{pad}    try_files $uri =404;",
             f"{pad}}}"]
    for prefix, index in sorted(s.web_apps.items(), key=lambda item: -len(item[0])):
        lines += [f"{pad}location {prefix} {{",
                  f"{pad}    root {root};",
                  f"{pad}    include {s.conf_dir}/web_headers.conf;",
                  f"{pad}    add_header Cache-Control \"no-cache\" always;",
                  f"{pad}    try_files $uri /{index};",
                  f"{pad}}}"]
        if prefix.endswith("/") and prefix != "/":
            lines.append(f"{pad}location = {prefix.rstrip('/')} {{ return 301 {prefix}; }}")
    return lines


def _unstaged_hints(s: GatewaySettings) -> list[tuple[str, str]]:
    """(first path segment of the API prefixes, e.g. "/api/", and an example "/api/v1/"): on the internal
    listener such a path without the stage gets a 404 that says the stage is missing."""
    hints: dict[str, str] = {}
    for prefix, _ in _api_prefixes(s):
        parts = prefix.strip("/").split("/")
        hints.setdefault(f"/{parts[0]}/", "/" + "/".join(parts[:2]) + "/" if len(parts) > 1 else f"/{parts[0]}/")
    return sorted(hints.items())


def _api_locations(s: GatewaySettings, stage_prefix: str, pad: str, *, public: bool) -> list[str]:
    """Each service's prefix → its upstream; behind a stage prefix the function sees the path without it."""
    uri = "$unstaged_request_uri" if stage_prefix else ""
    lines: list[str] = []
    for prefix, logical_id in _api_prefixes(s):
        lines.append(f"{pad}location = {stage_prefix}{prefix} {{ {_proxy(logical_id, uri)} }}")
        lines.append(f"{pad}location {stage_prefix}{prefix}/ {{ {_proxy(logical_id, uri)} }}")
        strict = [p for p in s.strict_paths if p.startswith(prefix + "/")]
        if public and strict:
            # a regex location wins over the prefix above; the trailing-slash variant is limited too
            pattern = "|".join(re.escape(p) for p in strict)
            lines += [f"{pad}location ~ ^(?:{pattern})/?$ {{",
                      f"{pad}    limit_req zone=general burst={s.general_burst} nodelay;",
                      f"{pad}    limit_req zone={s.strict_zone} burst={s.strict_burst} nodelay;",
                      f"{pad}    error_page 429 @strict_rate_limited;",
                      f"{pad}    include {s.conf_dir}/upstream_errors.conf;",
                      f"{pad}    {_proxy(logical_id)}",
                      f"{pad}}}"]
    return lines


def _values(s: GatewaySettings) -> dict[str, object]:
    user = getpass.getuser()
    return {
        "user_directive": f"user {user};" if os.geteuid() == 0 else "# not root: workers run as the current user",
        "conf_dir": s.conf_dir, "log_dir": s.log_dir,
        "cert": s.certificate.cert, "cert_key": s.certificate.key,
        "listen_address": s.listen_address, "https_port": s.https_port, "http_port": s.http_port,
        "internal_port": s.internal_port,
        "strict_rate": s.strict_rate, "strict_zone": s.strict_zone, "strict_detail": s.strict_detail,
        "general_rate": s.general_rate, "general_burst": s.general_burst,
        "strict_retry_after": retry_after_seconds(s.strict_rate),
        "problem_type_base": s.problem_type_base,
        "general_retry_after": retry_after_seconds(s.general_rate),
        "client_max_body_size": s.client_max_body_size, "hsts_max_age": s.hsts_max_age,
        "proxy_timeout": s.proxy_timeout,
        "web_csp": s.web_csp,
        "api_stage": s.api_stage,
        "upstreams": _upstreams(s),
        "blocked_paths": blocked_paths(s),
        "public_routes": _routes(s, public=True),
        "internal_routes": _routes(s, public=False),
    }


def write_config(s: GatewaySettings) -> Path:
    """Render every template into STATE_DIR/nginx; returns the path of nginx.conf."""
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (s.conf_dir / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    s.log_dir.mkdir(parents=True, exist_ok=True)
    values = _values(s)
    for name in ("security_headers.conf", "web_headers.conf", "upstream_errors.conf", "problems.conf", "nginx.conf"):
        (s.conf_dir / name).write_text(render_template(f"{name}.template", values), encoding="utf-8")
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
