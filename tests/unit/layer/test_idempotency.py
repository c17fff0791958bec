"""meridian.idempotency: one Idempotency-Key behaviour for every service (here on products' table)."""
from __future__ import annotations

import pytest
from meridian.errors import Conflict, Unprocessable, ValidationFailed


@pytest.fixture
def idempotency(load_function, monkeypatch):
    from meridian import api, idempotency

    load_function("ProductsFunction")                     # its environment: IDEMPOTENCY_TABLE_NAME
    monkeypatch.setitem(api._current, "app", None)
    return idempotency


def test_a_key_answers_its_first_result_and_refuses_another_request(idempotency):
    runs = []

    def action():
        runs.append(1)
        return 201, {"n": len(runs)}

    assert idempotency.run_once("s", " k ", {"a": 1}, action) == (201, {"n": 1})
    assert idempotency.run_once("s", "k", {"a": 1}, action) == (201, {"n": 1})       # trimmed: the same key
    assert idempotency.run_once("other", "k", {"a": 1}, action) == (201, {"n": 2})   # scopes do not meet
    with pytest.raises(Unprocessable):
        idempotency.run_once("s", "k", {"a": 2}, action)
    assert len(runs) == 2


def test_key_limits_blank_and_required(idempotency):
    ok = lambda: (200, {})  # noqa: E731
    assert idempotency.run_once("s", "x" * 255, {}, ok) == (200, {})
    with pytest.raises(ValidationFailed):
        idempotency.run_once("s", "x" * 256, {}, ok)
    runs = []
    for blank in (None, "", "   "):
        assert idempotency.run_once("s", blank, {}, lambda: (runs.append(1), (200, {}))[1]) == (200, {})
        with pytest.raises(ValidationFailed):
            idempotency.run_once("s", blank, {}, ok, required=True)
    assert len(runs) == 3                                  # no key: no idempotency


def test_a_failure_frees_the_key_and_a_key_in_progress_waits_then_409(idempotency, monkeypatch):
    def fail():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        idempotency.run_once("s", "free", {}, fail)
    assert idempotency.run_once("s", "free", {}, lambda: (201, {"ok": True})) == (201, {"ok": True})

    monkeypatch.setattr(idempotency, "WAIT_FOR_FIRST_SECONDS", 0.3)
    seen = []

    def while_running():
        with pytest.raises(Conflict) as busy:
            idempotency.run_once("s", "busy", {}, lambda: (200, {}))
        seen.append(busy.value)
        return 200, {"first": True}

    assert idempotency.run_once("s", "busy", {}, while_running) == (200, {"first": True})
    assert seen[0].status == 409 and seen[0].headers == {"Retry-After": "1"}
