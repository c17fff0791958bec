"""The users service's address book, as orders uses it: with the shopper's own token (their addresses only)."""
from __future__ import annotations

from meridian.clients import ServiceClient
from meridian.errors import NotFound, Unprocessable

_client: ServiceClient | None = None


def client() -> ServiceClient:
    global _client
    if _client is None:
        _client = ServiceClient("users")
    return _client


def saved_address(address_id: str, authorization: str) -> dict:
    """The signed-in shopper's saved address `address_id`; 422 naming `address_id` when they have none such."""
    response = client().get(f"/me/addresses/{address_id}", authorization=authorization)
    try:
        return response.result("read a saved address", errors={404: NotFound}, shape=dict)
    except NotFound:
        raise Unprocessable("No such saved address.",
                            errors={"address_id": ["You have no saved address with this id."]}) from None
