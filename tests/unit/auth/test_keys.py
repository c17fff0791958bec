"""Signing keys: JWKS publishes public halves; rotation keeps old tokens valid; an empty secret is initialized."""
import json

import boto3
import jwt
import pytest
from meridian import aws as meridian_aws
from meridian.auth import key_source, verify_access_token
from meridian.errors import Unauthorized


def _secret(auth):
    return auth.template.physical_name("JwtSigningKeysSecret")


def test_jwks_publishes_only_public_keys(auth):
    response = auth.client.get("/api/v1/auth/.well-known/jwks.json")
    assert response.status == 200
    assert "max-age" in response.headers["cache-control"]
    keys = response.json["keys"]
    assert keys and all(k["kid"] and k["alg"] in ("EdDSA", "RS256") for k in keys)
    assert all("d" not in k for k in keys)
    assert "PRIVATE" not in response.text


def test_rotation_keeps_tokens_of_the_previous_key_valid(auth, modules):
    auth.registered("rotate@example.com")
    before = auth.login("rotate@example.com").json["access_token"]
    old_kid = jwt.get_unverified_header(before)["kid"]
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    new_kid = modules.rotate_keys.rotate(sm, _secret(auth))
    meridian_aws.forget_secrets()
    published = auth.client.get("/api/v1/auth/.well-known/jwks.json").json
    assert {k["kid"] for k in published["keys"]} == {old_kid, new_kid}
    key_source.use_static(published)
    after = auth.login("rotate@example.com").json["access_token"]
    assert jwt.get_unverified_header(after)["kid"] == new_kid
    assert verify_access_token(before).user_id == verify_access_token(after).user_id
    # once the old key is retired, its tokens stop verifying
    modules.rotate_keys.retire(sm, _secret(auth), old_kid)
    meridian_aws.forget_secrets()
    key_source.use_static(auth.client.get("/api/v1/auth/.well-known/jwks.json").json)
    with pytest.raises(Unauthorized):
        verify_access_token(before)
    assert verify_access_token(after)


def test_stage_then_activate(auth, modules):
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    active = modules.signing_keys.current_key_set().active_kid
    staged = modules.rotate_keys.stage(sm, _secret(auth))
    meridian_aws.forget_secrets()
    key_set = modules.signing_keys.current_key_set()
    assert key_set.active_kid == active and {k.kid for k in key_set.keys} == {active, staged}
    modules.rotate_keys.activate(sm, _secret(auth), staged)
    meridian_aws.forget_secrets()
    assert modules.signing_keys.current_key_set().active_kid == staged


def test_a_secret_without_a_key_set_is_initialized_once(auth, modules):
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    sm.put_secret_value(SecretId=_secret(auth), SecretString="a-random-string-from-cloudformation")
    meridian_aws.forget_secrets()
    response = auth.client.get("/api/v1/auth/.well-known/jwks.json")
    assert response.status == 200
    first = response.json["keys"]
    assert len(first) == 1
    stored = json.loads(sm.get_secret_value(SecretId=_secret(auth))["SecretString"])
    assert stored["active_kid"] == first[0]["kid"] and "d" in stored["keys"][0]
    meridian_aws.forget_secrets()
    assert auth.client.get("/api/v1/auth/.well-known/jwks.json").json["keys"] == first
    # tokens signed with the initialized key verify against the published JWKS
    key_source.use_static(response.json)
    auth.registered("init@example.com")
    assert verify_access_token(auth.login("init@example.com").json["access_token"])
