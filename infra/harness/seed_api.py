"""What the seeds call: the stack's API (public routes, through the gateway's API base URL), the
Lambda Invoke API of a function's worker (as a schedule or `make create-admin` invokes it) and the
e-mails moto's SES kept. No service code: seeds do what an operator or a deployed bootstrap could.

`SeedApi.from_state()` reads STATE_DIR/stack.json, which the dev stack writes (status "seeding")
before it runs the seeds. The API base URL is the gateway's internal listener (API_BASE_URL, as
services call each other; the public routes are the same there, without the public rate limits).
"""
from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUPER_ADMIN = "superadmin@example.com"
CREDENTIALS_FILE = "credentials"
VERIFY_SUBJECT = "Confirm your e-mail address"
_TOKEN = re.compile(r"[?&]token=([A-Za-z0-9_-]{20,})")   # the link's token (text or HTML body)


class SeedFailed(SystemExit):
    pass


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]


def state_dir() -> Path:
    from infra.harness import config

    return Path(os.environ.get("MERIDIAN_STATE_DIR") or config.STATE_DIR)


def read_credentials(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def write_credentials(path: Path, credentials: dict[str, str]) -> None:
    """JSON {email: password}, mode 600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(credentials, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.chmod(path, 0o600)


class SeedApi:
    def __init__(self, api_base_url: str, *, aws_endpoint: str, invoke_endpoints: dict[str, list[str]],
                 state_file: Path, credentials_path: Path):
        import requests

        self.api_base_url = api_base_url.rstrip("/")
        self.aws_endpoint = aws_endpoint
        self.invoke_endpoints = invoke_endpoints
        self.state_file, self.credentials_path = state_file, credentials_path
        self.http = requests.Session()
        self.http.trust_env = False
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=16)
        self.http.mount("http://", adapter)

    @classmethod
    def from_state(cls, directory: Path | None = None) -> SeedApi:
        directory = directory or state_dir()
        path = directory / "stack.json"
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise SeedFailed(f"no running stack recorded in {path}: seeds run inside `make up`") from None
        credentials = Path(state.get("credentials_file") or directory / CREDENTIALS_FILE)
        return cls(state["context"]["api_base_url"], aws_endpoint=state["aws_endpoint"],
                   invoke_endpoints=state.get("invoke_endpoints") or {}, state_file=path, credentials_path=credentials)

    # ------------------------------------------------------------------ the API
    def call(self, method: str, path: str, *, token: str | None = None, json_body: Any = None,
             headers: dict[str, str] | None = None, params: dict[str, str] | None = None) -> Answer:
        sent = {"Accept": "application/json", **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        for attempt in range(5):
            response = self.http.request(method, f"{self.api_base_url}{path}", json=json_body, headers=sent,
                                         params=params, timeout=60)
            if response.status_code not in (429, 502, 503) or attempt == 4:
                break
            time.sleep(float(response.headers.get("Retry-After", "1")))
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = response.text
        return Answer(response.status_code, body, dict(response.headers))

    def expect(self, answer: Answer, *statuses: int, what: str) -> Answer:
        if answer.status not in statuses:
            raise SeedFailed(f"{what}: HTTP {answer.status} {str(answer.body)[:500]}")
        return answer

    def login(self, email: str, password: str) -> str:
        answer = self.call("POST", "/api/v1/auth/login", json_body={"email": email, "password": password})
        return self.expect(answer, 200, what=f"login {email}").body["access_token"]

    def super_admin_token(self) -> str:
        password = read_credentials(self.credentials_path).get(SUPER_ADMIN)
        if not password:
            raise SeedFailed(f"no password of {SUPER_ADMIN} in {self.credentials_path} (the accounts seed writes it)")
        return self.login(SUPER_ADMIN, password)

    # ------------------------------------------------------------------ Lambda Invoke API of a worker
    def invoke(self, function: str, event: dict) -> Any:
        endpoints = self.invoke_endpoints.get(function)
        if not endpoints:
            raise SeedFailed(f"the stack records no invoke endpoint of {function}")
        response = self.http.post(f"{endpoints[0]}/2015-03-31/functions/{function}/invocations",
                                  data=json.dumps(event), timeout=120)
        payload = response.json() if response.content else None
        if response.status_code != 200 or response.headers.get("X-Amz-Function-Error"):
            raise SeedFailed(f"{function} failed: {str(payload)[:500]}")
        return payload

    # ------------------------------------------------------------------ e-mails moto's SES kept
    def sent_emails(self, to: str, subject: str) -> list[dict]:
        data = self.http.get(f"{self.aws_endpoint}/moto-api/data.json", timeout=30).json()
        return [m for m in data.get("ses", {}).get("Message", [])
                if to in m["destinations"].get("ToAddresses", []) and m["subject"] == subject]

    def verification_token(self, email: str, timeout: float = 60.0) -> str:
        """The token in the newest verification e-mail to `email` (waits for the e-mail function)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.sent_emails(email, VERIFY_SUBJECT)
            if found:
                match = _TOKEN.search(found[-1]["body"])
                if match:
                    return match.group(1)
            if time.monotonic() > deadline:
                raise SeedFailed(f"no verification e-mail to {email} after {timeout:.0f}s")
            time.sleep(0.2)
