"""HTTP routes of the auth service (thin: parse → call → map)."""
from auth import accounts, browser, directory, signing_keys, views
from meridian.api import ServiceApp, json_response
from meridian.apidoc import cookie, header
from meridian.lazy import lazy_module
from meridian.pagination import page_limit
from meridian.service_auth import require_service
from meridian.validation import load

# marshmallow (~30 ms) loads with the first request that validates, not on a cold start
schemas = lazy_module("auth.schemas")

app = ServiceApp("auth", schemas="auth.schemas")

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# the refresh cookie and the CSRF proof of /refresh and /logout (auth.browser)
SESSION = (cookie("refresh_token", description="Set by login and refresh (HttpOnly)."),
           header("X-Requested-With", description="XMLHttpRequest (or a same-origin Origin header): CSRF proof."))


def _with_new_session(login: accounts.Login) -> object:
    cookie = browser.refresh_cookie(login.refresh.token, login.refresh.max_age)
    return json_response(login.access.to_json(), 200, {**NO_STORE, "Set-Cookie": cookie})


def _refresh_token() -> str | None:
    return browser.refresh_token_from(app.header("cookie"))


@app.route("/register", methods=["POST"], body="RegisterSchema", responses={201: "RegisteredAnswer"}, errors=(409,))
def register():
    """Create an account; a verification e-mail follows."""
    data = load(schemas.RegisterSchema(), app.json_body())
    account = accounts.register(data["email"], data["password"], name=data["name"], locale=data["locale"],
                                currency=data["currency"], accept_language=app.header("accept-language"))
    return json_response(views.registered_view(account), 201,
                         {"Location": "/api/v1/users/me", **NO_STORE})


@app.route("/login", methods=["POST"], body="LoginSchema", responses={200: "AccessTokenAnswer"}, errors=(401,))
def login():
    """Exchange e-mail and password for an access token and a refresh cookie."""
    data = load(schemas.LoginSchema(), app.json_body())
    return _with_new_session(accounts.login(data["email"], data["password"]))


@app.route("/refresh", methods=["POST"], params=SESSION, responses={200: "AccessTokenAnswer"}, errors=(401, 403))
def refresh():
    """Rotate the refresh cookie and issue a new access token (CSRF header required)."""
    browser.check_csrf(app.current_request.headers)
    return _with_new_session(accounts.refresh(_refresh_token()))


@app.route("/logout", methods=["POST"], params=SESSION, responses={204: None}, errors=(401, 403))
def logout():
    """Revoke the session of the refresh cookie and clear it (CSRF header required)."""
    browser.check_csrf(app.current_request.headers)
    accounts.logout(_refresh_token())
    return json_response(None, 204, {**NO_STORE, "Set-Cookie": browser.cleared_refresh_cookie()})


@app.route("/.well-known/jwks.json", methods=["GET"], responses={200: "KeySetAnswer"})
def jwks():
    """Public keys that verify access tokens."""
    return json_response(signing_keys.current_key_set().public_jwks(), 200, {"Cache-Control": "public, max-age=300"})


@app.route("/verify-email", methods=["POST"], body="TokenSchema", responses={204: None})
def verify_email():
    """Confirm an e-mail address with the token from the verification e-mail."""
    data = load(schemas.TokenSchema(), app.json_body())
    accounts.verify_email(data["token"])
    return json_response(None, 204)


@app.route("/password/forgot", methods=["POST"], body="ForgotPasswordSchema", responses={202: "AcceptedAnswer"})
def forgot_password():
    """Send a reset e-mail if the account exists (the answer never says), in the body's `locale` if given."""
    data = load(schemas.ForgotPasswordSchema(), app.json_body())
    accounts.forgot_password(data["email"], locale=data["locale"], accept_language=app.header("accept-language"))
    return json_response({"status": "accepted"}, 202)


@app.route("/password/reset", methods=["POST"], body="ResetPasswordSchema", responses={204: None})
def reset_password():
    """Set a new password with the token from the reset e-mail; every session ends."""
    data = load(schemas.ResetPasswordSchema(), app.json_body())
    accounts.reset_password(data["token"], data["password"])
    return json_response(None, 204)


# ---------------------------------------------------------------------------- internal (service-signed)
@app.route("/internal/users", methods=["GET"])
@require_service("admin")
def list_users():
    """Accounts ordered by e-mail (admin service only)."""
    query = app.query_params("limit", "cursor", "email")
    accounts_found, next_key = directory.list_accounts(limit=page_limit(query["limit"]), cursor=query["cursor"],
                                                      email_prefix=query["email"])
    return views.accounts_page(accounts_found, next_key)


@app.route("/internal/users/{user_id}", methods=["GET"])
@require_service()
def get_user(user_id):
    """One account's public facts (any platform service)."""
    return views.account_view(directory.get_account(user_id))


@app.route("/internal/users/{user_id}/role", methods=["PUT"])
@require_service("admin")
def set_role(user_id):
    """Change an account's role (admin service only); effective at the next login or refresh."""
    data = load(schemas.SetRoleSchema(), app.json_body())
    account, previous_role = directory.set_role(user_id, data["role"])
    return views.role_change_view(account, previous_role)
