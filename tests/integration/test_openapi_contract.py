"""The merged OpenAPI document against the running platform: schemathesis with every check.

`st run` (schemathesis's CLI, config in schemathesis.toml beside this file) reads the document the
stack serves at GET /api/v1/openapi.json and, for every operation in it, sends the document's examples,
boundary and invalid values (coverage), generated requests (fuzzing) and chains of calls (stateful),
and checks each answer: no 5xx, documented status codes, content types, headers and bodies; invalid
requests refused and valid ones accepted; undeclared methods (TRACE, QUERY, …) answered 405 with
Allow; required headers and authentication enforced. Once anonymously, once as the seeded admin.

It runs last (conftest.py orders it): the fuzzer registers accounts, creates products and spends the
login rate limit, none of which the other tests should see.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .accounts import bearer

CONFIG = Path(__file__).with_name("schemathesis.toml")
TIMEOUT_SECONDS = 600


def run_schemathesis(stack, tmp_path: Path, headers: dict[str, str]) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "schemathesis.cli", "--no-color", "--config-file", str(CONFIG), "run",
               f"{stack.base_url}/api/v1/openapi.json", "--checks", "all", "--tls-verify", str(stack.certificate.cert),
               "--report", "junit", "--report-dir", str(tmp_path)]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)


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
