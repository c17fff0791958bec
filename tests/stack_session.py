"""The stack the integration and e2e tiers drive: moto_server, DynamoDB Local, the Lambda runtime,
nginx over HTTPS, the stand-ins, seeded — really started, once per test session for both tiers
(tests/conftest.py imports this module, so both share one fixture and one stack).

`stack` (session scope) is a DevStack on free ports in its own state dir, so the suite
runs beside a `make up` stack. SEED_PASSWORD is random for the session; the login limit
is generous (600r/m, burst 100) so tests that log in often are not throttled.

    def test_x(stack):
        response = stack.session().get(f"{stack.base_url}/api/v1/products/health")
"""
from __future__ import annotations

import os
import secrets

import pytest

from infra.harness.stack import DevStack, StackSettings

RUN_LAST = "test_openapi_contract.py"   # the fuzzer registers accounts and spends rate limits: after the rest


STACK_TIERS = ("tests/integration/", "tests/e2e/")


def pytest_collection_modifyitems(items):
    for item in items:
        if any(tier in str(item.fspath).replace(os.sep, "/") for tier in STACK_TIERS):
            item.add_marker(pytest.mark.integration)
    items.sort(key=lambda item: item.fspath.basename == RUN_LAST)   # stable: the others keep their order


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    previous = os.environ.get("SEED_PASSWORD")
    os.environ["SEED_PASSWORD"] = secrets.token_urlsafe(18)
    settings = StackSettings.on_free_ports(
        tmp_path_factory.mktemp("stack"), workers_per_function=2,
        auth_rate="600r/m", auth_burst=100)
    local = DevStack(settings)
    local.start()
    try:
        yield local
        denials = unexpected_denials(local)
    finally:
        local.stop()
        if previous is None:
            os.environ.pop("SEED_PASSWORD", None)
        else:
            os.environ["SEED_PASSWORD"] = previous
    # every function's real calls were allowed by its role: the only denials are test_iam.py's own
    assert not denials, "AWS calls denied by IAM during the suite:\n" + "\n".join(denials)


def unexpected_denials(stack) -> list[str]:
    log = stack.log_dir / "iam_proxy.log"
    provoked = (stack.template.arn("ProductsTable"), "UsersFunctionRole")   # tests/integration/test_iam.py
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    return [line for line in lines if "DENIED" in line and not all(mark in line for mark in provoked)]
