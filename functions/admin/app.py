"""HTTP routes of the admin service: users and roles, audit log, dashboard, dead letters, and the
platform's merged OpenAPI document (GET /api/v1/openapi.json)."""
from admin import audit, auth_api, dashboard, queues, roles, views
from meridian.api import ServiceApp
from meridian.apidoc import ANY_DOCUMENT, Page, optional
from meridian.auth import principal, require_role
from meridian.lazy import lazy_module
from meridian.openapi import MergedOpenApi
from meridian.pagination import page_limit
from meridian.validation import load

# marshmallow (~30 ms) loads with the first request that validates, not on a cold start
schemas = lazy_module("admin.schemas")

app = ServiceApp("admin", schemas="admin.schemas")
merged_openapi = MergedOpenApi(app.service, app.openapi_document)


@app.route("/users", methods=["GET"], query="UsersQuery", responses={200: Page("AccountAnswer")})
@require_role("admin")
def list_users():
    """Accounts with their roles (from the auth service); ?email= finds those whose e-mail starts with it."""
    query = app.query_params("limit", "cursor", "email")
    return auth_api.list_users(page_limit(query["limit"]), query["cursor"], email=query["email"])


@app.route("/users/{user_id}/role", methods=["PUT"], body="RoleChangeSchema", responses={200: "AccountAnswer"},
           errors=(409,))
@require_role("admin")
def change_role(user_id):
    """Change a user's role; only a super_admin grants or removes admin."""
    body = load(schemas.RoleChangeSchema(), app.json_body())
    return roles.change_role(principal(), user_id, body["role"])


@app.route("/audit-log", methods=["GET"], query="AuditQuery", responses={200: Page("AuditEntryAnswer")})
@require_role("admin")
def audit_log():
    """Append-only record of every admin action and money movement, newest first; ?action= and ?actor= filter it."""
    query = app.query_params("limit", "cursor", "action", "actor")
    entries, next_key = audit.list_entries(page_limit(query["limit"]), query["cursor"], action=query["action"],
                                           actor=query["actor"])
    return views.audit_page(entries, next_key, audit.cursor_purpose(query["action"], query["actor"]))


@app.route("/dashboard", methods=["GET"], responses={200: "DashboardAnswer"})
@require_role("admin")
def get_dashboard():
    """Orders by status, revenue per currency, FX freshness, queue depths."""
    return views.dashboard_view(*dashboard.parts())


@app.route("/dead-letters", methods=["GET"], query="DeadLettersQuery", responses={200: "DeadLetterListAnswer"})
@require_role("admin")
def list_dead_letters():
    """Messages that failed processing, per dead-letter queue, each with why it failed (last_error)."""
    return views.dead_letter_list(queues.dead_letters(app.query_params("queue")["queue"]))


@app.route("/dead-letters/redrive", methods=["POST"], body=optional("RedriveSchema"), responses={200: "RedriveAnswer"})
@require_role("admin")
def redrive_dead_letters():
    """Send dead letters back to their source queue: a queue's ({queue}) or every queue's."""
    body = load(schemas.RedriveSchema(), app.optional_json_body())
    return {"moved": queues.redrive(body["queue"], body["max_messages"])}


@app.route("/dead-letters/{queue}/{message_id}/redrive", methods=["POST"], responses={200: "RedriveAnswer"})
@require_role("admin")
def redrive_dead_letter(queue, message_id):
    """Send one dead letter back to its source queue."""
    return {"moved": queues.redrive_one(queue, message_id)}


@app.route("/api/v1/openapi.json", methods=["GET"], absolute=True, responses={200: ANY_DOCUMENT})
def platform_openapi():
    """The whole platform's OpenAPI document: every service's, merged (public)."""
    return merged_openapi.document()
