"""Password hashing (argon2id at OWASP's parameters) and the password policy.

OWASP Password Storage Cheat Sheet: argon2id with m = 19 MiB, t = 2, p = 1 (its first
recommended configuration). Passwords are NFKC-normalised before hashing, so the same
password typed on different keyboards hashes the same (NIST SP 800-63B 5.1.1.2).
Policy: 12 to 128 characters, not one of the 20,000 most common passwords, not the e-mail.
"""
from __future__ import annotations

import gzip
import secrets
import unicodedata
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH, MAX_LENGTH = 12, 128
PARAMETERS = {"type": "argon2id", "memory_cost_kib": 19456, "time_cost": 2, "parallelism": 1,
              "hash_len": 32, "salt_len": 16}

_hasher = PasswordHasher(time_cost=PARAMETERS["time_cost"], memory_cost=PARAMETERS["memory_cost_kib"],
                         parallelism=PARAMETERS["parallelism"], hash_len=PARAMETERS["hash_len"],
                         salt_len=PARAMETERS["salt_len"], type=Type.ID)
_COMMON = Path(__file__).parent / "data" / "common-passwords.txt.gz"


def _prepare(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    return _hasher.hash(_prepare(password))


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, _prepare(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def burn_verification(password: str) -> None:
    """Spend the time of a real verification (for unknown e-mails: same answer, same time)."""
    verify_password(_dummy_hash(), password)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    with gzip.open(_COMMON, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle if line.strip())


def policy_problems(password: str, *, email: str | None = None) -> list[str]:
    """Why `password` is not acceptable (empty list: it is)."""
    if not isinstance(password, str):
        return ["Must be a string."]
    text = _prepare(password)
    if len(text) < MIN_LENGTH:
        return [f"Must be at least {MIN_LENGTH} characters long."]
    if len(text) > MAX_LENGTH:
        return [f"Must be at most {MAX_LENGTH} characters long."]
    lowered = text.lower()
    if lowered in common_passwords() or lowered.strip() in common_passwords():
        return ["Is too common; choose a password that is not on lists of common passwords."]
    if email and lowered in {email.lower(), email.split("@")[0].lower()}:
        return ["Must not be your e-mail address."]
    if len(set(text)) < 3:
        return ["Must use more than two different characters."]
    return []
