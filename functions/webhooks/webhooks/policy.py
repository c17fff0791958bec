"""When to try again, when to give up, when to disable an endpoint: the numbers, in one place.

* **Backoff**: the n-th retry waits a random time between 0 and min(cap, base × 2^(n-1)) seconds
  ("full jitter": endpoints recovering from an outage are not hit by every sender at once).
  WEBHOOK_RETRY_BASE_SECONDS (30 on AWS; the dev stack sets 1 so a test sees a retry within seconds)
  and WEBHOOK_RETRY_CAP_SECONDS (3600).
* **Give up**: no attempt is scheduled after the delivery's retry window
  (WEBHOOK_RETRY_WINDOW_SECONDS, a day, from the delivery's creation or its manual redelivery): it is
  `failed` then.
* **Disable**: an endpoint whose attempts have all failed for longer than
  WEBHOOK_DISABLE_AFTER_SECONDS (a day) since the first failure after its last success is disabled.
* **Order hold**: a first attempt waits while the endpoint's delivery of the same order's previous
  version is still pending or retrying, for at most WEBHOOK_ORDER_HOLD_SECONDS (300), checking every
  few seconds.
* SQS delays a message by at most 900 s: a later attempt is carried as `not_before` and re-delayed.
"""
from __future__ import annotations

import datetime as dt
import random

from meridian.config import seconds_env

SQS_MAX_DELAY_SECONDS = 900


def retry_base() -> float:
    return seconds_env("WEBHOOK_RETRY_BASE_SECONDS", 30)


def retry_cap() -> float:
    return seconds_env("WEBHOOK_RETRY_CAP_SECONDS", 3600)


def retry_window() -> dt.timedelta:
    return dt.timedelta(seconds=seconds_env("WEBHOOK_RETRY_WINDOW_SECONDS", 86400))


def disable_after() -> dt.timedelta:
    return dt.timedelta(seconds=seconds_env("WEBHOOK_DISABLE_AFTER_SECONDS", 86400))


def order_hold() -> dt.timedelta:
    return dt.timedelta(seconds=seconds_env("WEBHOOK_ORDER_HOLD_SECONDS", 300))


def hold_poll_seconds() -> float:
    return max(1.0, min(retry_base(), 5.0))


def backoff_ceiling(retry: int, *, base: float | None = None, cap: float | None = None) -> float:
    """The longest wait before the `retry`-th retry (1 = after the first failed attempt)."""
    base = retry_base() if base is None else base
    cap = retry_cap() if cap is None else cap
    return min(cap, base * 2 ** min(max(retry, 1) - 1, 62))


def backoff(retry: int, *, rng: random.Random | None = None, base: float | None = None,
            cap: float | None = None) -> float:
    """Seconds to wait before the `retry`-th retry: uniform in [0, ceiling] (full jitter)."""
    return (rng or random).uniform(0, backoff_ceiling(retry, base=base, cap=cap))


def next_attempt(now: dt.datetime, retry: int, give_up_at: dt.datetime, *,
                 rng: random.Random | None = None) -> dt.datetime | None:
    """When to make the `retry`-th retry, or None: past the window, the delivery has failed."""
    at = now + dt.timedelta(seconds=backoff(retry, rng=rng))
    return at if at <= give_up_at else None


def should_disable(failing_since: dt.datetime | None, now: dt.datetime) -> bool:
    """An endpoint failing continuously for longer than the threshold is disabled."""
    return failing_since is not None and now - failing_since > disable_after()


def sqs_delay(until: dt.datetime, now: dt.datetime) -> int:
    """DelaySeconds for a message that should be handled at `until` (capped: re-delayed when it arrives early)."""
    return max(0, min(SQS_MAX_DELAY_SECONDS, int((until - now).total_seconds() + 0.999)))
