"""Deliveries: one per (event, subscribed enabled endpoint), made by `fan_out`; each attempt by
`attempt`, driven by messages on the deliveries queue; `redeliver` by an admin.

**One attempt per message generation.** A message names a delivery and its `generation`; the attempt's
result is written on condition that the generation is still the same, and the write moves it on, so
a message that is stale (a retry superseded by a manual redelivery, a copy SQS delivered twice) makes
no further attempt. Delivery is at least once: a copy that runs at the very same moment can send
twice; receivers drop what they have seen by the payload's `id`.

**Retries** (`policy`): a failed attempt (no answer, a timeout, a non-2xx, a redirect, a target the
SSRF guard now refuses) schedules the next one with exponential backoff and full jitter while within
the retry window, carried as `not_before` on a message SQS delays by at most 900 s (re-delayed until
due); after the window the delivery is `failed`. A 2xx delivers it.

**Order.** Fan-out queues an event's deliveries as soon as the event arrives; a first attempt waits
(up to `policy.order_hold`) while the same endpoint's delivery of the order's previous version is
still pending or retrying. So an endpoint that answers gets an order's events in order; one that
fails for long gets later events after the hold (each payload carries the order's `version`).

**Endpoint health.** A success clears `failing_since`; the first failure after a success sets it; a
failure after `policy.disable_after` of failures disables the endpoint (`alerts`). Deliveries for a
disabled or deleted endpoint fail without an attempt.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from meridian import audit, aws, signature
from meridian.clock import iso, parse_iso, utcnow
from meridian.config import require_env, seconds_env
from meridian.errors import Conflict
from meridian.observability import count, logger

from . import alerts, catalog, policy, repository, secrets, targets, transport
from .models import Attempt, DeliveryModel, EndpointModel
from .views import delivery_view

SIGNATURE_HEADER = "Meridian-Signature"
PENDING, RETRYING, DELIVERED, FAILED = "pending", "retrying", "delivered", "failed"
OPEN = (PENDING, RETRYING)
HISTORY_KEPT = 10                 # attempts kept on a delivery (the count is complete)
LOG_RETENTION = dt.timedelta(days=30)
_IDS = uuid.UUID("6b0f0e3c-4f7e-4b43-9c55-9f5f3e3a7d11")


def delivery_id(endpoint_id: str, event_id: str) -> str:
    return str(uuid.uuid5(_IDS, f"{endpoint_id}:{event_id}"))


def _enqueue(message: dict[str, Any], *, delay: int = 0) -> None:
    aws.client("sqs").send_message(QueueUrl=require_env("DELIVERY_QUEUE_URL"), MessageBody=json.dumps(message),
                                   DelaySeconds=delay)


def _schedule(delivery_id_: str, generation: int, at: dt.datetime | None = None, *, manual: bool = False) -> None:
    message: dict[str, Any] = {"delivery_id": delivery_id_, "generation": generation}
    if manual:
        message["manual"] = True
    delay = 0
    if at is not None:
        message["not_before"] = iso(at)
        delay = policy.sqs_delay(at, utcnow())
    _enqueue(message, delay=delay)


# ---------------------------------------------------------------------------- fan-out
def fan_out(event_type: str, detail: dict[str, Any], endpoints: list[EndpointModel] | None = None) -> int:
    """One delivery per enabled endpoint subscribed to `event_type`; how many were queued."""
    if event_type not in catalog.EVENT_TYPES:
        return 0
    body = catalog.payload(event_type, detail)
    queued = 0
    for endpoint in repository.all_endpoints() if endpoints is None else endpoints:
        if not endpoint.enabled or not catalog.subscribed(endpoint.events, event_type):
            continue
        delivery = _new_delivery(endpoint, event_type, detail, body)
        if not repository.add_delivery(delivery):
            delivery = repository.find_delivery(delivery.id)     # the bus event came again
            if delivery is None or delivery.status != PENDING or delivery.attempts:
                continue
        _schedule(delivery.id, delivery.generation)
        queued += 1
    count("WebhookDeliveriesQueued", queued)
    return queued


def _new_delivery(endpoint: EndpointModel, event_type: str, detail: dict[str, Any], body: str) -> DeliveryModel:
    now = utcnow()
    ident = delivery_id(endpoint.id, detail["event_id"])
    order_id, version = detail.get("order_id"), detail.get("version")
    sequenced = isinstance(order_id, str) and isinstance(version, int)
    return DeliveryModel(
        pk=repository.delivery_key(ident), id=ident, endpoint_id=endpoint.id, event_id=detail["event_id"],
        event_type=event_type, order_id=order_id if sequenced else None, order_version=version if sequenced else None,
        gsi1pk=repository.endpoint_key(endpoint.id), gsi1sk=f"{iso(now)}#{ident}",
        gsi2pk=repository.sequence_key(endpoint.id, order_id) if sequenced else None,
        gsi2sk=repository.version_key(version) if sequenced else None,
        body=body, status=PENDING, attempts=0, generation=0, history=[], next_attempt_at=iso(now),
        give_up_at=iso(now + policy.retry_window()), created_at=iso(now), updated_at=iso(now),
        expires_at=int((now + LOG_RETENTION).timestamp()))


# ---------------------------------------------------------------------------- attempts
def attempt(message: dict[str, Any], *, now: dt.datetime | None = None) -> str:
    """Handle one message of the deliveries queue; what happened (for the log)."""
    now = now or utcnow()
    delivery = repository.find_delivery(message["delivery_id"])
    generation = int(message["generation"])
    if delivery is None or delivery.generation != generation or delivery.status not in OPEN:
        return "stale"
    not_before = message.get("not_before")
    if not_before and parse_iso(not_before) > now + dt.timedelta(milliseconds=500):
        _enqueue(message, delay=policy.sqs_delay(parse_iso(not_before), now))
        return "not yet"
    endpoint = repository.find_endpoint(delivery.endpoint_id)
    if endpoint is None or not endpoint.enabled:
        why = "the endpoint was deleted" if endpoint is None else "the endpoint is disabled"
        repository.record_attempt(delivery, generation, [
            DeliveryModel.status.set(FAILED), DeliveryModel.next_attempt_at.remove(),
            DeliveryModel.updated_at.set(iso(now))])
        logger.info("webhook delivery dropped", extra={"delivery_id": delivery.id, "why": why})
        return "dropped"
    if _held(delivery, now):
        _schedule(delivery.id, generation, now + dt.timedelta(seconds=policy.hold_poll_seconds()))
        return "held"
    outcome = _send(endpoint, delivery)
    return _record(delivery, endpoint, generation, outcome, now, manual=bool(message.get("manual")))


def _held(delivery: DeliveryModel, now: dt.datetime) -> bool:
    """A first attempt waits for the order's previous event to this endpoint (within the hold)."""
    if delivery.attempts or delivery.order_id is None or delivery.order_version is None:
        return False
    if now - parse_iso(delivery.created_at) >= policy.order_hold():
        return False
    previous = repository.previous_in_sequence(delivery.endpoint_id, delivery.order_id, int(delivery.order_version))
    return previous is not None and previous.status in OPEN


def _send(endpoint: EndpointModel, delivery: DeliveryModel) -> transport.Outcome:
    try:
        target = targets.check(endpoint.url)
    except targets.TargetRefused as refused:
        return transport.Outcome(None, None, f"target refused: {refused}", 0)
    body = delivery.body.encode()
    headers = {SIGNATURE_HEADER: signature.sign(secrets.read(endpoint.secret_arn), body),
               "Meridian-Event-Id": delivery.event_id, "Meridian-Event-Type": delivery.event_type,
               "Meridian-Delivery-Id": delivery.id}
    return transport.post(target, body, headers, timeout=seconds_env("WEBHOOK_TIMEOUT_SECONDS", 10))


def _record(delivery: DeliveryModel, endpoint: EndpointModel, generation: int, outcome: transport.Outcome,
            now: dt.datetime, *, manual: bool) -> str:
    attempts = int(delivery.attempts) + 1
    history = [*list(delivery.history or []), Attempt(
        at=iso(now), status_code=outcome.status_code, response_excerpt=outcome.response_excerpt,
        error=outcome.error, duration_ms=outcome.duration_ms, manual=manual)][-HISTORY_KEPT:]
    next_at = None if outcome.ok else policy.next_attempt(now, attempts, parse_iso(delivery.give_up_at))
    status = DELIVERED if outcome.ok else (RETRYING if next_at else FAILED)
    actions = [DeliveryModel.status.set(status), DeliveryModel.attempts.set(attempts),
               DeliveryModel.history.set(history), DeliveryModel.updated_at.set(iso(now)),
               DeliveryModel.next_attempt_at.set(iso(next_at)) if next_at else DeliveryModel.next_attempt_at.remove()]
    if not repository.record_attempt(delivery, generation, actions):
        return "raced"
    if next_at:
        _schedule(delivery.id, generation + 1, next_at)
    count("WebhookAttempts", result="delivered" if outcome.ok else "failed")
    _endpoint_health(endpoint, outcome.ok, now)
    return status


def _endpoint_health(endpoint: EndpointModel, ok: bool, now: dt.datetime) -> None:
    if ok:
        actions = [EndpointModel.last_success_at.set(iso(now))]
        if endpoint.failing_since:
            actions.append(EndpointModel.failing_since.remove())
        repository.update_endpoint(endpoint, actions)
    elif endpoint.failing_since is None:
        repository.update_endpoint(endpoint, [EndpointModel.failing_since.set(iso(now))])
    elif policy.should_disable(parse_iso(endpoint.failing_since), now):
        alerts.disable_failing(endpoint, failing_since=endpoint.failing_since, at=iso(now))


# ---------------------------------------------------------------------------- manual redelivery
def redeliver(delivery_id_: str) -> dict[str, Any]:
    """Send a delivery again now (whatever its status), with a new retry window; 409 when its endpoint is
    disabled (enable it first)."""
    delivery = repository.delivery(delivery_id_)
    endpoint = repository.endpoint(delivery.endpoint_id)
    if not endpoint.enabled:
        raise Conflict("The endpoint is disabled: enable it before redelivering.")
    now = utcnow()
    before = delivery_view(delivery)
    generation = repository.reschedule(delivery, [
        DeliveryModel.status.set(PENDING), DeliveryModel.next_attempt_at.set(iso(now)),
        DeliveryModel.give_up_at.set(iso(now + policy.retry_window())), DeliveryModel.updated_at.set(iso(now))])
    _schedule(delivery.id, generation, manual=True)
    view = delivery_view(delivery)
    audit.describe(action="webhook_delivery.redelivered", target=f"delivery:{delivery.id}", before=before, after=view)
    return view
