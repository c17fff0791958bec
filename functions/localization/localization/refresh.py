"""The FX refresh: the same work for the hourly schedule and POST /rates/refresh.

1. fetch from each configured provider (the ECB, and the JSON provider when FX_JSON_PROVIDER_URL is
   set): a timeout per attempt, retries with exponential backoff and full jitter, each inside its own
   pybreaker breaker (`fx-provider`, `fx-provider-exchangerate-api`; unreachable answers and garbage
   both count as failures; an open breaker skips the call);
2. validate each provider's answer on its own: every rate positive and parseable (the parsers), and
   no rate may move more than FX_MAX_MOVE_SHARE (default 0.5 = 50 %) since the last snapshot —
   otherwise that provider's whole answer is refused, each offending rate is logged, and its part of
   the last snapshot keeps serving (an admin may pass accept_large_moves after checking by hand);
   combine them (`combine`: the ECB where it quotes, the JSON provider for the rest, each rate with
   its source; a provider that failed keeps its previous rates, so the other still refreshes);
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
from decimal import ROUND_HALF_UP, Context, Decimal

import pybreaker
from meridian import events, resilience
from meridian.clock import iso, utcnow
from meridian.config import int_env, optional_env, seconds_env
from meridian.observability import count, logger
from meridian.rates import RateSnapshot

from . import providers, repository
from .providers import InvalidRates, ProviderError, ProviderRates, ProviderUnreachable

BREAKER_NAME = "fx-provider"
_RATE = Context(prec=18, rounding=ROUND_HALF_UP)   # a rebased rate: 18 significant digits (meridian.rates)


@dataclass(frozen=True)
class RefreshOutcome:
    status: str                    # refreshed | unchanged | superseded | refused | failed | breaker_open
    detail: str = ""
    snapshot_id: str | None = None
    as_of: str | None = None
    source: str | None = None
    problems: dict | None = None   # currency → why it was refused
    providers: dict | None = None  # with two providers: each one's outcome ("ok", "failed", "refused", …)

    @property
    def ok(self) -> bool:
        return self.status in ("refreshed", "unchanged", "superseded")

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}


def max_move_share() -> Decimal:
    return Decimal(optional_env("FX_MAX_MOVE_SHARE", "0.5"))


def provider_breaker(name: str = BREAKER_NAME) -> pybreaker.CircuitBreaker:
    """The breaker around a provider (one per provider); FX_BREAKER_FAIL_MAX / FX_BREAKER_RESET_SECONDS apply
    at once."""
    breaker = resilience.breaker(name)
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
        return provider_breaker(getattr(provider, "breaker", BREAKER_NAME)).call(download_and_parse)
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


def _same_rates(new: ProviderRates, sources: dict[str, str], previous: RateSnapshot | None) -> bool:
    if previous is None or (new.base, new.as_of, new.source) != (previous.base, previous.as_of, previous.source):
        return False
    if {code: previous.source_of(code) for code in previous.rates} != sources:
        return False
    return {**new.rates, new.base: Decimal(1)} == dict(previous.rates)


_UNSET = object()


@dataclass(frozen=True)
class _Part:
    """What one provider gave this refresh: its rates, or why not (status as in RefreshOutcome)."""
    name: str
    rates: ProviderRates | None
    status: str = "ok"
    detail: str = ""
    problems: dict | None = None


def _fetch_part(provider, *, attempts, previous, accept_large_moves) -> _Part:
    """One provider's answer, validated on its own (its breaker, its large-move guard)."""
    name = getattr(provider, "name", "provider")
    try:
        fetched = fetch(provider, attempts=attempts)
    except pybreaker.CircuitBreakerError:
        return _Part(name, None, "breaker_open", f"The {name} breaker is open; kept its last rates.")
    except InvalidRates as error:
        return _Part(name, None, "refused", f"The {name} answer was refused: {error}")
    except ProviderError as error:
        return _Part(name, None, "failed", f"The FX provider {name} could not be reached: {error}")
    moved = {} if accept_large_moves else large_moves(fetched, previous, max_move_share())
    if moved:
        for code, why in moved.items():
            logger.warning("fx rate refused", extra={"currency": code, "reason": why, "as_of": fetched.as_of,
                                                     "provider": name})
        return _Part(name, None, "refused", "Some rates moved more than the configured share.", moved)
    return _Part(name, fetched)


def combine(primary: _Part, secondary: _Part | None, previous: RateSnapshot | None
            ) -> tuple[ProviderRates, dict[str, str]] | None:
    """THE combining rule, in the primary's base (EUR for the ECB):
    1. every currency the primary (ECB) quotes comes from it;
    2. every other currency from the secondary (JSON) provider, rebased through the secondary's own rate
       for the primary's base (EUR);
    3. a provider that failed or was refused this time keeps its part of the previous snapshot (same rates,
       same source), so the other still refreshes what it quotes;
    as_of: the newest publication time among the parts (the previous snapshot's for a kept part);
    None when neither has anything to give. Returns (rates, {code: source})."""
    base = primary.rates.base if primary.rates else (previous.base if previous else "EUR")
    rates: dict[str, Decimal] = {}
    sources: dict[str, str] = {base: primary.name}
    as_ofs, carried = [], False
    if primary.rates:
        rates.update(primary.rates.rates)
        sources.update({code: primary.name for code in primary.rates.rates})
        as_ofs.append(primary.rates.as_of)
    elif previous and previous.base == base:
        kept = {code: value for code, value in previous.rates.items()
                if code != base and previous.source_of(code) == primary.name}
        rates.update(kept)
        sources.update({code: primary.name for code in kept})
        carried = carried or bool(kept)
    if secondary is not None:
        if secondary.rates and (secondary.rates.base == base or base in secondary.rates.rates):
            anchor = Decimal(1) if secondary.rates.base == base else secondary.rates.rates[base]
            extra = {**secondary.rates.rates, secondary.rates.base: Decimal(1)}
            for code, value in extra.items():
                if code not in rates and code != base:
                    rates[code] = _RATE.divide(value, anchor)
                    sources[code] = secondary.name
            as_ofs.append(secondary.rates.as_of)
        elif previous and previous.base == base:
            for code, value in previous.rates.items():
                if code not in rates and code != base and previous.source_of(code) == secondary.name:
                    rates[code], sources[code] = value, secondary.name
                    carried = True
    if not as_ofs or not rates:
        return None
    if carried:   # rates kept from the previous snapshot are as of its time: never older than that
        as_ofs.append(previous.as_of)
    names = sorted({*sources.values()}, key=lambda n: (n != primary.name, n))
    return ProviderRates("+".join(names), base, max(as_ofs), rates), sources


def refresh(*, provider=None, secondary=_UNSET, attempts: int | None = None, accept_large_moves: bool = False,
            now: _dt.datetime | None = None, trigger: str = "schedule") -> RefreshOutcome:
    if secondary is _UNSET:
        secondary = None if provider is not None else providers.secondary_from_env()
    provider = provider or providers.from_env()
    fetched_at = iso(now or utcnow())
    previous = repository.latest()
    parts = [_fetch_part(p, attempts=attempts, previous=previous, accept_large_moves=accept_large_moves)
             for p in (provider, secondary) if p is not None]
    first, second = parts[0], (parts[1] if len(parts) > 1 else None)
    report = {part.name: part.status for part in parts}
    problems = {code: why for part in parts for code, why in (part.problems or {}).items()} or None
    combined = combine(first, second, previous)
    if combined is None:   # nobody gave fresh rates: the first provider's failure is the outcome
        failed = first if first.rates is None else second
        return _report(RefreshOutcome(failed.status, failed.detail, problems=problems,
                                      providers=report if second else None), trigger)
    fetched, sources = combined
    if second is not None:
        for part in parts:
            if part.rates is None:
                logger.warning("fx provider kept its last rates", extra={"provider": part.name,
                                                                         "outcome": part.status, "detail": part.detail})

    if _same_rates(fetched, sources, previous):
        repository.confirm_latest(previous.snapshot_id, fetched_at)
        return _report(RefreshOutcome("unchanged", "The provider confirmed the latest snapshot.",
                                      previous.snapshot_id, previous.as_of, previous.source, problems,
                                      report if second else None), trigger)

    snapshot = RateSnapshot(snapshot_id=str(uuid.uuid4()), base=fetched.base, as_of=fetched.as_of,
                            source=fetched.source, rates=fetched.rates, confirmed_at=fetched_at,
                            sources=sources if second is not None else None)
    repository.save_snapshot(snapshot, fetched_at)
    if not repository.move_latest(snapshot, fetched_at):
        return _report(RefreshOutcome("superseded", "A newer snapshot is already the latest; this one is kept "
                                      "in the history only.", snapshot.snapshot_id, snapshot.as_of,
                                      snapshot.source, problems, report if second else None), trigger)
    events.publish("localization", "fx.rates.refreshed", {
        "snapshot_id": snapshot.snapshot_id, "as_of": snapshot.as_of, "source": snapshot.source,
        "base": snapshot.base, "currencies": len(snapshot.rates),
        "previous_snapshot_id": previous.snapshot_id if previous else None, "trigger": trigger})
    return _report(RefreshOutcome("refreshed", "Stored a new snapshot.", snapshot.snapshot_id, snapshot.as_of,
                                  snapshot.source, problems, report if second else None), trigger)


def _report(outcome: RefreshOutcome, trigger: str) -> RefreshOutcome:
    log = logger.info if outcome.ok else logger.warning
    log("fx refresh finished", extra={"outcome": outcome.status, "detail": outcome.detail, "trigger": trigger,
                                      "snapshot_id": outcome.snapshot_id, "as_of": outcome.as_of})
    if os.environ.get("POWERTOOLS_METRICS_NAMESPACE"):
        count("FxRefresh", outcome=outcome.status)
    return outcome
