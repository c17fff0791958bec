"""The webhooks table's reads and writes: the only module that touches it."""
from __future__ import annotations

from meridian.dynamo import applied
from meridian.errors import NotFound
from pynamodb.exceptions import DoesNotExist

from .models import DELIVERY_SK, ENDPOINT_SK, ENDPOINTS_PARTITION, DeliveryModel, EndpointModel


def endpoint_key(endpoint_id: str) -> str:
    return f"ENDPOINT#{endpoint_id}"


def delivery_key(delivery_id: str) -> str:
    return f"DELIVERY#{delivery_id}"


def sequence_key(endpoint_id: str, order_id: str) -> str:
    return f"SEQ#{endpoint_id}#{order_id}"


def version_key(version: int) -> str:
    return f"{version:010d}"


# ---------------------------------------------------------------------------- endpoints
def add_endpoint(endpoint: EndpointModel) -> None:
    endpoint.save(condition=EndpointModel.pk.does_not_exist())


def find_endpoint(endpoint_id: str) -> EndpointModel | None:
    try:
        return EndpointModel.get(endpoint_key(endpoint_id), ENDPOINT_SK)
    except DoesNotExist:
        return None


def endpoint(endpoint_id: str) -> EndpointModel:
    found = find_endpoint(endpoint_id)
    if found is None:
        raise NotFound(f"No webhook endpoint {endpoint_id}.")
    return found


def endpoints_page(limit: int, start: dict | None) -> tuple[list[EndpointModel], dict | None]:
    """Newest first."""
    result = EndpointModel.list_index.query(ENDPOINTS_PARTITION, scan_index_forward=False, limit=limit,
                                            last_evaluated_key=start)
    return list(result), result.last_evaluated_key


def all_endpoints() -> list[EndpointModel]:
    return list(EndpointModel.list_index.query(ENDPOINTS_PARTITION))


def update_endpoint(endpoint: EndpointModel, actions: list) -> bool:
    """Apply `actions` to an endpoint that still exists; False when it was deleted meanwhile."""
    return applied(lambda: endpoint.update(actions=actions, condition=EndpointModel.pk.exists()))


def disable_endpoint(endpoint: EndpointModel, *, reason: str, at: str) -> bool:
    """Disable an enabled endpoint: True for the one writer that did (so staff are told once)."""
    return applied(lambda: endpoint.update(
        actions=[EndpointModel.enabled.set(False), EndpointModel.disabled_reason.set(reason),
                 EndpointModel.disabled_at.set(at), EndpointModel.updated_at.set(at)],
        condition=EndpointModel.pk.exists() & (EndpointModel.enabled == True)))  # noqa: E712 - pynamodb condition


def delete_endpoint(endpoint: EndpointModel) -> None:
    endpoint.delete()


# ---------------------------------------------------------------------------- deliveries
def add_delivery(delivery: DeliveryModel) -> bool:
    """False when this (endpoint, event) has its delivery already."""
    return applied(lambda: delivery.save(condition=DeliveryModel.pk.does_not_exist()))


def find_delivery(delivery_id: str) -> DeliveryModel | None:
    try:
        return DeliveryModel.get(delivery_key(delivery_id), DELIVERY_SK, consistent_read=True)
    except DoesNotExist:
        return None


def delivery(delivery_id: str) -> DeliveryModel:
    found = find_delivery(delivery_id)
    if found is None:
        raise NotFound(f"No webhook delivery {delivery_id}.")
    return found


def deliveries_page(endpoint_id: str, limit: int, start: dict | None) -> tuple[list[DeliveryModel], dict | None]:
    """An endpoint's delivery log, newest first."""
    result = DeliveryModel.log_index.query(endpoint_key(endpoint_id), scan_index_forward=False, limit=limit,
                                           last_evaluated_key=start)
    return list(result), result.last_evaluated_key


def previous_in_sequence(endpoint_id: str, order_id: str, version: int) -> DeliveryModel | None:
    """The endpoint's delivery of the order's latest version before `version`."""
    for found in DeliveryModel.sequence_index.query(sequence_key(endpoint_id, order_id),
                                                    DeliveryModel.gsi2sk < version_key(version),
                                                    scan_index_forward=False, limit=1):
        return found
    return None


def record_attempt(delivery: DeliveryModel, generation: int, actions: list) -> bool:
    """Write an attempt's result if no other message made this generation's attempt meanwhile."""
    return applied(lambda: delivery.update(
        actions=[*actions, DeliveryModel.generation.set(generation + 1)],
        condition=DeliveryModel.generation == generation))


def reschedule(delivery: DeliveryModel, actions: list) -> int:
    """A new generation for the delivery (manual redelivery): the messages queued before it are void."""
    delivery.update(actions=[*actions, DeliveryModel.generation.add(1)])
    return delivery.generation
