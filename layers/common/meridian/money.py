"""Money as Decimal with ISO 4217 minor units.

One rounding rule everywhere: amounts are rounded once, at the end of a computation,
to the currency's minor units with ROUND_HALF_UP (half away from zero), the rule
shoppers and most tax authorities expect. Never float.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

ROUNDING = ROUND_HALF_UP
BASE_CURRENCY = "USD"

# ISO 4217: code -> (minor units, English name). Every currency the ECB publishes,
# plus EUR, plus common zero- and three-decimal currencies.
CURRENCIES: dict[str, tuple[int, str]] = {
    "AED": (2, "UAE Dirham"), "ARS": (2, "Argentine Peso"), "AUD": (2, "Australian Dollar"),
    "BGN": (2, "Bulgarian Lev"), "BHD": (3, "Bahraini Dinar"), "BRL": (2, "Brazilian Real"),
    "CAD": (2, "Canadian Dollar"), "CHF": (2, "Swiss Franc"), "CLP": (0, "Chilean Peso"),
    "CNY": (2, "Yuan Renminbi"), "COP": (2, "Colombian Peso"), "CZK": (2, "Czech Koruna"),
    "DKK": (2, "Danish Krone"), "EGP": (2, "Egyptian Pound"), "EUR": (2, "Euro"),
    "GBP": (2, "Pound Sterling"), "HKD": (2, "Hong Kong Dollar"), "HUF": (2, "Forint"),
    "IDR": (2, "Rupiah"), "ILS": (2, "New Israeli Sheqel"), "INR": (2, "Indian Rupee"),
    "IQD": (3, "Iraqi Dinar"), "ISK": (0, "Iceland Krona"), "JOD": (3, "Jordanian Dinar"),
    "JPY": (0, "Yen"), "KRW": (0, "Won"), "KWD": (3, "Kuwaiti Dinar"), "LYD": (3, "Libyan Dinar"),
    "MXN": (2, "Mexican Peso"), "MYR": (2, "Malaysian Ringgit"), "NOK": (2, "Norwegian Krone"),
    "NZD": (2, "New Zealand Dollar"), "OMR": (3, "Rial Omani"), "PHP": (2, "Philippine Peso"),
    "PLN": (2, "Zloty"), "RON": (2, "Romanian Leu"), "SAR": (2, "Saudi Riyal"),
    "SEK": (2, "Swedish Krona"), "SGD": (2, "Singapore Dollar"), "THB": (2, "Baht"),
    "TND": (3, "Tunisian Dinar"), "TRY": (2, "Turkish Lira"), "TWD": (2, "New Taiwan Dollar"),
    "UAH": (2, "Hryvnia"), "USD": (2, "US Dollar"), "VND": (0, "Dong"), "ZAR": (2, "Rand"),
}


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
_ROUNDING_CONTEXT = Context(prec=38, rounding=ROUNDING)


def quantum(currency: str) -> Decimal:
    try:
        return _QUANTA[currency]
    except KeyError:
        raise UnknownCurrency(currency) from None


def round_to_minor(amount: Decimal, currency: str) -> Decimal:
    """THE rounding rule: to the currency's minor units, ROUND_HALF_UP, once, at the end."""
    return amount.quantize(quantum(currency), rounding=ROUNDING, context=_ROUNDING_CONTEXT)


def shelf_price(base: Decimal, rate: Decimal, currency: str, *, tax_rate: Decimal = Decimal(0)) -> Decimal:
    """THE price a shopper sees for a net base-currency amount: converted at `rate`, with `tax_rate` added
    where the market shows prices with tax, rounded once (the catalog, the cart and the order alike)."""
    exact = _ROUNDING_CONTEXT.multiply(_ROUNDING_CONTEXT.multiply(base, rate), 1 + tax_rate)
    return round_to_minor(exact, currency)


def fits_minor_units(amount: Decimal, currency: str) -> bool:
    """THE minor-unit check: `amount` is no finer than the currency's minor units (19.99 USD yes,
    19.999 USD and 5.5 JPY no)."""
    return round_to_minor(amount, currency) == amount


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
