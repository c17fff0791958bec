"""Figures for the admin dashboard (GET /internal/stats, caller admin). See README.md "Stats".

orders_by_status: every status with its count (0 when none).
revenue_breakdown: per currency, {gross, refunded, net}: gross is the sum of the totals of the orders that were
paid (PAID_STATUSES and refunded; a cancelled order earned nothing, even one refunded because it was
cancelled), refunded what the payments gave back of them (`refunded_total`; an order refunded before orders
kept it: its total), net = gross − refunded. revenue: per currency, the net (what the dashboard showed before
the breakdown). Every amount a Decimal string in the currency's minor units.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from meridian.money import round_to_minor

from . import repository
from .state_machine import PAID_STATUSES, REFUNDED, STATUSES

REVENUE_STATUSES = (*PAID_STATUSES, REFUNDED)


def order_stats() -> dict:
    by_status: dict[str, int] = {}
    gross: dict[str, Decimal] = defaultdict(Decimal)
    refunded: dict[str, Decimal] = defaultdict(Decimal)
    for status in STATUSES:
        if status in REVENUE_STATUSES:
            # one pass over the partition gives both the count and the totals
            found = 0
            for currency, total, given_back in repository.totals_by_status(status):
                gross[currency] += total
                refunded[currency] += given_back if given_back is not None else (
                    total if status == REFUNDED else Decimal(0))
                found += 1
            by_status[status] = found
        else:
            by_status[status] = repository.count_by_status(status)

    def text(amount: Decimal, currency: str) -> str:
        return str(round_to_minor(amount, currency))

    breakdown = {currency: {"gross": text(gross[currency], currency),
                            "refunded": text(refunded[currency], currency),
                            "net": text(gross[currency] - refunded[currency], currency)}
                 for currency in sorted(gross)}
    return {"orders_by_status": by_status,
            "revenue": {currency: figures["net"] for currency, figures in breakdown.items()},
            "revenue_breakdown": breakdown}
