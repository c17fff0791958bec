"""The FX refresh against the stub (on a thread) and moto: store, validate, degrade."""
import datetime as dt
import json
import threading
import time
from decimal import Decimal

import boto3
import pytest
from meridian import resilience
from meridian.clock import iso, utcnow

from tests.lambda_testing import LambdaContext


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    monkeypatch.setattr(resilience, "backoff_delays", lambda attempts, base=0.1, cap=2.0: [0.0] * (attempts - 1))


def watch_bus(aws):
    """An SQS queue that receives every event on the platform bus."""
    sqs, events = boto3.client("sqs", region_name="us-east-1"), boto3.client("events", region_name="us-east-1")
    url = sqs.create_queue(QueueName="bus-watch")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = aws.physical_name("PlatformEventBus")
    events.put_rule(Name="watch-all", EventBusName=bus, EventPattern=json.dumps({"source": ["meridian.localization"]}))
    events.put_targets(Rule="watch-all", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])

    def received():
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]
    return received


def test_refresh_stores_snapshot_moves_latest_and_publishes(localization, aws):
    received = watch_bus(aws)
    outcome = localization.refresh.refresh()
    assert outcome.status == "refreshed", outcome
    latest = localization.repository.latest()
    assert latest.snapshot_id == outcome.snapshot_id
    assert latest.rates["USD"] == Decimal("1.1512") and latest.source == "ecb" and latest.base == "EUR"
    assert localization.repository.snapshot(outcome.snapshot_id).rates == latest.rates   # immutable history copy
    events = received()
    assert [e["detail-type"] for e in events] == ["fx.rates.refreshed"]
    assert events[0]["detail"]["snapshot_id"] == outcome.snapshot_id


def test_unchanged_rates_only_confirm_the_latest(localization):
    first = localization.refresh.refresh(now=utcnow() - dt.timedelta(hours=30))
    assert localization.repository.latest().is_stale()
    second = localization.refresh.refresh()
    assert second.status == "unchanged" and second.snapshot_id == first.snapshot_id
    assert not localization.repository.latest().is_stale()


def test_new_rates_make_a_new_snapshot(localization):
    first = localization.refresh.refresh()
    localization.stub.control(rates={"USD": "1.1600"}, merge=True)
    second = localization.refresh.refresh()
    assert second.status == "refreshed" and second.snapshot_id != first.snapshot_id
    assert localization.repository.latest().rates["USD"] == Decimal("1.1600")
    assert localization.repository.snapshot(first.snapshot_id).rates["USD"] == Decimal("1.1512")


def test_garbage_is_refused_and_previous_kept(localization):
    good = localization.refresh.refresh()
    localization.stub.control(mode="garbage")
    outcome = localization.refresh.refresh()
    assert outcome.status == "refused"
    assert localization.repository.latest().snapshot_id == good.snapshot_id


@pytest.mark.parametrize("bad", ["0", "-1.5", "abc"])
def test_non_positive_or_unparseable_rate_refuses_the_snapshot(localization, bad):
    good = localization.refresh.refresh()
    localization.stub.control(rates={"USD": "1.2", "JPY": "180"}, merge=True)
    localization.stub.state.rates["GBP"] = bad   # the control endpoint itself refuses non-numbers
    assert localization.refresh.refresh().status == "refused"
    assert localization.repository.latest().snapshot_id == good.snapshot_id


def test_rate_moving_more_than_the_share_is_refused_and_logged(localization, caplog):
    good = localization.refresh.refresh()
    localization.stub.control(rates={"JPY": "400"}, merge=True)           # +121 %
    outcome = localization.refresh.refresh()
    assert outcome.status == "refused" and set(outcome.problems) == {"JPY"}
    assert localization.repository.latest().snapshot_id == good.snapshot_id
    refused = [r for r in caplog.records if r.getMessage() == "fx rate refused"]
    assert [r.currency for r in refused] == ["JPY"]
    forced = localization.refresh.refresh(accept_large_moves=True)
    assert forced.status == "refreshed"
    assert localization.repository.latest().rates["JPY"] == Decimal("400")


def test_move_share_is_configurable(localization, monkeypatch):
    localization.refresh.refresh()
    localization.stub.control(rates={"USD": "1.2"}, merge=True)           # +4.2 %
    monkeypatch.setenv("FX_MAX_MOVE_SHARE", "0.01")
    assert localization.refresh.refresh().status == "refused"
    monkeypatch.setenv("FX_MAX_MOVE_SHARE", "0.05")
    assert localization.refresh.refresh().status == "refreshed"


def test_provider_down_serves_stale_opens_breaker_then_recovers(localization, monkeypatch):
    monkeypatch.setenv("FX_BREAKER_FAIL_MAX", "2")
    monkeypatch.setenv("FX_BREAKER_RESET_SECONDS", "300")         # stays open however slow the machine is
    good = localization.refresh.refresh(now=utcnow() - dt.timedelta(hours=27))
    localization.stub.control(mode="fail")
    assert localization.refresh.refresh().status == "failed"
    assert localization.refresh.refresh().status == "failed"
    served_before = localization.stub.state.served
    assert localization.refresh.refresh().status == "breaker_open"
    assert localization.stub.state.served == served_before          # open breaker: provider not called
    latest = localization.repository.latest()
    assert latest.snapshot_id == good.snapshot_id and latest.is_stale()   # last good one, marked stale
    localization.stub.control(mode="ok")
    assert localization.refresh.refresh().status == "breaker_open"     # provider back, but not yet retried
    assert localization.stub.state.served == served_before
    # the reset timeout passes: the breaker was opened more than FX_BREAKER_RESET_SECONDS ago
    storage = localization.refresh.provider_breaker()._state_storage
    storage.opened_at = storage.opened_at - dt.timedelta(seconds=301)
    assert localization.refresh.refresh().status == "unchanged"        # half-open trial succeeds
    assert localization.stub.state.served == served_before + 1
    assert localization.refresh.provider_breaker().current_state == "closed"
    assert not localization.repository.latest().is_stale()


def test_hanging_provider_is_cut_by_the_timeout(localization, monkeypatch):
    monkeypatch.setenv("FX_FETCH_TIMEOUT_SECONDS", "0.2")
    localization.stub.control(mode="hang", hang_seconds=60)            # only the timeout can end a download
    timeouts = []
    real_download = localization.providers.download

    def recording_download(url, *, timeout, accept):
        timeouts.append(timeout)
        return real_download(url, timeout=timeout, accept=accept)

    monkeypatch.setattr(localization.providers, "download", recording_download)
    started = time.monotonic()
    outcome = localization.refresh.refresh(attempts=2)
    assert outcome.status == "failed"
    assert timeouts == [0.2, 0.2]                                       # the configured timeout, on each try
    assert time.monotonic() - started < 30                              # generous; a hang lasts 60 s per try
    assert localization.stub.state.served == 2                          # retried once


def test_retries_a_flaky_provider(localization):
    calls = []
    provider = localization.providers.from_env()
    real = provider.download

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise localization.providers.ProviderUnreachable("boom")
        return real()
    provider.download = flaky
    assert localization.refresh.refresh(provider=provider, attempts=3).status == "refreshed"
    assert len(calls) == 3


def test_an_older_refresh_finishing_late_cannot_replace_a_newer_snapshot(localization):
    """Two refreshes race: the one that fetched first writes last; the pointer must not go back."""
    repository = localization.repository
    early_fetch = utcnow()
    provider = localization.providers.from_env()
    slow_body = provider.download()                                   # fetched first (USD 1.1512)
    localization.stub.control(rates={"USD": "1.1600"}, merge=True)
    newer = localization.refresh.refresh()                            # fetched and written later
    assert newer.status == "refreshed"

    class Replay:
        download = staticmethod(lambda: slow_body)
        parse = staticmethod(provider.parse)
    late = localization.refresh.refresh(provider=Replay(), now=early_fetch)
    assert late.status == "superseded"
    assert repository.latest().snapshot_id == newer.snapshot_id
    assert repository.latest().rates["USD"] == Decimal("1.1600")
    assert repository.snapshot(late.snapshot_id) is not None               # kept in the history


@pytest.mark.dynamodb_local
def test_concurrent_pointer_moves_keep_the_newest(localization):
    """Many writers at once, each with its own fetch time: the pointer ends at the newest."""
    from meridian.rates import static_snapshot

    repository = localization.repository
    base = utcnow()
    snaps = [(static_snapshot({"USD": f"1.{100 + i}"}, as_of="2025-11-21T13:15:00.000Z", snapshot_id=f"s{i}"),
              iso(base + dt.timedelta(seconds=i))) for i in range(12)]
    for snap, fetched_at in snaps:
        repository.save_snapshot(snap, fetched_at)
    results = {}

    def move(snap, fetched_at):
        results[snap.snapshot_id] = repository.move_latest(snap, fetched_at)
    threads = [threading.Thread(target=move, args=pair) for pair in reversed(snaps)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert repository.latest().snapshot_id == "s11"
    assert results["s11"] is True


def test_schedule_handler_runs_the_refresh(load_function, fx_stub, monkeypatch):
    handler = load_function("FxRefreshFunction")
    monkeypatch.setenv("FX_PROVIDER_URL", fx_stub.feed_url)
    event = {"version": "0", "id": "e1", "detail-type": "Scheduled Event", "source": "aws.events",
             "time": iso(), "resources": [], "detail": {}}
    result = handler(event, LambdaContext("FxRefreshFunction"))
    assert result["status"] == "refreshed" and result["snapshot_id"]
