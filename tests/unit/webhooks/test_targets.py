"""The SSRF guard (webhooks.targets): only https URLs of public addresses, checked after resolving; the one
exception is the configured local test receiver's exact origin."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

CODE = Path(__file__).resolve().parents[3] / "functions" / "webhooks"


@pytest.fixture
def targets(monkeypatch):
    """webhooks.targets alone (pure: no AWS); DNS answers come from `dns`."""
    for name in [n for n in sys.modules if n.split(".")[0] == "webhooks"]:
        del sys.modules[name]
    monkeypatch.syspath_prepend(str(CODE))
    monkeypatch.delenv("WEBHOOK_TEST_RECEIVER_ORIGIN", raising=False)
    module = importlib.import_module("webhooks.targets")
    yield module
    for name in [n for n in sys.modules if n.split(".")[0] == "webhooks"]:
        del sys.modules[name]


def resolver(answers: dict[str, list[str]]):
    def resolve(host, port):
        if host not in answers:
            raise OSError("no such host")
        return answers[host]
    return resolve


PUBLIC = "93.184.215.14"


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.1.2.3", "10.0.0.5", "172.16.0.1", "172.31.255.255", "192.168.1.1",
    "169.254.169.254", "169.254.0.1",          # link-local: the cloud metadata service
    "100.64.0.1", "100.127.255.254",           # CGNAT
    "0.0.0.0", "0.1.2.3", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
    "192.0.2.1", "198.51.100.7", "203.0.113.9", "198.18.0.1", "192.0.0.8",
    "::", "::1", "fe80::1", "fe80::1%eth0", "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1", "fec0::1",
    "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "::ffff:100.64.0.1",
    "2002:7f00:1::1",                          # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",                       # 6to4 of 169.254.169.254
    "64:ff9b::a9fe:a9fe",                      # NAT64 of 169.254.169.254
    "64:ff9b::7f00:1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",    # Teredo
])
def test_internal_addresses_are_not_public(targets, address):
    assert not targets.is_public(address)


@pytest.mark.parametrize("address", [PUBLIC, "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8",
                                     "2002:0808:0808::1", "64:ff9b::808:808"])
def test_public_addresses_are(targets, address):
    assert targets.is_public(address)


@pytest.mark.parametrize("host_address", [
    "127.0.0.1", "169.254.169.254", "10.1.2.3", "::1", "::ffff:127.0.0.1", "100.64.3.4", "fd00::1"])
def test_a_host_resolving_to_an_internal_address_is_refused(targets, host_address):
    with pytest.raises(targets.TargetRefused, match="private, loopback"):
        targets.check("https://merchant.example/hook", resolve=resolver({"merchant.example": [host_address]}))


def test_one_internal_answer_among_public_ones_refuses_the_host(targets):
    dns = resolver({"rebind.example": [PUBLIC, "127.0.0.1"]})
    with pytest.raises(targets.TargetRefused):
        targets.check("https://rebind.example/", resolve=dns)


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/hook", "https://[::1]/hook", "https://169.254.169.254/latest/meta-data/",
    "https://[::ffff:169.254.169.254]/", "https://2130706433/", "https://0x7f000001/", "https://0177.0.0.1/",
    "https://localhost/", "https://LOCALHOST./hook", "https://10.0.0.1:8443/x"])
def test_literal_and_encoded_internal_addresses_are_refused_by_the_real_resolver(targets, url):
    with pytest.raises(targets.TargetRefused):
        targets.check(url)


@pytest.mark.parametrize("url, says", [
    ("http://merchant.example/hook", "https"), ("ftp://merchant.example/", "https"),
    ("https://user:pw@merchant.example/", "user name"), ("https:///nohost", "host"),
    ("https://merchant.example:0/", "port"), ("https://merchant.example:99999/", "port"),
    ("https://merchant.example/a b", "spaces"), ("https://merchant.example/\r\nX: y", "control"),
    ("https://merchant.example/#frag", "fragment"), ("", "https"), ("https://" + "a" * 2100 + ".example/", "2048"),
    ("https://nowhere.invalid/", "does not resolve")])
def test_malformed_or_insecure_urls_are_refused_saying_why(targets, url, says):
    dns = resolver({"merchant.example": [PUBLIC]})
    with pytest.raises(targets.TargetRefused, match=says):
        targets.check(url, resolve=dns)


def test_a_public_https_url_gives_the_addresses_to_connect_to(targets):
    target = targets.check("https://Merchant.example:8443/hooks/meridian?tenant=7",
                           resolve=resolver({"merchant.example": [PUBLIC, "2606:4700:4700::1111"]}))
    assert (target.scheme, target.host, target.port, target.path) == ("https", "merchant.example", 8443,
                                                                      "/hooks/meridian?tenant=7")
    assert target.addresses == (PUBLIC, "2606:4700:4700::1111")


def test_the_test_receiver_origin_is_the_one_exception_and_only_exactly(targets, monkeypatch):
    with pytest.raises(targets.TargetRefused):
        targets.check("http://127.0.0.1:8097/hook")               # not configured (AWS): refused
    monkeypatch.setenv("WEBHOOK_TEST_RECEIVER_ORIGIN", "http://127.0.0.1:8097")
    target = targets.check("http://127.0.0.1:8097/hook")
    assert (target.scheme, target.addresses, target.path) == ("http", ("127.0.0.1",), "/hook")
    for other in ("http://127.0.0.1:8098/hook", "https://127.0.0.1:8097/hook", "http://127.0.0.2:8097/",
                  "http://localhost:8097/", "http://169.254.169.254:8097/"):
        with pytest.raises(targets.TargetRefused):
            targets.check(other)
