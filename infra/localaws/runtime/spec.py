"""What one worker needs to know about its function, resolved once by the supervisor.

The supervisor writes a context file (a serialized `LocalContext`, plus the resolved
`WorkerSpec` of every function so a worker never parses YAML on its cold start path).
A context file without `functions` also works: the worker then reads template.yaml.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the worker must not import yaml on its cold-start path
    from infra.localaws.template import FunctionSpec, LocalContext, Template

ROOT = Path(__file__).resolve().parents[3]
RUNTIME_DIR = Path(__file__).resolve().parent
# the interpreter of every worker: Lambda's python3.11 runtime has the standard library and boto3
# only, and so has this venv (Makefile: .venv-lambda from requirements-lambda.txt)
LAMBDA_PYTHON = os.environ.get("LAMBDA_PYTHON", str(ROOT / ".venv-lambda" / "bin" / "python"))
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "test"}


@dataclass
class WorkerSpec:
    logical_id: str
    function_name: str
    arn: str
    handler: str
    code_uri: str
    layer_paths: list[str]
    timeout: int
    memory: int
    environment: dict[str, str]
    api_resources: list[list[str]] = field(default_factory=list)     # [[path, method], ...]
    function_url: bool = False

    @property
    def http_facing(self) -> bool:
        return bool(self.api_resources) or self.function_url


def lambda_environment(template: Template, function: FunctionSpec, extra_env: dict[str, str] | None = None
                       ) -> dict[str, str]:
    """The complete os.environ of the function: Lambda's own variables, the template's, local AWS.

    Precedence: process basics < template Environment < Lambda-reserved and local-AWS
    variables (Lambda does not let a template set those) < extra_env (the stack's overrides).
    """
    ctx = template.ctx
    name = template.physical_name(function.logical_id)
    env = {
        "PATH": os.pathsep.join([str(Path(LAMBDA_PYTHON).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
    }
    env.update(function.environment)
    env.update({
        "LAMBDA_TASK_ROOT": str(function.package_dir),
        "LAMBDA_RUNTIME_DIR": str(RUNTIME_DIR),
        "_HANDLER": function.handler,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{template.runtime()}",
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory),
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(function.timeout),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": ctx.region,
        "AWS_DEFAULT_REGION": ctx.region,
        "AWS_ENDPOINT_URL": ctx.aws_endpoint,
        **({"AWS_ENDPOINT_URL_DYNAMODB": ctx.dynamodb_endpoint} if ctx.dynamodb_endpoint else {}),
        # no ~/.aws files and no instance metadata: the worker sees only the local stack
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        **LOCAL_CREDENTIALS,
    })
    if ctx.iam_endpoint:  # every AWS call goes through the authorizing proxy (infra/localaws/iam/proxy.py)
        env.update({"AWS_ENDPOINT_URL": ctx.iam_endpoint, "AWS_ENDPOINT_URL_DYNAMODB": ctx.iam_endpoint})
    env.update(ctx.function_credentials.get(function.logical_id, {}))  # its execution role's, as on Lambda
    env.update(extra_env or {})
    return env


def worker_spec(template: Template, function: FunctionSpec, extra_env: dict[str, str] | None = None) -> WorkerSpec:
    return WorkerSpec(
        logical_id=function.logical_id,
        function_name=template.physical_name(function.logical_id),
        arn=template.arn(function.logical_id),
        handler=function.handler,
        code_uri=str(function.package_dir),
        layer_paths=[str(p) for p in template.layer_paths()],
        timeout=function.timeout,
        memory=function.memory,
        environment=lambda_environment(template, function, extra_env),
        api_resources=[[path, method] for path, method in function.api_paths],
        function_url=function.function_url,
    )


def write_context_file(path: Path, template: Template, extra_env: dict[str, str] | None = None,
                       runtime_settings: dict[str, str] | None = None) -> None:
    """The file every worker reads: LocalContext fields + extra_env + each function's WorkerSpec, and
    the runtime's own settings (`runtime`: events.configure's keyword arguments)."""
    document: dict[str, Any] = asdict(template.ctx)
    document["extra_env"] = dict(extra_env or {})
    document["runtime"] = dict(runtime_settings or {})
    document["functions"] = {f.logical_id: asdict(worker_spec(template, f, extra_env)) for f in template.functions()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(document, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def context_from_document(document: dict[str, Any]) -> LocalContext:
    from infra.localaws.template import LocalContext

    names = {f.name for f in fields(LocalContext)}
    return LocalContext(**{k: v for k, v in document.items() if k in names})


def read_worker_spec(path: Path, logical_id: str) -> WorkerSpec:
    return read_worker_setup(path, logical_id)[0]


def read_worker_setup(path: Path, logical_id: str) -> tuple[WorkerSpec, dict[str, str]]:
    """The function's WorkerSpec and the runtime's settings, from one read of the context file."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    return _worker_spec_of(document, logical_id), dict(document.get("runtime") or {})


def _worker_spec_of(document: dict[str, Any], logical_id: str) -> WorkerSpec:
    resolved = (document.get("functions") or {}).get(logical_id)
    if resolved is not None:
        return WorkerSpec(**resolved)
    from infra.localaws.template import Template, load_yaml

    source = document.get("template_path")
    template = Template(load_yaml(Path(source)) if source else None, context_from_document(document))
    return worker_spec(template, template.function(logical_id), document.get("extra_env"))
