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


def _recreate(sm, name: str, **value) -> None:
    """The secret as CloudFormation makes it on a new stack (the auth fixture already initialized this one)."""
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    sm.create_secret(Name=name, **value)
    meridian_aws.forget_secrets()


def test_a_secret_without_a_key_set_is_initialized_once(auth, modules):
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    _recreate(sm, _secret(auth), SecretString="a-random-string-from-cloudformation")
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


def test_an_empty_secret_is_initialized_on_first_use_and_racing_cold_starts_make_one_version(auth, modules):
    """As CloudFormation (and local provisioning) creates it: empty, no version. Two cold starts that both
    saw it empty write with the same ClientRequestToken: one version is created, both use it."""
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    _recreate(sm, _secret(auth))
    with pytest.raises(sm.exceptions.ResourceNotFoundException):
        sm.get_secret_value(SecretId=_secret(auth))
    first = modules.signing_keys._initialize(_secret(auth))
    second = modules.signing_keys._initialize(_secret(auth))   # lost the race: re-reads the first one's set
    assert first.active_kid == second.active_kid
    assert len(sm.list_secret_version_ids(SecretId=_secret(auth))["Versions"]) == 1
    meridian_aws.forget_secrets()
    published = auth.client.get("/api/v1/auth/.well-known/jwks.json").json["keys"]
    assert [k["kid"] for k in published] == [first.active_kid]
