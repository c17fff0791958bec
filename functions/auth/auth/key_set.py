"""The signing key set: its format, and making, reading and rotating one (pure: no AWS).

The set is the JSON document kept in Secrets Manager (SIGNING_KEYS_SECRET_ARN):

    {"keys": [<private JWK with kid, alg "EdDSA" (or "RS256"), use "sig">, …],
     "active_kid": "<kid that signs new tokens>",
     "pem": {"<kid>": "<PKCS8 PEM>"}}            # optional, informative

Tokens are signed with the active key; the JWKS publishes the public half of every key in
the set, so during a rotation tokens signed by the previous key keep verifying.
Loading it at run time: auth/signing_keys.py. Rotating the stored set: auth/rotate_keys.py.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
MAX_PUBLISHED_KEYS = 3


class KeySetError(ValueError):
    """A rotation step that the set does not allow (the message says why)."""


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


# ---------------------------------------------------------------------------- making and reading a set
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


def document_of(key_set: KeySet | None) -> dict[str, Any]:
    """The set as a document to store (an empty one for None: a secret without a usable set)."""
    if key_set is None:
        return {"keys": [], "active_kid": None}
    return {"keys": [dict(k.jwk) for k in key_set.keys], "active_kid": key_set.active_kid}


# ---------------------------------------------------------------------------- rotation steps (document → document)
def staged(document: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A new key published (not yet signing, unless the set had none): the new document and the key's kid."""
    jwk = new_signing_jwk()
    keys = [*document["keys"], jwk]
    if len(keys) > MAX_PUBLISHED_KEYS:
        raise KeySetError(f"the set already has {MAX_PUBLISHED_KEYS} keys: retire one first")
    return {"keys": keys, "active_kid": document["active_kid"] or jwk["kid"]}, jwk["kid"]


def activated(document: dict[str, Any], kid: str) -> dict[str, Any]:
    """`kid` signs from now on (it must be in the set)."""
    if kid not in {k["kid"] for k in document["keys"]}:
        raise KeySetError(f"no key {kid} in the set")
    return {**document, "active_kid": kid}


def retired(document: dict[str, Any], kid: str) -> dict[str, Any]:
    """`kid` no longer published (the active key cannot be retired)."""
    if kid == document["active_kid"]:
        raise KeySetError("the active key cannot be retired: activate another first")
    return {**document, "keys": [k for k in document["keys"] if k["kid"] != kid]}


def rotated(document: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A new key that signs at once; only the previous active key stays published."""
    previous = [k for k in document["keys"] if k["kid"] == document["active_kid"]]
    jwk = new_signing_jwk()
    return {"keys": [jwk, *previous], "active_kid": jwk["kid"]}, jwk["kid"]
