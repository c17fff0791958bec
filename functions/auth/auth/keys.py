"""The access-token signing keys, kept in Secrets Manager (SIGNING_KEYS_SECRET_ARN).

Secret format (JSON), as provisioning creates it:

    {"keys": [<private JWK with kid, alg "EdDSA" (or "RS256"), use "sig">, …],
     "active_kid": "<kid that signs new tokens>",
     "pem": {"<kid>": "<PKCS8 PEM>"}}            # optional, informative

Tokens are signed with the active key; the JWKS publishes the public half of every key in
the set, so during a rotation tokens signed by the previous key keep verifying.

When the secret holds no usable key set (an empty secret made by CloudFormation, or a
random string), the service initializes it once: it writes a fresh set with a fixed
ClientRequestToken, so of several cold starts racing only one version is created and
the others re-read it.

Rotation (from functions/auth/ with PYTHONPATH=../../layers/common; the secret's ARN or
name; AWS credentials / AWS_ENDPOINT_URL as usual):

    python -m auth.keys --secret-id meridian/auth/jwt-signing-keys stage     # publish a new key
    # wait for JWKS caches to pick it up (≥ 5 minutes), then
    python -m auth.keys --secret-id … activate <kid>                       # sign with it
    # wait ≥ 15 minutes (the longest access-token life), then
    python -m auth.keys --secret-id … retire <old kid>
    python -m auth.keys --secret-id … rotate     # stage + activate at once (keeps the previous key)
"""
from __future__ import annotations

import json
import os
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from meridian import aws
from meridian.errors import ServiceUnavailable
from meridian.observability import logger

INIT_REQUEST_TOKEN = "meridian-signing-keys-initial-version-0001"  # 32–64 chars, idempotent init
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
MAX_PUBLISHED_KEYS = 3


@dataclass(frozen=True)
class SigningKey:
    kid: str
    alg: str
    jwk: dict[str, Any]

    @property
    def private_key(self):
        return _private_key(json.dumps(self.jwk, sort_keys=True))

    def public_jwk(self) -> dict[str, Any]:
        public = {k: v for k, v in self.jwk.items() if k not in PRIVATE_MEMBERS}
        public.setdefault("use", "sig")
        return public


@dataclass(frozen=True)
class KeySet:
    keys: tuple[SigningKey, ...]
    active_kid: str

    @property
    def active(self) -> SigningKey:
        for key in self.keys:
            if key.kid == self.active_kid:
                return key
        return self.keys[0]

    def public_jwks(self) -> dict[str, list[dict[str, Any]]]:
        return {"keys": [key.public_jwk() for key in self.keys]}


_private_key_cache: dict[str, Any] = {}


def _private_key(serialized_jwk: str):
    key = _private_key_cache.get(serialized_jwk)
    if key is None:
        import jwt  # PyJWT + cryptography load when a key is first used, not on a cold start

        key = jwt.PyJWK(json.loads(serialized_jwk)).key
        _private_key_cache[serialized_jwk] = key
    return key


# ---------------------------------------------------------------------------- the key-set format
def new_signing_jwk() -> dict[str, Any]:
    import jwt
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    jwk = jwt.algorithms.OKPAlgorithm.to_jwk(Ed25519PrivateKey.generate(), as_dict=True)
    jwk.update({"kid": uuid.uuid4().hex[:16], "alg": "EdDSA", "use": "sig"})
    return jwk


def new_key_set_document() -> dict[str, Any]:
    jwk = new_signing_jwk()
    return {"keys": [jwk], "active_kid": jwk["kid"]}


def parse_key_set(raw: str | None) -> KeySet | None:
    """The key set in a secret's value; None when it holds none usable."""
    try:
        document = json.loads(raw or "")
    except ValueError:
        return None
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        return None
    keys = []
    for jwk in document["keys"]:
        if isinstance(jwk, dict) and jwk.get("kid") and jwk.get("alg") in ("EdDSA", "RS256") and "d" in jwk:
            keys.append(SigningKey(kid=jwk["kid"], alg=jwk["alg"], jwk=jwk))
    if not keys:
        return None
    active = document.get("active_kid") or keys[0].kid
    if active not in {k.kid for k in keys}:
        active = keys[0].kid
    return KeySet(keys=tuple(keys), active_kid=active)


# ---------------------------------------------------------------------------- reading (cached)
_lock = threading.Lock()
_parsed: dict[str, KeySet] = {}


def _secret_id() -> str:
    from meridian.config import require_env

    return require_env("SIGNING_KEYS_SECRET_ARN")


def _read_raw(secret_id: str, *, fresh: bool = False) -> str | None:
    if fresh:
        aws.forget_secrets()
    try:
        return aws.secret_string(secret_id)
    except Exception as error:  # an empty secret has no version yet: ResourceNotFoundException
        code = getattr(error, "response", {}).get("Error", {}).get("Code")
        if code == "ResourceNotFoundException":
            return None
        raise


def current_key_set() -> KeySet:
    """The key set (cached with the secret, 5 minutes); initializes an empty secret once."""
    secret_id = _secret_id()
    try:
        raw = _read_raw(secret_id)
    except Exception as error:
        logger.exception("signing keys unreadable")
        raise ServiceUnavailable("Signing keys are unavailable.", retry_after=5) from error
    key_set = _parsed.get(raw or "")
    if key_set is None:
        key_set = parse_key_set(raw)
        if key_set is None:
            key_set = _initialize(secret_id)
        else:
            with _lock:
                _parsed.clear()
                _parsed[raw] = key_set
    return key_set


def _initialize(secret_id: str) -> KeySet:
    client = aws.client("secretsmanager")
    document = new_key_set_document()
    try:
        client.put_secret_value(SecretId=secret_id, SecretString=json.dumps(document),
                                ClientRequestToken=INIT_REQUEST_TOKEN)
        logger.info("initialized the signing key set", extra={"kid": document["active_kid"]})
    except Exception as error:  # someone else initialized it first (same request token, other value)
        logger.info("signing key set initialization lost a race or failed",
                    extra={"error": type(error).__name__})
    key_set = parse_key_set(_read_raw(secret_id, fresh=True))
    if key_set is None:
        raise ServiceUnavailable("Signing keys are unavailable.", retry_after=5)
    return key_set


# ---------------------------------------------------------------------------- rotation
def _document(key_set: KeySet | None) -> dict[str, Any]:
    if key_set is None:
        return {"keys": [], "active_kid": None}
    return {"keys": [dict(k.jwk) for k in key_set.keys], "active_kid": key_set.active_kid}


def _load(client, secret_id: str) -> dict[str, Any]:
    try:
        raw = client.get_secret_value(SecretId=secret_id)["SecretString"]
    except client.exceptions.ResourceNotFoundException:
        raw = None  # an empty secret
    return _document(parse_key_set(raw))


def _write(client, secret_id: str, document: dict[str, Any]) -> None:
    client.put_secret_value(SecretId=secret_id, SecretString=json.dumps(document))
    aws.forget_secrets()


def stage(client, secret_id: str) -> str:
    """Publish a new key (not yet signing). Returns its kid."""
    document = _load(client, secret_id)
    jwk = new_signing_jwk()
    document["keys"].append(jwk)
    document["active_kid"] = document["active_kid"] or jwk["kid"]
    if len(document["keys"]) > MAX_PUBLISHED_KEYS:
        raise SystemExit(f"the set already has {MAX_PUBLISHED_KEYS} keys: retire one first")
    _write(client, secret_id, document)
    return jwk["kid"]


def activate(client, secret_id: str, kid: str) -> None:
    document = _load(client, secret_id)
    if kid not in {k["kid"] for k in document["keys"]}:
        raise SystemExit(f"no key {kid} in the set")
    document["active_kid"] = kid
    _write(client, secret_id, document)


def retire(client, secret_id: str, kid: str) -> None:
    document = _load(client, secret_id)
    if kid == document["active_kid"]:
        raise SystemExit("the active key cannot be retired: activate another first")
    document["keys"] = [k for k in document["keys"] if k["kid"] != kid]
    _write(client, secret_id, document)


def rotate(client, secret_id: str) -> str:
    """Stage a new key and sign with it at once; only the previous active key stays published."""
    document = _load(client, secret_id)
    previous = [k for k in document["keys"] if k["kid"] == document["active_kid"]]
    jwk = new_signing_jwk()
    _write(client, secret_id, {"keys": [jwk, *previous], "active_kid": jwk["kid"]})
    return jwk["kid"]


def main(argv: list[str] | None = None) -> None:
    import argparse

    import boto3

    parser = argparse.ArgumentParser(prog="python -m auth.keys", description="Manage the JWT signing keys.")
    parser.add_argument("--secret-id", default=os.environ.get("SIGNING_KEYS_SECRET_ARN"))
    parser.add_argument("command", choices=["show", "stage", "activate", "retire", "rotate"])
    parser.add_argument("kid", nargs="?")
    ns = parser.parse_args(argv)
    if not ns.secret_id:
        parser.error("--secret-id (or SIGNING_KEYS_SECRET_ARN) is required")
    client = boto3.client("secretsmanager")
    if ns.command in ("activate", "retire") and not ns.kid:
        parser.error(f"{ns.command} needs a kid")
    if ns.command == "stage":
        print(f"staged {stage(client, ns.secret_id)}")
    elif ns.command == "activate":
        activate(client, ns.secret_id, ns.kid)
        print(f"active key is now {ns.kid}")
    elif ns.command == "retire":
        retire(client, ns.secret_id, ns.kid)
        print(f"retired {ns.kid}")
    elif ns.command == "rotate":
        print(f"rotated: new active key {rotate(client, ns.secret_id)}")
    document = _load(client, ns.secret_id)
    key_set = parse_key_set(json.dumps(document)) if document["keys"] else None
    if key_set is None:
        print("the secret holds no key set (the auth service initializes it on first use)")
    else:
        for key in key_set.keys:
            print(f"  {key.kid} {key.alg}{'  (active)' if key.kid == key_set.active_kid else ''}")


if __name__ == "__main__":
    main()
