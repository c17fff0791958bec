"""FX rate providers: one interface, three real adapters.

* `EcbProvider`        the ECB daily reference-rate XML feed (base EUR; real format:
                       gesmes:Envelope / Cube / Cube time=… / Cube currency=… rate=…).
                       Locally the FX stub (infra/harness/fx_stub) serves the same format.
* `FrankfurterProvider` a JSON provider (frankfurter.app / exchangerate.host shape:
                       {"base": "EUR", "date": "2025-11-24", "rates": {"USD": 1.0823, …}}).
* `ExchangeRateApiProvider` the second provider, for every currency the ECB does not quote:
                       ExchangeRate-API's v6 "standard" endpoint, GET <url>/v6/<API key>/latest/EUR →
                       {"result": "success", "base_code": "EUR", "time_last_update_unix": 1732147201,
                        "conversion_rates": {"EUR": 1, "KWD": 0.3543, …}}; errors are
                       {"result": "error", "error-type": "invalid-key" | "quota-reached" | …}. Its API key
                       is in Secrets Manager (FX_JSON_API_KEY_SECRET_ARN), put into the URL's `{key}` at
                       call time and never logged (errors name the provider, never the URL).

Each adapter is `download` (bytes over HTTP, timeout, no retries here) + a pure parser,
so the parsers are tested on sample files. Parsers raise InvalidRates for anything that
is not a clean set of positive, parseable rates; `download` raises ProviderUnreachable
(retryable) or ProviderError.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree  # noqa: S405 - DOCTYPE/ENTITY declarations are refused before parsing

from meridian.config import optional_env, seconds_env
from meridian.money import CURRENCIES
from meridian.observability import logger

MAX_BODY_BYTES = 1_000_000
ECB_NAMESPACE = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"
_CODE = re.compile(r"^[A-Z]{3}$")
_RATE = re.compile(r"^\d{1,12}(\.\d{1,12})?$")


class ProviderError(Exception):
    """The provider could not give us rates."""


class ProviderUnreachable(ProviderError):
    """Network error, timeout or 5xx: worth retrying."""


class InvalidRates(ProviderError):
    """The provider answered, but not with a usable set of rates."""


@dataclass(frozen=True)
class ProviderRates:
    source: str
    base: str
    as_of: str                   # UTC ISO 8601
    rates: dict[str, Decimal]    # units per one `base`


def publication_time(day: _dt.date) -> str:
    """The ECB sets reference rates at 14:15 CET/CEST (Europe/Berlin); as UTC ISO 8601."""
    try:
        from zoneinfo import ZoneInfo

        zone: _dt.tzinfo = ZoneInfo("Europe/Berlin")
    except Exception:  # pragma: no cover - no tz database: CET without summer time
        zone = _dt.timezone(_dt.timedelta(hours=1))
    moment = _dt.datetime.combine(day, _dt.time(14, 15), tzinfo=zone).astimezone(_dt.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _day(text: str | None) -> _dt.date:
    try:
        return _dt.date.fromisoformat((text or "").strip())
    except ValueError:
        raise InvalidRates(f"rate date {text!r} is not an ISO date") from None


def _rate(code: str, raw: object) -> Decimal:
    text = str(raw).strip()
    if not _RATE.match(text):
        raise InvalidRates(f"rate for {code} is not a positive decimal: {text[:40]!r}")
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern already excludes it
        raise InvalidRates(f"rate for {code} is not a number") from None
    if value <= 0:
        raise InvalidRates(f"rate for {code} must be positive")
    return value


def _collect(pairs: list[tuple[str, object]], base: str) -> dict[str, Decimal]:
    rates: dict[str, Decimal] = {}
    for code, raw in pairs:
        code = str(code).strip()
        if not _CODE.match(code):
            raise InvalidRates(f"currency code {code[:10]!r} is not ISO 4217")
        value = _rate(code, raw)
        if code not in CURRENCIES:
            logger.warning("provider quotes a currency we do not know; skipped", extra={"currency": code})
            continue
        if code == base:
            continue
        rates[code] = value
    if not rates:
        raise InvalidRates("no rates in the answer")
    return rates


# ------------------------------------------------------------------ ECB XML
def parse_ecb_xml(body: bytes) -> ProviderRates:
    """Parse eurofxref-daily.xml (or the 90-day / historic files: the newest day wins)."""
    head = body[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in body.upper():
        raise InvalidRates("XML with DOCTYPE/ENTITY declarations is refused")
    try:
        root = ElementTree.fromstring(body)  # noqa: S314 - declarations refused above
    except ElementTree.ParseError as error:
        raise InvalidRates(f"not well-formed XML ({error})") from None
    days = [cube for cube in root.iter(f"{ECB_NAMESPACE}Cube") if cube.get("time")]
    if not days:
        raise InvalidRates("no <Cube time=…> element in the ECB answer")
    newest = max(days, key=lambda cube: _day(cube.get("time")))
    pairs = [(cube.get("currency") or "", cube.get("rate") or "") for cube in newest
             if cube.tag == f"{ECB_NAMESPACE}Cube"]
    return ProviderRates("ecb", "EUR", publication_time(_day(newest.get("time"))), _collect(pairs, "EUR"))


# ------------------------------------------------------------------ JSON (frankfurter / exchangerate.host)
def parse_rates_json(body: bytes, *, source: str = "frankfurter") -> ProviderRates:
    try:
        document = json.loads(body, parse_float=str, parse_int=str)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidRates(f"not JSON ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("rates"), dict):
        raise InvalidRates("JSON answer has no 'rates' object")
    base = str(document.get("base") or document.get("base_code") or "").upper()
    if not _CODE.match(base) or base not in CURRENCIES:
        raise InvalidRates(f"JSON answer has no usable base currency ({base[:10]!r})")
    if document.get("amount") not in (None, "1", "1.0"):
        raise InvalidRates("JSON answer is not quoted per one unit of the base")
    return ProviderRates(source, base, publication_time(_day(document.get("date"))),
                         _collect(list(document["rates"].items()), base))


# ------------------------------------------------------------------ JSON (ExchangeRate-API v6)
EXCHANGERATE_API = "exchangerate-api"


def parse_exchangerate_api(body: bytes) -> ProviderRates:
    """ExchangeRate-API v6 /latest/<BASE>: {"result", "base_code", "time_last_update_unix", "conversion_rates"}."""
    try:
        document = json.loads(body, parse_float=str, parse_int=str)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidRates(f"not JSON ({error})") from None
    if not isinstance(document, dict):
        raise InvalidRates("JSON answer is not an object")
    if document.get("result") != "success":
        kind = str(document.get("error-type") or "no result")[:40]
        raise ProviderError(f"{EXCHANGERATE_API} refused the request ({kind})")
    rates = document.get("conversion_rates")
    if not isinstance(rates, dict):
        raise InvalidRates("JSON answer has no 'conversion_rates' object")
    base = str(document.get("base_code") or "").upper()
    if not _CODE.match(base) or base not in CURRENCIES:
        raise InvalidRates(f"JSON answer has no usable base currency ({base[:10]!r})")
    try:
        updated = int(str(document.get("time_last_update_unix")))
        as_of = _dt.datetime.fromtimestamp(updated, _dt.timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        raise InvalidRates("JSON answer has no usable time_last_update_unix") from None
    return ProviderRates(EXCHANGERATE_API, base, as_of.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                         _collect(list(rates.items()), base))


# ------------------------------------------------------------------ HTTP
def download(url: str, *, timeout: float, accept: str) -> bytes:
    """The provider's answer, at most MAX_BODY_BYTES; ProviderUnreachable when worth retrying."""
    import requests

    try:
        with requests.get(url, timeout=(min(2.0, timeout), timeout), stream=True,
                          headers={"Accept": accept, "User-Agent": "meridian-fx/1"}) as response:
            if response.status_code >= 500 or response.status_code == 429:
                raise ProviderUnreachable(f"provider answered {response.status_code}")
            if response.status_code != 200:
                raise ProviderError(f"provider answered {response.status_code}")
            body = response.raw.read(MAX_BODY_BYTES + 1, decode_content=True)
    except requests.RequestException as error:
        raise ProviderUnreachable(f"{type(error).__name__}: provider did not answer in time") from None
    if len(body) > MAX_BODY_BYTES:
        raise InvalidRates("provider answer is too large")
    return body


class EcbProvider:
    name = "ecb"

    def __init__(self, url: str, timeout: float):
        self.url, self.timeout = url, timeout

    def download(self) -> bytes:
        return download(self.url, timeout=self.timeout, accept="application/xml, text/xml")

    parse = staticmethod(parse_ecb_xml)


class FrankfurterProvider:
    name = "frankfurter"

    def __init__(self, url: str, timeout: float):
        self.url, self.timeout = url, timeout

    def download(self) -> bytes:
        return download(self.url, timeout=self.timeout, accept="application/json")

    @staticmethod
    def parse(body: bytes) -> ProviderRates:
        return parse_rates_json(body, source="frankfurter")


class ExchangeRateApiProvider:
    """The second provider; `url` holds `{key}` where the API key goes (read from Secrets Manager per call,
    cached by meridian.aws for 5 minutes)."""
    name = EXCHANGERATE_API
    breaker = "fx-provider-exchangerate-api"

    def __init__(self, url: str, timeout: float, key_secret: str | None):
        self.url, self.timeout, self.key_secret = url, timeout, key_secret

    def download(self) -> bytes:
        url = self.url
        if "{key}" in url:
            if not self.key_secret:
                raise ProviderError(f"{self.name}: no API key secret configured (FX_JSON_API_KEY_SECRET_ARN)")
            from meridian import aws

            url = url.replace("{key}", aws.secret_string(self.key_secret).strip())
        return download(url, timeout=self.timeout, accept="application/json")

    parse = staticmethod(parse_exchangerate_api)


ADAPTERS = {"ecb": EcbProvider, "frankfurter": FrankfurterProvider}


def from_env() -> EcbProvider | FrankfurterProvider:
    """The adapter FX_PROVIDER names, at FX_PROVIDER_URL, with FX_FETCH_TIMEOUT_SECONDS."""
    kind = optional_env("FX_PROVIDER", "ecb").lower()
    if kind not in ADAPTERS:
        raise ValueError(f"FX_PROVIDER must be one of {sorted(ADAPTERS)}, got {kind!r}")
    url = os.environ.get("FX_PROVIDER_URL") or "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
    timeout = seconds_env("FX_FETCH_TIMEOUT_SECONDS", 3)
    return ADAPTERS[kind](url, timeout)


def secondary_from_env() -> ExchangeRateApiProvider | None:
    """The JSON provider for what the first does not quote (FX_JSON_PROVIDER_URL with `{key}`, the key's
    secret FX_JSON_API_KEY_SECRET_ARN); None when FX_JSON_PROVIDER_URL is empty (one provider only)."""
    url = os.environ.get("FX_JSON_PROVIDER_URL") or ""
    if not url:
        return None
    return ExchangeRateApiProvider(url, seconds_env("FX_FETCH_TIMEOUT_SECONDS", 3),
                                   os.environ.get("FX_JSON_API_KEY_SECRET_ARN") or None)
