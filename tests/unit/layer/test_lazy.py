"""meridian.lazy, and the cold-start import budget it serves (no timing asserts: which modules load)."""
from __future__ import annotations

import builtins
import json
import subprocess
import sys

import pytest
from meridian.lazy import lazy_module

from infra.localaws.template import Template

# imported on first use instead of at cold start (tests/bench/bench_foundation.py: <= 1.5 x bare boto3)
DEFERRED = ("marshmallow", "jwt", "cryptography", "requests")


def test_lazy_module_runs_its_code_on_first_attribute_access(tmp_path, monkeypatch):
    (tmp_path / "lazy_probe_pkg").mkdir()
    (tmp_path / "lazy_probe_pkg" / "__init__.py").write_text("")
    (tmp_path / "lazy_probe_pkg" / "heavy.py").write_text(
        "import builtins\nbuiltins.lazy_probe_ran = True\nVALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delattr("builtins.lazy_probe_ran", raising=False)
    try:
        heavy = lazy_module("lazy_probe_pkg.heavy")
        assert not hasattr(builtins, "lazy_probe_ran")
        assert heavy.VALUE == 42
        assert builtins.lazy_probe_ran is True
        from lazy_probe_pkg import heavy as real
        assert real.VALUE == heavy.VALUE
        assert lazy_module("lazy_probe_pkg.heavy") is real
    finally:
        for name in ("lazy_probe_pkg.heavy", "lazy_probe_pkg"):
            sys.modules.pop(name, None)
        monkeypatch.delattr("builtins.lazy_probe_ran", raising=False)


def test_lazy_module_is_safe_when_threads_race_for_first_use(tmp_path, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    (tmp_path / "lazy_race_pkg").mkdir()
    (tmp_path / "lazy_race_pkg" / "__init__.py").write_text("")
    (tmp_path / "lazy_race_pkg" / "slow.py").write_text("import time\ntime.sleep(0.2)\nVALUE = 7\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        slow = lazy_module("lazy_race_pkg.slow")
        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(lambda _: slow.VALUE, range(8))) == [7] * 8
    finally:
        for name in ("lazy_race_pkg.slow", "lazy_race_pkg"):
            sys.modules.pop(name, None)


def test_lazy_module_fails_at_once_for_a_missing_module():
    with pytest.raises(ModuleNotFoundError):
        lazy_module("meridian.no_such_module")


_CHILD = """
import importlib, json, sys
module_name, attribute = sys.argv[1].rsplit(".", 1)
getattr(importlib.import_module(module_name), attribute)
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


@pytest.mark.parametrize("logical_id", ["AuthFunction", "UsersFunction", "ProductsFunction",
                                        "LocalizationFunction", "AdminFunction", "OrdersFunction",
                                        "PaymentsFunction"])
def test_http_function_cold_start_does_not_import_deferred_packages(logical_id):
    template = Template()
    spec = template.function(logical_id)
    paths = [str(spec.code_uri), *(str(p) for p in template.layer_paths()), *sys.path]
    env = {**spec.environment, "PYTHONPATH": ":".join(paths), "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "POWERTOOLS_TRACE_DISABLED": "true"}
    out = subprocess.run([sys.executable, "-c", _CHILD, spec.handler], cwd=spec.code_uri, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    loaded = set(json.loads(out.stdout))
    assert "chalice" in loaded                     # the handler really was imported
    assert not loaded & set(DEFERRED), f"{logical_id} imports {sorted(loaded & set(DEFERRED))} at cold start"


def test_load_all_runs_every_lazy_module_now(tmp_path, monkeypatch):
    """A warm-up (meridian.api.ServiceApp.warm_up) loads what the first request would have loaded."""
    from meridian import lazy

    (tmp_path / "lazy_warm_pkg").mkdir()
    (tmp_path / "lazy_warm_pkg" / "__init__.py").write_text("")
    (tmp_path / "lazy_warm_pkg" / "later.py").write_text("import builtins\nbuiltins.lazy_warm_ran = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delattr("builtins.lazy_warm_ran", raising=False)
    monkeypatch.setattr(lazy, "_proxies", {})            # only this test's (other tests' functions are gone)
    try:
        lazy_module("lazy_warm_pkg.later")
        assert not hasattr(builtins, "lazy_warm_ran")
        assert lazy.load_all() == ["lazy_warm_pkg.later"]
        assert builtins.lazy_warm_ran is True
    finally:
        for name in ("lazy_warm_pkg.later", "lazy_warm_pkg"):
            sys.modules.pop(name, None)
        monkeypatch.delattr("builtins.lazy_warm_ran", raising=False)
