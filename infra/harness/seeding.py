"""Runs the seed scripts infra/harness/seeds/NN_<name>.py, in NN order, each in its own process.

A seed declares `FUNCTION = "<LogicalId>"` and `def main() -> None`. It runs with that
function's template environment (resolved for this stack), the AWS endpoint, and
PYTHONPATH = repository root : common layer : the function's CodeUri, so it can import
the service's package. Seeds are idempotent; `make up` runs them at every start.
"""
from __future__ import annotations

import ast
import os
import re
import runpy
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from infra.localaws.template import ROOT, Template

SEEDS_DIR = Path(__file__).resolve().parent / "seeds"
_SEED_FILE = re.compile(r"^\d+_\w+\.py$")
PASSED_THROUGH = ("SEED_PASSWORD", "PATH", "HOME", "LANG", "LC_ALL", "TZ")


@dataclass(frozen=True)
class Seed:
    path: Path
    function: str

    @property
    def name(self) -> str:
        return self.path.stem


def _declared_function(path: Path) -> str:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "FUNCTION" for t in node.targets):
            return ast.literal_eval(node.value)
    raise ValueError(f"{path} declares no FUNCTION = \"<LogicalId>\"")


def discover(directory: Path = SEEDS_DIR) -> list[Seed]:
    if not directory.is_dir():
        return []
    files = sorted((p for p in directory.iterdir() if _SEED_FILE.match(p.name)),
                   key=lambda p: (int(p.name.split("_", 1)[0]), p.name))
    return [Seed(path, _declared_function(path)) for path in files]


def seed_environment(seed: Seed, template: Template, *, state_dir: Path,
                     base: dict[str, str] | None = None) -> dict[str, str]:
    spec = template.function(seed.function)
    source = os.environ if base is None else base
    env = {k: source[k] for k in PASSED_THROUGH if k in source}
    env.update({"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_DEFAULT_REGION": template.ctx.region, "AWS_REGION": template.ctx.region})
    env.update(spec.environment)
    env.update({
        "AWS_ENDPOINT_URL": template.ctx.aws_endpoint,
        **({"AWS_ENDPOINT_URL_DYNAMODB": template.ctx.dynamodb_endpoint} if template.ctx.dynamodb_endpoint else {}),
        "AWS_LAMBDA_FUNCTION_NAME": seed.function,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "MERIDIAN_STATE_DIR": str(state_dir),
        "PYTHONPATH": os.pathsep.join(str(p) for p in (ROOT, *template.layer_paths(), spec.code_uri)),
    })
    return env


def run_seed(seed: Seed, template: Template, *, state_dir: Path, log_path: Path, timeout: float = 120) -> str:
    """Run one seed; returns what it printed. Raises RuntimeError (with its output) on failure."""
    env = seed_environment(seed, template, state_dir=state_dir)
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "infra.harness.seeding", str(seed.path)], env=env, cwd=ROOT,
        capture_output=True, text=True, timeout=timeout)
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"--- seed {seed.name} ({seed.function}) exit {result.returncode}\n{result.stdout}{result.stderr}")
    if result.returncode != 0:
        raise RuntimeError(f"seed {seed.name} failed (exit {result.returncode}):\n{result.stderr[-2000:]}")
    return result.stdout


if __name__ == "__main__":  # the child: python -m infra.harness.seeding <seed file>
    runpy.run_path(sys.argv[1], run_name="seed")["main"]()
