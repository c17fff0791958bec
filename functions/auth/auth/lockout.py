"""Per-account login lockout, whatever the client's IP (the gateway limits per IP on top).

LOCKOUT_MAX_FAILURES (5) failed logins for one e-mail within LOCKOUT_WINDOW_SECONDS (15 min)
lock it: logins then answer 429 with Retry-After until the lock ends. The first lock lasts
LOCKOUT_BASE_SECONDS (15 min) and each repeat within LOCKOUT_MEMORY_SECONDS (24 h) doubles
it, up to LOCKOUT_MAX_SECONDS. Unknown e-mails are counted the same way, so a lockout says
nothing about whether an account exists. Updates use optimistic locking (a version
attribute), so concurrent failures are all counted.
"""
from __future__ import annotations

import datetime as dt
import time

from meridian.errors import TooManyRequests
from meridian.observability import count

from . import repository, settings

_ATTEMPTS = 5


def ensure_not_locked(email_key: str, *, now: float | None = None) -> None:
    """429 with Retry-After while the account is locked."""
    current = now if now is not None else time.time()
    throttle = repository.login_throttle(email_key)
    if throttle.locked_until and throttle.locked_until > current:
        raise TooManyRequests("Too many failed logins for this account; try again later.",
                              retry_after=int(throttle.locked_until - current) + 1)


def lock_seconds(lockouts: int) -> int:
    """How long the `lockouts`-th lock in a row lasts (1 → base, 2 → 2 × base, …)."""
    return int(min(settings.LOCKOUT_MAX_SECONDS, settings.LOCKOUT_BASE_SECONDS * 2 ** max(0, lockouts - 1)))


def record_failure(email_key: str, *, now: float | None = None) -> int:
    """Count one failed login; returns the seconds the account is now locked for (0: not locked)."""
    for _ in range(_ATTEMPTS):
        current = int(now if now is not None else time.time())
        throttle = repository.login_throttle(email_key)
        if current - (throttle.window_start or 0) > settings.LOCKOUT_WINDOW_SECONDS:
            throttle.window_start, throttle.failures = current, 0
        throttle.failures = (throttle.failures or 0) + 1
        locked_for = 0
        if throttle.failures >= settings.LOCKOUT_MAX_FAILURES:
            if current - (throttle.last_locked_at or 0) > settings.LOCKOUT_MEMORY_SECONDS:
                throttle.lockouts = 0
            throttle.lockouts = (throttle.lockouts or 0) + 1
            locked_for = lock_seconds(throttle.lockouts)
            throttle.locked_until = current + locked_for
            throttle.last_locked_at = current
            throttle.failures, throttle.window_start = 0, current
        keep = max(settings.LOCKOUT_WINDOW_SECONDS, settings.LOCKOUT_MEMORY_SECONDS, locked_for)
        throttle.expires_at = dt.datetime.fromtimestamp(current + keep, tz=dt.timezone.utc)
        if not repository.save_login_throttle(throttle):  # conditional on the version we read
            continue  # someone else counted a failure at the same time: read again
        if locked_for:
            count("AccountLocked")
        return locked_for
    return 0


def clear_failures(email_key: str) -> None:
    """A successful login forgets the failures (not the count of past locks)."""
    throttle = repository.existing_login_throttle(email_key)
    if throttle is not None and throttle.failures:
        throttle.failures, throttle.window_start = 0, 0
        repository.save_login_throttle(throttle)  # refused: a concurrent failure wins; harmless


def unlock(email_key: str) -> None:
    """A password reset (the owner proved the mailbox) ends a lock."""
    repository.delete_login_throttle(email_key)
