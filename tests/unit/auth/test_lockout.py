import pytest

from .conftest import PASSWORD


def _fail(auth, email, times):
    return [auth.login(email, "definitely wrong password").status for _ in range(times)]


def test_five_failures_lock_the_account_with_retry_after(auth):
    auth.registered("locked@example.com")
    assert _fail(auth, "locked@example.com", 5) == [401] * 5
    response = auth.login("locked@example.com")  # even the right password
    assert response.status == 429
    assert response.headers["content-type"] == "application/problem+json"
    retry_after = int(response.headers["retry-after"])
    assert 14 * 60 <= retry_after <= 15 * 60 + 1
    # another account is not affected, whatever the client
    auth.registered("free@example.com")
    assert auth.login("free@example.com").status == 200


def test_failures_are_counted_per_account_within_the_window(auth, modules, monkeypatch):
    auth.registered("window@example.com")
    real_time = modules.lockout.time.time
    assert _fail(auth, "window@example.com", 4) == [401] * 4
    # 16 minutes later the window has passed: four more failures do not lock
    monkeypatch.setattr(modules.lockout.time, "time", lambda: real_time() + 16 * 60)
    assert _fail(auth, "window@example.com", 4) == [401] * 4
    assert auth.login("window@example.com").status == 200


def test_a_success_forgets_earlier_failures(auth):
    auth.registered("forgets@example.com")
    assert _fail(auth, "forgets@example.com", 4) == [401] * 4
    assert auth.login("forgets@example.com").status == 200
    assert _fail(auth, "forgets@example.com", 4) == [401] * 4
    assert auth.login("forgets@example.com").status == 200


def test_repeated_lockouts_last_longer(auth, modules, monkeypatch):
    auth.registered("repeat@example.com")
    real_time = modules.lockout.time.time
    _fail(auth, "repeat@example.com", 5)
    first = int(auth.login("repeat@example.com").headers["retry-after"])
    monkeypatch.setattr(modules.lockout.time, "time", lambda: real_time() + first + 5)
    assert _fail(auth, "repeat@example.com", 5) == [401] * 5
    second = int(auth.login("repeat@example.com").headers["retry-after"])
    assert second >= 2 * first - 10
    assert modules.lockout.lock_seconds(1) == 900 and modules.lockout.lock_seconds(3) == 3600
    assert modules.lockout.lock_seconds(50) == 24 * 3600


def test_unknown_emails_lock_too_so_a_lock_reveals_nothing(auth):
    assert _fail(auth, "ghost@example.com", 5) == [401] * 5
    response = auth.login("ghost@example.com", PASSWORD)
    assert response.status == 429 and int(response.headers["retry-after"]) > 0


@pytest.mark.dynamodb_local
def test_concurrent_failures_are_all_counted(auth, modules):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(5) as pool:
        list(pool.map(lambda _: modules.lockout.record_failure("burst@example.com"), range(5)))
    throttle = modules.models.LoginThrottle.get(*modules.models.LoginThrottle.key("burst@example.com"))
    assert throttle.locked_until > 0 and throttle.lockouts == 1
