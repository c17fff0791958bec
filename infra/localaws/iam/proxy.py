"""The authorizing proxy: every AWS call a function makes is checked against its role, then forwarded.

    python -m infra.localaws.iam.proxy --port P --upstream http://127.0.0.1:4566 [--dynamodb-upstream URL]

Every function's AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_DYNAMODB) points here, so the check does
not depend on the engine that serves the call. For each request:

1. the SigV4 credential scope names the access key (no Authorization: forwarded as is);
2. the key's principal: STS GetCallerIdentity, forwarded to the upstream with that key (moto
   answers it without verifying the signature), gives `assumed-role/<role>/<session>`, cached
   for good. A key that is not an assumed role's (the stack's operator credentials, used by
   provisioning, seeds and tests) passes unchecked, like an administrator; temporary (ASIA…)
   keys the local STS never issued are denied;
3. `actions.required_access` derives the IAM action(s) and resource(s); what it cannot map is
   denied (and logged), never allowed;
4. the role's policies (inline and attached, read from the upstream's IAM, cached for
   --policy-ttl seconds) decide each (action, resource) with moto's evaluator
   (`evaluation.decide`);
5. denied → the AccessDenied answer AWS gives in that protocol; allowed → the request goes
   unchanged (method, path, query, headers, body) to the upstream over a persistent
   connection (DynamoDB to --dynamodb-upstream when given) and the response is relayed;
6. an upstream that is down (connection refused, reset, timed out; e.g. DynamoDB Local stopped)
   → 503 ServiceUnavailable in the call's protocol, as an AWS endpoint whose backend is down
   answers: botocore retries it, then raises a ClientError (code ServiceUnavailable, 503). The
   next request connects afresh, so the proxy serves again as soon as the upstream is back.
"""
from __future__ import annotations

import argparse
import http.client
import json
import logging
import re
import signal
import sys
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape

from infra.localaws.iam.actions import (
    ALWAYS_ALLOWED,
    Access,
    ApiCall,
    Arns,
    Credential,
    Unmapped,
    credential,
    parse_call,
    required_access,
)
from infra.localaws.iam.evaluation import Decision, decide

log = logging.getLogger("infra.localaws.iam.proxy")

OPERATOR_KEY_ID, OPERATOR_SECRET = "test", "test"  # the stack's own (administrator) credentials
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                        "trailers", "transfer-encoding", "upgrade", "proxy-connection"})
JSON_1_0_SERVICES = frozenset({"dynamodb", "sqs"})
_ARN = re.compile(r"<Arn>([^<]+)</Arn>")


# ---------------------------------------------------------------------- who is calling, what may it do
@dataclass(frozen=True)
class Principal:
    arn: str
    role: str | None          # None: not an assumed role (the operator): unchecked
    account: str


class UnknownCredentials(Exception):
    pass


class Upstream:
    """One upstream base URL: its host, port and path prefix."""

    def __init__(self, url: str):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"upstream must be http://host:port, not {url!r}")
        self.url, self.host, self.port = url.rstrip("/"), parts.hostname, parts.port or 80
        self.prefix = parts.path.rstrip("/")

    def connect(self, timeout: float) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)


class PolicyStore:
    """Access key → principal (for good); role → policy documents (for `ttl` seconds)."""

    def __init__(self, upstream: Upstream, ttl: float = 5.0):
        self.upstream, self.ttl = upstream, ttl
        self._principals: dict[str, Principal] = {}
        self._policies: dict[str, tuple[float, list[dict[str, Any]]]] = {}
        self._lock = threading.Lock()
        self._iam_client: Any = None

    def principal(self, scope: Credential) -> Principal:
        known = self._principals.get(scope.access_key)
        if known is not None:
            return known
        arn = self._caller_arn(scope)
        if ":assumed-role/" in arn:
            _, role, _session = arn.split(":", 5)[5].split("/", 2)
            found = Principal(arn, role, arn.split(":")[4])
        elif scope.access_key.startswith("ASIA"):
            raise UnknownCredentials(f"{scope.access_key} is no assumed role's key in the local STS")
        else:
            found = Principal(arn, None, arn.split(":")[4])
        self._principals[scope.access_key] = found
        return found

    def _caller_arn(self, scope: Credential) -> str:
        connection = self.upstream.connect(timeout=10)
        try:
            connection.request("POST", f"{self.upstream.prefix}/", body=b"Action=GetCallerIdentity&Version=2011-06-15",
                               headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                                        "Authorization": f"AWS4-HMAC-SHA256 Credential={scope.access_key}/"
                                                         f"{time.strftime('%Y%m%d', time.gmtime())}/{scope.region}/"
                                                         f"sts/aws4_request, SignedHeaders=host, Signature=0"})
            response = connection.getresponse()
            body = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        match = _ARN.search(body)
        if response.status != 200 or match is None:
            raise UnknownCredentials(f"GetCallerIdentity for {scope.access_key} answered {response.status}: "
                                     f"{body[:300]}")
        return match.group(1)

    def documents(self, role: str) -> list[dict[str, Any]]:
        cached = self._policies.get(role)
        if cached is not None and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        with self._lock:
            cached = self._policies.get(role)
            if cached is not None and time.monotonic() - cached[0] < self.ttl:
                return cached[1]
            documents = self._read_policies(role)
            self._policies[role] = (time.monotonic(), documents)
            return documents

    def _iam(self) -> Any:
        if self._iam_client is None:
            import boto3
            from botocore.config import Config

            self._iam_client = boto3.session.Session().client(
                "iam", endpoint_url=self.upstream.url, region_name="us-east-1",
                aws_access_key_id=OPERATOR_KEY_ID, aws_secret_access_key=OPERATOR_SECRET,
                config=Config(retries={"max_attempts": 3, "mode": "standard"}))
        return self._iam_client

    def _read_policies(self, role: str) -> list[dict[str, Any]]:
        iam = self._iam()
        try:
            names = iam.list_role_policies(RoleName=role, MaxItems=1000)["PolicyNames"]
            documents = [iam.get_role_policy(RoleName=role, PolicyName=n)["PolicyDocument"] for n in names]
            for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
                policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
                documents.append(iam.get_policy_version(PolicyArn=attached["PolicyArn"],
                                                        VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"])
        except iam.exceptions.NoSuchEntityException:
            log.warning("role %s does not exist (any more): its credentials may do nothing", role)
            return []
        return [json.loads(urllib.parse.unquote(d)) if isinstance(d, str) else d for d in documents]


# ---------------------------------------------------------------------- answers
@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _error_answer(call: ApiCall, *, status: int, json_status: int, code: str, json_type: str, fault: str,
                  message: str) -> Answer:
    """An AWS error in the call's protocol: query (XML), rest-json, or the JSON protocols (where SQS, being
    query-compatible, also names the code in x-amzn-query-error, which botocore reads)."""
    request_id = str(uuid.uuid4())
    if call.protocol == "query":
        body = (f'<ErrorResponse xmlns="https://{call.service}.amazonaws.com/doc/">'
                f"<Error><Type>{fault}</Type><Code>{code}</Code><Message>{escape(message)}</Message></Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>").encode()
        return Answer(status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body)
    headers = [("x-amzn-RequestId", request_id), ("x-amzn-ErrorType", json_type)]
    if call.protocol == "rest":
        return Answer(status, [("Content-Type", "application/json"), *headers],
                      json.dumps({"message": message}).encode())
    version = "1.0" if call.service in JSON_1_0_SERVICES else "1.1"
    headers.insert(0, ("Content-Type", f"application/x-amz-json-{version}"))
    if call.service == "sqs":
        headers.append(("x-amzn-query-error", f"{code};{fault}"))
    return Answer(json_status, headers, json.dumps({"__type": json_type, "message": message}).encode())


def access_denied(call: ApiCall, message: str) -> Answer:
    """AccessDenied as AWS answers it in the call's protocol (botocore: ClientError, code AccessDenied[Exception])."""
    return _error_answer(call, status=403, json_status=400, code="AccessDenied", json_type="AccessDeniedException",
                         fault="Sender", message=message)


def upstream_unavailable(call: ApiCall | None, upstream: Upstream, error: BaseException) -> Answer:
    """503 ServiceUnavailable in the call's protocol: the upstream did not answer. No x-amz-retry-after
    (botocore would wait that long between its retries); AWS's own 5xx carry none either."""
    message = f"Service unavailable: the local endpoint {upstream.url} did not answer ({type(error).__name__})"
    log.warning("UPSTREAM DOWN %s: %s", upstream.url, error)
    if call is None:
        return Answer(503, [("Content-Type", "text/plain"), ("x-amzn-RequestId", str(uuid.uuid4()))],
                      message.encode())
    return _error_answer(call, status=503, json_status=503, code="ServiceUnavailable", json_type="ServiceUnavailable",
                         fault="Receiver", message=message)


def denial_message(principal: Principal, access: Access, decision: Decision) -> str:
    why = (f"because no identity-based policy allows the {access.action} action"
           if decision is Decision.IMPLICIT_DENY else "with an explicit deny in an identity-based policy")
    return f"User: {principal.arn} is not authorized to perform: {access.action} on resource: {access.resource} {why}"


# ---------------------------------------------------------------------- the server
class AuthorizingProxy(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], upstream: str, dynamodb_upstream: str | None = None,
                 policy_ttl: float = 5.0, timeout: float = 60.0):
        self.upstream = Upstream(upstream)
        self.dynamodb_upstream = Upstream(dynamodb_upstream) if dynamodb_upstream else self.upstream
        self.store = PolicyStore(self.upstream, policy_ttl)
        self.upstream_timeout = timeout
        self._connections = threading.local()
        self.counts = {"allowed": 0, "denied": 0, "unchecked": 0}
        super().__init__(address, ProxyHandler)

    def connection(self, upstream: Upstream) -> http.client.HTTPConnection:
        pool = self._connections.__dict__.setdefault("pool", {})
        if upstream.url not in pool:
            pool[upstream.url] = upstream.connect(self.upstream_timeout)
        return pool[upstream.url]

    def drop_connection(self, upstream: Upstream) -> None:
        pool = self._connections.__dict__.get("pool", {})
        connection = pool.pop(upstream.url, None)
        if connection is not None:
            connection.close()

    def authorize(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
                  ) -> tuple[ApiCall | None, Answer | None]:
        """(the call, None) when it may go on, (the call, AccessDenied answer) when not."""
        scope = credential(headers, query)
        if scope is None:
            self.counts["unchecked"] += 1
            return None, None
        call = parse_call(method, path, query, headers, body, scope)
        try:
            principal = self.store.principal(scope)
        except UnknownCredentials as error:
            return call, self._deny(call, f"The security token included in the request is invalid: {error}")
        if principal.role is None or call.action in ALWAYS_ALLOWED:
            self.counts["unchecked"] += 1
            return call, None
        try:
            accesses = required_access(call, Arns(scope.region, principal.account))
        except Unmapped as error:
            return call, self._deny(call, f"User: {principal.arn} is not authorized to perform: {call.action}: "
                                          f"the local IAM proxy cannot tell which resource this request needs "
                                          f"({error}); teach infra/localaws/iam/actions.py")
        documents = self.store.documents(principal.role)
        for access in accesses:
            decision = decide(documents, access.action, access.resource)
            if not decision.allowed:
                return call, self._deny(call, denial_message(principal, access, decision))
        self.counts["allowed"] += 1
        return call, None

    def _deny(self, call: ApiCall, message: str) -> Answer:
        log.warning("DENIED %s", message)
        self.counts["denied"] += 1
        return access_denied(call, message)

    def upstream_for(self, call: ApiCall | None, headers: dict[str, str]) -> Upstream:
        if call is not None and call.service == "dynamodb":
            return self.dynamodb_upstream
        if headers.get("x-amz-target", "").startswith("DynamoDB"):
            return self.dynamodb_upstream
        return self.upstream


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: AuthorizingProxy

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        body = self._read_body()
        path, _, query = self.path.partition("?")
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            call, denied = self.server.authorize(self.command, path, query, headers, body)
        except Exception as error:  # noqa: BLE001 - an answer, never a dropped connection
            log.exception("authorization failed for %s %s", self.command, self.path)
            self._send(Answer(502, [("Content-Type", "text/plain")], f"local IAM proxy: {error}".encode()))
            return
        if denied is not None:
            self._send(denied)
            return
        self._send(self._forward(self.server.upstream_for(call, headers), body, call))

    def _forward(self, upstream: Upstream, body: bytes, call: ApiCall | None = None) -> Answer:
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP]
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
        for attempt in (1, 2):
            connection = self.server.connection(upstream)
            reused = connection.sock is not None
            try:
                connection.putrequest(self.command, upstream.prefix + self.path, skip_host=True,
                                      skip_accept_encoding=True)
                for name, value in headers:
                    connection.putheader(name, value)
                connection.endheaders(body or None)
                response = connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
                self.server.drop_connection(upstream)
                if attempt == 2 or not reused:  # a fresh connection failed: the upstream is down
                    return upstream_unavailable(call, upstream, error)
                continue  # the upstream closed an idle kept-alive connection: once more on a new one
            except OSError as error:  # refused, timed out, unreachable
                self.server.drop_connection(upstream)
                return upstream_unavailable(call, upstream, error)
            if response.will_close:
                self.server.drop_connection(upstream)
            relayed = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
            if self.command != "HEAD":
                relayed = [(k, v) for k, v in relayed if k.lower() != "content-length"]
                relayed.append(("Content-Length", str(len(data))))
            return Answer(response.status, relayed, data)
        raise AssertionError("unreachable")

    def _send(self, answer: Answer) -> None:
        reason = http.client.responses.get(answer.status, "")
        lines = [f"HTTP/1.1 {answer.status} {reason}"]
        lines += [f"{name}: {value}" for name, value in answer.headers]
        if not any(name.lower() == "content-length" for name, _ in answer.headers):
            lines.append(f"Content-Length: {len(answer.body)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + (answer.body if self.command != "HEAD" else b""))

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _handle

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # one line per request would be the whole log; denials are logged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.localaws.iam.proxy", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--upstream", required=True, help="the local AWS (moto_server), e.g. http://127.0.0.1:4566")
    parser.add_argument("--dynamodb-upstream", help="where DynamoDB calls go (default: --upstream)")
    parser.add_argument("--policy-ttl", type=float, default=5.0,
                        help="seconds a role's policies are cached (a re-provisioned policy applies after it)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    server = AuthorizingProxy((args.host, args.port), args.upstream, args.dynamodb_upstream, args.policy_ttl)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log.info("IAM proxy on %s:%d → %s (DynamoDB → %s)", args.host, args.port, args.upstream,
             args.dynamodb_upstream or args.upstream)
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        server.server_close()
        log.info("stopped: %s", server.counts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
