"""Figures for the admin dashboard (GET /internal/stats, caller admin). See README.md "Stats".

orders_by_status: every status with its count (0 when none). revenue: per currency, the
sum of the totals of orders that are paid or fulfilled (refunded and cancelled orders
earned nothing), as Decimal strings in the currency's minor units.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from meridian.money import round_to_minor

from . import repository
from .state_machine import FULFILLED, PAID, STATUSES

REVENUE_STATUSES = (PAID, FULFILLED)


def order_stats() -> dict:
    by_status: dict[str, int] = {}
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for status in STATUSES:
        if status in REVENUE_STATUSES:
            # one pass over the partition gives both the count and the totals
            found = 0
            for currency, total in repository.totals_by_status(status):
                revenue[currency] += total
                found += 1
            by_status[status] = found
        else:
            by_status[status] = repository.count_by_status(status)
    return {"orders_by_status": by_status,
            "revenue": {currency: str(round_to_minor(amount, currency))
                        for currency, amount in sorted(revenue.items())}}
