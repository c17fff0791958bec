"""template.yaml, read once, with CloudFormation intrinsics resolved to local names.

Everything local (provisioning, the Lambda runtime, nginx, tests) asks this module
for names, ARNs, URLs, handlers and environments; nothing is written twice.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from infra.localaws.config import API_STAGE, ROOT

TEMPLATE_PATH = ROOT / "template.yaml"
ACCOUNT_ID = "123456789012"


class _CfnLoader(yaml.SafeLoader):
    pass


def _tag(name: str):
    def construct(loader: yaml.Loader, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value} if name != "Ref" else {"Ref": value}
    return construct


for _short, _long in {"Ref": "Ref", "Sub": "Fn::Sub", "GetAtt": "Fn::GetAtt", "Join": "Fn::Join",
                      "Select": "Fn::Select", "Split": "Fn::Split", "If": "Fn::If", "Equals": "Fn::Equals",
                      "ImportValue": "Fn::ImportValue", "FindInMap": "Fn::FindInMap",
                      "GetAZs": "Fn::GetAZs", "Base64": "Fn::Base64", "Not": "Fn::Not"}.items():
    _CfnLoader.add_constructor(f"!{_short}", _tag(_long))


def load_yaml(path: Path = TEMPLATE_PATH) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


@dataclass
class FunctionSpec:
    logical_id: str
    code_uri: Path
    handler: str
    timeout: int
    memory: int
    environment: dict[str, str]
    events: dict[str, dict]
    function_url: bool

    @property
    def api_paths(self) -> list[tuple[str, str]]:
        return [(e["Properties"]["Path"], e["Properties"].get("Method", "ANY"))
                for e in self.events.values() if e["Type"] == "Api"]

    package_dir: Path | None = None  # what the runtime runs: the built function folder

    @property
    def service(self) -> str:
        return self.code_uri.name

    def events_of(self, kind: str) -> dict[str, dict]:
        return {k: v for k, v in self.events.items() if v["Type"] == kind}


@dataclass
class LocalContext:
    """What intrinsics resolve to locally."""
    stack_name: str = "local"
    region: str = "us-east-1"
    aws_endpoint: str = "http://127.0.0.1:4566"
    dynamodb_endpoint: str = ""  # DynamoDB Local; empty: DynamoDB at aws_endpoint too (unit tests' moto)
    api_base_url: str = "http://127.0.0.1:8081"       # internal gateway port, no rate limits
    function_urls: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    build_dir: str = ""          # `sam build` output the runtime runs; empty: the source tree (unit tests)
    # functions call AWS through the authorizing IAM proxy (infra/localaws/iam/) with their role's credentials;
    # empty: straight to aws_endpoint with the operator's credentials, unchecked
    iam_endpoint: str = ""
    function_credentials: dict[str, dict[str, str]] = field(default_factory=dict)


class Template:
    def __init__(self, document: dict | None = None, context: LocalContext | None = None):
        self.doc = document if document is not None else load_yaml()
        self.ctx = context or LocalContext()
        self.resources: dict[str, dict] = self.doc["Resources"]

    # ------------------------------------------------------------------ intrinsics
    def parameter(self, name: str) -> str:
        if name in self.ctx.parameters:
            return self.ctx.parameters[name]
        return str(self.doc.get("Parameters", {}).get(name, {}).get("Default", ""))

    def _pseudo(self, name: str) -> str | None:
        return {"AWS::StackName": self.ctx.stack_name, "AWS::Region": self.ctx.region,
                "AWS::AccountId": ACCOUNT_ID, "AWS::Partition": "aws",
                "AWS::URLSuffix": "amazonaws.com"}.get(name)

    def ref(self, logical_id: str) -> str:
        pseudo = self._pseudo(logical_id)
        if pseudo is not None:
            return pseudo
        if logical_id == "ServerlessRestApi":
            return "local"
        if logical_id in self.doc.get("Parameters", {}):
            return self.parameter(logical_id)
        resource = self.resources[logical_id]
        kind = resource["Type"]
        if kind == "AWS::SQS::Queue":
            return self.queue_url(logical_id)
        if kind in ("AWS::SecretsManager::Secret", "AWS::Events::Rule", "AWS::Serverless::LayerVersion"):
            return self.arn(logical_id)
        return self.physical_name(logical_id)

    def physical_name(self, logical_id: str) -> str:
        props = self.resources[logical_id].get("Properties", {})
        for key in ("TableName", "QueueName", "Name", "FunctionName", "LayerName"):
            if key in props:
                return self.resolve(props[key])
        return f"{self.ctx.stack_name}-{logical_id}"

    def queue_url(self, logical_id: str) -> str:
        return f"{self.ctx.aws_endpoint}/{ACCOUNT_ID}/{self.physical_name(logical_id)}"

    def arn(self, logical_id: str) -> str:
        kind = self.resources[logical_id]["Type"]
        name, region = self.physical_name(logical_id), self.ctx.region
        return {
            "AWS::SQS::Queue": f"arn:aws:sqs:{region}:{ACCOUNT_ID}:{name}",
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{region}:{ACCOUNT_ID}:table/{name}",
            "AWS::Events::EventBus": f"arn:aws:events:{region}:{ACCOUNT_ID}:event-bus/{name}",
            "AWS::Events::Rule": f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{name}",
            "AWS::SecretsManager::Secret": f"arn:aws:secretsmanager:{region}:{ACCOUNT_ID}:secret:{name}",
            "AWS::Serverless::Function": f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}",
            "AWS::Serverless::LayerVersion": f"arn:aws:lambda:{region}:{ACCOUNT_ID}:layer:{name}:1",
        }.get(kind, f"arn:aws:local:{region}:{ACCOUNT_ID}:{name}")

    def get_att(self, logical_id: str, attribute: str) -> str:
        if logical_id.endswith("Url") and attribute == "FunctionUrl":
            return self.ctx.function_urls.get(logical_id[:-3], "http://127.0.0.1/")
        if attribute == "Arn":
            return self.arn(logical_id)
        if attribute in ("QueueName", "Name"):
            return self.physical_name(logical_id)
        if attribute == "QueueUrl":
            return self.queue_url(logical_id)
        raise KeyError(f"GetAtt {logical_id}.{attribute} is not supported locally")

    def _sub(self, text: str, variables: dict[str, Any]) -> str:
        def replace(match: re.Match) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name:
                return self.get_att(*name.split(".", 1))
            return self.ref(name)
        resolved = re.sub(r"\$\{([^!}][^}]*)\}", replace, text)
        # the API's own URL (with its stage) is the local gateway's internal listener (with the stage)
        api_prefix = f"https://local.execute-api.{self.ctx.region}.amazonaws.com/{API_STAGE}"
        return resolved.replace(api_prefix, self.ctx.api_base_url.removesuffix(f"/{API_STAGE}") + f"/{API_STAGE}")

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                return self.get_att(*(arg if isinstance(arg, list) else arg.split(".", 1)))
            if key == "Fn::Sub":
                if isinstance(arg, list):
                    return self._sub(arg[0], arg[1])
                return self._sub(arg, {})
            if key == "Fn::Join":
                return arg[0].join(str(self.resolve(v)) for v in arg[1])
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    # ------------------------------------------------------------------ resources
    def of_type(self, kind: str) -> dict[str, dict]:
        return {k: v for k, v in self.resources.items() if v["Type"] == kind}

    def functions(self) -> list[FunctionSpec]:
        glob = self.doc.get("Globals", {}).get("Function", {})
        specs = []
        for logical_id, resource in self.of_type("AWS::Serverless::Function").items():
            props = resource["Properties"]
            env = dict(glob.get("Environment", {}).get("Variables", {}))
            env.update(props.get("Environment", {}).get("Variables", {}))
            specs.append(FunctionSpec(
                logical_id=logical_id,
                code_uri=ROOT / props["CodeUri"],
                handler=props["Handler"],
                timeout=int(props.get("Timeout", glob.get("Timeout", 3))),
                memory=int(props.get("MemorySize", glob.get("MemorySize", 128))),
                environment={k: str(self.resolve(v)) for k, v in env.items()},
                events=props.get("Events", {}),
                function_url="FunctionUrlConfig" in props,
                package_dir=Path(self.ctx.build_dir) / logical_id if self.ctx.build_dir else ROOT / props["CodeUri"],
            ))
        return specs

    def function(self, logical_id: str) -> FunctionSpec:
        for spec in self.functions():
            if spec.logical_id == logical_id:
                return spec
        raise KeyError(logical_id)

    def layer_paths(self) -> list[Path]:
        """Where each layer's importable code is: the built `python/` folder (Lambda's /opt/python)
        when the context has a build, else the layer's source folder."""
        layers = self.of_type("AWS::Serverless::LayerVersion")
        if self.ctx.build_dir:
            return [Path(self.ctx.build_dir) / logical_id / "python" for logical_id in layers]
        return [ROOT / r["Properties"]["ContentUri"] for r in layers.values()]

    def runtime(self) -> str:
        return self.doc.get("Globals", {}).get("Function", {}).get("Runtime", "python3.11")


@lru_cache(maxsize=1)
def default() -> Template:
    return Template()
