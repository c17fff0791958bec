"""Taxes: which rates apply where, behind one adapter interface.

A market either shows (and charges) prices with tax included (EU, UK, Japan, Australia…) or adds tax on
top (US, Canada). Three classes of goods: standard, reduced, zero. Shipping is taxed at the standard rate.
How tax is computed from the rates (and rounded) is pricing.py's rule.

`engine()` answers the configured TaxEngine (TAX_ENGINE, default `builtin`): the built-in table (rates per
country, and per region where a country needs it, e.g. US states; managed through the admin API
/api/v1/taxes/rates, seeded for the seeded markets). A tax engine (Stripe Tax, Avalara) plugs in as
another TaxEngine whose `rates()` asks it for the destination's rates.

A region's row replaces its country's. A destination with no row has no tax and prices without it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from meridian.clock import iso

from . import repository
from .models import TaxRateModel

STANDARD, REDUCED, ZERO_RATED = "standard", "reduced", "zero"
TAX_CLASSES = (STANDARD, REDUCED, ZERO_RATED)


@dataclass(frozen=True)
class TaxLine:
    name: str
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class TaxRates:
    """The rates of one destination."""
    country: str | None
    region: str | None
    name: str
    standard: Decimal
    reduced: Decimal
    included: bool

    def rate_for(self, tax_class: str) -> Decimal:
        return {STANDARD: self.standard, REDUCED: self.reduced}.get(tax_class, Decimal(0))


NO_TAX = TaxRates(country=None, region=None, name="Tax", standard=Decimal(0), reduced=Decimal(0), included=False)


class TaxEngine(Protocol):
    def rates(self, country: str, region: str | None) -> TaxRates:
        """The rates that apply to goods shipped to (country, region)."""


class BuiltinTaxTable:
    """The rates of the orders table's tax table (repository.tax_rate)."""

    def rates(self, country: str, region: str | None) -> TaxRates:
        row = None
        if region:
            row = repository.tax_rate(country, region.strip().upper())
        row = row or repository.tax_rate(country, None)
        if row is None:
            return NO_TAX
        return TaxRates(country=row.country, region=row.region, name=row.name, standard=row.standard,
                        reduced=row.reduced, included=row.included)


ENGINES = {"builtin": BuiltinTaxTable}


def engine() -> TaxEngine:
    return ENGINES[os.environ.get("TAX_ENGINE") or "builtin"]()






# ---------------------------------------------------------------------------- managing the built-in table (admin)
def save_rate(data: dict) -> TaxRateModel:
    """Create or replace the row of (country, region) from a validated TaxRateSchema body."""
    region = data.get("region")
    row = TaxRateModel(country=data["country"], region=region.upper() if region else None, name=data["name"],
                       standard=data["standard"], reduced=data["reduced"], included=data["included"], updated_at=iso())
    repository.save_tax_rate(row)
    return row
