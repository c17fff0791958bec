"""Money as Decimal with ISO 4217 minor units.

One rounding rule everywhere: amounts are rounded once, at the end of a computation,
to the currency's step with ROUND_HALF_UP (half away from zero), the rule
shoppers and most tax authorities expect. Never float.

A currency's step is its minor unit, except for the three-decimal currencies (KWD, BHD, JOD, OMR,
TND…): card gateways charge those only in whole tens of the minor unit (Stripe: the amount must end in
0), so every amount in them — price, tax, shipping, discount, refund — is a multiple of 0.010, shown with
its three decimals (1.230 KWD). An amount the shop computes is then always one the gateway charges.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Context, Decimal, InvalidOperation

from .iso4217_table import PRICED, UNPRICED

ROUNDING = ROUND_HALF_UP
BASE_CURRENCY = "USD"



# ISO 4217: code -> (minor units, English name) of every active currency that has minor units (the only
# ones a price can be in); NOT_PRICEABLE: the active codes without minor units (XAU, XDR, XTS…). The data is
# the pinned `iso4217` package's (ISO 4217 list one), written out once as meridian/iso4217_table.py so a cold
# start parses no XML; tests/unit/layer/test_iso4217_table.py keeps the two equal.
CURRENCIES: dict[str, tuple[int, str]] = dict(PRICED)
NOT_PRICEABLE: dict[str, str] = dict(UNPRICED)


class UnknownCurrency(ValueError):
    pass


def currency_code(raw: object) -> str:
    """The one rule for a currency in a request, on every route: an ISO 4217 code we know, in any case,
    surrounding spaces ignored (`eur`, ` EUR `); upper case out. UnknownCurrency otherwise."""
    text = raw.strip().upper() if isinstance(raw, str) else ""
    if text not in CURRENCIES:
        raise UnknownCurrency(f"{raw!r} is not a supported ISO 4217 currency.")
    return text


def minor_units(currency: str) -> int:
    try:
        return CURRENCIES[currency][0]
    except KeyError:
        raise UnknownCurrency(currency) from None


_QUANTA = {code: Decimal(1).scaleb(-units) for code, (units, _name) in CURRENCIES.items()}
CHARGED_IN_TENS = 3       # minor units of the currencies card gateways charge only in whole tens of them
_STEPS = {code: quantum * 10 if CURRENCIES[code][0] == CHARGED_IN_TENS else quantum
          for code, quantum in _QUANTA.items()}
_ROUNDING_CONTEXT = Context(prec=38, rounding=ROUNDING)


def quantum(currency: str) -> Decimal:
    """The minor unit (0.01 USD, 1 JPY, 0.001 KWD): the decimals an amount is written with."""
    try:
        return _QUANTA[currency]
    except KeyError:
        raise UnknownCurrency(currency) from None


def step(currency: str) -> Decimal:
    """The smallest amount the shop prices and charges in: the minor unit, 0.010 for three-decimal currencies."""
    try:
        return _STEPS[currency]
    except KeyError:
        raise UnknownCurrency(currency) from None


def round_to_minor(amount: Decimal, currency: str) -> Decimal:
    """THE rounding rule: to the currency's step, ROUND_HALF_UP, once, at the end; written with its minor units."""
    unit, decimals = step(currency), quantum(currency)
    if unit != decimals:
        amount = _ROUNDING_CONTEXT.multiply(
            _ROUNDING_CONTEXT.divide(amount, unit).to_integral_value(rounding=ROUNDING), unit)
    return amount.quantize(decimals, rounding=ROUNDING, context=_ROUNDING_CONTEXT)


def shelf_price(base: Decimal, rate: Decimal, currency: str, *, tax_rate: Decimal = Decimal(0),
                rounding: RoundingRule | None = None) -> Decimal:
    """THE price a shopper sees for a net base-currency amount: converted at `rate`, with `tax_rate` added
    where the market shows prices with tax, rounded once (the catalog, the cart and the order alike): by the
    currency's `rounding` rule when it has one (RateSnapshot.rounding(currency)), else to its step; a positive
    price is never rounded to 0 (one step at least: 0.01 USD is 0.004 BHD, sold at 0.010).
    A fixed price per currency is not converted and never goes through here."""
    exact = _ROUNDING_CONTEXT.multiply(_ROUNDING_CONTEXT.multiply(base, rate), 1 + tax_rate)
    if rounding is not None:
        return rounding.apply(exact)
    rounded = round_to_minor(exact, currency)
    return rounded if rounded > 0 or exact <= 0 else round_to_minor(step(currency), currency)


# ---------------------------------------------------------------------------- per-currency rounding rules
MAX_INCREMENT = Decimal(1_000_000)


class InvalidRoundingRule(ValueError):
    """A rounding rule that cannot be used for this currency; `field` names the part of the rule at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class RoundingRule:
    """A shop's price-rounding rule for one currency, applied once to the exact converted price, after tax:

      {"increment": "10", "mode": "nearest"}   half up to a multiple of the increment (JPY 1234.5 → 1230)
      {"increment": "0.05", "mode": "up"}      up to the next multiple (CHF 12.31 → 12.35)
      {"ending": "0.99"} (+ "increment", default 1)  up to the next amount k × increment + ending
                                               (EUR 20.85 → 20.99, 21.00 → 21.99; JPY {"ending": "9",
                                               "increment": "10"}: 1234 → 1239)

    A positive price never becomes 0: "nearest" gives at least one increment, "up" and "ending" only go
    up; 0 stays 0. There is no "down" (it would round small prices to zero). The result always fits the
    currency's minor units (the increment and the ending must), is idempotent (a rounded price stays as
    it is) and lies within one increment of the exact price.
    """
    currency: str
    increment: Decimal
    mode: str = "nearest"            # nearest | up | ending
    ending: Decimal | None = None

    MODES = ("nearest", "up")

    @classmethod
    def parse(cls, raw: object, currency: str) -> RoundingRule | None:
        """The rule from its JSON form (None: no rule); InvalidRoundingRule naming the field otherwise."""
        if raw is None:
            return None
        if not isinstance(raw, dict):
            raise InvalidRoundingRule("rounding", "Must be an object such as {\"increment\": \"10\", "
                                                  "\"mode\": \"nearest\"}, {\"ending\": \"0.99\"} or null.")
        unknown = sorted(set(raw) - {"increment", "mode", "ending"})
        if unknown:
            raise InvalidRoundingRule(f"rounding.{unknown[0]}", "Unknown field.")
        ending = raw.get("ending")
        if ending is not None and raw.get("mode") not in (None, "ending"):
            raise InvalidRoundingRule("rounding.mode", "An ending rule always rounds up; leave mode out.")
        if ending is None and "increment" not in raw:
            raise InvalidRoundingRule("rounding.increment", "Missing data for required field.")
        increment = cls._amount(raw.get("increment", "1"), "rounding.increment", currency)
        if increment <= 0:
            raise InvalidRoundingRule("rounding.increment", "Must be greater than 0.")
        if increment > MAX_INCREMENT:
            raise InvalidRoundingRule("rounding.increment", f"Must be at most {MAX_INCREMENT}.")
        if ending is not None:
            end = cls._amount(ending, "rounding.ending", currency)
            if not 0 <= end < increment:
                raise InvalidRoundingRule("rounding.ending", f"Must be at least 0 and below the increment "
                                                             f"({format(increment, 'f')}).")
            return cls(currency, increment, "ending", end)
        mode = raw.get("mode", "nearest")
        if mode not in cls.MODES:
            raise InvalidRoundingRule("rounding.mode", f"Must be one of {', '.join(cls.MODES)} (a rule that may "
                                                       f"round a positive price down to 0 is refused).")
        return cls(currency, increment, mode)

    @staticmethod
    def _amount(raw: object, field: str, currency: str) -> Decimal:
        if isinstance(raw, (bool, float)) or not isinstance(raw, (str, int)):
            raise InvalidRoundingRule(field, "Must be a decimal string such as \"0.05\" or \"10\".")
        try:
            value = parse_amount(raw)
        except ValueError as error:
            raise InvalidRoundingRule(field, f"Not a usable amount ({error}).") from None
        if not fits_minor_units(value, currency):
            raise InvalidRoundingRule(field, f"{raw!s}: {precision_problem(currency)}")
        return value

    def apply(self, exact: Decimal) -> Decimal:
        """The rounded price of an exact (unrounded) positive amount; 0 stays 0."""
        if exact <= 0:
            return round_to_minor(exact, self.currency)
        step = self.increment
        steps = _ROUNDING_CONTEXT.divide(exact, step)
        if self.mode == "nearest":
            count = max(steps.to_integral_value(rounding=ROUND_HALF_UP), Decimal(1))
            return round_to_minor(count * step, self.currency)
        if self.mode == "up":
            return round_to_minor(steps.to_integral_value(rounding=ROUND_CEILING) * step, self.currency)
        base = _ROUNDING_CONTEXT.divide(exact - self.ending, step).to_integral_value(rounding=ROUND_CEILING)
        return round_to_minor(max(base, Decimal(0)) * step + self.ending, self.currency)

    def to_json(self) -> dict[str, str]:
        if self.mode == "ending":
            return {"ending": format(self.ending, "f"), "increment": format(self.increment, "f")}
        return {"increment": format(self.increment, "f"), "mode": self.mode}


def fits_minor_units(amount: Decimal, currency: str) -> bool:
    """THE minor-unit check: `amount` is a whole number of the currency's steps (19.99 USD and 1.230 KWD yes;
    19.999 USD, 5.5 JPY and 1.235 KWD no)."""
    return round_to_minor(amount, currency) == amount


def precision_problem(currency: str) -> str:
    """What to tell about an amount that fails fits_minor_units, in one place."""
    if step(currency) != quantum(currency):
        return (f"{currency} amounts are whole multiples of {format(step(currency), 'f')} "
                "(card gateways charge no finer).")
    return f"Has more decimals than {currency} allows ({minor_units(currency)})."


_PLAIN_AMOUNT = re.compile(r"[0-9]+(\.[0-9]+)?")
MAX_INTEGER_DIGITS = 12      # below a trillion in any currency: beyond that an amount is a mistake or an attack


def parse_amount(text: str | int | Decimal, *, max_digits: int = 18,
                 max_integer_digits: int = MAX_INTEGER_DIGITS) -> Decimal:
    """A non-negative Decimal from user input in plain notation ("19.99", "5"; no sign, no exponent:
    "1e30" is refused here, not at the gateway), at most `max_integer_digits` before the point;
    ValueError otherwise."""
    if isinstance(text, float):
        raise ValueError("amounts must be strings or integers, not floats")
    raw = str(text).strip()
    if not raw or len(raw) > max_digits + 2:
        raise ValueError("amount is empty or too long")
    if raw.startswith("-"):
        raise ValueError("amount must be a finite, non-negative number")
    if not _PLAIN_AMOUNT.fullmatch(raw):
        raise ValueError("amount must be a plain decimal number such as 19.99")
    if len(raw.split(".")[0].lstrip("0")) > max_integer_digits:
        raise ValueError(f"amount has more than {max_integer_digits} digits before the point")
    try:
        return Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        raise ValueError("amount is not a number") from None


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Money:
        return cls(round_to_minor(Decimal(str(amount)), currency), currency)

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError("cannot add different currencies")
        return Money(self.amount + other.amount, self.currency)

    def times(self, quantity: int) -> Money:
        return Money(self.amount * quantity, self.currency)

    def to_json(self) -> dict[str, str]:
        return {"amount": format(round_to_minor(self.amount, self.currency), "f"), "currency": self.currency}
