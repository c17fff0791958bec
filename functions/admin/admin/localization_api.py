"""The admin service's call to the localization service (through ServiceClient)."""
from __future__ import annotations

from typing import Any

from meridian.clients import ServiceClient
from meridian.money import BASE_CURRENCY


def rates() -> Any:
    """The latest exchange rates (GET /api/v1/localization/rates?base=USD): as_of, source, stale; one attempt
    (a DomainError when localization cannot answer)."""
    return ServiceClient("localization", attempts=1).get(f"/rates?base={BASE_CURRENCY}",
                                                         internal=True).result("report exchange rates")
