"""Small parts of the local stack: certificate, seed runner, merged OpenAPI, credentials, settings."""
from __future__ import annotations

import json
import os

import pytest
from cryptography import x509

from infra.harness import seeding
from infra.harness.stack import DevStack, StackSettings, read_credentials
from infra.localaws.certs import ensure_certificate
from infra.localaws.template import LocalContext, Template


# ---------------------------------------------------------------------- certificate
def test_certificate_is_generated_once_then_kept(tmp_path):
    first, created = ensure_certificate(tmp_path)
    content = first.cert.read_bytes()
    again, created_again = ensure_certificate(tmp_path)
    assert created and not created_again
    assert again.cert.read_bytes() == content
    assert oct(first.key.stat().st_mode & 0o777) == "0o600"
    cert = x509.load_pem_x509_certificate(content)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert "127.0.0.1" in {str(ip) for ip in names.get_values_for_type(x509.IPAddress)}
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


# ---------------------------------------------------------------------- seeds
def _write_seed(directory, name, body, function="ProductsFunction"):
    path = directory / name
    path.write_text(f'FUNCTION = "{function}"\n\n{body}')
    return path


def test_seeds_run_in_numeric_order_and_need_a_function(tmp_path):
    _write_seed(tmp_path, "10_later.py", "def main():\n    pass\n")
    _write_seed(tmp_path, "02_first.py", "def main():\n    pass\n")
    (tmp_path / "helpers.py").write_text("x = 1\n")  # not a seed
    assert [s.name for s in seeding.discover(tmp_path)] == ["02_first", "10_later"]
    (tmp_path / "20_broken.py").write_text("def main():\n    pass\n")
    with pytest.raises(ValueError, match="FUNCTION"):
        seeding.discover(tmp_path)


def test_a_seed_runs_with_its_functions_environment_and_code(tmp_path, monkeypatch):
    monkeypatch.setenv("SEED_PASSWORD", "from-the-caller")
    monkeypatch.setenv("SOMETHING_ELSE", "must-not-leak")
    seed_file = _write_seed(tmp_path, "05_probe.py", (
        "import json, os\n"
        "import products  # the service package from the function's CodeUri\n"
        "import meridian  # the common layer\n"
        "def main():\n"
        "    keys = ('TABLE_NAME', 'AWS_ENDPOINT_URL', 'SEED_PASSWORD', 'SOMETHING_ELSE', 'API_BASE_URL_PARAMETER')\n"
        "    out = os.path.join(os.environ['MERIDIAN_STATE_DIR'], 'probe.json')\n"
        "    json.dump({k: os.environ.get(k) for k in keys}, open(out, 'w'))\n"
        "    print('probed')\n"))
    template = Template(context=LocalContext(stack_name="seedtest", aws_endpoint="http://127.0.0.1:1",
                                             api_base_url="http://127.0.0.1:2"))
    (seed,) = seeding.discover(tmp_path)
    assert seed.path == seed_file
    output = seeding.run_seed(seed, template, state_dir=tmp_path, log_path=tmp_path / "seeds.log")
    assert output.strip() == "probed"
    seen = json.loads((tmp_path / "probe.json").read_text())
    assert seen == {"TABLE_NAME": "seedtest-products", "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
                    "SEED_PASSWORD": "from-the-caller", "SOMETHING_ELSE": None,
                    "API_BASE_URL_PARAMETER": "/seedtest/api-base-url"}
    assert "05_probe" in (tmp_path / "seeds.log").read_text()


def test_a_failing_seed_stops_with_its_error(tmp_path):
    _write_seed(tmp_path, "01_fails.py", "def main():\n    raise SystemExit('no table here')\n")
    (seed,) = seeding.discover(tmp_path)
    with pytest.raises(RuntimeError, match="no table here"):
        seeding.run_seed(seed, Template(), state_dir=tmp_path, log_path=tmp_path / "seeds.log")


# ---------------------------------------------------------------------- credentials and settings
def test_credentials_are_read_from_json_or_lines(tmp_path):
    path = tmp_path / "credentials"
    assert read_credentials(path) == {}
    path.write_text(json.dumps({"admin@example.com": "s3cret:x"}))
    assert read_credentials(path) == {"admin@example.com": "s3cret:x"}
    path.write_text("# seeded accounts\nadmin@example.com: a=b c\ncustomer@example.com=pw\n")
    assert read_credentials(path) == {"admin@example.com": "a=b c", "customer@example.com": "pw"}


def test_two_stacks_get_distinct_ports_and_their_own_context(tmp_path):
    one = StackSettings.on_free_ports(tmp_path / "one")
    two = StackSettings.on_free_ports(tmp_path / "two", workers_per_function=1)
    ports = ("aws_port", "https_port", "http_port", "internal_port", "fx_port", "sandbox_port")
    assert len({getattr(one, p) for p in ports}) == len(ports)
    assert two.workers_per_function == 1 and two.state_dir != one.state_dir
    stack = DevStack(one, report=lambda _: None)
    assert stack.context.aws_endpoint == f"http://127.0.0.1:{one.aws_port}"
    assert stack.context.api_base_url == stack.api_base_url == f"http://127.0.0.1:{one.internal_port}/Prod"
    assert stack.context.function_urls["PaymentsWebhookFunction"] == \
        f"https://localhost:{one.https_port}/webhooks/payments"
    parameter = stack.template.resolve(stack.template.resources["ApiBaseUrlParameter"]["Properties"])
    assert parameter["Value"] == stack.api_base_url      # what provisioning writes to SSM
    assert os.fspath(one.state_dir) in json.dumps(one.to_json())


def test_start_refuses_ports_in_use_and_starts_nothing(tmp_path):
    import socket

    from infra.localaws.processes import StartupFailed

    with socket.create_server(("127.0.0.1", 0)) as taken:
        settings = StackSettings.on_free_ports(tmp_path, aws_port=taken.getsockname()[1])
        stack = DevStack(settings, report=lambda _: None)
        with pytest.raises(StartupFailed, match="AWS_PORT"):
            stack.start()
    assert stack.processes == {} and stack.runtime is None
    assert not (tmp_path / "stack.json").exists()


def test_down_without_a_stack_says_not_running(tmp_path, monkeypatch, capsys):
    from infra.harness import stack_cli

    monkeypatch.setattr(stack_cli, "_state_dir", lambda: tmp_path)
    (tmp_path / "supervisor.pid").write_text("999999999")  # stale: no such process
    assert stack_cli.down() == 0
    assert "not running" in capsys.readouterr().out
    assert not (tmp_path / "supervisor.pid").exists()


def test_email_links_open_the_stacks_own_storefront(tmp_path):
    """PublicBaseUrl is the stack's gateway (on whatever port it got): the links in account and order e-mails
    open this stack's pages, not the template's default https://localhost:8443 (another stack, or nothing)."""
    settings = StackSettings.on_free_ports(tmp_path)
    stack = DevStack(settings, report=lambda _: None)
    environment = {f.logical_id: f.environment for f in stack.template.functions()}
    for function in ("AuthEmailFunction", "OrderEmailFunction"):
        assert environment[function]["EMAIL_LINK_BASE_URL"] == f"https://localhost:{settings.https_port}", function
