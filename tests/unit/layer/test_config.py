import pytest
from meridian.config import MissingConfiguration, seconds_env


def test_seconds_env_default_value_and_bad_value(monkeypatch):
    monkeypatch.delenv("SOME_TIMEOUT_SECONDS", raising=False)
    assert seconds_env("SOME_TIMEOUT_SECONDS", 1.5) == 1.5
    monkeypatch.setenv("SOME_TIMEOUT_SECONDS", "0.25")
    assert seconds_env("SOME_TIMEOUT_SECONDS", 1.5) == 0.25
    monkeypatch.setenv("SOME_TIMEOUT_SECONDS", "soon")
    with pytest.raises(MissingConfiguration, match="SOME_TIMEOUT_SECONDS"):
        seconds_env("SOME_TIMEOUT_SECONDS", 1.5)
