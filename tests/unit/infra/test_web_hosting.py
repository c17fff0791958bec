"""The web app's AWS hosting (web/hosting.yaml): valid CloudFormation, /api/* to the API uncached on the same
distribution, the client-side routes answered by each app's index.html (its CloudFront Function, run in node),
the same content security policy as the local gateway."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cfnlint.decode.cfn_yaml import load as load_cfn

from infra.localaws import config

HOSTING = config.ROOT / "web" / "hosting.yaml"


@pytest.fixture(scope="module")
def template() -> dict:
    return load_cfn(str(HOSTING))


def test_cfn_lint_finds_nothing():
    result = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), str(HOSTING)],  # noqa: S603
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_api_shares_the_origin_uncached(template):
    config_ = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    (api,) = [b for b in config_["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
    assert api["TargetOriginId"] == "api" and "POST" in api["AllowedMethods"]
    assert api["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"       # Managed-CachingDisabled
    assert "FunctionAssociations" not in api                                       # API 404s stay problem+json
    assert "CustomErrorResponses" not in config_                                   # (they would rewrite API errors)
    origins = {o["Id"]: o for o in config_["Origins"]}
    assert origins["web"]["OriginAccessControlId"] and origins["api"]["CustomOriginConfig"]["OriginProtocolPolicy"] \
        == "https-only"


def test_the_content_security_policy_is_the_gateways(template):
    headers = template["Resources"]["WebHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
    assert headers["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"] == config.GATEWAY_WEB_CSP


@pytest.mark.parametrize(("uri", "answer"), [
    ("/", "/index.html"), ("/products/p-1", "/index.html"), ("/account/orders", "/index.html"),
    ("/assets/store-abc.js", "/assets/store-abc.js"), ("/admin/", "/admin/index.html"),
    ("/admin/orders/o-1", "/admin/index.html"), ("/admin/assets/x.css", "/admin/assets/x.css"),
    ("/admin", 301)])
def test_client_side_routes_answer_their_apps_index(template, uri, answer):
    code = template["Resources"]["SpaRoutes"]["Properties"]["FunctionCode"]
    script = code + f"\nconsole.log(JSON.stringify(handler({{request: {{uri: {json.dumps(uri)}}}}})));"
    result = json.loads(subprocess.run(["node", "-e", script], capture_output=True, text=True,  # noqa: S603,S607
                                       check=True).stdout)
    assert result.get("statusCode", result.get("uri")) == answer


def test_the_main_stack_hands_over_its_api_domain():
    outputs = load_cfn(str(config.ROOT / "template.yaml"))["Outputs"]
    assert "execute-api" in str(outputs["ApiDomain"]["Value"])
