"""HTTP routes of the products service (thin: parse → call → map). See README.md."""
import uuid

from meridian import locales
from meridian.api import ServiceApp, json_response
from meridian.apidoc import IDEMPOTENCY_KEY
from meridian.auth import Principal, authenticate, require_role
from meridian.errors import NotFound
from meridian.idempotency import run_once
from meridian.lazy import lazy_module
from meridian.service_auth import require_service
from meridian.validation import load
from products import catalog, pim, quotes, reservations, restocks, taxonomy, views

# marshmallow (~30 ms) loads with the first request that validates, not on a cold start
schemas = lazy_module("products.schemas")

app = ServiceApp("products", schemas="products.schemas")

PUBLIC_CACHE = "public, max-age=30"
LOCALE_PATH = {"name": "locale", "in": "path", "required": True,
               "schema": dict(locales.OPENAPI_SCHEMA)}
CATEGORY_PATH = {"name": "key", "in": "path", "required": True, "description": "The category's key.",
                 "schema": {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$", "maxLength": 40}}
ATTRIBUTE_PATH = {"name": "key", "in": "path", "required": True, "description": "The attribute's key.",
                  "schema": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"}}


# --------------------------------------------------------------------------- request helpers
def _query(schema):
    params = app.current_request.query_params or {}
    return load(schema, {name: params.get(name) for name in params})


def _viewer() -> Principal | None:
    """The caller, if they sent a token (a bad one is a 401); None for anonymous shoppers."""
    return authenticate() if app.header("authorization") else None


def _shopper() -> dict:
    return {"viewer": _viewer, "accept_language": app.header("accept-language"),
            "authorization": app.header("authorization")}


def _actor():
    return authenticate().user_id


def _localized_response(answer: catalog.Answer):
    headers = {"Content-Language": views.content_language(answer.served), "Vary": "Accept-Language, Authorization"}
    if answer.public:
        headers["Cache-Control"] = PUBLIC_CACHE
    return json_response(answer.body, 200, headers)


# --------------------------------------------------------------------------- catalog (anyone)
@app.route("/", methods=["GET"], query="ListQuerySchema", auth="optional", errors=(403,),
           responses={200: "ProductPageAnswer"})
def list_products():
    """Active products, localized and priced, by category and text query, with an opaque cursor."""
    query = _query(schemas.ListQuerySchema())
    return _localized_response(catalog.page(query, **_shopper()))


@app.route("/{product_id}", methods=["GET"], query="ProductQuerySchema", auth="optional",
           responses={200: "ProductAnswer"})
def get_product(product_id):
    """One product (by id or slug), localized and priced; admins also see drafts and archived ones."""
    query = _query(schemas.ProductQuerySchema())
    return _localized_response(catalog.product(product_id, query, **_shopper()))


# --------------------------------------------------------------------------- categories, attribute dictionary
@app.route("/categories", methods=["GET"], query="CategoryQuerySchema", auth="optional",
           responses={200: "CategoryListAnswer"})
def list_categories():
    """Every category in the shopper's locale (name and slug along its fallback chain), depth first, or a tree."""
    query = _query(schemas.CategoryQuerySchema())
    return _localized_response(catalog.categories(query, **_shopper()))


@app.route("/categories/{key}", methods=["PUT"], body="CategorySchema", params=[CATEGORY_PATH],
           responses={200: "CategoryAdminAnswer", 201: "CategoryAdminAnswer"})
@require_role("admin")
def put_category(key):
    """Create or replace a category: parent (must exist, no cycles), position, names and slugs per locale."""
    key = load(schemas.CategoryKeySchema(), {"key": key})["key"]
    data = load(schemas.CategorySchema(), app.json_body())
    category, created = taxonomy.put_category(key, data)
    return json_response(taxonomy.category_admin_view(category), 201 if created else 200)


@app.route("/categories/{key}", methods=["DELETE"], params=[CATEGORY_PATH], responses={204: None}, errors=(404, 409))
@require_role("admin")
def delete_category(key):
    """Delete a category that no product and no child category uses (409 otherwise)."""
    taxonomy.delete_category(key)
    return json_response(None, 204)


@app.route("/attributes", methods=["GET"], responses={200: "AttributeListAnswer"})
@require_role("admin")
def list_attributes():
    """The attribute dictionary: each attribute's (or variant option's) names and value labels per locale."""
    terms = taxonomy.load().attributes
    return {"items": [taxonomy.attribute_view(terms[key]) for key in sorted(terms)]}


@app.route("/attributes/{key}", methods=["PUT"], body="AttributeSchema", params=[ATTRIBUTE_PATH],
           responses={200: "AttributeAnswer", 201: "AttributeAnswer"})
@require_role("admin")
def put_attribute(key):
    """Name an attribute (or variant option) and label its values, per locale, for every product."""
    key = load(schemas.AttributeKeySchema(), {"key": key})["key"]
    data = load(schemas.AttributeSchema(), app.json_body())
    term, created = taxonomy.put_attribute(key, data)
    return json_response(taxonomy.attribute_view(term), 201 if created else 200)


@app.route("/attributes/{key}", methods=["DELETE"], params=[ATTRIBUTE_PATH], responses={204: None}, errors=(404,))
@require_role("admin")
def delete_attribute(key):
    """Take an attribute out of the dictionary (products keep their raw values)."""
    taxonomy.delete_attribute(key)
    return json_response(None, 204)


# --------------------------------------------------------------------------- PIM (admin)
@app.route("/", methods=["POST"], body="ProductCreateSchema", params=[IDEMPOTENCY_KEY],
           responses={201: "ProductAdminAnswer"}, errors=(409, 422))
@require_role("admin")
def create_product():
    """Create a product (text in en, base price in USD); Idempotency-Key accepted."""
    body = app.json_body()
    data = load(schemas.ProductCreateSchema(), body)

    def create():
        return 201, views.admin_view(pim.create(data))

    status, result = run_once(f"products:create:{_actor()}", app.header("idempotency-key"), body, create)
    return json_response(result, status, {"Location": f"{app.prefix}/{result['id']}"})


@app.route("/{product_id}", methods=["PATCH"], body="ProductPatchSchema", responses={200: "ProductAdminAnswer"},
           errors=(409,))
@require_role("admin")
def update_product(product_id):
    """Change a product's text (en), price, fixed prices, category, status, slug, images or attributes."""
    changes = load(schemas.ProductPatchSchema(), app.json_body())
    return views.admin_view(pim.update(product_id, changes))


@app.route("/{product_id}/variants/{sku}", methods=["PATCH"], body="VariantPatchSchema",
           responses={200: "ProductAdminAnswer"}, errors=(409,))
@require_role("admin")
def update_variant(product_id, sku):
    """Change one variant's own fixed prices (null removes one), base price or weight."""
    changes = load(schemas.VariantPatchSchema(), app.json_body())
    return views.admin_view(pim.update_variant(product_id, sku, changes))


@app.route("/{product_id}", methods=["DELETE"], responses={204: None})
@require_role("admin")
def archive_product(product_id):
    """Archive a product (it stays for orders and audit; shoppers no longer see it)."""
    pim.archive(product_id)
    return json_response(None, 204)


@app.route("/{product_id}/localizations", methods=["GET"], responses={200: "LocalizationListAnswer"})
@require_role("admin")
def list_localizations(product_id):
    """Every localized text of a product."""
    return views.localization_list_view(*pim.localizations(product_id))


@app.route("/{product_id}/localizations/{locale}", methods=["PUT"], body="LocalizationSchema", params=[LOCALE_PATH],
           responses={200: "LocalizationAnswer"}, errors=(409,))
@require_role("admin")
def put_localization(product_id, locale):
    """Set a product's name, description and slug in one locale."""
    data = load(schemas.LocalizationSchema(), app.json_body())
    code = locales.validate(locale)
    product, text = pim.localize(product_id, code, data)
    return json_response(views.localization_view(product.id, code, text), 200, {"Content-Language": code})


@app.route("/{product_id}/inventory", methods=["GET"], responses={200: "InventoryAnswer"})
@require_role("admin")
def get_inventory(product_id):
    """Available, held and sold units per SKU."""
    return views.inventory_view(pim.load(product_id, consistent=True))


@app.route("/{product_id}/inventory", methods=["PUT"], body="InventorySchema", responses={200: "StockSetAnswer"})
@require_role("admin")
def put_inventory(product_id):
    """Set the units available to sell for the product (or one SKU of it)."""
    data = load(schemas.InventorySchema(), app.json_body())
    return views.stock_set_view(*pim.set_inventory(product_id, data["quantity"], data["sku"]))


# --------------------------------------------------------------------------- internal (orders service)
@app.route("/internal/reservations", methods=["POST"])
@require_service("orders")
def reserve_stock():
    """Reserve stock for every line or none (idempotent by reservation_id)."""
    data = load(schemas.ReservationSchema(), app.json_body())
    reservation, _ = reservations.reserve(data["reservation_id"], data["items"], ttl_seconds=data["ttl_seconds"],
                                          caller="orders")
    return json_response(views.reservation_view(reservation), 201)


@app.route("/internal/reservations/{reservation_id}", methods=["GET"])
@require_service("orders")
def get_reservation(reservation_id):
    """A reservation and its status."""
    return views.reservation_view(reservations.get(_uuid(reservation_id)))


@app.route("/internal/reservations/{reservation_id}/commit", methods=["POST"])
@require_service("orders")
def commit_reservation(reservation_id):
    """The reserved units are sold (idempotent)."""
    return views.reservation_view(reservations.commit(_uuid(reservation_id)))


@app.route("/internal/reservations/{reservation_id}/release", methods=["POST"])
@require_service("orders")
def release_reservation(reservation_id):
    """Give the reserved units back to stock (idempotent)."""
    return views.reservation_view(reservations.release(_uuid(reservation_id)))


@app.route("/internal/restocks", methods=["POST"])
@require_service("orders")
def restock():
    """Put returned units back in stock, once per restock_id (a repeat answers the first restock)."""
    data = load(schemas.RestockSchema(), app.json_body())
    item, _ = restocks.restock(data["restock_id"], data["items"], caller="orders")
    return json_response(views.restock_view(item), 201)


@app.route("/internal/quotes", methods=["POST"])
@require_service("orders")
def quote_lines():
    """What each cart line costs now (found, for sale, name, base price, weight, tax class, units available);
    nothing is held."""
    data = load(schemas.QuoteSchema(), app.json_body())
    return views.quote_view(quotes.quote(data["items"], data["locale"]))


@app.route("/internal/products/{product_id}", methods=["GET"])
@require_service("orders")
def internal_product(product_id):
    """A product in any status, base price, stock levels and every localized text."""
    return views.admin_view(pim.load(product_id))


def _uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise NotFound(f"Reservation {value} does not exist.") from None
