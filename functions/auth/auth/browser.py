"""What the cookie-based endpoints (refresh, logout) need: the refresh cookie and a CSRF check.

The refresh token travels only in a cookie: HttpOnly (no script reads it), Secure, SameSite=Strict,
Path=/api/v1/auth (sent to nothing else). Because a cookie is sent automatically, refresh and
logout also demand proof the request came from our own page: the header
`X-Requested-With: XMLHttpRequest` (a cross-site form cannot set it without a CORS preflight we
never grant), or an `Origin` that is the request's own origin or one of CSRF_TRUSTED_ORIGINS.
"""
from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from urllib.parse import urlsplit

from meridian.errors import Forbidden

from . import settings

_ATTRIBUTES = f"Path={settings.REFRESH_COOKIE_PATH}; HttpOnly; Secure; SameSite=Strict"


def refresh_cookie(token: str, max_age: int) -> str:
    return f"{settings.REFRESH_COOKIE}={token}; Max-Age={max(0, int(max_age))}; {_ATTRIBUTES}"


def cleared_refresh_cookie() -> str:
    return (f"{settings.REFRESH_COOKIE}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; {_ATTRIBUTES}")


def refresh_token_from(cookie_header: str | None) -> str | None:
    if not cookie_header:
        return None
    jar = SimpleCookie()
    try:
        jar.load(cookie_header)
    except CookieError:
        # a malformed cookie elsewhere in the header: look for ours by hand
        for part in cookie_header.split(";"):
            name, _, value = part.strip().partition("=")
            if name == settings.REFRESH_COOKIE:
                return value or None
        return None
    morsel = jar.get(settings.REFRESH_COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


def _origin_of(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def check_csrf(headers: dict[str, str]) -> None:
    """403 unless the request proves it came from our own pages (see the module doc)."""
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    if (lowered.get("x-requested-with") or "").strip().lower() == "xmlhttprequest":
        return
    origin = _origin_of(lowered.get("origin"))
    if origin:
        trusted = {o.lower() for o in settings.CSRF_TRUSTED_ORIGINS}
        host = (lowered.get("x-forwarded-host") or lowered.get("host") or "").split(",")[0].strip().lower()
        parsed = urlsplit(origin)
        # the gateway may pass Host without its port
        if host and (parsed.netloc == host or (":" not in host and parsed.hostname == host)):
            return
        if origin in trusted:
            return
    raise Forbidden("This request needs the header X-Requested-With: XMLHttpRequest (CSRF protection).")
