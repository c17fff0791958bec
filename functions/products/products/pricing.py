"""Prices in the shopper's currency, from the localization rate client (meridian.fx).

The stored base price (USD) never changes with FX: conversion happens on every read,
rounding once to the target currency's minor units. When no rate snapshot can be had at
all, prices in the base currency itself are still served (rate 1); any other currency
answers 503 with Retry-After.
"""
from __future__ import annotations

from decimal import Decimal

from meridian import fx
from meridian.clock import iso
from meridian.errors import ServiceUnavailable
from meridian.money import BASE_CURRENCY, Money


def price(amount: Decimal, currency: str, base: str = BASE_CURRENCY) -> tuple[dict, dict]:
    """(price {amount, currency}, fx {rate, as_of, source, stale}) of a base-currency amount."""
    try:
        conversion = fx.convert(amount, base, currency)
    except ServiceUnavailable:
        if currency != base:
            raise
        return Money.of(amount, base).to_json(), {"rate": "1", "as_of": iso(), "source": "identity", "stale": False}
    return conversion.amount.to_json(), conversion.fx_json()


def base_price(amount: Decimal, base: str = BASE_CURRENCY) -> dict:
    return Money.of(amount, base).to_json()
