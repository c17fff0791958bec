"""The FX refresh: the same work for the hourly schedule and POST /rates/refresh.

1. fetch from the configured provider: a timeout per attempt, retries with exponential
   backoff and full jitter, all inside the `fx-provider` pybreaker breaker (unreachable
   answers and garbage both count as failures; an open breaker skips the call);
2. validate: every rate positive and parseable (the parsers), and no rate may move more
   than FX_MAX_MOVE_SHARE (default 0.5 = 50 %) since the last snapshot — otherwise the
   whole snapshot is refused, each offending rate is logged, and the last one keeps serving
   (an admin may pass accept_large_moves after checking the rates by hand);
3. unchanged rates only mark the latest snapshot as confirmed now (that is what `stale`
   measures); new rates become an immutable snapshot and the "latest" pointer moves with a
   conditional write, so an older refresh finishing late can never replace a newer one;
4. publish `fx.rates.refreshed` on the bus.
"""
from __future__ import annotations

import datetime as _dt
import os
import uuid
from dataclasses import asdict, dataclass
from decimal import Decimal

import pybreaker
from meridian import events, resilience
from meridian.clock import iso, utcnow
from meridian.config import int_env, optional_env, seconds_env
from meridian.observability import count, logger
from meridian.rates import RateSnapshot

from . import providers, repository
from .providers import InvalidRates, ProviderError, ProviderRates, ProviderUnreachable

BREAKER_NAME = "fx-provider"


@dataclass(frozen=True)
class RefreshOutcome:
    status: str                    # refreshed | unchanged | superseded | refused | failed | breaker_open
    detail: str = ""
    snapshot_id: str | None = None
    as_of: str | None = None
    source: str | None = None
    problems: dict | None = None   # currency → why it was refused

    @property
    def ok(self) -> bool:
        return self.status in ("refreshed", "unchanged", "superseded")

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}


def max_move_share() -> Decimal:
    return Decimal(optional_env("FX_MAX_MOVE_SHARE", "0.5"))


def provider_breaker() -> pybreaker.CircuitBreaker:
    """The breaker around the provider; FX_BREAKER_FAIL_MAX / FX_BREAKER_RESET_SECONDS apply at once."""
    breaker = resilience.breaker(BREAKER_NAME)
    breaker.fail_max = int_env("FX_BREAKER_FAIL_MAX", 3)
    breaker.reset_timeout = seconds_env("FX_BREAKER_RESET_SECONDS", 300)
    return breaker


def fetch(provider, *, attempts: int | None = None) -> ProviderRates:
    """Download with retries (backoff + full jitter) and parse, inside the provider's breaker."""
    attempts = attempts or int_env("FX_FETCH_ATTEMPTS", 3)
    tried: list[Exception] = []

    def download_and_parse() -> ProviderRates:
        try:
            body = resilience.retry(provider.download, attempts=attempts, base=0.2, cap=2.0,
                                    retry_on=(ProviderUnreachable,))
            return provider.parse(body)
        except ProviderError as error:
            tried.append(error)
            raise

    try:
        return provider_breaker().call(download_and_parse)
    except pybreaker.CircuitBreakerError:
        if tried:  # this failure tripped the breaker: report the failure itself
            raise tried[-1] from None
        raise


def large_moves(new: ProviderRates, previous: RateSnapshot | None, share: Decimal) -> dict[str, str]:
    """Currencies whose rate moved more than `share` since `previous` (compared in the new base)."""
    if previous is None or new.base not in previous.rates:
        return {}
    moved = {}
    for code, value in new.rates.items():
        if code not in previous.rates:
            continue
        before = previous.rate(new.base, code)
        change = abs(value / before - 1)
        if change > share:
            moved[code] = f"moved {change:.1%} (from {before} to {value}); more than {share:.0%} is refused"
    return moved


def _same_rates(new: ProviderRates, previous: RateSnapshot | None) -> bool:
    if previous is None or (new.base, new.as_of, new.source) != (previous.base, previous.as_of, previous.source):
        return False
    return {**new.rates, new.base: Decimal(1)} == dict(previous.rates)


def refresh(*, provider=None, attempts: int | None = None, accept_large_moves: bool = False,
            now: _dt.datetime | None = None, trigger: str = "schedule") -> RefreshOutcome:
    provider = provider or providers.from_env()
    fetched_at = iso(now or utcnow())
    try:
        fetched = fetch(provider, attempts=attempts)
    except pybreaker.CircuitBreakerError:
        return _report(RefreshOutcome("breaker_open", "The FX provider's breaker is open; kept the last snapshot."),
                       trigger)
    except InvalidRates as error:
        return _report(RefreshOutcome("refused", f"The provider's answer was refused: {error}"), trigger)
    except ProviderError as error:
        return _report(RefreshOutcome("failed", f"The FX provider could not be reached: {error}"), trigger)

    previous = repository.latest()
    moved = {} if accept_large_moves else large_moves(fetched, previous, max_move_share())
    if moved:
        for code, why in moved.items():
            logger.warning("fx rate refused", extra={"currency": code, "reason": why, "as_of": fetched.as_of})
        return _report(RefreshOutcome("refused", "Some rates moved more than the configured share.",
                                      as_of=fetched.as_of, source=fetched.source, problems=moved), trigger)

    if _same_rates(fetched, previous):
        repository.confirm_latest(previous.snapshot_id, fetched_at)
        return _report(RefreshOutcome("unchanged", "The provider confirmed the latest snapshot.",
                                      previous.snapshot_id, previous.as_of, previous.source), trigger)

    snapshot = RateSnapshot(snapshot_id=str(uuid.uuid4()), base=fetched.base, as_of=fetched.as_of,
                            source=fetched.source, rates=fetched.rates, confirmed_at=fetched_at)
    repository.save_snapshot(snapshot, fetched_at)
    if not repository.move_latest(snapshot, fetched_at):
        return _report(RefreshOutcome("superseded", "A newer snapshot is already the latest; this one is kept "
                                      "in the history only.", snapshot.snapshot_id, snapshot.as_of,
                                      snapshot.source), trigger)
    events.publish("localization", "fx.rates.refreshed", {
        "snapshot_id": snapshot.snapshot_id, "as_of": snapshot.as_of, "source": snapshot.source,
        "base": snapshot.base, "currencies": len(snapshot.rates),
        "previous_snapshot_id": previous.snapshot_id if previous else None, "trigger": trigger})
    return _report(RefreshOutcome("refreshed", "Stored a new snapshot.", snapshot.snapshot_id, snapshot.as_of,
                                  snapshot.source), trigger)


def _report(outcome: RefreshOutcome, trigger: str) -> RefreshOutcome:
    log = logger.info if outcome.ok else logger.warning
    log("fx refresh finished", extra={"outcome": outcome.status, "detail": outcome.detail, "trigger": trigger,
                                      "snapshot_id": outcome.snapshot_id, "as_of": outcome.as_of})
    if os.environ.get("POWERTOOLS_METRICS_NAMESPACE"):
        count("FxRefresh", outcome=outcome.status)
    return outcome
