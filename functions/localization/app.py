"""HTTP routes of the localization service (thin: parse → call → map)."""
from localization import locale_registry, refresh, service, views
from meridian import audit
from meridian.api import ServiceApp, json_response
from meridian.apidoc import optional
from meridian.auth import principal, require_role
from meridian.lazy import lazy_module
from meridian.validation import load

# marshmallow (~30 ms) loads with the first request that validates, not on a cold start
schemas = lazy_module("localization.schemas")

app = ServiceApp("localization", schemas="localization.schemas")


LOCALE_CODE = {"name": "code", "in": "path", "required": True,
               "schema": {"type": "string", "example": "fr-BE", "description": "A BCP 47 language tag."}}
CURRENCY_CODE = {"name": "code", "in": "path", "required": True,
                 "schema": {"type": "string", "pattern": "^[A-Za-z]{3}$", "example": "CHF",
                            "description": "An ISO 4217 currency code with minor units."}}


@app.route("/locales", methods=["GET"], responses={200: "LocaleListAnswer"})
def list_locales():
    """The active locales with their fallback chains and text direction."""
    return views.locale_list(locale_registry.active_locales())


@app.route("/locales/{code}", methods=["PUT"], body="LocaleBody", params=[LOCALE_CODE],
           responses={200: "LocaleAnswer", 201: "LocaleAnswer"})
@require_role("admin")
def put_locale(code):
    """Add a locale or change one (names, direction, fallback chain ending in en; `active: false` retires it)."""
    body = load(schemas.LocaleBody(), app.json_body())
    locale, created = locale_registry.put(code, body)
    return json_response(views.locale_view(locale), status=201 if created else 200)


@app.route("/currencies", methods=["GET"], query="CurrenciesQuery", responses={200: "CurrencyListAnswer"})
def list_currencies():
    """The currencies the shop sells in, with minor units, rounding and rate_available (?all=true: every
    ISO 4217 currency)."""
    query = load(schemas.CurrenciesQuery(), app.current_request.query_params or {})
    codes, settings, _quoted, latest = service.currencies(every=query["all"])
    return views.currency_list(codes, settings, latest)


@app.route("/currencies/{code}", methods=["PUT"], body="CurrencySettingSchema", params=[CURRENCY_CODE],
           responses={200: "CurrencyAnswer"})
@require_role("admin")
def set_currency(code):
    """Sell (active) or stop selling in a currency, with its price-rounding rule (audited)."""
    body = load(schemas.CurrencySettingSchema(), app.json_body())
    change = service.set_currency(code, active=body["active"], rounding=body["rounding"], actor=principal().user_id)
    audit.describe(action="localization.currency.set", target=change["code"], before=change["before"],
                   after=change["after"])
    return views.currency(change["code"], change["after"], service.latest_or_none())


@app.route("/rates", methods=["GET"], query="RatesQuery", responses={200: "RatesAnswer"})
def get_rates():
    """The latest exchange rates for ?base= (default USD), with as_of, source and stale."""
    query = load(schemas.RatesQuery(), app.current_request.query_params or {})
    return views.rates_view(service.rates_snapshot(query["base"]), query["base"])


@app.route("/convert", methods=["GET"], query="ConvertQuery", responses={200: "ConversionAnswer"})
def convert():
    """Convert ?amount= from ?from= to ?to=, rounded once to the target's minor units."""
    query = load(schemas.ConvertQuery(), app.current_request.query_params or {})
    conversion = service.convert(query["amount"], query["from_"], query["to"])
    return views.conversion_view(conversion, query["amount"], query["from_"])


@app.route("/rates/refresh", methods=["POST"], body=optional("RefreshBody"), responses={202: "RefreshOutcomeAnswer"})
@require_role("admin")
def refresh_rates():
    """Fetch the provider's rates now (the hourly schedule's work); 202 with the outcome."""
    body = load(schemas.RefreshBody(), app.optional_json_body())
    outcome = refresh.refresh(accept_large_moves=body["accept_large_moves"], trigger="admin")
    return json_response(outcome.to_json(), status=202)

