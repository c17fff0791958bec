"""HTTP routes of the webhooks service: merchants' endpoints (admin), their delivery logs and manual
redelivery."""
from meridian.api import ServiceApp, json_response
from meridian.apidoc import Page
from meridian.auth import require_role
from meridian.lazy import lazy_module
from meridian.pagination import decode_cursor, page, page_limit
from meridian.validation import load
from webhooks import deliveries, endpoints, repository, views

# marshmallow (~30 ms) loads with the first request that validates, not on a cold start
schemas = lazy_module("webhooks.schemas")

app = ServiceApp("webhooks", schemas="webhooks.schemas")
DELIVERIES_CURSOR = "webhooks-deliveries"


@app.route("/endpoints", methods=["POST"], body="EndpointCreateSchema", responses={201: "EndpointCreatedAnswer"})
@require_role("admin")
def create_endpoint():
    """Register an endpoint; the answer carries its signing secret, shown this once."""
    endpoint, secret = endpoints.register(load(schemas.EndpointCreateSchema(), app.json_body()))
    return json_response(views.registered_view(endpoint, secret), 201,
                         {"Location": f"{app.prefix}/endpoints/{endpoint.id}", "Cache-Control": "no-store"})


@app.route("/endpoints", methods=["GET"], query="EndpointsQuery", responses={200: Page("EndpointAnswer")})
@require_role("admin")
def list_endpoints():
    """Every endpoint, newest first."""
    query = app.query_params("limit", "cursor")
    found, next_key = endpoints.list_page(page_limit(query["limit"]), query["cursor"])
    return page([views.endpoint_view(e) for e in found], next_key, endpoints.CURSOR_PURPOSE)


@app.route("/endpoints/{endpoint_id}", methods=["GET"], responses={200: "EndpointAnswer"})
@require_role("admin")
def get_endpoint(endpoint_id):
    """One endpoint (never its secret)."""
    return views.endpoint_view(repository.endpoint(endpoint_id))


@app.route("/endpoints/{endpoint_id}", methods=["PATCH"], body="EndpointUpdateSchema",
           responses={200: "EndpointAnswer"})
@require_role("admin")
def update_endpoint(endpoint_id):
    """Change the URL, events or description; enable (again) or disable it."""
    body = load(schemas.EndpointUpdateSchema(), app.json_body())
    return views.endpoint_view(endpoints.update(endpoint_id, body))


@app.route("/endpoints/{endpoint_id}", methods=["DELETE"], responses={204: None})
@require_role("admin")
def delete_endpoint(endpoint_id):
    """Remove the endpoint and its secret (its delivery log expires later)."""
    endpoints.delete(endpoint_id)
    return json_response(None, 204)


@app.route("/endpoints/{endpoint_id}/deliveries", methods=["GET"], query="DeliveriesQuery",
           responses={200: Page("DeliveryAnswer")})
@require_role("admin")
def list_deliveries(endpoint_id):
    """The endpoint's delivery log, newest first: status, attempts, the last attempt, the next one."""
    repository.endpoint(endpoint_id)
    query = app.query_params("limit", "cursor")
    purpose = f"{DELIVERIES_CURSOR}:{endpoint_id}"
    found, next_key = repository.deliveries_page(endpoint_id, page_limit(query["limit"]),
                                                 decode_cursor(query["cursor"], purpose))
    return page([views.delivery_view(d) for d in found], next_key, purpose)


@app.route("/deliveries/{delivery_id}", methods=["GET"], responses={200: "DeliveryAnswer"})
@require_role("admin")
def get_delivery(delivery_id):
    """One delivery with its last attempts."""
    return views.delivery_view(repository.delivery(delivery_id))


@app.route("/deliveries/{delivery_id}/redeliver", methods=["POST"], responses={202: "DeliveryAnswer"},
           errors=(409,))
@require_role("admin")
def redeliver(delivery_id):
    """Send the delivery again now (a new retry window); 409 while its endpoint is disabled."""
    return json_response(deliveries.redeliver(delivery_id), 202)
