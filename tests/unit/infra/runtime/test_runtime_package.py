"""The runtime runs what deploys: the built function folder and the built layer, on a Python that
has only what Lambda's has (the standard library and boto3), so a broken package fails here too."""
from __future__ import annotations

import json
import sys

import pytest

from infra.localaws.runtime.spec import LAMBDA_PYTHON, worker_spec
from infra.localaws.runtime.supervisor import Runtime
from infra.localaws.template import LocalContext, Template

from .conftest import function

PACKAGE = '''
import json, os, sys

def report(event, context):
    import boto3  # Lambda's runtime has boto3
    return {"sys_path": sys.path, "executable": sys.executable, "boto3": boto3.__version__,
            "from_layer": __import__("layer_module").WHERE}

def needs_dev_package(event, context):
    return {}
'''


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """A `sam build`-shaped folder: <build>/<LogicalId>/ and <build>/<LayerId>/python/."""
    root = tmp_path_factory.mktemp("build")
    for name in ("ReportFunction", "BrokenPackageFunction"):
        (root / name).mkdir()
        (root / name / "handlers.py").write_text(PACKAGE)
    # imports a package the developer's venv has but the package does not ship
    (root / "BrokenPackageFunction" / "handlers.py").write_text("import yaml\n" + PACKAGE)
    (root / "SharedLayer" / "python").mkdir(parents=True)
    (root / "SharedLayer" / "python" / "layer_module.py").write_text("WHERE = __file__\n")
    return root


@pytest.fixture(scope="module")
def runtime(build, tmp_path_factory):
    document = {"Resources": {
        "ReportFunction": function("handlers.report", CodeUri="src/report/"),
        "BrokenPackageFunction": function("handlers.needs_dev_package", CodeUri="src/broken/"),
        "SharedLayer": {"Type": "AWS::Serverless::LayerVersion", "Properties": {"ContentUri": "src/layer/"}},
    }}
    context = LocalContext(stack_name="pkg", aws_endpoint="http://127.0.0.1:1", build_dir=str(build))
    template = Template(document, context)
    rt = Runtime(template, context, workers_per_function=1, log_dir=tmp_path_factory.mktemp("logs"),
                 event_sources=False)
    rt.start()
    yield rt
    rt.stop()


def test_worker_spec_points_at_the_build_not_the_source(build):
    template = Template({"Resources": {
        "ReportFunction": function("handlers.report", CodeUri="functions/report/"),
        "SharedLayer": {"Type": "AWS::Serverless::LayerVersion", "Properties": {"ContentUri": "layers/x/"}}}},
        LocalContext(build_dir=str(build)))
    spec = worker_spec(template, template.function("ReportFunction"))
    assert spec.code_uri == str(build / "ReportFunction")
    assert spec.layer_paths == [str(build / "SharedLayer" / "python")]


def test_function_runs_from_the_build_with_only_lambdas_python(runtime, build):
    result = runtime.invoke("ReportFunction", {})
    assert result["executable"].startswith(str(LAMBDA_PYTHON).rsplit("/bin/", 1)[0])
    assert result["sys_path"][:2] == [str(build / "ReportFunction"), str(build / "SharedLayer" / "python")]
    assert result["from_layer"].startswith(str(build / "SharedLayer" / "python"))
    venv = sys.prefix
    assert not any(p.startswith(venv + "/") for p in result["sys_path"]), json.dumps(result["sys_path"])


def test_a_package_missing_a_dependency_fails_to_start_as_on_lambda(runtime):
    assert "BrokenPackageFunction" in runtime.init_errors
    assert "No module named 'yaml'" in runtime.init_errors["BrokenPackageFunction"]
