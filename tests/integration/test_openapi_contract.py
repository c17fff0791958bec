"""The merged OpenAPI document against the running platform: schemathesis with every check.

`st run` (schemathesis's CLI, config in schemathesis.toml beside this file) reads the document the
stack serves at GET /api/v1/openapi.json and, for every operation in it, sends the document's examples,
boundary and invalid values (coverage), generated requests (fuzzing) and chains of calls (stateful),
and checks each answer: no 5xx, documented status codes, content types, headers and bodies; invalid
requests refused and valid ones accepted; undeclared methods (TRACE, QUERY, …) answered 405 with
Allow; required headers and authentication enforced. Once as a visitor, over the operations a visitor may
call (what needs a role answers a visitor 401 whatever else is sent: one call each, below, is enough; its
fuzzing is the admin run's), once as the seeded admin (whose `ignored_auth` check also sends its requests
without the token and with a wrong one).

It runs last (conftest.py orders it): the fuzzer registers accounts, creates products and spends the
login rate limit, none of which the other tests should see.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .accounts import bearer

CONFIG = Path(__file__).with_name("schemathesis.toml")
TIMEOUT_SECONDS = 600


NEEDS_A_ROLE = [{"bearerAuth": []}]          # meridian.apidoc: the security of an operation with x-required-role


def run_schemathesis(stack, tmp_path: Path, headers: dict[str, str]) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "schemathesis.cli", "--no-color", "--config-file", str(CONFIG), "run",
               f"{stack.base_url}/api/v1/openapi.json", "--checks", "all", "--tls-verify", str(stack.certificate.cert),
               "--report", "junit", "--report-dir", str(tmp_path)]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    if not headers:
        command += ["--exclude-by", f"/security == {json.dumps(NEEDS_A_ROLE)}"]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)


def test_every_operation_that_needs_a_role_answers_a_visitor_401(stack):
    document = stack.session().get(f"{stack.base_url}/api/v1/openapi.json", timeout=10).json()
    guarded = [(method, path, operation) for path, item in document["paths"].items()
               for method, operation in item.items() if isinstance(operation, dict) and "x-required-role" in operation]
    assert len(guarded) >= 50
    session = stack.session()
    for method, path, operation in guarded:
        assert operation["security"] == NEEDS_A_ROLE, (method, path)
        url = stack.base_url + re.sub(r"\{[^}]+\}", "0", path)
        body = {"json": {}} if "requestBody" in operation else {}
        response = session.request(method.upper(), url, timeout=20, **body)
        assert response.status_code == 401, (method, path, response.status_code, response.text)
        assert response.headers["Content-Type"].startswith("application/problem+json"), (method, path)


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_every_operation_passes_every_check(stack, tmp_path, who):
    headers = bearer(stack, "admin@example.com") if who == "admin" else {}
    result = run_schemathesis(stack, tmp_path, headers)
    report = tmp_path / "schemathesis.txt"
    report.write_text(result.stdout + result.stderr)
    failures = result.stdout[result.stdout.find("FAILURES"):result.stdout.find("WARNINGS")][:20000]
    assert result.returncode == 0, (f"schemathesis failed ({who}; the whole output: {report}):\n{failures}\n"
                                    f"{result.stdout[-2500:]}\n{result.stderr[-2000:]}")
    assert "Tested: " in result.stdout, result.stdout[-2500:]
