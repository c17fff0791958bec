"""`python -m infra.harness.sandbox_gateway --port P --control-port C --webhook-url URL --aws-endpoint E
--webhook-secret-id NAME --api-key-secret-id NAME`."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time

from .server import PUBLIC_PREFIX, SandboxGateway


def read_secret(endpoint: str, secret_id: str, *, region: str, wait_seconds: float = 30.0) -> str:
    """The webhook secret from Secrets Manager at `endpoint` (waits for provisioning to create it)."""
    import boto3

    client = boto3.client("secretsmanager", endpoint_url=endpoint, region_name=region,
                          aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
                          aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"))
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return client.get_secret_value(SecretId=secret_id)["SecretString"]
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.harness.sandbox_gateway", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--control-port", type=int, default=0, help="the test controls (always on 127.0.0.1)")
    parser.add_argument("--webhook-url", required=True, help="where signed webhooks go (/webhooks/payments)")
    parser.add_argument("--aws-endpoint", required=True, help="Secrets Manager endpoint (moto / LocalStack)")
    parser.add_argument("--webhook-secret-id", required=True, help="name or ARN of the webhook secret")
    parser.add_argument("--api-key-secret-id", required=True,
                        help="name or ARN of the gateway's secret API key (what the payments service sends)")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    parser.add_argument("--ca-bundle", default=os.environ.get("MERIDIAN_CA_BUNDLE"),
                        help="CA bundle to verify an https webhook URL (localhost is trusted without one)")
    parser.add_argument("--delivery-workers", type=int, default=8)
    parser.add_argument("--public-prefix", default=PUBLIC_PREFIX,
                        help="where the shop's gateway serves this API (the 3-D Secure challenge page's URL)")
    parser.add_argument("--verbose", action="store_true")
    ns = parser.parse_args(argv)

    secret = read_secret(ns.aws_endpoint, ns.webhook_secret_id, region=ns.region)
    api_key = read_secret(ns.aws_endpoint, ns.api_key_secret_id, region=ns.region)
    gateway = SandboxGateway(port=ns.port, host=ns.host, control_port=ns.control_port, webhook_url=ns.webhook_url,
                             webhook_secret=secret, api_key=api_key,
                             ca_bundle=ns.ca_bundle, delivery_workers=ns.delivery_workers, verbose=ns.verbose,
                             public_prefix=ns.public_prefix)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"sandbox gateway listening on http://{ns.host}:{gateway.port} (controls on {gateway.control_url}), "
          f"webhooks to {ns.webhook_url}", flush=True)
    try:
        gateway.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        gateway.sender.stop()
        gateway.httpd.server_close()
        gateway.control_httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
