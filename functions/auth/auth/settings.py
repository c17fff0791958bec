"""The auth service's settings, read once from the environment template.yaml gives it."""
from __future__ import annotations

from meridian.auth import MAX_TOKEN_LIFETIME_SECONDS
from meridian.config import int_env, optional_env

# never above what every verifier accepts (15 minutes)
ACCESS_TOKEN_TTL_SECONDS = min(int_env("ACCESS_TOKEN_TTL_SECONDS", 900), MAX_TOKEN_LIFETIME_SECONDS)
REFRESH_LIFETIME_SECONDS = int_env("REFRESH_TOKEN_LIFETIME_SECONDS", 14 * 24 * 3600)  # absolute, per family
VERIFY_EMAIL_TTL_SECONDS = int_env("VERIFY_EMAIL_TTL_SECONDS", 24 * 3600)
PASSWORD_RESET_TTL_SECONDS = int_env("PASSWORD_RESET_TTL_SECONDS", 3600)

LOCKOUT_MAX_FAILURES = int_env("LOCKOUT_MAX_FAILURES", 5)
LOCKOUT_WINDOW_SECONDS = int_env("LOCKOUT_WINDOW_SECONDS", 15 * 60)
LOCKOUT_BASE_SECONDS = int_env("LOCKOUT_BASE_SECONDS", 15 * 60)      # first lock; doubles on each repeat
LOCKOUT_MAX_SECONDS = int_env("LOCKOUT_MAX_SECONDS", 24 * 3600)
LOCKOUT_MEMORY_SECONDS = int_env("LOCKOUT_MEMORY_SECONDS", 24 * 3600)  # repeats within this count as repeats

ISSUER = optional_env("JWT_ISSUER", "https://meridian.local/auth")
AUDIENCE = optional_env("JWT_AUDIENCE", "meridian-api")

REFRESH_COOKIE = "refresh_token"
REFRESH_COOKIE_PATH = "/api/v1/auth"
# extra origins allowed to call refresh/logout besides the request's own host (comma separated)
CSRF_TRUSTED_ORIGINS = tuple(o.strip().rstrip("/") for o in optional_env("CSRF_TRUSTED_ORIGINS", "").split(",")
                             if o.strip())
