"""This shop's dev stack: `DevStack(settings).start()` … `.stop()`.

The generic local AWS (infra/localaws/stack.py: DynamoDB Local, moto, provisioning, IAM,
Lambda runtime, nginx) plus what is this shop's own: the FX feed stub, the sandbox
payment gateway and the webhook test receiver (local stand-ins for outside services), the gateway's shop settings
(sign-in rate limit, the webhook path, internal APIs blocked, problem type URIs), the merged
OpenAPI check and the seed data. `python -m infra.harness.stack_cli up|down|status|logs`
runs it detached for `make up`.
"""
from __future__ import annotations

import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from infra.harness import config
from infra.localaws.processes import port_open, wait_until
from infra.localaws.stack import STATE_FILE, LocalAwsSettings, LocalAwsStack, trusting_session

__all__ = ["CREDENTIALS_FILE", "STATE_FILE", "DevStack", "StackSettings", "read_credentials", "shop_gateway_options",
           "trusting_session"]

CREDENTIALS_FILE = "credentials"
SANDBOX_PREFIX = "/sandbox/"


@dataclass
class StackSettings(LocalAwsSettings):
    """The generic settings, plus the stand-ins' ports, the sign-in rate limit, whether to seed, and the
    shop's path matcher and problem type base."""
    PORTS: ClassVar[dict[str, str]] = {
        **LocalAwsSettings.PORTS, "fx_port": "FX_STUB_PORT", "sandbox_port": "SANDBOX_PORT",
        "sandbox_control_port": "SANDBOX_CONTROL_PORT", "webhook_receiver_port": "WEBHOOK_RECEIVER_PORT"}

    state_dir: Path = config.STATE_DIR
    stack_name: str = config.STACK_NAME
    fx_port: int = config.FX_STUB_PORT
    sandbox_port: int = config.SANDBOX_PORT
    sandbox_control_port: int = config.SANDBOX_CONTROL_PORT
    webhook_receiver_port: int = config.WEBHOOK_RECEIVER_PORT
    auth_rate: str = config.GATEWAY_AUTH_RATE
    auth_burst: int = config.GATEWAY_AUTH_BURST
    run_seeds: bool = True
    path_matcher: str = str(config.PATH_MATCHER)
    problem_type_base: str = config.PROBLEM_TYPE_BASE


def shop_gateway_options(*, sandbox_port: int | None = None, auth_rate: str = config.GATEWAY_AUTH_RATE,
                         auth_burst: int = config.GATEWAY_AUTH_BURST, web_root: Path | None = None) -> dict[str, Any]:
    """This shop's GatewaySettings: the sign-in zone, internal APIs blocked, the sandbox, problem types, the web
    apps (when built)."""
    return {"strict_paths": config.GATEWAY_STRICT_PATHS, "strict_zone": "auth_strict",
            "strict_detail": config.GATEWAY_STRICT_DETAIL, "strict_rate": auth_rate, "strict_burst": auth_burst,
            "blocked_pattern": config.GATEWAY_BLOCKED_PATTERN, "problem_type_base": config.PROBLEM_TYPE_BASE,
            "stand_ins": {SANDBOX_PREFIX: sandbox_port},
            "web_root": web_root, "web_apps": config.WEB_APPS}


def built_web() -> Path | None:
    """web/dist when `make web` built it (`make up` and `make integration` do); else the gateway serves no app."""
    return config.WEB_DIST if (config.WEB_DIST / "index.html").is_file() else None


class DevStack(LocalAwsStack):
    title = "Meridian local stack"
    settings_type = StackSettings
    health_path = config.HEALTH_PATH
    settings: StackSettings

    # ------------------------------------------------------------------ the generic stack's hooks
    def template_parameters(self) -> dict[str, str]:
        s = self.settings
        # the links in account and order e-mails open this stack's storefront (on whatever port it got), not
        # the template's default https://localhost:8443, which may be another stack or nothing at all
        parameters = {"PublicBaseUrl": self.base_url, "LocalesCacheTtlSeconds": config.LOCALES_CACHE_TTL_SECONDS}
        if "fx_stub" in self.processes:
            parameters["FxProviderUrl"] = f"http://127.0.0.1:{s.fx_port}/eurofxref-daily.xml"
            parameters["FxJsonProviderUrl"] = f"http://127.0.0.1:{s.fx_port}/v6/{{key}}/latest/EUR"
        if "sandbox" in self.processes:
            parameters.update(PaymentGateway="sandbox", PaymentGatewayUrl=f"http://127.0.0.1:{s.sandbox_port}")
        if "webhook_receiver" in self.processes:
            # the one loopback origin merchant webhooks may target here, and retries within seconds
            parameters.update(WebhookTestReceiverOrigin=self.webhook_receiver_url,
                              WebhookRetryBaseSeconds=config.WEBHOOK_RETRY_BASE_SECONDS)
        return parameters

    def function_url_paths(self) -> dict[str, str]:
        return dict(config.FUNCTION_URL_PATHS)

    def gateway_options(self) -> dict[str, Any]:
        s = self.settings
        return shop_gateway_options(sandbox_port=s.sandbox_port if "sandbox" in self.processes else None,
                                    auth_rate=s.auth_rate, auth_burst=s.auth_burst, web_root=built_web())

    def before_runtime(self) -> None:
        self._start_stubs()

    def after_runtime(self) -> None:
        self._wait_stubs()

    def after_healthy(self) -> None:
        self.step("merged OpenAPI at /api/v1/openapi.json", self._check_openapi)
        if self.settings.run_seeds:
            self.write_state("seeding")   # the seeds find the gateway, the invoke endpoints and moto here
            self.step("seed data", self._run_seeds)

    # ------------------------------------------------------------------ addresses
    @property
    def fx_stub_url(self) -> str | None:
        return f"http://127.0.0.1:{self.settings.fx_port}" if "fx_stub" in self.processes else None

    @property
    def sandbox_url(self) -> str | None:
        return f"http://127.0.0.1:{self.settings.sandbox_port}" if "sandbox" in self.processes else None

    @property
    def sandbox_control_url(self) -> str | None:
        """The sandbox gateway's test controls (fail, delay, duplicates, deliveries): loopback only, not in nginx."""
        return f"http://127.0.0.1:{self.settings.sandbox_control_port}" if "sandbox" in self.processes else None

    @property
    def webhook_receiver_url(self) -> str | None:
        """The merchant-endpoint stand-in (infra/harness/webhook_receiver): loopback only, not in nginx."""
        return f"http://127.0.0.1:{self.settings.webhook_receiver_port}" if "webhook_receiver" in self.processes \
            else None

    @property
    def credentials_path(self) -> Path:
        return self.state_dir / CREDENTIALS_FILE

    @property
    def credentials(self) -> dict[str, str]:
        return read_credentials(self.credentials_path)

    # ------------------------------------------------------------------ stand-ins for outside services
    def _start_stubs(self) -> None:
        """FX feed stub, sandbox payment gateway and webhook test receiver (started now, waited for after the
        runtime)."""
        s = self.settings
        self.spawn("fx_stub", [sys.executable, "-m", "infra.harness.fx_stub", "--port", str(s.fx_port),
                               "--aws-endpoint", self.aws_endpoint,
                               "--api-key-secret-id", self.template.physical_name("FxJsonApiKeySecret")])
        self.spawn("sandbox", [
            sys.executable, "-m", "infra.harness.sandbox_gateway", "--port", str(s.sandbox_port),
            "--control-port", str(s.sandbox_control_port),
            "--webhook-url", f"{self.internal_url}{config.FUNCTION_URL_PATHS['PaymentsWebhookFunction']}",
            "--aws-endpoint", self.aws_endpoint,
            "--webhook-secret-id", self.template.physical_name("WebhookSecret"),
            "--api-key-secret-id", self.template.physical_name("PaymentGatewayApiKeySecret")])
        self.spawn("webhook_receiver", [sys.executable, "-m", "infra.harness.webhook_receiver",
                                        "--port", str(s.webhook_receiver_port)])
        self.refresh_context()

    def _wait_stubs(self) -> None:
        for name, port in (("fx_stub", self.settings.fx_port), ("sandbox", self.settings.sandbox_port),
                           ("webhook_receiver", self.settings.webhook_receiver_port)):
            if name in self.processes:
                began = time.monotonic()
                wait_until(lambda p=port: port_open(p), what=name, timeout=30, process=self.processes[name])
                self.report(f"[{self.elapsed():5.1f}s] {name} on 127.0.0.1:{port} "
                            f"ok ({time.monotonic() - began:.1f}s)")

    # ------------------------------------------------------------------ checks and seeds
    def _check_openapi(self) -> str:
        """The merged document is served by a function (as on AWS): it answers, with every service."""
        response = self.session().get(f"{self.base_url}/api/v1/openapi.json", timeout=30)
        response.raise_for_status()
        document = response.json()
        note = document.get("info", {}).get("description", "")
        incomplete = f" ({note})" if note.startswith("Incomplete") else ""
        return f"{len(document.get('paths', {}))} paths{incomplete}"

    def _run_seeds(self) -> str:
        from infra.harness.seeding import discover, run_seed

        seeds = discover()
        for seed in seeds:
            began = time.monotonic()
            output = run_seed(seed, self.template, state_dir=self.state_dir, log_path=self.log_dir / "seeds.log")
            self.report(f"    {seed.name} ({seed.function}): {time.monotonic() - began:.1f}s")
            for line in output.strip().splitlines():
                if not line.startswith("{"):  # structured log lines stay in logs/seeds.log
                    self.report(f"    {seed.name}: {line}")
        return ", ".join(seed.name for seed in seeds) or "none yet (infra/harness/seeds/ is empty)"

    # ------------------------------------------------------------------ state
    def state(self, status: str) -> dict:
        return {**super().state(status),
                "fx_stub_url": self.fx_stub_url, "sandbox_url": self.sandbox_url,
                "sandbox_control_url": self.sandbox_control_url, "webhook_receiver_url": self.webhook_receiver_url,
                "credentials_file": str(self.credentials_path)}


def read_credentials(path: Path) -> dict[str, str]:
    """Seeded accounts {email: password}: a JSON object, or lines `email password` / `email: password`."""
    if not path.exists():
        return {}
    text = path.read_text(encoding="utf-8").strip()
    if text.startswith("{"):
        data = json.loads(text)
        if isinstance(data.get("accounts"), list):
            return {a["email"]: a["password"] for a in data["accounts"]}
        return {k: v for k, v in data.items() if isinstance(v, str)}
    pairs = {}
    for line in text.splitlines():
        match = _CREDENTIAL_LINE.match(line.strip())
        if match:
            pairs[match.group(1)] = match.group(2).strip()
    return pairs


_CREDENTIAL_LINE = re.compile(r"^([^\s:=#]+@[^\s:=]+)\s*[:=]?\s*(\S.*)$")
