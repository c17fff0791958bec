"""`make create-admin EMAIL=… [STACK=…] [REGION=…]`: the first super_admin of a deployed stack.

    ADMIN_PASSWORD=… python -m infra.harness.create_admin --email boss@example.com --stack meridian --region eu-west-1
    python -m infra.harness.create_admin --email boss@example.com --function-name meridian-AuthBootstrapFunction-XYZ
    python -m infra.harness.create_admin --email boss@example.com --local        # the running `make up` stack

Invokes the stack's AuthBootstrapFunction (template.yaml; found through the stack's
`BootstrapFunctionName` output) with boto3's Lambda client, synchronously, once. The
function creates the account under registration's rules (e-mail, password policy, argon2id),
role super_admin, e-mail verified, and refuses once a first super_admin exists (rules:
functions/auth/auth/bootstrap.py). `--promote-existing` makes an already registered account
the super_admin instead, if the password given is that account's password.

The password comes from $ADMIN_PASSWORD or a prompt (typed twice), never from the command
line, and is never printed. AWS credentials and region come from the usual places (profile,
environment, --region). Only someone allowed lambda:InvokeFunction on the function can do
this. Exit status: 0 created, 1 refused or failed, 2 usage.

--local reads STATE_DIR/stack.json (or --state-file) and invokes the local runtime's worker of
AuthBootstrapFunction, which answers the same Lambda Invoke API.
"""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

LOGICAL_ID = "AuthBootstrapFunction"
OUTPUT_KEY = "BootstrapFunctionName"
PASSWORD_VARIABLE = "ADMIN_PASSWORD"
INVOKE_TIMEOUT_SECONDS = 90   # the function's Timeout (30 s) and a cold start, with room


class CommandError(Exception):
    """Something to tell the operator, and the exit status to leave with."""

    def __init__(self, message: str, status: int = 1):
        super().__init__(message)
        self.status = status


# ---------------------------------------------------------------------------- the password
def read_password(environ: Mapping[str, str] = os.environ, *, prompt: Callable[[str], str] = getpass.getpass,
                  interactive: bool | None = None) -> str:
    """$ADMIN_PASSWORD, else typed twice at a prompt that does not echo."""
    given = environ.get(PASSWORD_VARIABLE)
    if given:
        return given
    if interactive is None:
        interactive = sys.stdin.isatty()
    if not interactive:
        raise CommandError(f"no password: set {PASSWORD_VARIABLE} or run this in a terminal to be asked", 2)
    first = prompt("Password for the super_admin (12-128 characters): ")
    if prompt("The same password again: ") != first:
        raise CommandError("the two passwords differ; nothing was done", 2)
    return first


# ---------------------------------------------------------------------------- where the function is
def lambda_client(*, region: str | None = None, endpoint_url: str | None = None, local: bool = False):
    import boto3
    from botocore.config import Config

    # one attempt only: a retried create would answer "already exists" for its own first try
    config = Config(read_timeout=INVOKE_TIMEOUT_SECONDS, connect_timeout=10,
                    retries={"total_max_attempts": 1, "mode": "standard"})
    if local:
        return boto3.client("lambda", endpoint_url=endpoint_url, region_name=region or "us-east-1", config=config,
                            aws_access_key_id="test", aws_secret_access_key="test")  # noqa: S106 - local runtime
    return boto3.client("lambda", region_name=region, config=config)


def stack_outputs(stack: str, region: str | None = None, *, client=None) -> dict[str, str]:
    """The CloudFormation stack's outputs {OutputKey: OutputValue}."""
    from botocore.exceptions import BotoCoreError, ClientError

    if client is None:
        import boto3

        client = boto3.client("cloudformation", region_name=region)
    try:
        stacks = client.describe_stacks(StackName=stack)["Stacks"]
    except (ClientError, BotoCoreError) as error:
        raise CommandError(f"cannot read stack {stack!r}: {error}") from None
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def function_from_stack(stack: str, region: str | None = None, *, client=None) -> tuple[str, str | None]:
    """(the bootstrap function's name, the API's URL if the stack has one) from the stack's outputs."""
    outputs = stack_outputs(stack, region, client=client)
    name = outputs.get(OUTPUT_KEY)
    if not name:
        raise CommandError(f"stack {stack!r} has no output {OUTPUT_KEY}: deploy the current template.yaml "
                           f"(sam build && sam deploy), or pass --function-name")
    return name, outputs.get("ApiUrl")


def local_target(state_file: Path | None = None) -> tuple[str, str, str]:
    """(invoke endpoint of the local AuthBootstrapFunction worker, its name, region) from the stack's state."""
    from infra.harness import config

    path = state_file or config.STATE_DIR / "stack.json"
    if not path.exists():
        raise CommandError(f"no local stack is running ({path} is missing): start it with `make up`")
    state = json.loads(path.read_text(encoding="utf-8"))
    endpoints = (state.get("invoke_endpoints") or {}).get(LOGICAL_ID)
    if not endpoints:
        raise CommandError(f"the running local stack records no invoke endpoint of {LOGICAL_ID} (started by an "
                           f"older version?): restart it with `make down && make up`")
    region = (state.get("settings") or {}).get("region") or "us-east-1"
    return endpoints[0], LOGICAL_ID, region


# ---------------------------------------------------------------------------- invoking
def invoke(client, function_name: str, event: dict[str, Any]) -> dict[str, Any]:
    """Synchronous invoke (RequestResponse); the function's result, or CommandError when it failed."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = client.invoke(FunctionName=function_name, InvocationType="RequestResponse",
                                 Payload=json.dumps(event).encode("utf-8"))
    except (ClientError, BotoCoreError) as error:
        raise CommandError(f"could not invoke {function_name}: {error}") from None
    raw = response["Payload"].read()
    try:
        payload = json.loads(raw) if raw else None
    except ValueError:
        payload = None
    if response.get("FunctionError"):
        detail = payload if isinstance(payload, dict) else {}
        raise CommandError(f"{function_name} failed: {detail.get('errorType', response['FunctionError'])}: "
                           f"{detail.get('errorMessage', '')} (see its CloudWatch log)")
    if not isinstance(payload, dict):
        raise CommandError(f"{function_name} answered something unexpected: {raw[:200]!r}")
    return payload


def create_admin(email: str, password: str, *, name: str | None = None, promote_existing: bool = False,
                 stack: str | None = None, region: str | None = None, function_name: str | None = None,
                 local: bool = False, state_file: Path | None = None, client=None,
                 cloudformation=None) -> dict[str, Any]:
    """Invoke the bootstrap function once; its result ({"user_id", "email", "role", ...} or {"error", ...})."""
    api_url = None
    if local:
        endpoint, function_name, region = local_target(state_file)
        client = client or lambda_client(region=region, endpoint_url=endpoint, local=True)
    else:
        if not function_name:
            if not stack:
                raise CommandError("say which stack: --stack <name> (or --function-name, or --local)", 2)
            function_name, api_url = function_from_stack(stack, region, client=cloudformation)
        client = client or lambda_client(region=region)
    event: dict[str, Any] = {"email": email, "password": password}
    if name:
        event["name"] = name
    if promote_existing:
        event["promote_existing"] = True
    result = invoke(client, function_name, event)
    if api_url and "error" not in result:
        result = {**result, "login_url": f"{api_url.rstrip('/')}/api/v1/auth/login"}
    return result


# ---------------------------------------------------------------------------- command line
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m infra.harness.create_admin",
                                     description="Create the first super_admin of a deployed Meridian stack "
                                                 f"(password from ${PASSWORD_VARIABLE} or a prompt).")
    parser.add_argument("--email", required=True)
    parser.add_argument("--name", help="display name (optional)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--stack", help=f"CloudFormation stack name (its output {OUTPUT_KEY} names the function)")
    where.add_argument("--function-name", help="the bootstrap function's name or ARN (instead of --stack)")
    where.add_argument("--local", action="store_true", help="the running local stack (make up)")
    parser.add_argument("--region", help="AWS region (default: your profile's / AWS_REGION)")
    parser.add_argument("--state-file", type=Path, help="with --local: the stack's state file "
                                                        "(default: STATE_DIR/stack.json)")
    parser.add_argument("--promote-existing", action="store_true",
                        help="if the e-mail is registered, promote that account (the password must be its own)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    where = "the local stack" if args.local else (args.function_name or f"stack {args.stack}")
    try:
        password = read_password()
        result = create_admin(args.email, password, name=args.name, promote_existing=args.promote_existing,
                              stack=args.stack, region=args.region, function_name=args.function_name,
                              local=args.local, state_file=args.state_file)
    except CommandError as error:
        print(f"create-admin: {error}", file=sys.stderr)
        return error.status
    print(json.dumps(result, indent=2))
    if "error" in result:
        print(f"create-admin: refused by {where}: {result.get('message', result['error'])}", file=sys.stderr)
        return 1
    action = "promoted" if result.get("promoted") else "created"
    print(f"create-admin: {action} super_admin {result['email']} in {where}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
