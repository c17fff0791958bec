"""Rotate the JWT signing keys kept in Secrets Manager (an operator's command; the format: auth/key_set.py).

From functions/auth/ with PYTHONPATH=../../layers/common; the secret's ARN or name; AWS
credentials / AWS_ENDPOINT_URL as usual:

    python -m auth.rotate_keys --secret-id meridian/auth/jwt-signing-keys show
    python -m auth.rotate_keys --secret-id … stage             # publish a new key
    # wait for JWKS caches to pick it up (≥ 5 minutes), then
    python -m auth.rotate_keys --secret-id … activate <kid>    # sign with it
    # wait ≥ 15 minutes (the longest access-token life), then
    python -m auth.rotate_keys --secret-id … retire <old kid>
    python -m auth.rotate_keys --secret-id … rotate            # stage + activate at once (keeps the previous key)

Each step reads the stored set, changes it (`key_set.staged/activated/retired/rotated`) and
writes it back; a step the set does not allow stops with the reason and writes nothing.
"""
from __future__ import annotations

import json
import os
from typing import Any

from meridian import aws

from . import key_set
from .key_set import KeySetError, document_of, parse_key_set


def _load(client, secret_id: str) -> dict[str, Any]:
    try:
        raw = client.get_secret_value(SecretId=secret_id)["SecretString"]
    except client.exceptions.ResourceNotFoundException:
        raw = None  # an empty secret
    return document_of(parse_key_set(raw))


def _write(client, secret_id: str, document: dict[str, Any]) -> None:
    client.put_secret_value(SecretId=secret_id, SecretString=json.dumps(document))
    aws.forget_secrets()


def _allowed(step, *args):
    try:
        return step(*args)
    except KeySetError as error:
        raise SystemExit(str(error)) from None


def stage(client, secret_id: str) -> str:
    """Publish a new key (not yet signing). Returns its kid."""
    document, kid = _allowed(key_set.staged, _load(client, secret_id))
    _write(client, secret_id, document)
    return kid


def activate(client, secret_id: str, kid: str) -> None:
    _write(client, secret_id, _allowed(key_set.activated, _load(client, secret_id), kid))


def retire(client, secret_id: str, kid: str) -> None:
    _write(client, secret_id, _allowed(key_set.retired, _load(client, secret_id), kid))


def rotate(client, secret_id: str) -> str:
    """Stage a new key and sign with it at once; only the previous active key stays published."""
    document, kid = key_set.rotated(_load(client, secret_id))
    _write(client, secret_id, document)
    return kid


def main(argv: list[str] | None = None) -> None:
    import argparse

    import boto3

    parser = argparse.ArgumentParser(prog="python -m auth.rotate_keys", description="Manage the JWT signing keys.")
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
    stored = parse_key_set(json.dumps(document)) if document["keys"] else None
    if stored is None:
        print("the secret holds no key set (the auth service initializes it on first use)")
    else:
        for key in stored.keys:
            print(f"  {key.kid} {key.alg}{'  (active)' if key.kid == stored.active_kid else ''}")


if __name__ == "__main__":
    main()
