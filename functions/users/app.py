"""HTTP routes of the users service (thin: parse → call → map)."""
from meridian.api import ServiceApp, json_response
from meridian.apidoc import Page
from meridian.auth import principal, require_role
from meridian.lazy import lazy_module
from meridian.pagination import page_limit
from meridian.validation import load
from users import addresses, profiles, views

# marshmallow (~30 ms) loads with the first request that validates, not on a cold start
schemas = lazy_module("users.schemas")

app = ServiceApp("users", schemas="users.schemas")


@app.route("/me", methods=["GET"], responses={200: "ProfileAnswer"})
@require_role("customer")
def get_me():
    """The caller's profile."""
    who = principal()
    return views.profile_view(profiles.get_or_create(who), who.role)


@app.route("/me", methods=["PATCH"], body="ProfilePatchSchema", responses={200: "ProfileAnswer"})
@require_role("customer")
def patch_me():
    """Change the caller's name, locale or currency preference."""
    changes = load(schemas.ProfilePatchSchema(), app.json_body())
    who = principal()
    return views.profile_view(profiles.update(who, changes), who.role)


@app.route("/me/addresses", methods=["GET"], query="PageQuerySchema", responses={200: Page("SavedAddressAnswer")})
@require_role("customer")
def list_addresses():
    """The caller's address book, a page at a time."""
    query = app.query_params("limit", "cursor")
    user_id = principal().user_id
    found, next_key = addresses.list_page(user_id, limit=page_limit(query["limit"]), cursor=query["cursor"])
    return views.addresses_page(found, next_key, addresses.cursor_purpose(user_id))


@app.route("/me/addresses", methods=["POST"], body="NewAddressSchema", responses={201: "SavedAddressAnswer"},
           errors=(409,))
@require_role("customer")
def add_address():
    """Add an address to the caller's address book."""
    data = load(schemas.NewAddressSchema(), app.json_body())
    address = addresses.add(principal().user_id, data)
    return json_response(views.address_view(address), 201,
                         {"Location": f"/api/v1/users/me/addresses/{address.address_id}"})


@app.route("/me/addresses/{address_id}", methods=["GET"], responses={200: "SavedAddressAnswer"})
@require_role("customer")
def get_address(address_id):
    """One of the caller's addresses (another user's id: 404)."""
    return views.address_view(addresses.get(principal().user_id, address_id))


@app.route("/me/addresses/{address_id}", methods=["PATCH"], body="AddressPatchSchema",
           responses={200: "SavedAddressAnswer"})
@require_role("customer")
def patch_address(address_id):
    """Change some fields of one of the caller's addresses."""
    changes = load(schemas.AddressPatchSchema(), app.json_body(), partial=True)
    return views.address_view(addresses.change(principal().user_id, address_id, changes))


@app.route("/me/addresses/{address_id}", methods=["DELETE"], responses={204: None})
@require_role("customer")
def delete_address(address_id):
    """Remove one of the caller's addresses."""
    addresses.remove(principal().user_id, address_id)
    return json_response(None, 204)
